"""Jobs run by real `accord-server worker` processes, through the SQLite and the Redis queue."""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from accord_server.settings import Settings
from support import Factory, Stack, running_stack


@contextmanager
def worker_process(settings: Settings) -> Iterator[subprocess.Popen[bytes]]:
    """`accord-server worker` for these settings, stopped (SIGTERM) afterwards."""
    env = {
        **os.environ,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_DATABASE_URL": settings.resolved_database_url,
    }
    env.pop("ACCORD_REDIS_URL", None)
    env["ACCORD_QUEUE_NAME"] = settings.queue_name
    if settings.redis_url:
        env["ACCORD_REDIS_URL"] = settings.redis_url
    proc = subprocess.Popen(
        [sys.executable, "-m", "accord_server", "worker"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def _wait_for_job(stack: Stack, token: str, job_id: int, timeout: float = 60) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    with stack.client(token) as client:
        while time.monotonic() < deadline:
            job = client.get(f"/api/v1/jobs/{job_id}").json()
            if job["state"] in ("succeeded", "failed", "cancelled"):
                return dict(job)
            time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout}s")


def _import_through_worker(stack: Stack) -> None:
    factory = Factory(stack)
    owner = factory.owner()
    project = factory.project(owner)
    tasks = [{"image": f"https://x/{i}.jpg"} for i in range(500)]
    with worker_process(stack.settings) as proc, stack.client(owner.token) as client:
        r = client.post(f"/api/v1/projects/{project['id']}/imports", json={"tasks": tasks})
        assert r.status_code == 202
        job = _wait_for_job(stack, owner.token, r.json()["id"])
        assert proc.poll() is None, "the worker died"
    assert job["state"] == "succeeded", job
    assert job["counts"]["tasks"] == 500 and job["started_at"] and job["finished_at"]


def test_sqlite_queue_worker_runs_an_import(stack: Stack) -> None:
    assert stack.settings.redis_url is None
    _import_through_worker(stack)


def test_redis_queue_worker_runs_an_import(settings: Settings, redis_url: str) -> None:
    # A queue of its own: tests running in parallel share this Redis database.
    queue = f"accord-test-{uuid.uuid4().hex[:8]}"
    with running_stack(
        settings.model_copy(update={"redis_url": redis_url, "queue_name": queue})
    ) as stack:
        assert type(stack.huey).__name__ == "RedisHuey"
        _import_through_worker(stack)
    assert not (settings.data_dir / "jobs.db").exists()


def test_worker_requeues_a_job_whose_worker_died(stack: Stack) -> None:
    from datetime import timedelta

    from sqlalchemy import update

    from accord_server.db.base import utcnow
    from accord_server.db.models import Job

    factory = Factory(stack)
    owner = factory.owner()
    project = factory.project(owner)
    with stack.client(owner.token) as client:
        r = client.post(
            f"/api/v1/projects/{project['id']}/imports", json={"tasks": [{"image": "a"}]}
        )
    stack.huey.flush()  # the message is lost with the worker that held it
    with stack.runtime.db.transaction() as session:  # ... which had marked the job running
        session.execute(
            update(Job).values(state="running", heartbeat_at=utcnow() - timedelta(minutes=5))
        )
    with worker_process(stack.settings):
        job = _wait_for_job(stack, owner.token, r.json()["id"])
    assert job["state"] == "succeeded"
