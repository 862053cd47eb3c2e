"""imported annotations

Revision ID: 0011
Revises: 0008
Create Date: 2026-12-03

Imports bring annotations made in other tools. Each is credited to the member with the same
email, else to an "imported annotator": a ``users`` row that cannot log in (no password, not
active, no membership), one per source person and organization, marked by
``imported_organization_id`` and named by ``import_key`` (``uq_users_imported_person``).
``imported_files`` remembers the task files written into each project by content, so that
importing one again says so in the report.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("imported_organization_id", BIG_ID, nullable=True))
        batch_op.add_column(sa.Column("import_key", sa.String(length=400), nullable=True))
        batch_op.create_foreign_key(
            "fk_users_imported_organization_id_organizations",
            "organizations",
            ["imported_organization_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.create_index(
            "uq_users_imported_person",
            ["imported_organization_id", "import_key"],
            unique=True,
        )
    op.create_table(
        "imported_files",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("project_id", BIG_ID, nullable=False),
        sa.Column("job_id", BIG_ID, nullable=True),
        sa.Column("name", sa.String(length=1024), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("annotations", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["job_id"], ["jobs.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_imported_files_project_sha256", "imported_files", ["project_id", "sha256"])


def downgrade() -> None:
    op.drop_index("ix_imported_files_project_sha256", table_name="imported_files")
    op.drop_table("imported_files")
    op.execute("DELETE FROM users WHERE imported_organization_id IS NOT NULL")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index("uq_users_imported_person")
        batch_op.drop_constraint(
            "fk_users_imported_organization_id_organizations", type_="foreignkey"
        )
        batch_op.drop_column("import_key")
        batch_op.drop_column("imported_organization_id")
