"""media collection

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

Stored media that no task names any more (deleted tasks and projects, failed imports, the files
of finished imports) is deleted by a ``media_gc`` job, one of the server's own: ``jobs``
.organization_id may be null for it, and ``uq_jobs_one_media_gc`` lets one be queued or running
at a time, however many workers start one. ``ix_tasks_media_key`` answers "does any task, of any
project, name this file?" for a page of stored files at a time (only tasks with a media file are
in it).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
ONE_MEDIA_GC = "kind = 'media_gc' AND state IN ('queued', 'running')"
HAS_MEDIA = "media_key IS NOT NULL"

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.alter_column("organization_id", existing_type=BIG_ID, nullable=True)
        batch_op.create_index(
            "uq_jobs_one_media_gc",
            ["kind"],
            unique=True,
            sqlite_where=sa.text(ONE_MEDIA_GC),
            postgresql_where=sa.text(ONE_MEDIA_GC),
        )
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tasks_media_key",
            ["media_key"],
            unique=False,
            sqlite_where=sa.text(HAS_MEDIA),
            postgresql_where=sa.text(HAS_MEDIA),
        )


def downgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_media_key")
    op.execute("DELETE FROM jobs WHERE organization_id IS NULL")
    with op.batch_alter_table("jobs", schema=None) as batch_op:
        batch_op.drop_index("uq_jobs_one_media_gc")
        batch_op.alter_column("organization_id", existing_type=BIG_ID, nullable=False)
