"""dataset versions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03

``dataset_versions``: one row per frozen dataset version of a project (``services/datasets.py``),
made by a job of kind ``dataset_version`` (``jobs.kind`` holds no check constraint: no change
there). The row keeps what was asked (name, description, result choice, task filter), the label
schema at that moment, and once the job succeeded the manifest's content-addressed key, its
SHA-256 and size, the version's content hash, an earlier version with the same hash, and counts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
JSON_ = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dataset_versions",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("organization_id", BIG_ID, nullable=False),
        sa.Column("project_id", BIG_ID, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("job_id", BIG_ID, nullable=False),
        sa.Column("created_by", BIG_ID, nullable=True),
        sa.Column("options", JSON_, nullable=False),
        sa.Column("filter", JSON_, nullable=False),
        sa.Column("label_schema", JSON_, nullable=False),
        sa.Column("manifest_key", sa.String(length=200), nullable=True),
        sa.Column("manifest_sha256", sa.String(length=64), nullable=True),
        sa.Column("manifest_size", sa.BigInteger(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=True),
        sa.Column("same_as_id", BIG_ID, nullable=True),
        sa.Column("task_count", sa.Integer(), nullable=False),
        sa.Column("result_count", sa.Integer(), nullable=False),
        sa.Column("prediction_count", sa.Integer(), nullable=False),
        sa.Column("label_counts", JSON_, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_dataset_versions_created_by_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_dataset_versions_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_dataset_versions_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["project_id"],
            ["projects.id"],
            name=op.f("fk_dataset_versions_project_id_projects"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["same_as_id"],
            ["dataset_versions.id"],
            name=op.f("fk_dataset_versions_same_as_id_dataset_versions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dataset_versions")),
        sa.UniqueConstraint("project_id", "number", name="uq_dataset_versions_project_id_number"),
    )
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.create_index("ix_dataset_versions_job_id", ["job_id"], unique=False)
        batch_op.create_index(
            "ix_dataset_versions_organization_id", ["organization_id"], unique=False
        )
        batch_op.create_index(
            "ix_dataset_versions_project_id_content_hash",
            ["project_id", "content_hash"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("dataset_versions", schema=None) as batch_op:
        batch_op.drop_index("ix_dataset_versions_project_id_content_hash")
        batch_op.drop_index("ix_dataset_versions_organization_id")
        batch_op.drop_index("ix_dataset_versions_job_id")
    op.drop_table("dataset_versions")
    op.execute("DELETE FROM jobs WHERE kind = 'dataset_version'")
