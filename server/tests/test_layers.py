"""The layer contracts in server/pyproject.toml hold, and `lint-imports` (run by `make lint`) fails
on a forbidden import: each case copies the source, adds one crossing and expects the contract
that names it to break."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SERVER = Path(__file__).resolve().parents[1]
REPO = SERVER.parent
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(server_src: Path, sdk_src: Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the contracts of server/pyproject.toml over the given source trees."""
    env = {**os.environ, "PYTHONPATH": f"{server_src}{os.pathsep}{sdk_src}"}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(SERVER / "pyproject.toml"), "--no-cache"],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_landed_code_keeps_every_contract(tmp_path: Path) -> None:
    result = lint_imports(SERVER / "src", REPO / "sdk" / "src", tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


CROSSINGS = [
    # (file to add the import to, the import, the contract that must break)
    ("accord_server/services/projects.py", "import fastapi", "Services speak no HTTP"),
    ("accord_server/services/tasks.py", "import accord_server.api.deps", "Services speak no HTTP"),
    ("accord_server/schemas/tasks.py", "import accord_server.db.models", "Wire schemas are a leaf"),
    ("accord_server/api/v1/tasks.py", "import sqlalchemy", "Routes query nothing themselves"),
    ("accord_server/db/models/tasks.py", "import accord_server.services.tasks", "Layers"),
    ("accord_server/jobs/imports.py", "import accord_server.db.models", "Jobs hold no domain work"),
    (
        "accord_server/jobs/runner.py",
        "import accord_server.adapters.storage",
        "Jobs hold no domain",
    ),
    ("accord_server/api/deps.py", "import accord_server.api.v1.tasks", "No import cycles"),
    ("accord/_client.py", "import accord_server", "The SDK never imports the server"),
]


@pytest.mark.parametrize(("path", "statement", "contract"), CROSSINGS)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, path: str, statement: str, contract: str
) -> None:
    server_src, sdk_src = tmp_path / "server", tmp_path / "sdk"
    shutil.copytree(SERVER / "src", server_src, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(REPO / "sdk" / "src", sdk_src, ignore=shutil.ignore_patterns("__pycache__"))
    target = (server_src if path.startswith("accord_server") else sdk_src) / path
    source = target.read_text()
    assert statement not in source
    # after the module docstring and `from __future__`, which must stay first
    head, sep, rest = source.partition("from __future__ import annotations\n")
    target.write_text(head + sep + statement + "\n" + rest if sep else statement + "\n" + source)

    result = lint_imports(server_src, sdk_src, tmp_path)
    assert result.returncode != 0, result.stdout
    broken = [line for line in result.stdout.splitlines() if line.rstrip().endswith("BROKEN")]
    assert any(line.startswith(contract) for line in broken), result.stdout
