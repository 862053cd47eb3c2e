"""Media collection as a job (``media_gc``): the job hands the service its transactions, the
storage and the grace period; a loop in each worker process queues one every
``media_gc_interval_hours`` (one at a time across workers)."""

from __future__ import annotations

import logging
from datetime import timedelta

from accord_server.jobs.base import Periodic, checkpoint_for, progress_for
from accord_server.runtime import Runtime
from accord_server.services import media_gc

log = logging.getLogger(__name__)

CHECK_SECONDS = 3600.0
"""How often a worker looks whether collection is due (at most; more often for a shorter
interval)."""


def run_media_gc(runtime: Runtime, job_id: int) -> None:
    """Run a ``media_gc`` job: delete the stored files nothing names (services/media_gc.py)."""
    db = runtime.db
    settings = runtime.settings
    done = media_gc.run_collection(
        job_id=job_id,
        read=lambda: db.session(write=False),
        write=db.transaction,
        storage=runtime.storage,
        grace=timedelta(hours=settings.media_gc_grace_hours),
        scratch=settings.upload_tmp_dir,
        progress=progress_for(runtime, job_id),
        checkpoint=checkpoint_for(runtime, job_id),
    )
    log.info("media collection (job %s): %s", job_id, done.summary())


def schedule_media_gc(runtime: Runtime) -> int | None:
    """Queue a ``media_gc`` job if one is due and none is queued or running; its id."""
    every = timedelta(hours=runtime.settings.media_gc_interval_hours)
    with runtime.db.transaction() as session:
        job = media_gc.schedule_collection(session, every=every)
        job_id = job.id if job is not None else None
    if job_id is not None:
        runtime.enqueue_job(job_id)
    return job_id


class MediaGcLoop(Periodic):
    """Queues media collection when it is due, looking every ``check`` seconds (the first look
    one period after the worker starts), in a thread of the worker process."""

    def __init__(self, runtime: Runtime, check: float | None = None) -> None:
        interval = runtime.settings.media_gc_interval_hours * 3600
        super().__init__(
            "media-gc",
            check if check is not None else min(CHECK_SECONDS, interval),
            lambda: _queue_if_due(runtime),
            "media collection: could not queue it",
        )


def _queue_if_due(runtime: Runtime) -> None:
    job_id = schedule_media_gc(runtime)
    if job_id is not None:
        log.info("media collection queued (job %s)", job_id)
