"""import sources and server admins

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

Imports read any folder under ``ACCORD_IMPORT_ROOTS`` and any bucket the server's credentials
reach, whichever organization asked. ``import_sources`` holds what an admin of the server
granted to each organization (a folder, or an S3 bucket/prefix with its own credentials
profile); imports read only those. ``users.is_server_admin`` marks who may grant them and
create organizations. Existing users are not server admins: `accord-server user admin EMAIL`
makes one.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_server_admin", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "import_sources",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("organization_id", BIG_ID, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("location", sa.String(length=4096), nullable=False),
        sa.Column("prefix", sa.String(length=1024), nullable=False),
        sa.Column("profile", sa.String(length=200), nullable=True),
        sa.Column("endpoint_url", sa.String(length=500), nullable=True),
        sa.Column("region", sa.String(length=100), nullable=True),
        sa.Column("created_by_id", BIG_ID, nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('folder', 's3')", name=op.f("ck_import_sources_kind")),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_import_sources_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_import_sources_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_import_sources")),
        sa.UniqueConstraint(
            "organization_id", "name", name=op.f("uq_import_sources_organization_id")
        ),
    )
    with op.batch_alter_table("import_sources", schema=None) as batch_op:
        batch_op.create_index(
            "ix_import_sources_organization_id", ["organization_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("import_sources", schema=None) as batch_op:
        batch_op.drop_index("ix_import_sources_organization_id")
    op.drop_table("import_sources")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("is_server_admin")
