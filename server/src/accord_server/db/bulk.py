"""Bulk writes at driver speed: reserved ids, then executemany (SQLite) or COPY (PostgreSQL).

The ORM and even Core's insertmanyvalues spend tens of microseconds of Python per row on type
processing; an import of a million tasks cannot afford that. Values are converted once here
(JSON with orjson, datetimes to the stored text form) and handed to the driver directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from typing import Any

import orjson
from sqlalchemy import JSON, Boolean, Table, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from accord_server.db.base import Base, UTCDateTime


def reserve_ids(session: Session, model: type[Base], count: int) -> range:
    """``count`` new primary keys for ``table``, usable in this transaction.

    PostgreSQL draws them from the table's sequence (concurrent writers get disjoint ranges);
    SQLite writers hold the database lock (BEGIN IMMEDIATE), so the next ids after max(id) are
    ours until commit."""
    if count <= 0:
        return range(0)
    name = _table(model).name
    if session.get_bind().dialect.name == "postgresql":
        # Only the smallest and largest come back (not ``count`` rows): the values drawn are
        # distinct, so they are contiguous exactly when the span is ``count``.
        first, last = session.execute(
            text(
                f"SELECT min(v), max(v) FROM (SELECT nextval(pg_get_serial_sequence('{name}', "
                "'id')) AS v FROM generate_series(1, :n)) AS drawn"
            ),
            {"n": count},
        ).one()
        if last - first + 1 == count:
            return range(first, first + count)
        raise RuntimeError(f"{name}: ids from the sequence are not contiguous")
    last = session.execute(text(f"SELECT coalesce(max(id), 0) FROM {name}")).scalar_one()
    return range(int(last) + 1, int(last) + 1 + count)


def _converters(table: Table, columns: Sequence[str], sqlite: bool) -> list[Any]:
    def json_value(v: Any) -> Any:
        return None if v is None else orjson.dumps(v).decode()

    memo: dict[Any, str] = {}

    def sqlite_time(v: Any) -> Any:
        if v is None:
            return None
        # Bulk rows share one timestamp: format it once.
        text = memo.get(v)
        if text is None:
            text = memo[v] = v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        return text

    def pg_time(v: Any) -> Any:
        return v

    def sqlite_bool(v: Any) -> Any:
        return None if v is None else int(bool(v))

    out: list[Any] = []
    for name in columns:
        column_type = table.c[name].type
        if isinstance(column_type, JSON):
            out.append(json_value)
        elif isinstance(column_type, UTCDateTime):
            out.append(sqlite_time if sqlite else pg_time)
        elif isinstance(column_type, Boolean) and sqlite:
            out.append(sqlite_bool)
        else:
            out.append(None)
    return out


def _table(model: type[Base]) -> Table:
    table = model.__table__
    assert isinstance(table, Table)
    return table


def bulk_insert(
    session: Session, model: type[Base], columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) in this session's transaction."""
    if not rows:
        return
    table = _table(model)
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    converters = _converters(table, columns, sqlite)
    indexed = [(i, f) for i, f in enumerate(converters) if f is not None]

    def convert(row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for i, f in indexed:
            values[i] = f(values[i])
        return values

    driver = connection.connection.driver_connection
    assert driver is not None
    names = ", ".join(columns)
    dbapi_error = connection.dialect.loaded_dbapi.Error
    if sqlite:
        statement = f"INSERT INTO {table.name} ({names}) VALUES ({', '.join('?' for _ in columns)})"
    else:
        statement = f"COPY {table.name} ({names}) FROM STDIN"
    try:
        if sqlite:
            cursor = driver.cursor()
            cursor.executemany(statement, [convert(r) for r in rows])
            cursor.close()
            return
        with driver.cursor() as cursor, cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row(convert(row))
    except dbapi_error as exc:
        # The driver's own error, as SQLAlchemy would have raised it (DataError, IntegrityError
        # ...): callers tell refused data from a lost connection the same way for every write.
        raise DBAPIError.instance(
            statement, None, exc, dbapi_error, dialect=connection.dialect
        ) from exc
