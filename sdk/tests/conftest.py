"""SDK tests run against the real Accord server over real HTTP, on SQLite and on PostgreSQL.

The fixtures are the server's test plugin (``accord_server.testing.plugin``, shared with the
server's own tests): per test fresh settings and database, the app served by uvicorn on a free
port in a thread. Here ``stack`` also drains the job queue in a thread every 50 ms (what a worker
would do), so ``wait=True`` imports finish. PostgreSQL tests skip loudly when no server answers,
and fail instead under ACCORD_TEST_POSTGRES=required. The tests may import ``accord_server``; the
SDK package never does.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from accord_server.settings import Settings
from accord_server.testing import Factory, Member, Stack, running_stack
from support import client_for

from accord import Client

pytest_plugins = ["accord_server.testing.plugin"]


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    """The real app on a free port, with a thread running its jobs."""
    with running_stack(settings, background_jobs=True) as running:
        yield running


@pytest.fixture
def owner(factory: Factory) -> Member:
    """The first user, owner of the first organization."""
    return factory.owner("Acme")


@pytest.fixture
def client(stack: Stack, owner: Member) -> Iterator[Client]:
    """An SDK client authenticated as the owner."""
    with client_for(stack, owner.token) as c:
        yield c
