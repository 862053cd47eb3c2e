"""Migrations: upgrade from empty and downgrade to empty on both databases; models match."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from accord_server.db.base import Base
from accord_server.db.migrate import current_revision, downgrade, upgrade


def test_upgrade_from_empty_and_downgrade_to_empty(database_url: str) -> None:
    engine = create_engine(database_url)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    assert current_revision(engine) is None
    upgrade(engine)
    tables = set(inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    assert current_revision(engine) is not None
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    # Expression indexes cannot be reflected on every backend; everything else must match.
    assert [d for d in diff if "ix_tasks_queue" not in str(d)] == []
    engine.dispose()
