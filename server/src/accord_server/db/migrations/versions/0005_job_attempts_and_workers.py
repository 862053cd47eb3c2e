"""job attempts and workers

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

A job's attempts get a column of their own (they were a key of ``counts``, which each progress
report replaced, so a failing job never reached its last attempt); the worker processes report
themselves in ``workers`` (the API's readiness counts the live ones). Jobs queued or running
before this revision start from 0 attempts.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

# Column types as the models declare them (db/base.py), spelled out so this file never changes.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0"))
        )
        batch_op.create_index("ix_jobs_state_created_at", ["state", "created_at"], unique=False)
    op.create_table(
        "workers",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
    )
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workers_heartbeat_at"), ["heartbeat_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("workers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workers_heartbeat_at"))
    op.drop_table("workers")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("ix_jobs_state_created_at")
        batch_op.drop_column("attempts")
