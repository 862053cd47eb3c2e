"""Engine and session factories; nothing is created at import time."""

from __future__ import annotations

import contextlib
import fcntl
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import orjson
from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session

from accord_server.db.outage import LockUnavailable
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


_HELD = "accord_write_lock"


class WriterLock:
    """One writer at a time across the threads of this process and the processes on this
    machine (an flock on a file beside the database): writers wait their turn in order instead
    of polling in SQLite's busy handler, which sleeps up to 100 ms between tries.

    Re-entrant for its holding thread, so a caller can take it ahead of the transaction (without
    waiting: ``acquire(blocking=False)``) and the transaction's own begin/end nest inside."""

    def __init__(self, path: str | None) -> None:
        self._thread_lock = threading.Lock()
        self._path = path
        self._fd: int | None = None
        self._owner: int | None = None
        self._depth = 0
        self._waiters: list[Callable[[], None]] = []
        self._waiters_lock = threading.Lock()

    def acquire(self, *, blocking: bool = True) -> bool:
        """Take the write lock (waiting for it unless ``blocking`` is false); True if taken."""
        return self._take(blocking) == "taken"

    def try_acquire(self) -> Literal["taken", "thread", "process"]:
        """Take the lock if free at once; else say who holds it: a thread of this process (its
        release calls ``notify`` callbacks) or another process."""
        return self._take(False)

    def _take(self, blocking: bool) -> Literal["taken", "thread", "process"]:
        me = threading.get_ident()
        if self._owner == me:
            self._depth += 1
            return "taken"
        if not self._thread_lock.acquire(blocking):
            return "thread"
        try:
            if self._path is not None:
                if self._fd is None:
                    self._fd = self._open()
                fcntl.flock(self._fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            self._thread_lock.release()
            return "process"
        except BaseException:
            self._thread_lock.release()
            raise
        self._owner, self._depth = me, 1
        return "taken"

    def _open(self) -> int:
        assert self._path is not None
        try:
            return os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise LockUnavailable(f"cannot open the writer lock {self._path}: {exc}") from exc

    def held_in_process(self) -> bool:
        """Whether a thread of this process holds the lock (its release will call ``notify``
        callbacks), as opposed to another process or nobody."""
        return self._thread_lock.locked()

    def notify(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` (from the releasing thread) the next time a holder in this process
        lets go; returns a function that cancels it. Register first, then try to take the
        lock: a release in between still calls it, so no wake-up is lost."""
        with self._waiters_lock:
            self._waiters.append(callback)

        def cancel() -> None:
            with self._waiters_lock, contextlib.suppress(ValueError):
                self._waiters.remove(callback)

        return cancel

    def held_here(self) -> bool:
        """Whether the calling thread holds the lock (e.g. is inside a write transaction)."""
        return self._owner == threading.get_ident()

    def release(self) -> None:
        """Let the next writer in (once the outermost hold ends)."""
        self._depth -= 1
        if self._depth:
            return
        self._owner = None
        try:
            if self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()
            if self._waiters:  # a waiter added after this check finds the lock free, or its
                # next holder's release calls it
                with self._waiters_lock:
                    waiters, self._waiters = self._waiters, []
                for callback in waiters:
                    callback()


def _install_sqlite_writer(engine: Engine, lock: WriterLock) -> None:
    """Writers take SQLite's lock up front (BEGIN IMMEDIATE): a deferred transaction that reads,
    then writes, fails at once with "database is locked" when another writer got in between.
    Before that they queue on the WriterLock."""

    def on_begin(conn: Any) -> None:
        lock.acquire()
        conn.info[_HELD] = True
        try:
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            conn.info.pop(_HELD, None)
            lock.release()
            raise

    def on_end(conn: Any) -> None:
        if conn.info.pop(_HELD, None):
            lock.release()

    event.listen(engine, "begin", on_begin)
    event.listen(engine, "commit", on_end)
    event.listen(engine, "rollback", on_end)


def _install_sqlite_reader(engine: Engine) -> None:
    event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN"))


def _make_engine(url: str, *, writer: WriterLock | None = None) -> Engine:
    json_options: dict[str, Any] = {
        "json_serializer": lambda value: orjson.dumps(value).decode(),
        "json_deserializer": orjson.loads,
    }
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            pool_size=20,
            max_overflow=20,
            **json_options,
        )
        event.listen(engine, "connect", _sqlite_pragmas())
        if writer is not None:
            _install_sqlite_writer(engine, writer)
        else:
            _install_sqlite_reader(engine)
        return engine
    engine = create_engine(url, pool_size=20, max_overflow=20, **json_options)
    _ping_when_idle(engine, PING_AFTER_IDLE_SECONDS)
    return engine


PING_AFTER_IDLE_SECONDS = 2.0


def _ping_when_idle(engine: Engine, idle_seconds: float) -> None:
    """Check a pooled connection before handing it out, but only if it sat unused for
    ``idle_seconds``: one that just served a request is alive, and ``pool_pre_ping``'s check of
    every checkout cost a round trip per request. A dead connection (a restarted or failed-over
    server, an idle timeout) is dropped and the pool connects afresh, as with pre-ping."""

    def checkin(_dbapi: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    def checkout(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.pop("idle_since", None)
        if since is None or time.monotonic() - since < idle_seconds:
            return
        try:
            engine.dialect.do_ping(dbapi)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"pooled connection is gone: {exc}") from exc

    event.listen(engine, "checkin", checkin)
    event.listen(engine, "checkout", checkout)


STATEMENT_ATOMIC = "accord_statement_atomic"


class NeedsTransaction(Exception):
    """Raised by work running statement-atomic (see ``statement_atomic``), before it wrote
    anything, when what it found needs several statements in one transaction; the entry point
    then runs it again in a transaction."""


def in_statement_atomic(session: Session) -> bool:
    """True when each statement of this session commits on its own (see ``statement_atomic``)."""
    return bool(session.info.get(STATEMENT_ATOMIC))


@contextmanager
def statement_atomic(session: Session, connection: Connection | None = None) -> Iterator[None]:
    """Run the session's statements each as its own transaction (PostgreSQL's autocommit): no
    BEGIN and no COMMIT round trips. Only for work each of whose writes is ONE statement that
    leaves the data consistent on its own, and that raises ``NeedsTransaction`` before writing
    when a case needs several in one transaction.

    Must be entered before the session's first statement. Without ``connection`` the session
    takes one from the pool and switches it to autocommit (it goes back in its default mode);
    with one (from ``ThreadConnections``: in autocommit already) the session runs on that, in
    no transaction of its own, and is bound to its engine again on the way out."""
    bind = session.bind
    if connection is None:
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
    else:
        session.bind = connection
    session.info[STATEMENT_ATOMIC] = True
    try:
        yield
    finally:
        session.info.pop(STATEMENT_ATOMIC, None)
        if connection is not None:
            session.close()
            session.bind = bind


class ThreadConnections:
    """Connections held in autocommit for statement-atomic work, one per thread that asks:
    meant for a few long-lived threads (the API's hot lane on PostgreSQL).

    Taking a pooled connection for each request, switching it to autocommit and back, and a
    session transaction around it cost 0.3M of a submit's 3.3M instructions (callgrind); a held
    connection costs none of that. Like the pool's (``_ping_when_idle``), a connection idle
    for ``PING_AFTER_IDLE_SECONDS`` is checked before use; one found dead, or that failed with
    a disconnect, is replaced."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._local = threading.local()
        self._held: list[Connection] = []
        self._lock = threading.Lock()
        self._closed = False

    def connection(self) -> Connection:
        """This thread's connection (connecting, or reconnecting, when needed)."""
        if self._closed:
            raise RuntimeError("the database connections are closed")
        conn: Connection | None = getattr(self._local, "conn", None)
        now = time.monotonic()
        idle = now - getattr(self._local, "used", now)
        if conn is not None and (
            conn.invalidated or (idle >= PING_AFTER_IDLE_SECONDS and not _alive(conn))
        ):
            self._drop(conn)
            conn = None
        if conn is None:
            conn = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
            with self._lock:
                if self._closed:
                    conn.close()
                    raise RuntimeError("the database connections are closed")
                self._held.append(conn)
            self._local.conn = conn
        self._local.used = now
        return conn

    def _drop(self, conn: Connection) -> None:
        with self._lock:
            if conn in self._held:
                self._held.remove(conn)
        self._local.conn = None
        conn.invalidate()
        conn.close()

    def close(self) -> None:
        """Close every held connection (once the threads using them have finished)."""
        with self._lock:
            self._closed = True
            held, self._held = self._held, []
        for conn in held:
            conn.close()


def _alive(conn: Connection) -> bool:
    try:
        conn.exec_driver_sql("SELECT 1")
        conn.rollback()  # ends SQLAlchemy's record of a transaction (autocommit: none in fact)
    except DBAPIError:
        return False
    return True


@dataclass
class Database:
    """The database in force: a reading and a writing engine (the same one on PostgreSQL)."""

    url: str
    engine: Engine
    write_engine: Engine
    writer_lock: WriterLock | None = None
    """SQLite's writer queue (None on PostgreSQL)."""

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
        database = make_url(url).database
        in_file = bool(database) and database != ":memory:"
        lock = WriterLock(f"{database}.writer-lock" if in_file else None)
        return Database(
            url=url,
            engine=_make_engine(url),
            write_engine=_make_engine(url, writer=lock),
            writer_lock=lock,
        )
    engine = _make_engine(url)
    return Database(url=url, engine=engine, write_engine=engine)
