"""Event delivery: the subscribers of this version, a function that delivers until nothing is
left (tests and ``worker --once`` call it), and the loop each worker process runs."""

from __future__ import annotations

import logging
import threading
import time

from accord_server.runtime import Runtime
from accord_server.schemas.enums import EventKind
from accord_server.services import events, stats, tasks

log = logging.getLogger(__name__)

BATCH_SIZE = 500
SQLITE_BATCH_SIZE = 50
"""On SQLite a batch holds the one writer lock while its subscribers run: 500 events took 45-525
ms there, and every submit waited behind them (submit p99 140-150 ms instead of 32-50 ms in the
alternating benchmark of issue 11). 50 hold it for a few milliseconds."""
SQLITE_PAUSE_MAX = 0.1
"""After a batch on SQLite, wait as long as it took (at most this): writers of the API process,
sleeping in SQLite's busy handler, find the lock free instead of losing it to the next batch."""


def default_subscribers() -> events.Subscribers:
    """Who hears of events, in the order they are told. Add one here (see server/README.md)."""
    subscribers = events.Subscribers()
    subscribers.register(
        "task_completions", tasks.record_completions, kinds={EventKind.ANNOTATION_CREATED}
    )
    subscribers.register("stats", stats.apply_events, kinds=stats.STATS_KINDS)
    return subscribers


def deliver_events(
    runtime: Runtime,
    *,
    subscribers: events.Subscribers | None = None,
    batch_size: int | None = None,
) -> int:
    """Deliver every pending event, a batch per transaction (``BATCH_SIZE``; on SQLite
    ``SQLITE_BATCH_SIZE``, with a pause after each); returns how many were handed over (0 too
    when another process is delivering them)."""
    subscribers = subscribers or default_subscribers()
    db = runtime.db
    single_writer = db.is_sqlite
    if batch_size is None:
        batch_size = SQLITE_BATCH_SIZE if single_writer else BATCH_SIZE
    total = 0
    while True:
        # Look first without the writer lock: on SQLite an idle poll must not make writers wait.
        with db.session(write=False) as session:
            if not events.has_pending(session):
                return total
        started = time.monotonic()
        with db.transaction() as session:
            handed = events.deliver_batch(session, subscribers, limit=batch_size)
        if not handed:
            return total
        total += handed
        if single_writer:
            time.sleep(min(time.monotonic() - started, SQLITE_PAUSE_MAX))


class DeliveryLoop:
    """Delivers events every ``interval`` seconds in a thread of this process (the worker);
    several worker processes take turns (one deliverer at a time)."""

    def __init__(self, runtime: Runtime, interval: float) -> None:
        self._runtime = runtime
        self._interval = interval
        self._stop = threading.Event()
        self._subscribers = default_subscribers()
        self._thread = threading.Thread(target=self._run, name="event-delivery", daemon=True)

    def start(self) -> None:
        """Start delivering."""
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Stop after the batch at hand."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                deliver_events(self._runtime, subscribers=self._subscribers)
            except Exception:  # the loop outlives a failed round (retried)
                log.exception("event delivery failed; trying again in %ss", self._interval)
