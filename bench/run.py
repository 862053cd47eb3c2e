"""Accord benchmarks: bulk import, `next` latency, submit throughput and server RSS.

Starts `accord-server serve` as a separate process (as a user would), creates the owner,
annotators and API tokens straight through the services, then drives the HTTP API from this one
process with asyncio + httpx.AsyncClient. Prints a results table and writes JSON to
bench/results/.

    .venv/bin/python bench/run.py --db sqlite --tasks 100000 --tasks 1000000
    .venv/bin/python bench/run.py --db postgres --tasks 1000000 --profile
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx

LINENO = re.compile(r":\d+\)$")
BENCH_DIR = Path(__file__).resolve().parent
RESULTS_DIR = BENCH_DIR / "results"
VENV_BIN = Path(sys.executable).parent
PG_ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/test"
PG_DB = "accord_bench"
PG_URL = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"

SCHEMA = {
    "media": "text",
    "tools": [{"name": "c", "type": "classification", "choices": ["yes", "no"]}],
}
RESULT = [{"id": "r", "tool": "c", "type": "classification", "value": {"choices": ["yes"]}}]


# --------------------------------------------------------------------------- helpers


def loadavg() -> list[float]:
    return [float(x) for x in Path("/proc/loadavg").read_text().split()[:3]]


def wait_quiet(limit: float, max_wait: float) -> list[float]:
    """Wait (bounded) until the 1-minute load average is below ``limit``; return it."""
    deadline = time.monotonic() + max_wait
    while loadavg()[0] >= limit and time.monotonic() < deadline:
        time.sleep(5)
    return loadavg()


def rss_mb(pid: int, field: str = "VmRSS") -> float | None:
    """A process's resident memory now (VmRSS) or at its peak so far (VmHWM), in MB."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except FileNotFoundError:
        return None
    return None


