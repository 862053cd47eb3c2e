"""A pytest plugin for mutation runs only (``-p mutation_plugin``, see tests/MUTATION.md).

The queue builds its statements once per process (``functools.cache``); a mutation tool that
maps each function to the tests that call it would then see the statement builders called by
the first test only, and a mutant in them would be tried against that one test. Emptying the
cache before each test makes every test build the statements again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from accord_server.services import queue


@pytest.fixture(autouse=True)
def _fresh_queue_statements() -> Iterator[None]:
    queue._queries.cache_clear()
    yield
