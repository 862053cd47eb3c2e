"""Jobs as rows: attempts counted apart from the counts, claims, retries, the takeover of jobs
whose worker died, cancels that take effect, and the end of an attempt that was taken over."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from accord_server.db.base import utcnow
from accord_server.db.models import Event, Job
from accord_server.schemas.enums import JobKind, JobState
from accord_server.services import jobs as job_service
from support import Factory, Stack

LAPSE = timedelta(seconds=60)


def _job(stack: Stack, factory: Factory) -> int:
    owner = factory.owner()
    with stack.runtime.db.transaction() as session:
        return job_service.create_job(
            session,
            organization_id=owner.organization_id,
            kind=JobKind.IMPORT,
            params={},
            user=None,
        ).id


def _row(stack: Stack, job_id: int) -> Job:
    with stack.runtime.db.session(write=False) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _start(stack: Stack, job_id: int) -> int | None:
    with stack.runtime.db.transaction() as session:
        started = job_service.start_job(session, job_id=job_id)
    return None if started is None else started.attempt


def _silence(stack: Stack, job_id: int, seconds: float) -> None:
    """The job's worker last beat ``seconds`` ago (it was killed then)."""
    with stack.runtime.db.transaction() as session:
        ago = utcnow() - timedelta(seconds=seconds)
        session.execute(update(Job).where(Job.id == job_id).values(heartbeat_at=ago))


def _take_over(stack: Stack) -> list[int]:
    with stack.runtime.db.transaction() as session:
        return job_service.take_over_orphans(session, lapse=LAPSE)


def test_progress_reports_keep_the_attempts(stack: Stack, factory: Factory) -> None:
    # The attempts were a key of counts, which every progress report replaced: each retry was
    # "attempt 1" again, and the last attempt never came (issue 13, finding 3).
    job_id = _job(stack, factory)
    for attempt in (1, 2, 3):
        assert _start(stack, job_id) == attempt
        with stack.runtime.db.transaction() as session:
            job_service.report_progress(
                session, job_id=job_id, progress=0.5, phase="writing", counts={"rows": 5}
            )
            assert job_service.retry_job(session, job_id=job_id, attempt=attempt, reason="boom")
    job = _row(stack, job_id)
    assert job.attempts == 3 and job.counts == {"rows": 5}
    assert (job.state, job.phase) == ("queued", "retrying")
    assert job.message == "attempt 3 of 3 failed (boom); trying again"
    with stack.runtime.db.transaction() as session:  # a cancel while it waits: at once
        cancelled = job_service.request_cancel(session, job=job, lapse=LAPSE)
        assert (cancelled.state, cancelled.message) == ("cancelled", "cancelled before its retry")
    assert _start(stack, job_id) is None


def test_a_job_is_claimed_once(stack: Stack, factory: Factory) -> None:
    job_id = _job(stack, factory)
    assert _start(stack, job_id) == 1
    assert _start(stack, job_id) is None  # a second delivery of the message runs nothing
    assert _row(stack, job_id).attempts == 1


def test_orphans_are_queued_again_failed_or_cancelled(stack: Stack, factory: Factory) -> None:
    fresh, again, last, cancel = (_job(stack, factory) for _ in range(4))
    for job_id in (fresh, again, last, cancel):
        _start(stack, job_id)
    with stack.runtime.db.transaction() as session:  # `last` is on its third attempt
        session.execute(update(Job).where(Job.id == last).values(attempts=3))
        session.execute(update(Job).where(Job.id == cancel).values(cancel_requested=True))
    for job_id in (again, last, cancel):
        _silence(stack, job_id, 61)
    _silence(stack, fresh, 30)
    assert _take_over(stack) == [again]
    assert _take_over(stack) == []  # nothing is taken over twice
    assert _row(stack, fresh).state == "running"
    requeued = _row(stack, again)
    assert (requeued.state, requeued.phase, requeued.attempts) == ("queued", "retrying", 1)
    assert requeued.message == "attempt 1 of 3 stopped with its worker; trying again"
    failed = _row(stack, last)
    assert failed.state == "failed" and failed.finished_at is not None
    assert failed.message == "failed after 3 attempts: its worker stopped while running it"
    cancelled = _row(stack, cancel)
    assert (cancelled.state, cancelled.message) == (
        "cancelled",
        "cancelled; its worker had stopped",
    )
    assert _start(stack, again) == 2
    with stack.runtime.db.session(write=False) as session:
        ended = {e.payload["job_id"]: e.payload["state"] for e in session.query(Event)}
    assert ended == {last: "failed", cancel: "cancelled"}  # import.finished, once each


def test_a_cancel_ends_an_orphaned_job_at_once(stack: Stack, factory: Factory) -> None:
    job_id = _job(stack, factory)
    _start(stack, job_id)

    def cancel() -> Job:
        with stack.runtime.db.transaction() as session:
            job = session.get(Job, job_id)
            assert job is not None
            return job_service.request_cancel(session, job=job, lapse=LAPSE)

    live = cancel()  # its worker beats: it stops at its next checkpoint
    assert (live.state, live.cancel_requested) == ("running", True)
    _silence(stack, job_id, 61)
    dead = cancel()  # no checkpoint will come
    assert (dead.state, dead.message) == ("cancelled", "cancelled; its worker had stopped")


def test_the_end_of_an_attempt_taken_over_is_refused(stack: Stack, factory: Factory) -> None:
    # A worker thought dead (it had not beaten for the lapse) may still finish: its end must not
    # count, or an import would write its tasks twice.
    job_id = _job(stack, factory)
    _start(stack, job_id)
    _silence(stack, job_id, 61)
    assert _take_over(stack) == [job_id]
    assert _start(stack, job_id) == 2
    with pytest.raises(job_service.Superseded), stack.runtime.db.transaction() as session:
        job_service.finish_job(
            session, job_id=job_id, state=JobState.SUCCEEDED, message="late", attempt=1
        )
    assert _row(stack, job_id).state == "running"
    with stack.runtime.db.transaction() as session:
        job_service.finish_job(
            session, job_id=job_id, state=JobState.SUCCEEDED, message="done", attempt=2
        )
    assert (_row(stack, job_id).state, _row(stack, job_id).message) == ("succeeded", "done")


def test_queue_status(stack: Stack, factory: Factory) -> None:
    first, second, third = (_job(stack, factory) for _ in range(3))
    _start(stack, third)
    with stack.runtime.db.session(write=False) as session:
        status = job_service.queue_status(session)
    assert (status.queued, status.running) == (2, 1)
    assert status.oldest_queued_at == _row(stack, first).created_at
    assert second
