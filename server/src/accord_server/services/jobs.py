"""Background jobs as rows: state, progress, counts, errors, attempts, cancellation.

A job is queued, then running (claimed by one worker, which counts the attempt in ``attempts``
and keeps ``heartbeat_at`` fresh), then succeeded, failed or cancelled. An attempt that fails
unexpectedly puts it back in the queue (``retry_job``) until ``MAX_ATTEMPTS``; a running job
whose worker stopped beating is taken over (``take_over_orphans``). Every change of state is a
conditional update, so two workers (or a worker and a cancel) never both move the same job, and
``finish_job(attempt=...)`` refuses the end of an attempt that was taken over meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from accord_server.db.base import utcnow
from accord_server.db.models import Job, Membership, User
from accord_server.schemas.enums import EventKind, JobKind, JobState
from accord_server.services.errors import Conflict, NotFound
from accord_server.services.events import record
from accord_server.services.permissions import Action, can

FINISHED = (JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED)
MAX_ERRORS_KEPT = 1000
MAX_ATTEMPTS = 3
"""How many times a job is started before an unexpected error (or its worker's death) ends it
failed. Errors the job reports itself (``AccordError``: bad input) and data the database refuses
end it at the first attempt."""
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


class Superseded(Exception):
    """Raised by ``finish_job`` when the attempt ending was taken over by another (its worker
    was thought dead): its transaction must roll back, the other attempt's end counts."""


@dataclass(frozen=True)
class Started:
    """A job this worker claimed: its kind and which attempt this is (1, 2, ...)."""

    kind: str
    attempt: int


@dataclass(frozen=True)
class QueueStatus:
    """The job queue as the database sees it."""

    queued: int
    running: int
    oldest_queued_at: datetime | None


def create_job(
    session: Session,
    *,
    organization_id: int | None,
    kind: JobKind,
    params: dict[str, Any],
    user: User | None,
    project_id: int | None = None,
) -> Job:
    """A queued job; the caller enqueues it after commit. ``organization_id`` None: one of the
    server's own jobs (media collection), which no organization sees."""
    job = Job(
        organization_id=organization_id,
        project_id=project_id,
        kind=kind,
        state=JobState.QUEUED,
        params=params,
        counts={},
        errors=[],
        attempts=0,
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


def request_cancel(session: Session, *, job: Job, lapse: timedelta) -> Job:
    """Cancel a queued job at once, or ask a running one to stop at its next checkpoint. A
    running job whose worker has not beaten for ``lapse`` (it died) is cancelled at once: no
    checkpoint will come."""
    if job.state in FINISHED:
        raise Conflict(f"job {job.id} already {job.state}", details={"state": job.state})
    job_id = job.id
    session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(cancel_requested=True)
        .execution_options(synchronize_session=False)
    )
    waiting = "cancelled before it started" if not job.attempts else "cancelled before its retry"
    if not _end_if(session, job_id, JobState.CANCELLED, waiting, _queued()):
        _end_if(
            session,
            job_id,
            JobState.CANCELLED,
            "cancelled; its worker had stopped",
            _orphaned(utcnow() - lapse),
        )
    found = session.get(Job, job_id, populate_existing=True)
    assert found is not None
    return found


def _queued() -> ColumnElement[bool]:
    return Job.state == JobState.QUEUED


def _orphaned(limit: datetime) -> ColumnElement[bool]:
    """Running, and its worker has not beaten since ``limit``."""
    return and_(
        Job.state == JobState.RUNNING,
        or_(Job.heartbeat_at.is_(None), Job.heartbeat_at < limit),
    )


def _end_if(
    session: Session, job_id: int, state: JobState, message: str, condition: ColumnElement[bool]
) -> bool:
    """End the job in ``state`` if ``condition`` still holds; whether it did."""
    now = utcnow()
    ended = session.execute(
        update(Job)
        .where(Job.id == job_id, condition)
        .values(state=state, message=message, finished_at=now, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    if not ended.rowcount:  # type: ignore[attr-defined]
        return False
    job = session.get(Job, job_id, populate_existing=True)
    assert job is not None
    _record_finished(session, job)
    session.flush()
    return True


def _record_finished(session: Session, job: Job) -> None:
    kind = FINISHED_EVENTS.get(job.kind)
    if kind is None or job.organization_id is None:  # the server's own jobs tell no one
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


def start_job(session: Session, *, job_id: int) -> Started | None:
    """Claim a queued job: mark it running and count the attempt. None when it is not queued
    (finished, cancelled meanwhile, or claimed by another worker: a job message may be
    delivered twice)."""
    now = utcnow()
    row = session.execute(
        update(Job)
        .where(Job.id == job_id, _queued(), Job.cancel_requested.is_(False))
        .values(
            state=JobState.RUNNING,
            started_at=func.coalesce(Job.started_at, now),
            heartbeat_at=now,
            attempts=Job.attempts + 1,
        )
        .returning(Job.kind, Job.attempts)
        .execution_options(synchronize_session=False)
    ).first()
    if row is None:
        _end_if(session, job_id, JobState.CANCELLED, "cancelled", _queued())
        return None
    return Started(kind=row.kind, attempt=int(row.attempts))


def retry_job(session: Session, *, job_id: int, attempt: int, reason: str) -> bool:
    """Put a job whose attempt failed back in the queue for its next one (the caller has it
    run again); False when the attempt had been taken over or cancelled meanwhile."""
    moved = session.execute(
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING, Job.attempts == attempt)
        .values(
            state=JobState.QUEUED,
            progress=0.0,
            phase="retrying",
            heartbeat_at=utcnow(),
            message=f"attempt {attempt} of {MAX_ATTEMPTS} failed ({reason}); trying again"[:2000],
        )
        .execution_options(synchronize_session=False)
    )
    return bool(moved.rowcount)  # type: ignore[attr-defined]


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


def beat_jobs(session: Session, *, job_ids: list[int]) -> None:
    """Note that the worker running these jobs is alive (so they are not taken over)."""
    if job_ids:
        session.execute(
            update(Job)
            .where(Job.id.in_(job_ids), Job.state == JobState.RUNNING)
            .values(heartbeat_at=utcnow())
            .execution_options(synchronize_session=False)
        )


def finish_job(
    session: Session,
    *,
    job_id: int,
    state: JobState,
    message: str = "",
    counts: dict[str, Any] | None = None,
    errors: list[dict[str, Any]] | None = None,
    attempt: int | None = None,
) -> None:
    """Record a job's end: succeeded, failed or cancelled, with its counts and error report.
    With ``attempt``, only while that attempt still holds the job: otherwise it was taken over
    (or cancelled as orphaned) and ``Superseded`` is raised, for the caller to roll back."""
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
    statement = update(Job).where(Job.id == job_id)
    if attempt is not None:
        statement = statement.where(Job.state == JobState.RUNNING, Job.attempts == attempt)
    ended = session.execute(statement.values(**values))
    if attempt is not None and not ended.rowcount:  # type: ignore[attr-defined]
        raise Superseded(f"job {job_id}: attempt {attempt} no longer holds it")
    job = session.get(Job, job_id, populate_existing=True)
    if job is not None:
        _record_finished(session, job)


def take_over_orphans(session: Session, *, lapse: timedelta) -> list[int]:
    """Running jobs whose worker has not beaten for ``lapse`` (it died mid-run): those asked
    to stop end cancelled, those out of attempts end failed, the others are queued again.
    Returns the ids queued again, for the caller to enqueue once this commits."""
    limit = utcnow() - lapse
    orphans = session.execute(
        select(Job.id, Job.attempts, Job.cancel_requested).where(_orphaned(limit))
    ).all()
    requeued = []
    for job_id, attempts, cancel in orphans:
        if cancel:
            _end_if(
                session,
                job_id,
                JobState.CANCELLED,
                "cancelled; its worker had stopped",
                _orphaned(limit),
            )
        elif attempts >= MAX_ATTEMPTS:
            _end_if(
                session,
                job_id,
                JobState.FAILED,
                f"failed after {attempts} attempts: its worker stopped while running it",
                _orphaned(limit),
            )
        else:
            moved = session.execute(
                update(Job)
                .where(Job.id == job_id, _orphaned(limit))
                .values(
                    state=JobState.QUEUED,
                    progress=0.0,
                    phase="retrying",
                    heartbeat_at=utcnow(),
                    message=f"attempt {attempts} of {MAX_ATTEMPTS} stopped with its worker; "
                    "trying again",
                )
                .execution_options(synchronize_session=False)
            )
            if moved.rowcount:  # type: ignore[attr-defined]
                requeued.append(job_id)
    return requeued


def queue_status(session: Session) -> QueueStatus:
    """How many jobs wait and run, and since when the oldest waits."""
    rows = session.execute(
        select(Job.state, func.count(), func.min(Job.created_at))
        .where(Job.state.in_((JobState.QUEUED, JobState.RUNNING)))
        .group_by(Job.state)
    ).all()
    by_state = {state: (int(count), oldest) for state, count, oldest in rows}
    queued, oldest = by_state.get(JobState.QUEUED, (0, None))
    return QueueStatus(
        queued=queued,
        running=by_state.get(JobState.RUNNING, (0, None))[0],
        oldest_queued_at=oldest,
    )
