"""The connection pool survives connections that die while idle (a restarted database)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text

from accord_server.db.engine import PING_AFTER_IDLE_SECONDS
from support import Factory, Stack


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_connections_killed_while_idle_are_replaced_unseen(
    stack: Stack, factory: Factory, database_url: str
) -> None:
    owner = factory.owner()
    with stack.client(owner.token) as client:
        assert client.get("/api/v1/projects").status_code == 200
        # What a database restart does to the pool: every connection it holds is gone.
        admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            killed = conn.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar_one()
        admin.dispose()
        assert killed >= 1
        time.sleep(PING_AFTER_IDLE_SECONDS + 0.2)
        for _ in range(3):
            response = client.get("/api/v1/projects")
            assert response.status_code == 200, response.text
