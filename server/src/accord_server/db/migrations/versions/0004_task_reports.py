"""task reports

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08

Annotators report tasks that cannot be annotated as they are (``task_reports``); a task with an
open report (``tasks.open_reports`` > 0) leaves the queue until a manager resolves it, so the
queue's partial index leaves such tasks out, and a second one finds them for the data manager.
Existing tasks have no report (the column's default fills them without rewriting the table).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Column types as the models declare them (db/base.py), spelled out so this file never changes.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("open_reports", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
    op.drop_index("ix_tasks_queue", table_name="tasks")
    op.create_index(
        "ix_tasks_queue",
        "tasks",
        ["project_id", sa.text("priority DESC"), "id"],
        sqlite_where=sa.text("open_slots > 0 AND open_reports = 0"),
        postgresql_where=sa.text("open_slots > 0 AND open_reports = 0"),
    )
    op.create_index(
        "ix_tasks_reported",
        "tasks",
        ["project_id", "id"],
        sqlite_where=sa.text("open_reports > 0"),
        postgresql_where=sa.text("open_reports > 0"),
    )

    op.create_table(
        "task_reports",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("task_id", BIG_ID, nullable=False),
        sa.Column("project_id", BIG_ID, nullable=False),
        sa.Column("user_id", BIG_ID, nullable=True),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("resolved_by", BIG_ID, nullable=True),
        sa.Column("resolution_note", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "reason IN ('broken_media', 'wrong_data', 'other')",
            name=op.f("ck_task_reports_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_task_reports_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_task_reports_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_task_reports_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by"],
            ["users.id"],
            name=op.f("fk_task_reports_resolved_by_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_task_reports")),
    )
    with op.batch_alter_table("task_reports", schema=None) as batch_op:
        batch_op.create_index("ix_task_reports_project_id", ["project_id"], unique=False)
        batch_op.create_index("ix_task_reports_task_id", ["task_id", "id"], unique=False)
        batch_op.create_index(
            "uq_task_reports_task_user_open",
            ["task_id", "user_id"],
            unique=True,
            sqlite_where=sa.text("resolved_at IS NULL"),
            postgresql_where=sa.text("resolved_at IS NULL"),
        )


def downgrade() -> None:
    with op.batch_alter_table("task_reports", schema=None) as batch_op:
        batch_op.drop_index("uq_task_reports_task_user_open")
        batch_op.drop_index("ix_task_reports_task_id")
        batch_op.drop_index("ix_task_reports_project_id")
    op.drop_table("task_reports")
    op.drop_index("ix_tasks_reported", table_name="tasks")
    op.drop_index("ix_tasks_queue", table_name="tasks")
    op.create_index(
        "ix_tasks_queue",
        "tasks",
        ["project_id", sa.text("priority DESC"), "id"],
        sqlite_where=sa.text("open_slots > 0"),
        postgresql_where=sa.text("open_slots > 0"),
    )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_column("open_reports")
