"""The shared test support (``accord_server.testing``): production code never imports it, and its
fixtures skip loudly when PostgreSQL or Redis do not answer, or fail when they are required."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import accord_server
from support import free_port

SRC = Path(accord_server.__file__).parent


def imported_modules(source: str, package: str) -> set[str]:
    """Every module a file of ``package`` imports, anywhere in it, relative imports resolved."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def test_imported_modules_resolves_relative_and_nested_imports() -> None:
    source = "def f():\n    from ..testing import stack\n    import accord_server.testing\n"
    found = imported_modules(source, "accord_server.services")
    assert {"accord_server.testing.stack", "accord_server.testing"} <= found


def test_nothing_in_the_server_imports_the_test_support() -> None:
    modules = [p for p in SRC.rglob("*.py") if p.relative_to(SRC).parts[0] != "testing"]
    assert len(modules) > 50
    offenders = []
    for path in modules:
        package = ".".join(path.relative_to(SRC.parent).parts[:-1])
        if any(
            m.startswith("accord_server.testing")
            for m in imported_modules(path.read_text(), package)
        ):
            offenders.append(str(path.relative_to(SRC)))
    assert offenders == []


INNER_TESTS = """
def test_a_database(database_url):
    assert database_url

def test_redis(redis_url):
    assert redis_url
"""


@pytest.mark.parametrize("required", [False, True], ids=["optional", "required"])
def test_unreachable_services_skip_loudly_or_fail_when_required(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, required: bool
) -> None:
    closed = free_port()
    monkeypatch.setenv(
        "ACCORD_TEST_POSTGRES_URL", f"postgresql+psycopg://postgres@127.0.0.1:{closed}/test"
    )
    monkeypatch.setenv("ACCORD_TEST_REDIS_URL", f"redis://127.0.0.1:{closed}/15")
    for name in ("ACCORD_TEST_POSTGRES", "ACCORD_TEST_REDIS"):
        monkeypatch.setenv(name, "required" if required else "")
    pytester.makepyfile(INNER_TESTS)
    result = pytester.runpytest_subprocess("-p", "accord_server.testing.plugin", "-rsE")
    if required:
        result.assert_outcomes(passed=1, errors=2)  # SQLite passes; PostgreSQL and Redis fail
        result.stdout.fnmatch_lines(
            [
                f"*PostgreSQL not reachable at *:{closed}/test*"
                "(required because ACCORD_TEST_POSTGRES=required)*",
                f"*Redis not reachable at *:{closed}/15*"
                "(required because ACCORD_TEST_REDIS=required)*",
            ],
            consecutive=False,
        )
    else:
        result.assert_outcomes(passed=1, skipped=2)
        result.stdout.fnmatch_lines(
            [
                f"SKIPPED*SKIPPED LOUDLY: PostgreSQL not reachable at *:{closed}/test*",
                f"SKIPPED*SKIPPED LOUDLY: Redis not reachable at *:{closed}/15*",
            ],
            consecutive=False,
        )
