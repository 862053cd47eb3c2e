"""The admin CLI: demo, user and token creation, migrate, and `serve` with its worker."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

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
