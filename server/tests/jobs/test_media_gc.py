"""Media collection as a job: the workers queue one when it is due, one at a time across them."""

from __future__ import annotations

import time
from datetime import timedelta

from sqlalchemy import select

from accord_server.db.models import Job
from accord_server.jobs.media_gc import MediaGcLoop, schedule_media_gc
from accord_server.schemas.enums import JobKind
from accord_server.services import media_gc
from support import Stack


def _collections(stack: Stack) -> list[tuple[int, str]]:
    with stack.runtime.db.session() as session:
        rows = session.execute(
            select(Job.id, Job.state).where(Job.kind == JobKind.MEDIA_GC).order_by(Job.id)
        ).all()
    return [(job_id, state) for job_id, state in rows]


def test_one_collection_at_a_time_and_one_per_interval(stack: Stack) -> None:
    first = schedule_media_gc(stack.runtime)
    assert first is not None
    assert schedule_media_gc(stack.runtime) is None  # due again only after the interval
    with stack.runtime.db.transaction() as session:
        # Whatever the interval, never a second one while one is queued or running: the
        # unique index decides between workers asking at the same moment.
        assert media_gc.schedule_collection(session, every=timedelta(0)) is None
    assert _collections(stack) == [(first, "queued")]
    assert stack.run_jobs() == 1
    assert _collections(stack) == [(first, "succeeded")]
    with stack.runtime.db.transaction() as session:
        again = media_gc.schedule_collection(session, every=timedelta(0))
        assert again is not None
        second = again.id
    assert [job_id for job_id, _ in _collections(stack)] == [first, second]


def test_the_worker_loop_queues_collection_when_due(stack: Stack) -> None:
    loop = MediaGcLoop(stack.runtime, check=0.05)
    loop.start()
    try:
        deadline = time.monotonic() + 20
        while not _collections(stack) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)  # a few more looks: still one
    finally:
        loop.stop()
    assert [state for _, state in _collections(stack)] == ["queued"]
    stack.run_jobs()
    assert [state for _, state in _collections(stack)] == ["succeeded"]
