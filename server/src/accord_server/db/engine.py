"""Engine and session factories; nothing is created at import time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from accord_server.settings import Settings

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas() -> Any:
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.close()

    return on_connect


def _sqlite_begin(immediate: bool) -> Any:
    def on_begin(conn: Any) -> None:
        # Writers take the lock up front: a deferred transaction that reads, then writes,
        # fails at once with "database is locked" when another writer got in between.
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return on_begin


def _make_engine(url: str, *, immediate: bool) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=20,
            max_overflow=20,
        )
        event.listen(engine, "connect", _sqlite_pragmas())
        event.listen(engine, "begin", _sqlite_begin(immediate))
        return engine
    return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)


@dataclass
class Database:
    """The database in force: a reading and a writing engine (the same one on PostgreSQL)."""

    url: str
    engine: Engine
    write_engine: Engine

    @property
    def is_sqlite(self) -> bool:
        """True on the embedded SQLite database."""
        return self.engine.dialect.name == "sqlite"

    def session(self, *, write: bool = True) -> Session:
        """A new session; ``write`` sessions take SQLite's write lock when they begin."""
        return Session(bind=self.write_engine if write else self.engine, expire_on_commit=False)

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """A session whose transaction commits on success and rolls back on error."""
        with self.session(write=write) as session, session.begin():
            yield session

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
        if self.write_engine is not self.engine:
            self.write_engine.dispose()


def make_database(settings: Settings) -> Database:
    """Build the engines for the configured database (creating the data folder for SQLite)."""
    url = settings.resolved_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return Database(
            url=url,
            engine=_make_engine(url, immediate=False),
            write_engine=_make_engine(url, immediate=True),
        )
    engine = _make_engine(url, immediate=False)
    return Database(url=url, engine=engine, write_engine=engine)


def session_factory(database: Database) -> sessionmaker[Session]:
    """A sessionmaker bound to the writing engine."""
    return sessionmaker(bind=database.write_engine, expire_on_commit=False)
