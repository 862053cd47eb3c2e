"""Background jobs as rows: state, progress, counts, errors, cancellation."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord_server.db.base import utcnow
from accord_server.db.models import Job, Membership, User
from accord_server.schemas.enums import EventKind, JobKind, JobState
from accord_server.services.errors import Conflict, NotFound
from accord_server.services.events import record
from accord_server.services.permissions import Action, can

FINISHED = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)
MAX_ERRORS_KEPT = 1000
FINISHED_EVENTS: dict[str, EventKind] = {JobKind.IMPORT: EventKind.IMPORT_FINISHED}
"""The event a job of each kind records when it ends, however it ends."""

Progress = Callable[[float, str, dict[str, Any]], None]
"""How a job's work reports how far it got: ``progress(fraction, phase, counts)``. The job
records it in a transaction of its own (or skips it when it cannot, see ``jobs/base.py``)."""

Checkpoint = Callable[[], None]
"""Called by a job's work between steps; raises ``Cancelled`` once someone asked the job to
stop."""


class Cancelled(Exception):
    """Raised inside a job at a checkpoint after a cancel request."""


def create_job(
    session: Session,
    *,
    organization_id: int,
    kind: JobKind,
    params: dict[str, Any],
    user: User | None,
    project_id: int | None = None,
) -> Job:
    """A queued job; the caller enqueues it after commit."""
    job = Job(
        organization_id=organization_id,
        project_id=project_id,
        kind=kind,
        state=JobState.QUEUED,
        params=params,
        counts={},
        errors=[],
        created_by=user.id if user else None,
    )
    session.add(job)
    session.flush()
    return job


def get_job_or_raise(session: Session, *, job_id: int, user: User) -> tuple[Job, Membership]:
    """A job the user may see: their own, or any in their organization for managers and up."""
    row = session.execute(
        select(Job, Membership)
        .join(Membership, Membership.organization_id == Job.organization_id)
        .where(Job.id == job_id, Membership.user_id == user.id)
    ).first()
    if row is None:
        raise NotFound(f"job {job_id} not found")
    job, membership = row
    if job.created_by != user.id and not can(membership.role, Action.JOB_READ_ANY):
        raise NotFound(f"job {job_id} not found")
    return job, membership


def request_cancel(session: Session, *, job: Job) -> Job:
    """Cancel a queued job at once, or ask a running one to stop at its next checkpoint."""
    if job.state in FINISHED:
        raise Conflict(f"job {job.id} already {job.state}", details={"state": job.state})
    job.cancel_requested = True
    if job.state == JobState.QUEUED:
        job.state = "cancelled"
        job.finished_at = utcnow()
        job.message = "cancelled before it started"
        _record_finished(session, job)
    session.flush()
    return job


def _record_finished(session: Session, job: Job) -> None:
    kind = FINISHED_EVENTS.get(job.kind)
    if kind is None:
        return
    record(
        session,
        kind,
        organization_id=job.organization_id,
        project_id=job.project_id,
        payload={
            "job_id": job.id,
            "state": job.state,
            "message": job.message,
            "counts": dict(job.counts or {}),
        },
    )


def cancel_requested(session: Session, *, job_id: int) -> bool:
    """Whether someone asked this job to stop."""
    return bool(session.scalar(select(Job.cancel_requested).where(Job.id == job_id)))


def start_job(session: Session, *, job_id: int) -> Job | None:
    """Mark a queued job running; None when it is finished or was cancelled meanwhile."""
    job = session.get(Job, job_id)
    if job is None or job.state in FINISHED:
        return None
    now = utcnow()
    if job.cancel_requested:
        job.state, job.finished_at, job.message = "cancelled", now, "cancelled"
        _record_finished(session, job)
        session.flush()
        return None
    job.state = JobState.RUNNING
    job.started_at = job.started_at or now
    job.heartbeat_at = now
    job.counts = {**(job.counts or {}), "attempts": int((job.counts or {}).get("attempts", 0)) + 1}
    session.flush()
    return job


def report_progress(
    session: Session,
    *,
    job_id: int,
    progress: float,
    phase: str,
    counts: dict[str, Any] | None = None,
) -> None:
    """Record how far a running job got."""
    values: dict[str, Any] = {
        "progress": max(0.0, min(1.0, progress)),
        "phase": phase,
        "heartbeat_at": utcnow(),
    }
    if counts is not None:
        values["counts"] = counts
    session.execute(update(Job).where(Job.id == job_id).values(**values))


def finish_job(
    session: Session,
    *,
    job_id: int,
    state: JobState,
    message: str = "",
    counts: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> None:
    """Record a job's end: succeeded, failed or cancelled, with its counts and error report."""
    assert state in FINISHED
    values: dict[str, Any] = {
        "state": state,
        "message": message[:2000],
        "finished_at": utcnow(),
        "heartbeat_at": utcnow(),
    }
    if state == JobState.SUCCEEDED:
        values["progress"] = 1.0
    if counts is not None:
        values["counts"] = counts
    if errors is not None:
        values["errors"] = errors[:MAX_ERRORS_KEPT]
    session.execute(update(Job).where(Job.id == job_id).values(**values))
    job = session.get(Job, job_id, populate_existing=True)
    if job is not None:
        _record_finished(session, job)


def stale_running_jobs(session: Session, *, older_than: timedelta) -> list[int]:
    """Running jobs whose worker stopped reporting (killed mid-job): ids to run again."""
    limit: datetime = utcnow() - older_than
    ids = list(
        session.scalars(
            select(Job.id).where(Job.state == JobState.RUNNING, Job.heartbeat_at < limit)
        )
    )
    if ids:
        session.execute(update(Job).where(Job.id.in_(ids)).values(state=JobState.QUEUED))
    return ids