def cpu_seconds(pid: int, kernel_only: bool = False) -> float:
    """utime + stime (or only stime) of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    ticks = int(fields[12]) + (0 if kernel_only else int(fields[11]))
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds of every PostgreSQL server process on this machine (0 when none is local):
    the database's share of a run, which on one machine comes out of the same cores."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == "postgres":
                # With cutime + cstime: a backend that exits (a pool closing an overflow
                # connection) moves its CPU into the postmaster's children's times.
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                total += sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except FileNotFoundError:
        return []
    return [int(x) for x in text.split()]


def pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def lat_summary(ms: list[float]) -> dict[str, float]:
    return {
        "n": len(ms),
        "p50_ms": round(pct(ms, 50), 2),
        "p95_ms": round(pct(ms, 95), 2),
        "p99_ms": round(pct(ms, 99), 2),
        "max_ms": round(max(ms), 2) if ms else 0,
        "mean_ms": round(statistics.fmean(ms), 2) if ms else 0,
    }


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        "?",
    )
    mem_kb = int(
        next(
            line.split()[1]
            for line in Path("/proc/meminfo").read_text().splitlines()
            if line.startswith("MemTotal")
        )
    )
    try:
        pg = subprocess.run(
            ["psql", PG_ADMIN_URL, "-Atc", "show server_version"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pg = "?"
    git = subprocess.run(
        ["git", "-C", str(BENCH_DIR), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "-C", str(BENCH_DIR), "status", "--short", "--", "../server"],
        capture_output=True,
        text=True,
    ).stdout.split("\n")
    return {
        "git": git,
        "server_files_modified": [x for x in dirty if x],
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gb": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "postgresql": pg,
        "date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --------------------------------------------------------------------------- server


class Server:
    """One `accord-server serve` process (API) with its embedded worker child."""

    def __init__(
        self,
        db: str,
        data_dir: Path,
        workers: int = 1,
        prefix: list[str] | None = None,
        database_url: str | None = None,
    ) -> None:
        self.db = db
        # PostgreSQL: the database to use (default: accord_bench); SQLite: the data dir's file.
        self.database_url = database_url or (PG_URL if db == "postgres" else None)
        self.prefix = prefix or []
        self.workers = workers
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "ACCORD_DATA_DIR": str(data_dir)}
        if self.database_url is not None:
            self.env["ACCORD_DATABASE_URL"] = self.database_url
        self.log = open(data_dir / "server.log", "wb")  # noqa: SIM115
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [
                *self.prefix,
                str(VENV_BIN / "accord-server"),
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self.workers),
            ],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + (600 if self.prefix else 120)
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited; see {self.data_dir / 'server.log'}")
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"server did not come up; see {self.data_dir / 'server.log'}")

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def worker_pid(self) -> int | None:
        """The embedded job worker (a child of `serve`)."""
        for kid in children(self.pid):
            if b"worker" in Path(f"/proc/{kid}/cmdline").read_bytes().split(b"\0"):
                return kid
        return None

    def api_pids(self) -> list[int]:
        """The processes answering HTTP: `serve` itself, or its uvicorn worker processes."""
        job_worker = self.worker_pid()
        kids = [k for k in children(self.pid) if k != job_worker]
        return kids if self.workers > 1 else [self.pid]

    def api_cpu(self, kernel_only: bool = False) -> float:
        """CPU seconds used so far by `serve` and its API worker processes (or only their
        time in the kernel)."""
        return sum(cpu_seconds(p, kernel_only) for p in {self.pid, *self.api_pids()})

    def api_rss(self) -> float | None:
        """RSS of the API, MB (summed over API processes)."""
        values = [rss_mb(p) for p in self.api_pids()]
        return round(sum(v for v in values if v is not None), 1) if values else None

    def stop(self) -> None:
        if self.proc is None:
            return
        worker = self.worker_pid()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # uvicorn exits; serve then stops its worker
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        # Some server versions let the worker outlive `serve` (uvicorn re-raises SIGTERM, so
        # serve's cleanup never runs): stop the worker we started, by its pid, if it is left.
        if worker is not None and Path(f"/proc/{worker}").exists():
            os.kill(worker, signal.SIGTERM)
            deadline = time.monotonic() + 15
            while Path(f"/proc/{worker}").exists() and time.monotonic() < deadline:
                time.sleep(0.2)
            if Path(f"/proc/{worker}").exists():
                os.kill(worker, signal.SIGKILL)
        self.log.close()


def reset_postgres(name: str = PG_DB) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")


def drop_postgres(name: str = PG_DB) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_URL, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def settings_for(server: Server) -> Any:
    from accord_server.settings import Settings

    return Settings(data_dir=server.data_dir, database_url=server.database_url)


def setup_people(server: Server, annotators: int, managers: int) -> dict[str, Any]:
    """Owner + org, ``annotators`` annotators and ``managers`` managers, each with a token."""
    from accord_server.db.engine import make_database
    from accord_server.services import accounts, sessions

    database = make_database(settings_for(server))
    try:
        with database.transaction() as session:
            owner = accounts.create_user(
                session, email="owner@bench.example", password="bench password 1"
            )
            org = accounts.create_organization(session, name="Bench", owner=owner)
            _, owner_token = sessions.create_api_token(session, user=owner, name="bench")
            actor = accounts.get_membership_or_raise(session, organization_id=org.id, user=owner)
            people: dict[str, list[str]] = {"annotator": [], "manager": []}
            for role, n in (("annotator", annotators), ("manager", managers)):
                for i in range(n):
                    _, user = accounts.add_member(
                        session,
                        actor=actor,
                        role=role,
                        email=f"{role}{i}@bench.example",
                        password="bench password 2",
                    )
                    _, token = sessions.create_api_token(session, user=user, name="bench")
                    people[role].append(token)
            org_id = org.id
    finally:
        database.dispose()
    return {"org_id": org_id, "owner": owner_token, **people}


def open_task_ids(server: Server, project_id: int, n: int) -> list[int]:
    """The ``n`` last open tasks of a project (far from where the queue hands out)."""
    from sqlalchemy import select

    from accord_server.db.engine import make_database
    from accord_server.db.models import Task

    database = make_database(settings_for(server))
    try:
        with database.transaction(write=False) as session:
            return list(
                session.scalars(
                    select(Task.id)
                    .where(Task.project_id == project_id, Task.open_slots > 0)
                    .order_by(Task.id.desc())
                    .limit(n)
                )
            )
    finally:
        database.dispose()


# --------------------------------------------------------------------------- benches


def make_task_file(path: Path, n: int) -> int:
    """N tasks ``{"text": "task i"}``: one per line (.jsonl), or one JSON array (.json)."""
    array = path.suffix == ".json"
    with open(path, "wb") as f:
        f.write(b"[" if array else b"")
        for start in range(0, n, 100_000):
            f.write(
                ("," if array else "\n")
                .join(f'{{"text": "task {i}"}}' for i in range(start, min(n, start + 100_000)))
                .encode()
            )
            if start + 100_000 < n or not array:
                f.write(b"," if array else b"\n")
        f.write(b"]" if array else b"")
    return path.stat().st_size


def create_project(client: httpx.Client, org_id: int, name: str) -> int:
    r = client.post(
        "/api/v1/projects", json={"organization_id": org_id, "name": name, "label_schema": SCHEMA}
    )
    r.raise_for_status()
    return int(r.json()["id"])


def bench_import(
    server: Server,
    people: dict[str, Any],
    n: int,
    tmp: Path,
    timeout: float,
    fmt: str = "jsonl",
) -> dict[str, Any]:
    path = tmp / f"tasks-{n}.{fmt}"
    size = make_task_file(path, n)
    headers = {"Authorization": f"Bearer {people['owner']}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=600) as client:
        project_id = create_project(client, people["org_id"], f"import {n}")
        load = loadavg()
        worker = server.worker_pid()
        cpu0 = {"api": server.api_cpu(), "worker": cpu_seconds(worker) if worker else 0}
        t0 = time.perf_counter()
        with open(path, "rb") as f:
            r = client.post(
                f"/api/v1/projects/{project_id}/imports/files",
                files={"files": (path.name, f, "application/octet-stream")},
            )
        r.raise_for_status()
        t_upload = time.perf_counter() - t0
        job_id = r.json()["id"]
        seen: dict[str, float] = {}
        peak_worker_rss = 0.0
        deadline = t0 + timeout
        job: dict[str, Any] = {}
        while time.perf_counter() < deadline:
            job = client.get(f"/api/v1/jobs/{job_id}").json()
            now = time.perf_counter() - t0
            key = f"{job['state']}/{job['phase']}"
            seen.setdefault(key, round(now, 3))
            if worker:
                peak_worker_rss = max(peak_worker_rss, rss_mb(worker) or 0)
            if job["state"] in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(0.1)
        total = time.perf_counter() - t0
        cpu1 = {"api": server.api_cpu(), "worker": cpu_seconds(worker) if worker else 0}
    path.unlink()
    if job.get("state") != "succeeded":
        raise RuntimeError(f"import of {n} did not succeed: {job}")
    writing = min((t for k, t in seen.items() if k.endswith("/writing")), default=None)
    running = min((t for k, t in seen.items() if k.startswith("running/")), default=None)
    return {
        "tasks": n,
        "file_mb": round(size / 2**20, 1),
        "project_id": project_id,
        "upload_s": round(t_upload, 2),
        "total_s": round(total, 2),
        "tasks_per_s": round(n / total),
        "phases_first_seen_s": seen,
        "queued_s": round(running - t_upload, 2) if running else None,
        "reading_s": round(writing - running, 2) if writing and running else None,
        "writing_s": round(total - writing, 2) if writing else None,
        "cpu_s": {k: round(cpu1[k] - cpu0[k], 1) for k in cpu0},
        "worker_peak_rss_mb": round(peak_worker_rss),
        "load_before": load,
        "counts": job.get("counts"),
    }


def _session(server: Server, token: str) -> aiohttp.ClientSession:
    """One simulated user: one keep-alive connection, its own token."""
    return aiohttp.ClientSession(
        base_url=server.url,
        connector=aiohttp.TCPConnector(limit=1),
        headers={"Authorization": f"Bearer {token}"},
        timeout=aiohttp.ClientTimeout(total=60),
    )


async def annotator_loop(
    client: aiohttp.ClientSession,
    project_id: int,
    cycles: int,
    next_ms: list[float],
    submit_ms: list[float],
    errors: Counter[str],
    warmup: int,
    think_ms: float,
) -> None:
    rng = random.Random(id(client))
    for i in range(cycles + warmup):
        if think_ms:
            # An annotator reads the task before asking again: uniform in [0, 2 x mean].
            await asyncio.sleep(rng.uniform(0, 2 * think_ms) / 1000)
        t0 = time.perf_counter()
        async with client.post(f"/api/v1/projects/{project_id}/next") as r:
            body = await r.json() if r.status == 200 else None
        t1 = time.perf_counter()
        if body is None:
            errors[f"next {r.status}"] += 1
            continue
        task_id = body["task"]["id"]
        async with client.post(
            f"/api/v1/tasks/{task_id}/annotations", json={"id": uuid.uuid4().hex, "result": RESULT}
        ) as r:
            await r.read()
        t2 = time.perf_counter()
        if r.status != 201:
            errors[f"submit {r.status}"] += 1
            continue
        if i >= warmup:
            next_ms.append((t1 - t0) * 1000)
            submit_ms.append((t2 - t1) * 1000)


async def run_annotators(
    server: Server,
    tokens: list[str],
    project_id: int,
    cycles: int,
    warmup: int,
    think_ms: float = 0,
) -> dict[str, Any]:
    next_ms: list[float] = []
    submit_ms: list[float] = []
    errors: Counter[str] = Counter()
    clients = [_session(server, t) for t in tokens]
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    api0, db0 = server.api_cpu(), postgres_cpu()
    t0 = time.perf_counter()
    try:
        await asyncio.gather(
            *(
                annotator_loop(c, project_id, cycles, next_ms, submit_ms, errors, warmup, think_ms)
                for c in clients
            )
        )
    finally:
        for c in clients:
            await c.close()
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    api_cpu, db_cpu = server.api_cpu() - api0, postgres_cpu() - db0
    requests = 2 * len(tokens) * (cycles + warmup)
    return {
        "annotators": len(tokens),
        "think_ms": think_ms,
        "cycles_each": cycles,
        "warmup_each": warmup,
        "wall_s": round(wall, 2),
        "cycles_per_s": round(len(next_ms) / wall, 1),
        "next": lat_summary(next_ms),
        "submit": lat_summary(submit_ms),
        "errors": dict(errors),
        "client_cpu_s": round(client_cpu, 2),
        "client_cpu_share": round(client_cpu / wall, 2),
        "api_cpu_s": round(api_cpu, 2),
        "api_cpu_ms_per_request": round(1000 * api_cpu / requests, 2),
        "postgres_cpu_ms_per_request": round(1000 * db_cpu / requests, 2),
    }


async def submit_only(server: Server, tokens: list[str], task_ids: list[int]) -> dict[str, Any]:
    """Each client submits straight to its own slice of tasks (managers may, without `next`)."""
    ms: list[float] = []
    errors: Counter[str] = Counter()
    per = len(task_ids) // len(tokens)

    async def loop(client: aiohttp.ClientSession, ids: list[int]) -> None:
        for task_id in ids:
            t0 = time.perf_counter()
            async with client.post(
                f"/api/v1/tasks/{task_id}/annotations",
                json={"id": uuid.uuid4().hex, "result": RESULT},
            ) as r:
                await r.read()
            if r.status == 201:
                ms.append((time.perf_counter() - t0) * 1000)
            else:
                errors[f"submit {r.status}"] += 1

    clients = [_session(server, t) for t in tokens]
    cpu0 = resource.getrusage(resource.RUSAGE_SELF)
    api0, db0, sys0 = server.api_cpu(), postgres_cpu(), server.api_cpu(kernel_only=True)
    t0 = time.perf_counter()
    try:
        await asyncio.gather(
            *(loop(c, task_ids[i * per : (i + 1) * per]) for i, c in enumerate(clients))
        )
    finally:
        for c in clients:
            await c.close()
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_SELF)
    client_cpu = (cpu1.ru_utime + cpu1.ru_stime) - (cpu0.ru_utime + cpu0.ru_stime)
    api_cpu, db_cpu = server.api_cpu() - api0, postgres_cpu() - db0
    api_sys = server.api_cpu(kernel_only=True) - sys0
    attempts = max(1, len(ms) + sum(errors.values()))
    return {
        "clients": len(tokens),
        "submits": len(ms),
        "wall_s": round(wall, 2),
        "annotations_per_s": round(len(ms) / wall, 1),
        "latency": lat_summary(ms),
        "errors": dict(errors),
        "client_cpu_share": round(client_cpu / wall, 2),
        "api_cpu_ms_per_submit": round(1000 * api_cpu / attempts, 2),
        "api_kernel_cpu_ms_per_submit": round(1000 * api_sys / attempts, 2),
        "postgres_cpu_ms_per_submit": round(1000 * db_cpu / attempts, 2),
    }


# --------------------------------------------------------------------------- profiling


def start_pyspy(
    pid: int, seconds: int, out: Path, gil: bool, rate: int = 100
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            str(VENV_BIN / "py-spy"),
            "record",
            "-p",
            str(pid),
            "-d",
            str(seconds),
            "-f",
            "raw",
            "-o",
            str(out),
            "--nonblocking",
            "--rate",
            str(rate),
            *(["--gil"] if gil else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def aggregate_raw(path: Path, top: int = 15) -> dict[str, Any]:
    """Summarise py-spy's collapsed stacks: share of samples by layer and by own function."""
    total = 0
    layers: Counter[str] = Counter()
    own: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    groups = {
        "accord_server": "accord_server/",
        "sqlalchemy": "sqlalchemy/",
        "pydantic": "pydantic",
        "starlette": "starlette/",
        "fastapi": "fastapi/",
        "uvicorn": "uvicorn/",
        "anyio": "anyio/",
        "sqlite3": "sqlite3",
        "psycopg": "psycopg/",
        "orjson/json": "json",
    }
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue  # py-spy cuts a line short when it is stopped mid-write
        n = int(count)
        total += n
        frames = stack.split(";")
        for name, marker in groups.items():
            if any(marker in f for f in frames):
                layers[name] += n
        leaf = frames[-1]
        own[leaf] += n
        for f in {LINENO.sub(")", f) for f in frames}:
            if any(
                m in f
                for m in ("accord_server/", "sqlalchemy/", "pydantic", "starlette/", "fastapi/")
            ):
                inclusive[f] += n
    share = {k: round(100 * v / total, 1) for k, v in layers.most_common()} if total else {}
    return {
        "samples": total,
        "inclusive_pct_by_layer": share,
        "top_own_pct": [(f, round(100 * v / total, 1)) for f, v in own.most_common(top)],
        "top_inclusive_pct": [
            (f, round(100 * v / total, 1)) for f, v in inclusive.most_common(top)
        ],
    }


