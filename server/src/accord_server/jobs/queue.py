"""huey wiring: SqliteHuey in data_dir by default, RedisHuey when ACCORD_REDIS_URL is set."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey

from accord_server.runtime import Runtime
from accord_server.settings import Settings

JOB_TASK_NAME = "accord.run_job"


def make_huey(settings: Settings) -> Huey:
    """The job queue for these settings (no connection is made until used)."""
    name = settings.queue_name
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(settings.data_dir / "jobs.db"), results=False)


def register_job_task(huey: Huey, runtime: Runtime) -> Callable[[int], Any]:
    """Register the one huey task (``run_job(job_id)``) and return its enqueue function."""
    from accord_server.jobs.runner import run_job

    @huey.task(name=JOB_TASK_NAME, retries=2, retry_delay=2)  # type: ignore[untyped-decorator]
    def run_job_task(job_id: int) -> None:
        run_job(runtime, job_id)

    def enqueue(job_id: int) -> None:
        run_job_task(job_id)

    return enqueue


def drain(huey: Huey) -> int:
    """Run every queued job in this process (used by `worker --once` and tests)."""
    ran = 0
    while True:
        message = huey.dequeue()
        if message is None:
            return ran
        huey.execute(message)
        ran += 1
