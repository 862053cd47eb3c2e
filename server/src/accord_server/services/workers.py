"""Worker processes as rows: each one notes that it is alive every few seconds (``beat``), so
that the API can tell whether jobs will run (``worker_status``, its readiness) and a worker can
take over the jobs of one that died (``services.jobs.take_over_orphans``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from accord_server.db.base import utcnow
from accord_server.db.models import Worker
from accord_server.services import jobs as job_service

FORGET_AFTER = timedelta(days=1)
"""A worker silent this long is deleted from the table (it only says who was alive)."""


@dataclass(frozen=True)
class WorkerStatus:
    """The workers as the database sees them: how many beat within the lapse, and when the
    last beat of any was."""

    alive: int
    last_heartbeat_at: datetime | None


def register_worker(session: Session, *, host: str, pid: int) -> int:
    """A new worker process on record; its id, for ``beat``."""
    now = utcnow()
    worker = Worker(host=host[:255], pid=pid, started_at=now, heartbeat_at=now)
    session.add(worker)
    session.flush()
    return worker.id


def beat(session: Session, *, worker_id: int, host: str, pid: int, job_ids: list[int]) -> int:
    """Note that the worker and the jobs it runs are alive; returns the worker's id (a new one
    when its row was gone, e.g. forgotten after a long pause)."""
    now = utcnow()
    found = session.execute(
        update(Worker)
        .where(Worker.id == worker_id)
        .values(heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    if not found.rowcount:  # type: ignore[attr-defined]
        worker_id = register_worker(session, host=host, pid=pid)
    job_service.beat_jobs(session, job_ids=job_ids)
    session.execute(delete(Worker).where(Worker.heartbeat_at < now - FORGET_AFTER))
    return worker_id


def worker_status(session: Session, *, lapse: timedelta) -> WorkerStatus:
    """How many workers beat within ``lapse``, and the last beat of any."""
    limit = utcnow() - lapse
    alive, last = session.execute(
        select(
            func.count(Worker.id).filter(Worker.heartbeat_at >= limit),
            func.max(Worker.heartbeat_at),
        )
    ).one()
    return WorkerStatus(alive=int(alive or 0), last_heartbeat_at=last)
