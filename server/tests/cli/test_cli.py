"""The admin CLI: demo, user and token creation, migrate, and `serve` with its worker."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from accord_server.cli import main
from accord_server.settings import Settings
from support import free_port


def _env(settings: Settings) -> dict[str, str]:
    return {
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_DATABASE_URL": settings.resolved_database_url,
    }


def test_user_and_token_create(settings: Settings) -> None:
    runner = CliRunner()
    env = _env(settings)
    assert runner.invoke(main, ["migrate"], env=env).exit_code == 0
    created = runner.invoke(
        main,
        [
            "user",
            "create",
            "--email",
            "Ann@Example.com",
            "--password",
            "long enough pw",
            "--organization",
            "Acme",
        ],
        env=env,
    )
    assert created.exit_code == 0, created.output
    assert "created user ann@example.com" in created.output
    again = runner.invoke(
        main,
        ["user", "create", "--email", "ann@example.com", "--password", "long enough pw"],
        env=env,
    )
    assert again.exit_code != 0 and "already exists" in again.output
    token = runner.invoke(main, ["token", "create", "--email", "ann@example.com"], env=env)
    assert token.exit_code == 0 and token.output.startswith("acc_")
    missing = runner.invoke(main, ["token", "create", "--email", "nobody@example.com"], env=env)
    assert missing.exit_code != 0 and "no user with email" in missing.output


def test_the_operator_grants_import_sources_and_makes_server_admins(
    settings: Settings, tmp_path: Path
) -> None:
    runner = CliRunner()
    root = settings.import_roots[0]
    (root / "acme").mkdir()
    env = {**_env(settings), "ACCORD_IMPORT_ROOTS": f'["{root}"]'}
    assert runner.invoke(main, ["migrate"], env=env).exit_code == 0
    user = ["user", "create", "--email", "a@example.com", "--password", "long enough pw"]
    assert runner.invoke(main, [*user, "--organization", "Acme"], env=env).exit_code == 0
    orgs = runner.invoke(main, ["organization", "list"], env=env)
    assert orgs.exit_code == 0 and orgs.output.split("\t")[1:] == ["Acme", "1 members\n"]
    org_id = orgs.output.split("\t")[0]
    grant = ["source", "grant", "--organization", org_id, "--name", "scans"]
    refused = runner.invoke(main, [*grant, "--folder", str(tmp_path)], env=env)
    assert refused.exit_code != 0 and "outside ACCORD_IMPORT_ROOTS" in refused.output
    both = runner.invoke(main, [*grant, "--folder", str(root), "--s3", "s3://b/p"], env=env)
    assert both.exit_code != 0 and "either --folder or --s3" in both.output
    granted = runner.invoke(main, [*grant, "--folder", str(root / "acme")], env=env)
    assert granted.exit_code == 0, granted.output
    s3 = runner.invoke(
        main, [*grant[:-1], "photos", "--s3", "s3://acme-raw/photos", "--profile", "acme"], env=env
    )
    assert s3.exit_code == 0, s3.output
    listed = runner.invoke(main, ["source", "list"], env=env).output.splitlines()
    assert [line.split("\t")[2:] for line in listed] == [
        ["scans", str((root / "acme").resolve()), ""],
        ["photos", "s3://acme-raw/photos/", "acme"],
    ]
    source_id = listed[0].split("\t")[0]
    assert runner.invoke(main, ["source", "revoke", source_id], env=env).exit_code == 0
    assert len(runner.invoke(main, ["source", "list"], env=env).output.splitlines()) == 1
    made = runner.invoke(main, ["user", "admin", "a@example.com"], env=env)
    assert made.exit_code == 0 and "is an admin of the server" in made.output
    taken = runner.invoke(main, ["user", "admin", "a@example.com", "--off"], env=env)
    assert taken.exit_code == 0 and "is no longer an admin" in taken.output


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else "exited"
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise AssertionError("server did not become healthy")


def test_demo_then_serve_with_embedded_worker(settings: Settings, tmp_path: Path) -> None:
    env = {**os.environ, **_env(settings)}
    env.pop("ACCORD_REDIS_URL", None)
    demo = subprocess.run(
        [sys.executable, "-m", "accord_server", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert demo.returncode == 0, demo.stderr
    assert "setup plugin" not in demo.stderr  # alembic's per-plugin lines bury the login
    match = re.search(r"login: (\S+)\s+password: (\S+)", demo.stdout)
    assert match, demo.stdout
    email, password = match.groups()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "accord_server", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_healthy(url, proc)
        with httpx.Client(base_url=url) as client:
            assert client.get("/").status_code == 200
            login = client.post("/api/v1/auth/login", json={"email": email, "password": password})
            assert login.status_code == 200, login.text
            csrf = login.json()["csrf_token"]
            projects = {p["name"]: p for p in client.get("/api/v1/projects").json()}
            assert set(projects) == {"Shapes (images)", "News (text)"}
            shapes = projects["Shapes (images)"]
            progress = client.get(f"/api/v1/projects/{shapes['id']}/progress").json()
            assert progress["tasks"] == 24
            task = client.get(f"/api/v1/projects/{shapes['id']}/tasks?limit=1").json()["items"][0]
            image = client.get(task["data"]["image"])
            assert image.status_code == 200 and image.content[:4] == b"\x89PNG"
            # The embedded worker runs jobs queued through the API.
            news = projects["News (text)"]
            r = client.post(
                f"/api/v1/projects/{news['id']}/imports",
                json={"tasks": [{"text": "one more"}]},
                headers={"X-CSRF-Token": csrf},
            )
            assert r.status_code == 202
            deadline = time.monotonic() + 60
            while client.get(f"/api/v1/jobs/{r.json()['id']}").json()["state"] != "succeeded":
                assert time.monotonic() < deadline, "embedded worker did not run the job"
                time.sleep(0.2)
        children = subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
        ).stdout.split()
        assert children, "serve started no worker process"
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(int(pid), 0)
    assert proc.stdout is not None
    output = proc.stdout.read().decode()
    assert '"GET /api/v1/projects HTTP/1.1" 200' in output  # access log
    assert "Warning" not in output, output  # nothing alarming on a clean start


def test_serve_without_the_access_log(settings: Settings) -> None:
    env = {**os.environ, **_env(settings), "ACCORD_EMBEDDED_WORKER": "false"}
    port = free_port()
    command = ["serve", "--no-access-log", "--port", str(port)]
    proc = subprocess.Popen(
        [sys.executable, "-m", "accord_server", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", proc)
        assert httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    assert proc.stdout is not None
    output = proc.stdout.read().decode()
    assert "Accord is running" in output
    assert "/api/v1/health" not in output


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/status") as status:
            return not any(line.startswith("State:\tZ") for line in status)
    except FileNotFoundError:
        return False


def test_embedded_worker_exits_when_serve_is_killed(settings: Settings) -> None:
    env = {**os.environ, **_env(settings)}
    env.pop("ACCORD_REDIS_URL", None)
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "accord_server", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_healthy(f"http://127.0.0.1:{port}", proc)
        children = subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True
        ).stdout.split()
        assert len(children) == 1
    finally:
        proc.kill()
        proc.wait()
    worker = int(children[0])
    deadline = time.monotonic() + 30
    while _alive(worker):
        assert time.monotonic() < deadline, "the worker outlived its killed server"
        time.sleep(0.2)


def _children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(p) for p in found.split()]


def _until(what: str, check: Callable[[], object], timeout: float = 60) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{what}: not within {timeout} s")


def test_serve_restarts_its_killed_worker_and_the_worker_ignores_the_cwd(
    settings: Settings, tmp_path: Path
) -> None:
    # After kill -9 the embedded worker stayed a zombie, imports stayed queued and /health
    # answered 200; and a stray xml.py in the working directory killed the worker at start
    # (issue 13, finding 4).
    env = {
        **os.environ,
        **_env(settings),
        "ACCORD_WORKER_RESTART_SECONDS": "3",
        "ACCORD_WORKER_HEARTBEAT_SECONDS": "0.2",
        "ACCORD_WORKER_LAPSE_SECONDS": "1.5",
    }
    env.pop("ACCORD_REDIS_URL", None)
    runner = CliRunner()
    assert runner.invoke(main, ["migrate"], env=env).exit_code == 0
    created = ["user", "create", "--email", "a@example.com", "--password", "long enough pw"]
    assert runner.invoke(main, [*created, "--organization", "Acme"], env=env).exit_code == 0
    token = runner.invoke(main, ["token", "create", "--email", "a@example.com"], env=env)
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    (cwd / "xml.py").write_text('raise RuntimeError("a stray xml.py was imported")\n')
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with open(log, "wb") as output:
        proc = subprocess.Popen(
            # The console script, as users run it: the command's own folder is on its path, the
            # working directory is not.
            [str(Path(sys.executable).with_name("accord-server")), "serve", "--port", str(port)],
            env=env,
            cwd=cwd,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    client = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token.output.strip()}"})

    def ready() -> httpx.Response:
        return client.get("/api/v1/health/ready")

    def job(job_id: int) -> dict[str, Any]:
        return dict(client.get(f"/api/v1/jobs/{job_id}").json())

    def finished(job_id: int) -> dict[str, Any] | None:
        found = job(job_id)
        return found if found["state"] in ("succeeded", "failed", "cancelled") else None

    try:
        _wait_healthy(url, proc)
        _until("the worker is ready", lambda: ready().status_code == 200)
        org = client.get("/api/v1/organizations").json()[0]["id"]
        schema = {
            "media": "text",
            "tools": [{"name": "c", "type": "classification", "choices": ["a"]}],
        }
        project = client.post(
            "/api/v1/projects",
            json={"organization_id": org, "name": "P", "label_schema": schema},
        ).json()["id"]

        def import_tasks(count: int) -> int:
            rows = b"\n".join(b'{"text": "t%d"}' % i for i in range(count))
            r = client.post(
                f"/api/v1/projects/{project}/imports/files", files=[("files", ("t.jsonl", rows))]
            )
            assert r.status_code == 202, r.text
            return int(r.json()["id"])

        first_id = import_tasks(3)
        first = _until("an import", lambda: finished(first_id))
        assert first["state"] == "succeeded", first  # despite the xml.py in the cwd
        (worker,) = _children(proc.pid)

        # kill -9: the API lives on, readiness says the worker is gone, a new import waits.
        os.kill(worker, signal.SIGKILL)
        killed_at = time.monotonic()
        waiting = import_tasks(2)
        report = _until(
            "readiness to see the dead worker", lambda: ready().status_code == 503 and ready()
        )
        assert time.monotonic() - killed_at < 3, "readiness saw it only after the restart"
        checks = report.json()["checks"]
        assert checks["database"]["ok"] and not checks["worker"]["ok"]
        assert checks["worker"]["alive"] == 0 and checks["worker"]["message"].startswith(
            "no worker alive"
        )
        assert checks["queue"]["queued"] == 1 and checks["queue"]["oldest_queued_seconds"] >= 0
        assert client.get("/api/v1/health").status_code == 200  # liveness: the API answers
        assert job(waiting)["state"] == "queued"
        _until("the dead worker is reaped", lambda: not Path(f"/proc/{worker}").exists(), 5)

        # ... restarted after its pause, it runs the waiting import.
        done = _until("the waiting import", lambda: finished(waiting))
        assert done["state"] == "succeeded" and done["counts"]["tasks"] == 2, done
        assert time.monotonic() - killed_at >= 3  # not before the pause
        (restarted,) = _children(proc.pid)
        assert restarted != worker
        _until("ready again", lambda: ready().status_code == 200)

        # kill -9 in the middle of an import: its heartbeat lapses, the next worker takes it
        # over and runs it again; its tasks are written once.
        big = import_tasks(30_000)
        _until("the big import to run", lambda: job(big)["state"] == "running")
        os.kill(restarted, signal.SIGKILL)
        done = _until("the big import", lambda: finished(big), timeout=120)
        assert done["state"] == "succeeded" and done["attempts"] == 2, done
        progress = client.get(f"/api/v1/projects/{project}/progress").json()
        assert progress["tasks"] == 3 + 2 + 30_000
    finally:
        client.close()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
    output = log.read_text()
    assert f"worker (pid {worker}) was killed by SIGKILL; restarting it in 3.0 s" in output
    assert f"worker (pid {restarted}) was killed by SIGKILL; restarting it in 6.0 s" in output
    assert output.count("worker restarted (pid ") == 2
    assert f"job {big}: its worker stopped beating; running it again" in output
    assert "a stray xml.py was imported" not in output


def test_serve_believes_x_forwarded_for_only_from_trusted_proxies(settings: Settings) -> None:
    # Before: `serve` left uvicorn's default, which believes X-Forwarded-For from 127.0.0.1:
    # one client there could claim a new address per request and never be limited.
    env = {
        **os.environ,
        **_env(settings),
        "ACCORD_EMBEDDED_WORKER": "false",
        "ACCORD_TRUSTED_PROXIES": '["127.0.0.2"]',
        "ACCORD_LOGIN_ADDRESS_FREE_FAILURES": "2",
        "ACCORD_LOGIN_DELAY_SECONDS": "60",
        "FORWARDED_ALLOW_IPS": "*",  # uvicorn's own variable: no effect on serve
    }
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "accord_server", "serve", "--no-access-log", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )

    def guesses(source: str) -> list[int]:
        transport = httpx.HTTPTransport(local_address=source)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", transport=transport) as client:
            return [
                client.post(
                    "/api/v1/auth/login",
                    json={"email": f"{source}-{i}@example.com", "password": "guess"},
                    headers={"X-Forwarded-For": f"198.51.100.{i}"},
                    timeout=60,
                ).status_code
                for i in range(4)
            ]

    try:
        _wait_healthy(f"http://127.0.0.1:{port}", proc)
        assert guesses("127.0.0.1") == [401, 401, 429, 429]  # spoofed: one address
        assert guesses("127.0.0.2") == [401, 401, 401, 401]  # the proxy: four addresses
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)


def test_media_gc_lists_then_deletes_what_no_task_names(settings: Settings) -> None:
    from accord_server.adapters.storage import LocalStorage

    runner = CliRunner()
    env = _env(settings)
    assert runner.invoke(main, ["migrate"], env=env).exit_code == 0
    store = LocalStorage(settings.data_dir / "media")
    old, young = store.put_bytes(b"of a deleted project"), store.put_bytes(b"just stored")
    long_ago = time.time() - 3 * 86400
    os.utime(settings.data_dir / "media" / old, (long_ago, long_ago))
    dry = runner.invoke(main, ["media", "gc", "--dry-run"], env=env)
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert lines[0] == old
    assert lines[1].startswith("would delete 1 stored file (0.0 MiB) of 2; ")
    assert store.exists(old)
    done = runner.invoke(main, ["media", "gc"], env=env)
    assert done.exit_code == 0, done.output
    assert done.output.startswith("deleted 1 stored file (0.0 MiB) of 2; "), done.output
    assert not store.exists(old) and store.exists(young)
