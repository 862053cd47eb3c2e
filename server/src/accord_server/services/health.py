"""What the API's readiness reports: the database, the workers, the job queue."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from accord_server import wording
from accord_server.db.base import utcnow
from accord_server.schemas.health import (
    CheckRead,
    QueueCheckRead,
    ReadinessChecks,
    ReadinessRead,
    WorkerCheckRead,
)
from accord_server.services import jobs, workers


def readiness(session: Session, *, lapse: timedelta, version: str) -> ReadinessRead:
    """Ready when the database answers and a worker beat within ``lapse``; the queue's depth
    and its oldest job's wait are reported, never decisive."""
    now = utcnow()
    status = workers.worker_status(session, lapse=lapse)
    queue = jobs.queue_status(session)
    last = _age(now, status.last_heartbeat_at)
    if status.alive:
        message = f"{wording.count(status.alive, 'worker')} alive"
    elif last is None:
        message = "no worker has ever reported: jobs will not run (start `accord-server worker`)"
    else:
        message = (
            f"no worker alive: the last reported {last:.0f} s ago (more than "
            f"{lapse.total_seconds():g} s); jobs will not run"
        )
    oldest = _age(now, queue.oldest_queued_at)
    checks = ReadinessChecks(
        database=CheckRead(ok=True, message="answers"),
        worker=WorkerCheckRead(
            ok=status.alive > 0,
            message=message,
            alive=status.alive,
            last_heartbeat_seconds=last,
        ),
        queue=QueueCheckRead(
            ok=True,
            message=f"{wording.count(queue.queued, 'job')} queued, {queue.running} running"
            + (f"; the oldest has waited {oldest:.0f} s" if oldest is not None else ""),
            queued=queue.queued,
            running=queue.running,
            oldest_queued_seconds=oldest,
        ),
    )
    return ReadinessRead(
        status="ready" if status.alive else "unavailable", version=version, checks=checks
    )


def database_down(reason: str, *, version: str) -> ReadinessRead:
    """The readiness when the database did not answer."""
    return ReadinessRead(
        status="unavailable",
        version=version,
        checks=ReadinessChecks(
            database=CheckRead(ok=False, message=f"does not answer: {reason}"[:500]),
            worker=None,
            queue=None,
        ),
    )


def _age(now: datetime, then: datetime | None) -> float | None:
    return None if then is None else round(max(0.0, (now - then).total_seconds()), 3)
