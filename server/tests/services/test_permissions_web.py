"""The web app's copy of the permission policy matches the server's POLICY."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from accord_server.services.permissions import POLICY

WEB = Path(__file__).resolve().parents[3] / "web"
WEB_POLICY = WEB / "src" / "features" / "auth" / "policy.json"


@pytest.mark.skipif(not WEB_POLICY.exists(), reason="the web app is not in this checkout")
def test_web_policy_matches_the_server() -> None:
    web = json.loads(WEB_POLICY.read_text(encoding="utf-8"))
    server = {role.value: sorted(a.value for a in actions) for role, actions in POLICY.items()}
    assert web == server, "web/src/features/auth/policy.json differs from permissions.POLICY"
