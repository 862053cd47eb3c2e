"""Connections the hot lane holds per thread (PostgreSQL): autocommit, replaced when they die,
closed at shutdown."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import Connection, Engine, create_engine, text
from sqlalchemy.exc import DBAPIError

from accord_server.db.engine import PING_AFTER_IDLE_SECONDS, ThreadConnections
from support import TEXT_SCHEMA, Factory, Stack

pytestmark = pytest.mark.parametrize("database_url", ["postgres"], indirect=True)


def _kill_all_but_mine(url: str) -> int:
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            return int(
                conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                    )
                ).scalar_one()
            )
    finally:
        admin.dispose()


def _backend(conn: Connection) -> int:
    return int(conn.exec_driver_sql("SELECT pg_backend_pid()").scalar_one())


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_engine(database_url)
    yield engine
    engine.dispose()


def test_one_connection_per_thread_in_autocommit(engine: Engine) -> None:
    held = ThreadConnections(engine)
    mine = held.connection()
    assert held.connection() is mine
    # Each statement its own transaction: now() (a transaction's start) moves between them.
    first = mine.exec_driver_sql("SELECT now()").scalar_one()
    time.sleep(0.01)
    assert mine.exec_driver_sql("SELECT now()").scalar_one() > first
    theirs: list[Connection] = []
    thread = threading.Thread(target=lambda: theirs.append(held.connection()))
    thread.start()
    thread.join()
    assert theirs[0] is not mine
    held.close()
    assert mine.closed and theirs[0].closed
    with pytest.raises(RuntimeError, match="closed"):
        held.connection()


def test_a_connection_that_died_while_idle_is_replaced(engine: Engine, database_url: str) -> None:
    held = ThreadConnections(engine)
    first = held.connection()
    before = _backend(first)
    assert _kill_all_but_mine(database_url) >= 1
    time.sleep(PING_AFTER_IDLE_SECONDS + 0.2)
    again = held.connection()  # checked first: idle past the ping time
    assert _backend(again) != before
    held.close()


def test_a_connection_that_failed_with_a_disconnect_is_replaced(
    engine: Engine, database_url: str
) -> None:
    held = ThreadConnections(engine)
    first = held.connection()
    before = _backend(first)
    _kill_all_but_mine(database_url)
    with pytest.raises(DBAPIError) as failed:
        first.exec_driver_sql("SELECT 1")  # used again at once: no check, it fails
    assert failed.value.connection_invalidated
    first.rollback()
    assert _backend(held.connection()) != before
    held.close()


def test_the_hot_path_survives_a_database_restart(
    stack: Stack, factory: Factory, database_url: str
) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT_SCHEMA)
    factory.import_tasks(owner, project["id"], [{"text": f"t{i}"} for i in range(4)])
    annotator = factory.member(owner, "annotator")
    with stack.client(annotator.token) as client:

        def next_and_submit(n: int) -> int:
            lease = client.post(f"/api/v1/projects/{project['id']}/next")
            if lease.status_code != 200:
                return lease.status_code
            task_id = lease.json()["task"]["id"]
            r = client.post(
                f"/api/v1/tasks/{task_id}/annotations", json={"id": f"a{n}", "result": []}
            )
            return r.status_code

        assert next_and_submit(1) == 201
        _kill_all_but_mine(database_url)  # what a restart does to every connection
        time.sleep(PING_AFTER_IDLE_SECONDS + 0.2)
        assert [next_and_submit(n) for n in (2, 3)] == [201, 201]
