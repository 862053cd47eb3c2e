"""The job plumbing: progress in transactions of its own, cancel checkpoints."""

from __future__ import annotations

from datetime import timedelta

import pytest

from accord_server.db.models import Job
from accord_server.jobs.base import Cancelled, checkpoint_for, progress_for
from accord_server.schemas.enums import JobKind
from accord_server.services import jobs as job_service
from support import Factory, Stack


def _job(stack: Stack, factory: Factory) -> int:
    owner = factory.owner()
    with stack.runtime.db.transaction() as session:
        job = job_service.create_job(
            session,
            organization_id=owner.organization_id,
            kind=JobKind.IMPORT,
            params={},
            user=None,
        )
        return job.id


def _progress(stack: Stack, job_id: int) -> tuple[float, str, dict[str, object]]:
    with stack.runtime.db.session(write=False) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job.progress, job.phase, job.counts


def test_progress_is_recorded_at_once_and_skipped_inside_a_sqlite_write(
    stack: Stack, factory: Factory
) -> None:
    job_id = _job(stack, factory)
    progress = progress_for(stack.runtime, job_id)
    progress(0.25, "reading", {"files": 3})
    assert _progress(stack, job_id) == (0.25, "reading", {"files": 3})
    with stack.runtime.db.transaction() as session:
        session.get(Job, job_id)  # the transaction has begun: on SQLite it holds the writer lock
        progress(0.75, "writing", {"tasks": 9})  # returns at once instead of waiting for itself
    expected = (
        (0.25, "reading", {"files": 3})
        if stack.runtime.db.is_sqlite
        else (0.75, "writing", {"tasks": 9})
    )
    assert _progress(stack, job_id) == expected


def test_checkpoint_raises_cancelled_once_a_cancel_was_asked(
    stack: Stack, factory: Factory
) -> None:
    job_id = _job(stack, factory)
    checkpoint = checkpoint_for(stack.runtime, job_id)
    checkpoint()
    with stack.runtime.db.transaction() as session:
        assert job_service.start_job(session, job_id=job_id) is not None
        job = session.get(Job, job_id)
        assert job is not None
        job_service.request_cancel(session, job=job, lapse=timedelta(minutes=1))
        assert job.state == "running" and job.cancel_requested
    with pytest.raises(Cancelled):
        checkpoint()
