"""What every job hands its service function: progress reports and cancel checkpoints, each in
a short transaction of its own; and ``Periodic``, the thread a worker process runs its rounds in
(heartbeat, event delivery, media collection)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from accord_server.runtime import Runtime
from accord_server.services import jobs as job_service
from accord_server.services.jobs import Cancelled, Checkpoint, Progress

__all__ = ["Cancelled", "Periodic", "checkpoint_for", "progress_for"]

log = logging.getLogger(__name__)


class Periodic:
    """Calls ``step`` every ``interval`` seconds in a daemon thread of its own until stopped; a
    round that fails is logged (``failure``) and the next one comes on time."""

    def __init__(
        self, name: str, interval: float, step: Callable[[], object], failure: str
    ) -> None:
        self._interval = interval
        self._step = step
        self._failure = failure
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start the rounds (the first one ``interval`` from now)."""
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Stop after the round at hand."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._step()
            except Exception:  # the loop outlives a failed round (the database was away...)
                log.exception("%s; trying again in %ss", self._failure, self._interval)


def progress_for(runtime: Runtime, job_id: int) -> Progress:
    """Record a job's progress in a transaction of its own. Skipped while this thread holds
    SQLite's writer lock (inside the job's write transaction): the report would wait for it."""
    db = runtime.db

    def progress(fraction: float, phase: str, counts: dict[str, Any]) -> None:
        if db.writer_lock is not None and db.writer_lock.held_here():
            return
        with db.transaction() as session:
            job_service.report_progress(
                session, job_id=job_id, progress=fraction, phase=phase, counts=counts
            )

    return progress


def checkpoint_for(runtime: Runtime, job_id: int) -> Checkpoint:
    """Raise ``Cancelled`` once someone asked the job to stop (a short read each time)."""
    db = runtime.db

    def checkpoint() -> None:
        with db.session(write=False) as session:
            if job_service.cancel_requested(session, job_id=job_id):
                raise Cancelled

    return checkpoint
