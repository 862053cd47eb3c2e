"""What every job hands its service function: progress reports and cancel checkpoints, each in
a short transaction of its own."""

from __future__ import annotations

from typing import Any

from accord_server.runtime import Runtime
from accord_server.services import jobs as job_service
from accord_server.services.jobs import Cancelled, Checkpoint, Progress

__all__ = ["Cancelled", "checkpoint_for", "progress_for"]


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
