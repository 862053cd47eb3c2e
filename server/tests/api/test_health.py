"""Health: liveness answers whatever the database does; readiness reports the database, the
workers (a real `accord-server worker`) and the job queue, and answers 503 without a worker."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx

from accord_server import __version__
from accord_server.settings import Settings
from support import Factory, free_port, running_stack, worker_process


def test_liveness_answers_while_the_database_does_not(tmp_path: Path) -> None:
    # /health read the database: an outage made every API process look dead, and an
    # orchestrator would restart them all. Liveness is the process; readiness says the rest.
    closed = f"postgresql+psycopg://accord@127.0.0.1:{free_port()}/accord"
    settings = Settings(data_dir=tmp_path, database_url=closed)
    with running_stack(settings) as stack, stack.client() as client:
        live = client.get("/api/v1/health")
        ready = client.get("/api/v1/health/ready")
    assert live.status_code == 200
    assert live.json() == {"status": "ok", "version": __version__}
    assert ready.status_code == 503
    body = ready.json()
    assert body["status"] == "unavailable"
    assert body["checks"]["worker"] is None and body["checks"]["queue"] is None
    database = body["checks"]["database"]
    assert not database["ok"] and database["message"].startswith(
        "does not answer: OperationalError"
    )


def _ready(client: httpx.Client) -> tuple[int, dict[str, Any]]:
    r = client.get("/api/v1/health/ready")
    return r.status_code, dict(r.json())


def test_readiness_needs_a_live_worker(settings: Settings) -> None:
    quick = settings.model_copy(
        update={"worker_heartbeat_seconds": 0.2, "worker_lapse_seconds": 1.5}
    )
    with running_stack(quick) as stack, stack.client() as client:
        factory = Factory(stack)
        owner = factory.owner()
        project = factory.project(owner)
        with stack.client(owner.token) as member:
            r = member.post(
                f"/api/v1/projects/{project['id']}/imports", json={"tasks": [{"image": "a"}]}
            )
            assert r.status_code == 202
        status, body = _ready(client)
        assert status == 503 and body["status"] == "unavailable"
        checks = body["checks"]
        assert checks["database"] == {"ok": True, "message": "answers"}
        assert checks["worker"] == {
            "ok": False,
            "message": "no worker has ever reported: jobs will not run (start `accord-server "
            "worker`)",
            "alive": 0,
            "last_heartbeat_seconds": None,
        }
        queue = checks["queue"]
        assert (queue["ok"], queue["queued"], queue["running"]) == (True, 1, 0)
        assert queue["oldest_queued_seconds"] >= 0
        assert queue["message"].startswith("1 job queued, 0 running; the oldest has waited ")

        with worker_process(stack.settings):
            deadline = time.monotonic() + 60
            while (found := _ready(client))[0] != 200:
                assert time.monotonic() < deadline, found
                time.sleep(0.1)
            status, body = found
            assert body["status"] == "ready"
            assert body["checks"]["worker"]["ok"] and body["checks"]["worker"]["alive"] == 1
            assert body["checks"]["worker"]["message"] == "1 worker alive"
            while (queue := _ready(client)[1]["checks"]["queue"])["queued"] or queue["running"]:
                assert time.monotonic() < deadline, queue  # it runs the import
                time.sleep(0.1)
        # Stopped (or killed): ready until its lapse runs out, then not.
        deadline = time.monotonic() + 10
        while (found := _ready(client))[0] != 503:
            assert time.monotonic() < deadline, found
            time.sleep(0.1)
        worker = found[1]["checks"]["worker"]
        assert worker["alive"] == 0 and worker["last_heartbeat_seconds"] >= 1.5
        assert worker["message"].startswith("no worker alive: the last reported ")
        assert worker["message"].endswith(" s ago (more than 1.5 s); jobs will not run")
        queue = found[1]["checks"]["queue"]
        assert (queue["queued"], queue["oldest_queued_seconds"]) == (0, None)
        assert queue["message"] == "0 jobs queued, 0 running"
