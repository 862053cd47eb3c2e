"""Client: configuration from arguments or the environment, me(), closing."""

from __future__ import annotations

import httpx
import pytest
from support import Member, Stack

from accord import Client


def test_reads_url_and_token_from_the_environment(
    stack: Stack, owner: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_URL", stack.url + "/api/v1/")
    monkeypatch.setenv("ACCORD_TOKEN", owner.token)
    with Client() as client:
        assert client.url == stack.url
        me = client.me()
    assert me.user.email == owner.email
    assert [m.organization_id for m in me.memberships] == [owner.organization_id]


def test_arguments_win_over_the_environment(
    stack: Stack, owner: Member, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACCORD_URL", "http://127.0.0.1:1")
    monkeypatch.setenv("ACCORD_TOKEN", "acc_wrong")
    with Client(stack.url, owner.token) as client:
        assert client.me().user.email == owner.email


def test_url_is_required(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACCORD_URL", raising=False)
    with pytest.raises(ValueError, match="ACCORD_URL"):
        Client()
    with pytest.raises(ValueError, match="http"):
        Client("localhost:8000")


def test_close(stack: Stack, owner: Member) -> None:
    client = Client(stack.url, owner.token)
    client.close()
    with pytest.raises(RuntimeError):
        client.me()
    assert repr(client) == f"Client(url={stack.url!r})"


def test_custom_transport_is_used(stack: Stack, owner: Member) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["Authorization"])
        return httpx.Response(
            200,
            json={
                "user": {"id": 7, "email": "mock@example.com", "name": "", "future_field": 1},
                "memberships": [],
            },
        )

    with Client("http://mock.invalid", "acc_token", transport=httpx.MockTransport(handler)) as c:
        me = c.me()
    assert seen == ["Bearer acc_token"]
    assert me.user.email == "mock@example.com"
    assert me.user.model_extra == {"future_field": 1}  # a newer server never breaks the SDK
