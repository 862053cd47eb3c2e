"""Client.login / logout, and ``accord login``: a password login instead of an API token."""

from __future__ import annotations

import json

import httpx
import pytest
from support import PASSWORD, SCHEMA, Member, Stack

from accord import Client, InvalidRequest, RateLimited, Unauthenticated
from accord._cli import main


def _cookie_works(stack: Stack, cookies: httpx.Cookies) -> bool:
    with httpx.Client(base_url=stack.url, cookies=cookies) as raw:
        return raw.get("/api/v1/auth/me").status_code == 200


def test_login_reads_and_writes_as_that_user(stack: Stack, owner: Member, client: Client) -> None:
    client.organizations.add_member(
        owner.organization_id, "ann@example.com", "annotator", password=PASSWORD
    )
    project = client.projects.create("P", SCHEMA, overlap=1)
    client.imports.tasks(project.id, [{"image": "https://x/1.jpg"}], progress=False)

    with Client.login(stack.url, "ann@example.com", PASSWORD) as ann:
        me = ann.me()
        assert me.user.email == "ann@example.com"
        assert [(m.organization_id, m.role) for m in me.memberships] == [
            (owner.organization_id, "annotator")
        ]
        # Writes pass the server's CSRF check for cookie sessions.
        lease = ann.queue.next(project.id)
        assert lease is not None
        ann.annotations.submit(
            lease.task.id,
            [
                {
                    "id": "r1",
                    "tool": "objects",
                    "type": "bbox",
                    "label": "car",
                    "geometry": {"x": 1, "y": 2, "width": 3, "height": 4},
                }
            ],
        )
    assert client.projects.progress(project.id).completed == 1


def test_wrong_password_raises_and_holds_nothing(stack: Stack, owner: Member) -> None:
    with pytest.raises(Unauthenticated) as caught:
        Client.login(stack.url, owner.email, "not the password")
    assert caught.value.status_code == 401
    assert "password" in str(caught.value).lower()


def test_logout_ends_the_session(stack: Stack, owner: Member) -> None:
    client = Client.login(stack.url, owner.email, owner.password)
    cookies = httpx.Cookies(client._http.client.cookies)
    assert _cookie_works(stack, cookies)
    client.logout()
    assert not _cookie_works(stack, cookies), "the server still honours the old session"
    with pytest.raises(Unauthenticated):
        client.me()
    client.logout()  # twice is harmless
    client.close()


def test_close_ends_the_session_too(stack: Stack, owner: Member) -> None:
    with Client.login(stack.url, owner.email, owner.password) as client:
        cookies = httpx.Cookies(client._http.client.cookies)
        assert _cookie_works(stack, cookies)
    assert not _cookie_works(stack, cookies)


def test_login_ignores_a_token_in_the_environment(
    stack: Stack, owner: Member, client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    client.organizations.add_member(
        owner.organization_id, "other@example.com", "annotator", password=PASSWORD
    )
    monkeypatch.setenv("ACCORD_URL", stack.url)
    monkeypatch.setenv("ACCORD_TOKEN", owner.token)
    with Client.login(None, "other@example.com", PASSWORD) as other:
        assert other.me().user.email == "other@example.com"


def test_cli_login_prints_a_working_token(
    stack: Stack, owner: Member, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ACCORD_URL", stack.url)
    monkeypatch.delenv("ACCORD_TOKEN", raising=False)
    monkeypatch.setenv("ACCORD_PASSWORD", owner.password)
    assert main(["login", "--email", owner.email, "--name", "laptop"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["name"] == "laptop"
    with Client(stack.url, created["token"]) as client:
        assert client.me().user.email == owner.email
        assert "laptop" in [t.name for t in client.tokens.list()]

    monkeypatch.setenv("ACCORD_PASSWORD", "wrong")
    assert main(["login", "--email", owner.email]) == 1
    assert "accord:" in capsys.readouterr().err


def test_change_password(stack: Stack, owner: Member, client: Client) -> None:
    with pytest.raises(InvalidRequest) as caught:
        client.change_password("not the password", "a new passphrase")
    assert "current_password" in str(caught.value)
    with pytest.raises(InvalidRequest) as common:
        client.change_password(owner.password, "password123")
    assert common.value.details == {"field": "new_password", "reason": "common"}
    client.change_password(owner.password, "a new passphrase")
    assert client.me().user.email == owner.email  # the token still works
    with pytest.raises(Unauthenticated):
        Client.login(stack.url, owner.email, owner.password)
    with Client.login(stack.url, owner.email, "a new passphrase") as again:
        assert again.me().user.email == owner.email


def test_change_password_revoking_every_token(stack: Stack, owner: Member, client: Client) -> None:
    with Client.login(stack.url, owner.email, owner.password) as browser:
        browser.change_password(owner.password, "a new passphrase", revoke_tokens=True)
        assert browser.me().user.email == owner.email  # this login stays
        assert all(t.revoked_at is not None for t in browser.tokens.list())
    with pytest.raises(Unauthenticated):
        client.me()


def test_too_many_wrong_passwords_must_wait(stack: Stack, owner: Member) -> None:
    refused = None
    for _ in range(stack.settings.login_free_failures + 4):  # one wait may pass on a slow machine
        try:
            Client.login(stack.url, owner.email, "not the password")
        except Unauthenticated:
            continue
        except RateLimited as exc:
            refused = exc
            break
    assert refused is not None, "never asked to wait"
    assert refused.retry_after is not None and refused.retry_after >= 1
    assert refused.details["limited"] == "account"


def test_set_name(client: Client, owner: Member) -> None:
    me = client.set_name(" Ann ")
    assert me.user.name == "Ann" and client.me().user.name == "Ann"
    with pytest.raises(InvalidRequest):
        client.set_name("x" * 201)
