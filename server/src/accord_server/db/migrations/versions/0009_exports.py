"""exports

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

``exports``: one row per export of a project in one format (``services/exports``), made by a job
of kind ``export`` (``jobs.kind`` holds no check constraint: no change there). The row keeps
what was asked (format, options, the task filter), and once the job succeeded where the one
download is stored, its name, size, SHA-256, how many tasks it holds and the report of what the
format left out.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_ = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "exports",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("organization_id", BIG_ID, nullable=False),
        sa.Column("project_id", BIG_ID, nullable=False),
        sa.Column("job_id", BIG_ID, nullable=False),
        sa.Column("created_by", BIG_ID, nullable=True),
        sa.Column("format", sa.String(length=50), nullable=False),
        sa.Column("options", JSON_, nullable=False),
        sa.Column("filter", JSON_, nullable=False),
        sa.Column("storage_key", sa.String(length=200), nullable=True),
        sa.Column("file_name", sa.String(length=300), nullable=True),
        sa.Column("content_type", sa.String(length=100), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("task_count", sa.Integer(), nullable=False),
        sa.Column("report", JSON_, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_exports_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_exports_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_exports_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_exports_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_exports")),
    )
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.create_index("ix_exports_job_id", ["job_id"], unique=False)
        batch_op.create_index("ix_exports_organization_id", ["organization_id"], unique=False)
        batch_op.create_index("ix_exports_project_id_id", ["project_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("exports", schema=None) as batch_op:
        batch_op.drop_index("ix_exports_project_id_id")
        batch_op.drop_index("ix_exports_organization_id")
        batch_op.drop_index("ix_exports_job_id")
    op.drop_table("exports")
    op.execute("DELETE FROM jobs WHERE kind = 'export'")
