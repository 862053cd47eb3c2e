"""When each API token was last used (``api_tokens.last_used_at``), written off the request path.

A request never waits for this: the token's use is noted in memory when the token is looked up
(at most once per ``auth_cache_seconds`` per process, see ``RecentCredentials``) and a thread of
its own writes the notes, at most once a minute per token. On SQLite a request that had to write
would otherwise queue behind an import's long write transaction.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, update

from accord_server.db.base import utcnow
from accord_server.db.engine import Database
from accord_server.db.models import ApiToken

log = logging.getLogger(__name__)

THREAD_NAME = "accord-token-use"
# How stale ``last_used_at`` may get: a token in constant use is written once per this.
WRITE_EVERY_SECONDS = 60.0


class TokenUse:
    """Notes of API token use, written to the database by a background thread."""

    def __init__(self, db: Database, every: float = WRITE_EVERY_SECONDS) -> None:
        self._db = db
        self._every = every
        self._pending: dict[int, datetime] = {}
        self._written: dict[int, float] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None

    def note(self, token_id: int) -> None:
        """Token ``token_id`` was used just now."""
        now = time.monotonic()
        with self._lock:
            if self._closed or now - self._written.get(token_id, -self._every) < self._every:
                return
            self._written[token_id] = now
            self._pending[token_id] = utcnow()
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=THREAD_NAME, daemon=True)
                self._thread.start()
        self._wake.set()

    def flush(self) -> None:
        """Write what is noted (the thread does this on its own; ``close()`` calls it too)."""
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return
        try:
            with self._db.transaction() as session:
                # Core, not ORM: a list of parameters makes an ORM update a bulk one by key.
                table = cast(Table, ApiToken.__table__)
                session.execute(
                    update(table)
                    .where(table.c.id == bindparam("token_id"))
                    .values(last_used_at=bindparam("at")),
                    [{"token_id": k, "at": v} for k, v in pending.items()],
                )
        except Exception:  # advisory data: a failed write must not stop the thread
            log.warning("could not record the use of %d API token(s)", len(pending), exc_info=True)

    def _run(self) -> None:
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._closed:
                return
            self.flush()

    def close(self) -> None:
        """Write what is left and stop the thread."""
        with self._lock:
            self._closed = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(timeout=10)
        self.flush()