# --------------------------------------------------------------------------- main


def print_table(res: dict[str, Any]) -> None:
    print(f"\n== Accord benchmark: {res['db']}  ({res['machine']['date']}) ==")
    for imp in res.get("imports", []):
        print(
            f"import {imp['tasks']:>9,} tasks: {imp['tasks_per_s']:>8,} tasks/s  "
            f"total {imp['total_s']} s (upload {imp['upload_s']} s, queued "
            f"{imp.get('queued_s')} s, reading "
            f"{imp['reading_s']} s, writing {imp['writing_s']} s)  load {imp['load_before']}"
        )
    for run in res.get("next", []):
        n, s = run["next"], run["submit"]
        print(
            f"next x{run['annotators']:<3} think {run.get('think_ms', 0)} ms "
            f"p50 {n['p50_ms']} p95 {n['p95_ms']} "
            f"p99 {n['p99_ms']} ms | submit p50 {s['p50_ms']} p99 {s['p99_ms']} ms | "
            f"{run['cycles_per_s']} cycles/s | client cpu {run['client_cpu_share']} "
            f"| cpu ms/request api {run['api_cpu_ms_per_request']} "
            f"postgres {run['postgres_cpu_ms_per_request']} "
            f"| load {run['load_before']} | errors {run['errors']}"
        )
    if sub := res.get("submit"):
        print(
            f"submit x{sub['clients']}: {sub['annotations_per_s']} annotations/s  "
            f"p50 {sub['latency']['p50_ms']} p99 {sub['latency']['p99_ms']} ms  "
            f"cpu ms/submit api {sub['api_cpu_ms_per_submit']} "
            f"(kernel {sub.get('api_kernel_cpu_ms_per_submit')}) "
            f"postgres {sub['postgres_cpu_ms_per_submit']} client {sub['client_cpu_share']} core  "
            f"load {sub['load_before']} errors {sub['errors']}"
        )
    if rss := res.get("rss_mb"):
        print(f"RSS: {rss}")


