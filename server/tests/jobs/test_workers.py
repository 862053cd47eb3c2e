"""Jobs run by real `accord-server worker` processes, through the SQLite and the Redis queue."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

from accord_server.settings import Settings
from support import Factory, Stack, running_stack, worker_process


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


REFUSE_TASKS = {
    "sqlite": [
        "CREATE TRIGGER refuse_tasks BEFORE INSERT ON tasks "
        "BEGIN SELECT RAISE(ABORT, 'the disk is full'); END"
    ],
    "postgresql": [
        "CREATE FUNCTION refuse_tasks() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'the disk is full'; END $$",
        "CREATE TRIGGER refuse_tasks BEFORE INSERT ON tasks "
        "FOR EACH ROW EXECUTE FUNCTION refuse_tasks()",
    ],
}
ALLOW_TASKS = {
    "sqlite": ["DROP TRIGGER refuse_tasks"],
    "postgresql": ["DROP TRIGGER refuse_tasks ON tasks", "DROP FUNCTION refuse_tasks()"],
}


def _execute(stack: Stack, statements: list[str]) -> None:
    from sqlalchemy import text

    with stack.runtime.db.write_engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


def test_a_job_that_always_fails_ends_failed_after_its_attempts(
    stack: Stack, factory: Factory, tmp_path: Path
) -> None:
    # The database refuses every task row (a trigger: the disk is full), after the import has
    # reported its progress. Each progress report used to drop the attempt count, so every
    # retry was "attempt 1" and the job stayed running/retrying for good (issue 13, finding 3).
    from accord_server.services.jobs import MAX_ATTEMPTS

    owner = factory.owner()
    project = factory.project(owner)
    dialect = stack.runtime.db.write_engine.dialect.name
    _execute(stack, REFUSE_TASKS[dialect])
    log = tmp_path / "worker.log"
    try:
        with worker_process(stack.settings, log), stack.client(owner.token) as client:
            r = client.post(
                f"/api/v1/projects/{project['id']}/imports",
                json={"tasks": [{"image": f"https://x/{i}"} for i in range(3)]},
            )
            job = _wait_for_job(stack, owner.token, r.json()["id"])
    finally:
        _execute(stack, ALLOW_TASKS[dialect])
    assert job["state"] == "failed", job
    assert job["attempts"] == MAX_ATTEMPTS == 3
    assert job["message"].startswith(f"failed after {MAX_ATTEMPTS} attempts: "), job
    assert "the disk is full" in job["message"]
    counts = job["counts"]  # as far as it got; whatever else the report counts is zero
    assert {k: counts[k] for k in ("files", "rows", "errors")} == {
        "files": 1,
        "rows": 3,
        "errors": 0,
    }
    assert not any(n for k, n in counts.items() if k not in ("files", "rows")), counts
    output = log.read_text()
    job_id = r.json()["id"]
    assert [f"job {job_id} (import): attempt {n} of 3" in output for n in (1, 2, 3)] == [
        True,
        True,
        True,
    ], output
    assert f"job {job_id} failed (attempt 3 of 3, the last)" in output


def test_a_cancel_ends_a_job_whose_worker_was_killed(settings: Settings) -> None:
    # A cancel only asked a running job to stop at its next checkpoint: with its worker killed,
    # none came, and the job stayed running (issue 13, finding 4).
    quick = settings.model_copy(
        update={"worker_heartbeat_seconds": 0.2, "worker_lapse_seconds": 3.0}
    )
    with running_stack(quick) as stack:
        factory = Factory(stack)
        owner = factory.owner()
        project = factory.project(owner)
        tasks = [{"image": f"https://x/{i}"} for i in range(30_000)]
        with worker_process(stack.settings) as proc, stack.client(owner.token) as client:
            r = client.post(f"/api/v1/projects/{project['id']}/imports", json={"tasks": tasks})
            job_id = r.json()["id"]
            deadline = time.monotonic() + 60
            while client.get(f"/api/v1/jobs/{job_id}").json()["state"] != "running":
                assert time.monotonic() < deadline, "the import did not start"
                time.sleep(0.02)
            proc.kill()
            proc.wait()
            killed_at = time.monotonic()
            asked = client.post(f"/api/v1/jobs/{job_id}/cancel").json()
            assert time.monotonic() - killed_at < 3, "too slow to tell the two cancels apart"
            # Its worker may be alive for all the API knows: asked to stop at a checkpoint.
            assert (asked["state"], asked["cancel_requested"]) == ("running", True), asked
            time.sleep(max(0.0, 3.2 - (time.monotonic() - killed_at)))
            assert client.get(f"/api/v1/jobs/{job_id}").json()["state"] == "running"
            # Silent for the lapse: dead, and no checkpoint will come. The cancel ends it.
            ended = client.post(f"/api/v1/jobs/{job_id}/cancel").json()
        assert (ended["state"], ended["message"]) == (
            "cancelled",
            "cancelled; its worker had stopped",
        ), ended
        assert ended["finished_at"] is not None
        with worker_process(stack.settings):  # a new worker does not run it again
            time.sleep(2)
        with stack.client(owner.token) as client:
            assert client.get(f"/api/v1/jobs/{job_id}").json()["state"] == "cancelled"
            assert client.get(f"/api/v1/projects/{project['id']}/progress").json()["tasks"] == 0
