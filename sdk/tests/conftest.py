"""SDK tests run against the real Accord server over real HTTP, on SQLite and on PostgreSQL.

Per test: fresh settings and database, migrations, the app served by uvicorn on a free port in a
thread, and a thread that drains the job queue every 50 ms (what a worker would do), so
``wait=True`` imports finish. The first user, organization and tokens are made through the
server's services. PostgreSQL tests skip loudly when no server answers, and fail instead under
ACCORD_TEST_POSTGRES=required.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from accord_server.app import create_app, make_runtime
from accord_server.db.base import Base
from accord_server.db.migrate import upgrade
from accord_server.jobs.queue import drain
from accord_server.settings import Settings
from huey import Huey
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from support import Owner, Stack, make_owner

from accord import Client

POSTGRES_URL = os.environ.get(
    "ACCORD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _postgres_problem() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        return f"{type(exc).__name__}: {exc}".splitlines()[0]


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A database of our own for this test session, dropped at the end."""
    problem = _postgres_problem()
    if problem:
        reason = f"PostgreSQL not reachable at {POSTGRES_URL} ({problem})"
        if os.environ.get("ACCORD_TEST_POSTGRES", "").lower() == "required":
            pytest.fail(f"{reason} (required because ACCORD_TEST_POSTGRES=required)")
        pytest.skip(f"SKIPPED LOUDLY: {reason}; set ACCORD_TEST_POSTGRES=required to fail")
    name = f"accord_sdk_test_{os.getpid()}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> Iterator[str | None]:
    """None (the SQLite file in data_dir) or this session's PostgreSQL database."""
    if request.param == "sqlite":
        yield None
        return
    url: str = request.getfixturevalue("postgres_database")
    yield url
    _truncate(url)


def _drain_loop(huey: Huey, stop: threading.Event, paused: threading.Event) -> None:
    while not stop.is_set():
        if not paused.is_set():
            drain(huey)
        stop.wait(0.05)


@pytest.fixture
def stack(tmp_path: Path, database_url: str | None) -> Iterator[Stack]:
    """The real app on a free port, with a job worker thread."""
    import_root = tmp_path / "imports"
    import_root.mkdir()
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        import_roots=[import_root],
        embedded_worker=False,
    )
    runtime, huey = make_runtime(settings)
    upgrade(runtime.db.write_engine)
    app = create_app(settings, runtime=runtime)
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    serving = threading.Thread(target=server.run, daemon=True)
    serving.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    stop, paused = threading.Event(), threading.Event()
    worker = threading.Thread(target=_drain_loop, args=(huey, stop, paused), daemon=True)
    worker.start()
    yield Stack(
        url=f"http://127.0.0.1:{port}",
        runtime=runtime,
        huey=huey,
        import_root=import_root,
        worker_paused=paused,
    )
    stop.set()
    worker.join(timeout=30)
    server.should_exit = True
    serving.join(timeout=10)
    runtime.close()


@pytest.fixture
def owner(stack: Stack) -> Owner:
    """The first user, owner of the first organization."""
    return make_owner(stack, "owner@example.com", "Acme")


@pytest.fixture
def client(stack: Stack, owner: Owner) -> Iterator[Client]:
    """An SDK client authenticated as the owner."""
    with stack.client(owner.token) as c:
        yield c
