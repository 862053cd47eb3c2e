"""openapi.json at the repo root must match the running code (regenerate: `make openapi`)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from accord_server.cli import main

REPO = Path(__file__).resolve().parents[2]


def test_openapi_json_is_current() -> None:
    result = CliRunner().invoke(main, ["openapi"])
    assert result.exit_code == 0, result.output
    current = json.loads(result.output)
    checked_in = json.loads((REPO / "openapi.json").read_text())
    assert checked_in == current, "openapi.json is stale: run `make openapi` and commit it"
    assert "/api/v1/projects/{project_id}/next" in current["paths"]
