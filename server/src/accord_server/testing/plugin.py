"""pytest plugin with the fixtures of Accord's test suites: a real database per test (a SQLite
file and PostgreSQL), settings, the running stack, factories, Redis and S3 (moto over HTTP).

Load it from a suite's top ``conftest.py``: ``pytest_plugins = ["accord_server.testing.plugin"]``.
PostgreSQL tests skip loudly when no server answers, and fail instead under
ACCORD_TEST_POSTGRES=required (as in CI). Likewise Redis with ACCORD_TEST_REDIS=required.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from accord_server.db.base import Base
from accord_server.db.migrate import upgrade
from accord_server.settings import Settings
from accord_server.testing.factory import Factory
from accord_server.testing.stack import Stack, running_stack

POSTGRES_URL = os.environ.get(
    "ACCORD_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("ACCORD_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def skip_or_fail(reason: str, env: str) -> None:
    """Skip loudly, or fail when the environment says the service is required."""
    if os.environ.get(env, "").lower() == "required":
        pytest.fail(f"{reason} (required because {env}=required)")
    pytest.skip(f"SKIPPED LOUDLY: {reason}; set {env}=required to make this a failure")


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
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test."""
    path = tmp_path_factory.mktemp("template") / "accord.db"
    engine = create_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A migrated PostgreSQL database for this test process (tables emptied per test)."""
    problem = _postgres_problem()
    if problem:
        skip_or_fail(
            f"PostgreSQL not reachable at {POSTGRES_URL} ({problem})", "ACCORD_TEST_POSTGRES"
        )
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"accord_test_{worker}_{os.getpid()}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_postgres(url: str) -> None:
    engine = create_engine(url)
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test that uses the database runs once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        path = tmp_path / "data" / "accord.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_database")
    yield url
    _truncate_postgres(url)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    """Settings for one test: its own data folder and database."""
    (tmp_path / "imports").mkdir()
    return Settings(
        data_dir=tmp_path / "data",
        database_url=database_url,
        import_roots=[tmp_path / "imports"],
        embedded_worker=False,
        # Webhook secrets are sealed with it; PostgreSQL deployments must give one.
        secret_key="accord-tests-secret-key-not-for-production",
    )


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    """The app served by uvicorn on a free port in a background thread; jobs run at
    ``stack.run_jobs()``."""
    with running_stack(settings) as running:
        yield running


@pytest.fixture
def factory(stack: Stack) -> Factory:
    """Factories bound to this test's stack."""
    return Factory(stack)


@pytest.fixture
def redis_url() -> str:
    """A Redis database for queue tests (skips loudly, or fails when required)."""
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        skip_or_fail(f"Redis not reachable at {REDIS_URL} ({exc})", "ACCORD_TEST_REDIS")
    return REDIS_URL


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 in server mode, over real HTTP on a free local port."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
