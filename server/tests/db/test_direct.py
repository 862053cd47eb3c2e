"""Statements run on the driver (PostgreSQL) behave as they do through SQLAlchemy."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import Engine, Integer, bindparam, create_engine, event, literal, select, text
from sqlalchemy.exc import DataError, DBAPIError

from accord_server.db.base import Json, UTCDateTime
from accord_server.db.direct import DirectStatement
from accord_server.db.engine import make_database
from accord_server.settings import Settings


@pytest.fixture
def engine(settings: Settings) -> Iterator[Engine]:
    database = make_database(settings)  # the app's engine: its JSON settings too
    yield database.engine
    database.dispose()


def test_parameters_and_rows_as_through_sqlalchemy(engine: Engine) -> None:
    statement = select(
        bindparam("doc", type_=Json).label("doc"),
        bindparam("at", type_=UTCDateTime).label("at"),
        (bindparam("n", type_=Integer) + literal(1)).label("next"),
    )
    direct = DirectStatement(statement)
    at = datetime(2026, 11, 28, 6, 30, tzinfo=timezone(timedelta(hours=2)))
    params = {"doc": {"a": [1, "é", None]}, "at": at, "n": 41}
    with engine.connect() as conn:
        doc, when, following = conn.execute(statement, params).one()
        assert direct.first(conn, params) == (doc, when, following)
        assert direct.first_mapping(conn, params) == {"doc": doc, "at": when, "next": 42}
    assert doc == {"a": [1, "é", None]}
    assert when == at and when.tzinfo is not None
    assert when.astimezone(UTC) == datetime(2026, 11, 28, 4, 30, tzinfo=UTC)


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_errors_are_sqlalchemys_and_listeners_see_the_statement(engine: Engine) -> None:
    seen: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda c, cur, sql, *_: seen.append(sql))
    direct = DirectStatement(select(literal(1) / bindparam("zero", type_=Integer)))
    with engine.connect() as conn, pytest.raises(DataError, match="division by zero"):
        direct.scalar(conn, {"zero": 0})
    assert seen and "/" in seen[-1]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_a_disconnect_invalidates_the_connection(engine: Engine, database_url: str) -> None:
    direct = DirectStatement(select(text("pg_backend_pid()")))
    with engine.connect() as conn:
        pid = direct.scalar(conn, {})
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        admin.dispose()
        with pytest.raises(DBAPIError) as failed:
            direct.scalar(conn, {})
        assert failed.value.connection_invalidated
        assert conn.invalidated
        conn.rollback()
        assert direct.scalar(conn, {}) != pid  # reconnected