def reaggregate(path: Path) -> None:
    print(json.dumps(aggregate_raw(path, top=30), indent=1))


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument(
        "--tasks",
        type=int,
        action="append",
        help="import a project of N tasks (repeatable; default 100000 and "
        "1000000); the queue benches use the largest",
    )
    ap.add_argument(
        "--phases", default="import,next,submit", help="comma list of import,next,submit"
    )
    ap.add_argument("--annotators", default="1,32", help="concurrency levels for `next`")
    ap.add_argument(
        "--cycles",
        type=int,
        default=3200,
        help="next+submit cycles per level, split over the annotators",
    )
    ap.add_argument("--warmup", type=int, default=5, help="unmeasured cycles per annotator")
    ap.add_argument(
        "--think-ms",
        type=float,
        default=0,
        help="mean pause between an annotator's cycles (0: closed loop)",
    )
    ap.add_argument("--workers", type=int, default=1, help="API processes (`serve --workers N`)")
    ap.add_argument("--submit-clients", type=int, default=8)
    ap.add_argument("--submits", type=int, default=4000, help="total submits (8 clients)")
    ap.add_argument(
        "--profile",
        action="store_true",
        help="py-spy the API process during the largest `next` run and the submits",
    )
    ap.add_argument(
        "--pyspy-gil",
        action="store_true",
        help="py-spy only the thread holding the GIL (CPU, not waiting)",
    )
    ap.add_argument("--pyspy-rate", type=int, default=100, help="py-spy samples per second")
    ap.add_argument(
        "--quiet-load",
        type=float,
        default=1.0,
        help="wait (at most --quiet-wait s) for a 1-min load below this",
    )
    ap.add_argument("--quiet-wait", type=float, default=60)
    ap.add_argument("--import-timeout", type=float, default=1800)
    ap.add_argument(
        "--import-format",
        choices=["jsonl", "json"],
        default="jsonl",
        help="the task file: JSON lines, or one JSON array",
    )
    ap.add_argument("--keep", action="store_true", help="keep the data dir / database")
    ap.add_argument("--aggregate", type=Path, help="only summarise a py-spy raw file")
    args = ap.parse_args()
    if args.aggregate:
        return reaggregate(args.aggregate)
    sizes = sorted(args.tasks or [100_000, 1_000_000])
    phases = set(args.phases.split(","))
    levels = [int(x) for x in args.annotators.split(",")]

    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    tmp = Path(tempfile.mkdtemp(prefix=f"accord-bench-{args.db}-"))
    res: dict[str, Any] = {"db": args.db, "machine": machine(), "args": vars(args)}
    if args.db == "postgres":
        reset_postgres()
    server = Server(args.db, tmp, workers=args.workers)
    try:
        server.start()
        res["rss_mb"] = {"api_start": server.api_rss()}
        people = setup_people(server, annotators=max(levels), managers=args.submit_clients)
        project_id = None
        if "import" in phases:
            res["imports"] = []
            for n in sizes:
                res["imports"][len(res["imports"]) :] = [None]
                load = wait_quiet(args.quiet_load, args.quiet_wait)
                imp = bench_import(server, people, n, tmp, args.import_timeout, args.import_format)
                imp["load_before"] = load
                res["imports"][-1] = imp
                project_id = imp["project_id"]
                print(f"import {n}: {imp['tasks_per_s']} tasks/s", flush=True)
            res["rss_mb"]["api_after_import"] = server.api_rss()
            wpid = server.worker_pid()
            res["rss_mb"]["worker_after_import"] = rss_mb(wpid) if wpid else None
            time.sleep(2)  # the job's state flips to succeeded a moment before it lets go
            res["rss_mb"]["worker_2s_after_import"] = rss_mb(wpid) if wpid else None
            res["rss_mb"]["worker_peak"] = rss_mb(wpid, "VmHWM") if wpid else None
        if project_id is None:
            raise SystemExit("the queue benches need an imported project (phase import)")
        if "next" in phases:
            res["next"] = []
            for level in levels:
                load = wait_quiet(args.quiet_load, args.quiet_wait)
                cycles = max(1, args.cycles // level)
                spy = None
                if args.profile and level == max(levels):
                    out = RESULTS_DIR / f"pyspy-{args.db}-{stamp}.txt"
                    spy = start_pyspy(
                        server.api_pids()[0], 10, out, args.pyspy_gil, args.pyspy_rate
                    )
                    time.sleep(1)
                run = asyncio.run(
                    run_annotators(
                        server,
                        people["annotator"][:level],
                        project_id,
                        cycles,
                        args.warmup,
                        args.think_ms,
                    )
                )
                run["load_before"] = load
                if spy is not None:
                    spy.wait(timeout=60)
                    if out.exists():
                        run["pyspy_file"] = str(out.relative_to(BENCH_DIR))
                        res["profile"] = aggregate_raw(out)
                res["next"].append(run)
                print(f"next x{level}: p99 {run['next']['p99_ms']} ms", flush=True)
            res["rss_mb"]["api_after_next"] = server.api_rss()
        if "submit" in phases:
            load = wait_quiet(args.quiet_load, args.quiet_wait)
            ids = open_task_ids(server, project_id, args.submits)
            spy = None
            if args.profile:
                out = RESULTS_DIR / f"pyspy-{args.db}-submit-{stamp}.txt"
                spy = start_pyspy(server.api_pids()[0], 12, out, args.pyspy_gil, args.pyspy_rate)
                time.sleep(1)
            sub = asyncio.run(submit_only(server, people["manager"], ids))
            sub["load_before"] = load
            if spy is not None:
                spy.wait(timeout=60)
                if out.exists():
                    sub["pyspy_file"] = str(out.relative_to(BENCH_DIR))
                    res["profile_submit"] = aggregate_raw(out)
            res["submit"] = sub
            res["rss_mb"]["api_after_submit"] = server.api_rss()
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
            if args.db == "postgres":
                drop_postgres()
        out_file = RESULTS_DIR / f"{args.db}-{stamp}.json"
        out_file.write_text(json.dumps(res, indent=2, default=str))
    print_table(res)
    for key in ("profile", "profile_submit"):
        if key in res:
            print(key, json.dumps(res[key], indent=1))
    print(f"\nwritten: {out_file}")


if __name__ == "__main__":
    main()
