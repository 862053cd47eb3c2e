"""Which database errors mean the database cannot serve right now (it does not answer, is
restarting, has no connection or lock to spare, or its disk failed), as opposed to a bug or bad
data: a request that meets one is answered 503 with Retry-After (``api/errors.py``), not 500."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, DisconnectionError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# SQLite's primary result codes (``sqlite3.SQLITE_*``): busy or locked past the busy timeout,
# the file cannot be opened (its volume gone, say), a disk I/O error, the disk full.
_SQLITE_UNAVAILABLE = {5: "busy", 6: "locked", 14: "cannot open", 10: "I/O error", 13: "full"}
# PostgreSQL's SQLSTATE classes and codes: connection exception, insufficient resources (too
# many connections, disk full, out of memory), the server shutting down or starting up.
_POSTGRES_CLASSES = ("08", "53")
_POSTGRES_CODES = frozenset({"57P01", "57P02", "57P03"})


class LockUnavailable(Exception):
    """SQLite's writer lock (a file beside the database) cannot be opened: nor can the
    database, whose folder is gone or read-only."""


def unavailable_reason(exc: BaseException) -> str | None:
    """Why the database cannot serve, in one line for the log, when ``exc`` says so; else None."""
    if isinstance(exc, PoolTimeout | DisconnectionError | LockUnavailable):
        return f"{type(exc).__name__}: {_first_line(exc)}"
    if not isinstance(exc, DBAPIError):
        return None
    orig = exc.orig
    reason = f"{type(orig).__name__}: {_first_line(orig)}"
    if exc.connection_invalidated:  # SQLAlchemy found the connection dead
        return reason
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return reason if code & 0xFF in _SQLITE_UNAVAILABLE else None
    if not isinstance(exc, OperationalError | InterfaceError):
        return None
    state = getattr(orig, "sqlstate", None)
    if state is None or state[:2] in _POSTGRES_CLASSES or state in _POSTGRES_CODES:
        return reason  # no SQLSTATE: the driver's own failure to reach the server
    return None


def _first_line(exc: BaseException | None) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""
