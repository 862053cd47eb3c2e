"""Alembic environment: the engine comes from ``config.attributes`` (see ``db/migrate.py``)."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine, create_engine

import accord_server.db.models  # noqa: F401  (registers the tables for autogenerate)
from accord_server.db.base import Base

config = context.config
target_metadata = Base.metadata


def _engine() -> Engine:
    engine = config.attributes.get("engine")
    if engine is not None:
        assert isinstance(engine, Engine)
        return engine
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no engine: run migrations through `accord-server migrate`")
    return create_engine(url)


def run_migrations_online() -> None:
    """Run migrations in one transaction on the configured engine."""
    engine = _engine()
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
