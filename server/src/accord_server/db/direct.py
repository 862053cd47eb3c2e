"""Statements of the annotators' hot path run straight on the driver (psycopg) on PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.sql.compiler import SQLCompiler

_Compiled = tuple[SQLCompiler, str, dict[str, Callable[[Any], Any]]]


class DirectStatement:
    """A Core statement that, on PostgreSQL, is compiled once and run on the psycopg connection
    beneath a SQLAlchemy ``Connection``; elsewhere it runs through SQLAlchemy as usual.

    For the few statements every ``next`` and submit runs: SQLAlchemy's work per execution
    (cache key, execution context, result rows) cost two thirds of the task lookup — 0.29M of
    its 0.44M instructions (callgrind); psycopg alone takes 0.15M.

    Parameters are made as SQLAlchemy makes them (the compiled statement's defaults, each
    type's bind processing: JSON serialized, datetimes in UTC); rows are psycopg's tuples, whose
    values psycopg decodes itself (JSON, aware timestamps), so only statements whose result
    types need no further processing belong here. A driver error is raised as SQLAlchemy raises
    it (``IntegrityError`` …) and a disconnect invalidates the connection; the engine's
    ``before_cursor_execute`` listeners see the statement. It bypasses the session's autoflush:
    run it with nothing pending (at the start of a request, or with Core writes only)."""

    def __init__(self, statement: Select[*tuple[Any, ...]]) -> None:
        self.statement = statement
        self._compiled: _Compiled | None = None

    def _compile(self, dialect: Dialect) -> _Compiled:
        if self._compiled is None:
            compiled = self.statement.compile(dialect=dialect)
            processors: dict[str, Callable[[Any], Any]] = {}
            for name, bind in compiled.binds.items():
                processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
                if processor is not None:
                    processors[compiled.escaped_bind_names.get(name, name)] = processor
            self._compiled = (compiled, compiled.string, processors)
        return self._compiled

    def all(self, conn: Connection, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
        """Every row the statement returns."""
        if conn.dialect.name != "postgresql":
            return [tuple(row) for row in conn.execute(self.statement, params)]
        compiled, sql, processors = self._compile(conn.dialect)
        values = compiled.construct_params(params)
        assert values is not None
        for name, processor in processors.items():
            values[name] = processor(values[name])
        raw = conn.connection.driver_connection
        assert raw is not None
        cursor = raw.cursor()
        conn.dispatch.before_cursor_execute(conn, cursor, sql, values, None, False)
        try:
            cursor.execute(sql, values)
            return cursor.fetchall() if cursor.description else []
        except conn.dialect.loaded_dbapi.Error as error:
            invalidated = conn.dialect.is_disconnect(error, raw, cursor)
            if invalidated:
                conn.invalidate(error)
            raise DBAPIError.instance(
                sql,
                values,
                error,
                conn.dialect.loaded_dbapi.Error,
                connection_invalidated=invalidated,
                dialect=conn.dialect,
            ) from error
        finally:
            cursor.close()

    def first(self, conn: Connection, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
        """The first row, or None."""
        rows = self.all(conn, params)
        return rows[0] if rows else None

    def first_mapping(self, conn: Connection, params: Mapping[str, Any]) -> dict[str, Any] | None:
        """The first row as a dict by column name, or None."""
        row = self.first(conn, params)
        if row is None:
            return None
        return dict(zip(self.statement.selected_columns.keys(), row, strict=True))

    def scalar(self, conn: Connection, params: Mapping[str, Any]) -> Any:
        """The first column of the first row, or None."""
        row = self.first(conn, params)
        return None if row is None else row[0]
