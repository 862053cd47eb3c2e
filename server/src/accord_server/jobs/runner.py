"""Job execution: load the Job row, dispatch on its kind, record the outcome."""

from __future__ import annotations

import logging
from collections.abc import Callable

from accord_server.jobs.imports import run_import
from accord_server.runtime import Runtime
from accord_server.schemas.enums import JobKind, JobState
from accord_server.services import jobs as job_service
from accord_server.services.errors import AccordError
from accord_server.services.jobs import Cancelled

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 3

HANDLERS: dict[str, Callable[[Runtime, int], None]] = {JobKind.IMPORT: run_import}
"""The job function of each job kind."""


def run_job(runtime: Runtime, job_id: int) -> None:
    """Run one job to its end; transient failures are re-raised so huey retries them."""
    db = runtime.db
    with db.transaction() as session:
        job = job_service.start_job(session, job_id=job_id)
        if job is None:
            return
        kind, attempts = job.kind, int(job.counts.get("attempts", 1))
    handler = HANDLERS.get(kind)
    try:
        if handler is None:
            raise AccordError(f"unknown job kind {kind!r}")
        handler(runtime, job_id)
    except Cancelled:
        with db.transaction() as session:
            job_service.finish_job(
                session, job_id=job_id, state=JobState.CANCELLED, message="cancelled"
            )
    except AccordError as exc:
        with db.transaction() as session:
            job_service.finish_job(
                session, job_id=job_id, state=JobState.FAILED, message=exc.message
            )
    except Exception as exc:
        log.exception("job %s failed (attempt %s)", job_id, attempts)
        with db.transaction() as session:
            if attempts >= MAX_ATTEMPTS:
                job_service.finish_job(
                    session,
                    job_id=job_id,
                    state=JobState.FAILED,
                    message=f"internal error: {type(exc).__name__}: {exc}",
                )
                return
            job_service.report_progress(session, job_id=job_id, progress=0.0, phase="retrying")
        raise
