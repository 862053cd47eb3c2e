"""What keeps a worker process on record: a thread that, every ``worker_heartbeat_seconds``,
notes that the worker and the jobs it runs are alive, and takes over the jobs of workers that
stopped beating ``worker_lapse_seconds`` ago (killed mid-job: queued again, or ended when
cancelled or out of attempts)."""

from __future__ import annotations

import logging
import os
import socket
from datetime import timedelta

from accord_server.jobs.base import Periodic
from accord_server.jobs.runner import running_jobs
from accord_server.runtime import Runtime
from accord_server.services import jobs as job_service
from accord_server.services import workers

log = logging.getLogger(__name__)


class WorkerLoop:
    """The heartbeat and the takeover of orphaned jobs, in a thread of the worker process."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._lapse = timedelta(seconds=runtime.settings.worker_lapse_seconds)
        self._host = socket.gethostname()
        self._pid = os.getpid()
        self._id = 0
        self._rounds = Periodic(
            "worker-heartbeat",
            runtime.settings.worker_heartbeat_seconds,
            self.beat,
            "worker heartbeat failed",
        )

    def start(self, *, background: bool = True) -> None:
        """Register this worker and take over what is orphaned now; then, in ``background``,
        beat every ``worker_heartbeat_seconds``."""
        with self._runtime.db.transaction() as session:
            self._id = workers.register_worker(session, host=self._host, pid=self._pid)
        log.info("worker %s (pid %s) started", self._id, self._pid)
        self.beat()
        if background:
            self._rounds.start()

    def stop(self, timeout: float = 10) -> None:
        """Stop beating (the row stays: readiness gives a restarting worker its lapse)."""
        self._rounds.stop(timeout)

    def beat(self) -> list[int]:
        """One round, in one transaction: this worker and the jobs it runs are alive; the
        running jobs whose worker stopped beating are queued again (enqueued once committed)
        or ended. Returns the ids queued again."""
        with self._runtime.db.transaction() as session:
            self._id = workers.beat(
                session,
                worker_id=self._id,
                host=self._host,
                pid=self._pid,
                job_ids=running_jobs.ids(),
            )
            requeued = job_service.take_over_orphans(session, lapse=self._lapse)
        for job_id in requeued:
            log.warning("job %s: its worker stopped beating; running it again", job_id)
            self._runtime.enqueue_job(job_id)
        return requeued
