"""Job execution: claim the Job row, dispatch on its kind, record the outcome.

An attempt ends the job when it succeeds, is cancelled, fails for a reason the job itself
names (``AccordError``: bad input), or writes data the database refuses (``DataError``: the
same data would be refused again). Any other error is unexpected: the job goes back to the
queue and huey runs it again after ``RETRY_DELAY`` seconds, until its ``MAX_ATTEMPTS``-th
attempt, whose failure ends it ``failed`` with the reason. The attempt count is the job row's
(``start_job`` counts every start, a takeover after a worker died too), not huey's.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DataError

from accord_server.jobs.datasets import run_dataset_version
from accord_server.jobs.exports import run_export
from accord_server.jobs.imports import run_import
from accord_server.jobs.media_gc import run_media_gc
from accord_server.runtime import Runtime
from accord_server.schemas.enums import JobKind, JobState
from accord_server.services import jobs as job_service
from accord_server.services.errors import AccordError
from accord_server.services.jobs import MAX_ATTEMPTS, Cancelled, Superseded

log = logging.getLogger(__name__)

RETRY_DELAY = 2
"""Seconds before an attempt that failed unexpectedly is retried."""

HANDLERS: dict[str, Callable[[Runtime, int], None]] = {
    JobKind.IMPORT: run_import,
    JobKind.MEDIA_GC: run_media_gc,
    JobKind.EXPORT: run_export,
    JobKind.DATASET_VERSION: run_dataset_version,
}
"""The job function of each job kind."""


class RunningJobs:
    """The jobs this process is running right now; its worker loop (``jobs/workers.py``) keeps
    their heartbeat, so that they are not taken for orphans."""

    def __init__(self) -> None:
        self._ids: set[int] = set()
        self._lock = threading.Lock()

    @contextmanager
    def running(self, job_id: int) -> Iterator[None]:
        """Count ``job_id`` as running for the block."""
        with self._lock:
            self._ids.add(job_id)
        try:
            yield
        finally:
            with self._lock:
                self._ids.discard(job_id)

    def ids(self) -> list[int]:
        """The jobs running now."""
        with self._lock:
            return sorted(self._ids)


running_jobs = RunningJobs()


def run_job(runtime: Runtime, job_id: int) -> None:
    """Run one attempt of a job; an unexpected failure with attempts left is re-raised, after
    the job was queued again, so that huey runs it again."""
    db = runtime.db
    with db.transaction() as session:
        started = job_service.start_job(session, job_id=job_id)
    if started is None:
        return
    attempt = started.attempt
    log.info("job %s (%s): attempt %s of %s", job_id, started.kind, attempt, MAX_ATTEMPTS)
    handler = HANDLERS.get(started.kind)

    def finish(state: JobState, message: str) -> None:
        try:
            with db.transaction() as session:
                job_service.finish_job(
                    session, job_id=job_id, state=state, message=message, attempt=attempt
                )
        except Superseded:
            log.warning("job %s: attempt %s was taken over; its end is dropped", job_id, attempt)

    with running_jobs.running(job_id):
        try:
            if handler is None:
                raise AccordError(f"unknown job kind {started.kind!r}")
            handler(runtime, job_id)
        except Superseded:
            log.warning("job %s: attempt %s was taken over; its work is dropped", job_id, attempt)
        except Cancelled:
            finish(JobState.CANCELLED, "cancelled")
        except AccordError as exc:
            finish(JobState.FAILED, exc.message)
        except DataError as exc:
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
            log.warning("job %s: the database refused its data: %s", job_id, reason)
            finish(JobState.FAILED, f"the database refused the data: {reason}")
        except Exception as exc:
            reason = f"{type(exc).__name__}: {exc}"
            if attempt >= MAX_ATTEMPTS:
                log.exception("job %s failed (attempt %s of %s, the last)", *_at(job_id, attempt))
                finish(JobState.FAILED, f"failed after {attempt} attempts: {reason}")
                return
            log.exception("job %s failed (attempt %s of %s); trying again", *_at(job_id, attempt))
            with db.transaction() as session:
                again = job_service.retry_job(
                    session, job_id=job_id, attempt=attempt, reason=reason
                )
            if again:
                raise


def _at(job_id: int, attempt: int) -> tuple[int, int, int]:
    return job_id, attempt, MAX_ATTEMPTS
