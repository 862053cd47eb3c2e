"""event backlog and project stats

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03

The outbox gets its delivery state per failing subscriber (``event_backlog``), and the project
statistics their tables, kept from annotation events. Events written before this revision are
left undelivered: the first delivery hands them over like any other (the statistics of a project
are built from its annotations when its first event arrives, so old ones count once).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

# Column types as the models declare them (db/base.py), spelled out so this file never changes.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_ = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _project_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["project_id"],
        ["projects.id"],
        name=op.f(f"fk_{table}_project_id_projects"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "event_backlog",
        sa.Column("subscriber", sa.String(length=100), nullable=False),
        sa.Column("event_id", BIG_ID, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("dead", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_event_backlog_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscriber", "event_id", name=op.f("pk_event_backlog")),
    )
    with op.batch_alter_table("event_backlog", schema=None) as batch_op:
        batch_op.create_index(
            "ix_event_backlog_live", ["subscriber", "dead", "event_id"], unique=False
        )

    op.create_table(
        "project_stats",
        sa.Column("project_id", BIG_ID, nullable=False),
        sa.Column("built_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        _project_fk("project_stats"),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_project_stats")),
    )
    op.create_table(
        "stats_annotations",
        sa.Column("annotation_id", BIG_ID, nullable=False),
        sa.Column("project_id", BIG_ID, nullable=False),
        sa.Column("user_id", BIG_ID, nullable=True),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("lead_time", sa.Float(), nullable=True),
        sa.Column("labels", JSON_, nullable=False),
        _project_fk("stats_annotations"),
        sa.PrimaryKeyConstraint("annotation_id", name=op.f("pk_stats_annotations")),
    )
    with op.batch_alter_table("stats_annotations", schema=None) as batch_op:
        batch_op.create_index("ix_stats_annotations_project_id", ["project_id"], unique=False)

    op.create_table(
        "stats_annotators",
        sa.Column("project_id", BIG_ID, nullable=False),
        sa.Column("user_id", BIG_ID, nullable=False),
        sa.Column("annotations", sa.Integer(), nullable=False),
        sa.Column("lead_time_sum", sa.Float(), nullable=False),
        sa.Column("lead_time_n", sa.Integer(), nullable=False),
        _project_fk("stats_annotators"),
        sa.PrimaryKeyConstraint("project_id", "user_id", name=op.f("pk_stats_annotators")),
    )
    op.create_table(
        "stats_days",
        sa.Column("project_id", BIG_ID, nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        _project_fk("stats_days"),
        sa.PrimaryKeyConstraint("project_id", "day", name=op.f("pk_stats_days")),
    )
    op.create_table(
        "stats_labels",
        sa.Column("project_id", BIG_ID, nullable=False),
        sa.Column("tool", sa.Text(), nullable=False),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        _project_fk("stats_labels"),
        sa.PrimaryKeyConstraint("project_id", "tool", "label", name=op.f("pk_stats_labels")),
    )


def downgrade() -> None:
    op.drop_table("stats_labels")
    op.drop_table("stats_days")
    op.drop_table("stats_annotators")
    with op.batch_alter_table("stats_annotations", schema=None) as batch_op:
        batch_op.drop_index("ix_stats_annotations_project_id")
    op.drop_table("stats_annotations")
    op.drop_table("project_stats")
    with op.batch_alter_table("event_backlog", schema=None) as batch_op:
        batch_op.drop_index("ix_event_backlog_live")
    op.drop_table("event_backlog")
