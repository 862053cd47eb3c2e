"""Password login with session cookie and CSRF, API tokens, rate limiting."""

from __future__ import annotations

import time
from datetime import datetime

from sqlalchemy import select, update

from accord_server.db.base import utcnow
from accord_server.db.models import ApiToken, User, UserSession
from accord_server.settings import Settings
from support import Factory, Stack, running_stack


def test_login_sets_httponly_samesite_cookie_and_csrf_protects_writes(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    with stack.client() as client:
        response = client.post(
            "/api/v1/auth/login", json={"email": owner.email.upper(), "password": owner.password}
        )
        assert response.status_code == 200, response.text
        cookies = response.headers.get_list("set-cookie")
        session_cookie = next(c for c in cookies if c.startswith("accord_session="))
        assert "HttpOnly" in session_cookie and "SameSite=lax" in session_cookie
        csrf = response.json()["csrf_token"]
        assert csrf and response.json()["user"]["email"] == owner.email
        assert client.get("/api/v1/auth/me").status_code == 200
        body = {
            "name": "P",
            "label_schema": {
                "media": "text",
                "tools": [{"name": "t", "type": "classification", "choices": ["a", "b"]}],
            },
        }
        refused = client.post("/api/v1/projects", json=body)
        assert refused.status_code == 403
        assert refused.json()["details"] == {"reason": "csrf"}
        wrong = client.post("/api/v1/projects", json=body, headers={"X-CSRF-Token": "nope"})
        assert wrong.status_code == 403
        ok = client.post("/api/v1/projects", json=body, headers={"X-CSRF-Token": csrf})
        assert ok.status_code == 201, ok.text
        assert client.post("/api/v1/auth/logout", headers={"X-CSRF-Token": csrf}).status_code == 204
        assert client.get("/api/v1/auth/me").status_code == 401


def test_session_secret_is_stored_hashed(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    with stack.client() as client:
        client.post("/api/v1/auth/login", json={"email": owner.email, "password": owner.password})
        cookie = client.cookies["accord_session"]
    with stack.runtime.db.session() as session:
        stored = session.scalars(select(UserSession.token_hash)).all()
    assert stored and cookie not in stored


def test_wrong_password_and_unknown_email_look_the_same(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    with stack.client() as client:
        a = client.post("/api/v1/auth/login", json={"email": owner.email, "password": "wrong!!!"})
        b = client.post("/api/v1/auth/login", json={"email": "nobody@x.io", "password": "x"})
    assert a.status_code == b.status_code == 401
    assert (
        a.json()
        == b.json()
        == {"code": "unauthenticated", "message": "wrong email or password", "details": {}}
    )


def test_api_token_shown_once_stored_hashed_and_revocable(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    with stack.client(owner.token) as client:
        created = client.post("/api/v1/auth/tokens", json={"name": "ci"})
        assert created.status_code == 201
        secret = created.json()["token"]
        assert secret.startswith("acc_")
        listed = client.get("/api/v1/auth/tokens").json()
        assert all("token" not in t for t in listed)
        assert {t["name"] for t in listed} == {"test", "ci"}
    with stack.runtime.db.session() as session:
        hashes = session.scalars(select(ApiToken.token_hash)).all()
    assert secret not in hashes
    with stack.client(secret) as client:
        assert client.get("/api/v1/auth/me").json()["user"]["email"] == owner.email
        token_id = created.json()["id"]
        assert client.delete(f"/api/v1/auth/tokens/{token_id}").json()["revoked_at"]
        after = client.get("/api/v1/auth/me")
    assert after.status_code == 401
    assert after.json()["message"] == "invalid or revoked API token"


def _login(client: object, email: str, password: str) -> str:
    response = client.post(  # type: ignore[attr-defined]
        "/api/v1/auth/login", json={"email": email, "password": password}
    )
    assert response.status_code == 200, response.text
    return str(response.json()["csrf_token"])


def test_password_change_ends_other_logins_keeps_this_one_and_the_tokens(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    new = "a brand new passphrase"
    with stack.client() as laptop, stack.client() as phone, stack.client(owner.token) as script:
        csrf = _login(laptop, owner.email, owner.password)
        _login(phone, owner.email, owner.password)
        assert phone.get("/api/v1/auth/me").status_code == 200  # remembered by the cache now
        changed = laptop.post(
            "/api/v1/auth/password",
            json={"current_password": owner.password, "new_password": new},
            headers={"X-CSRF-Token": csrf},
        )
        assert changed.status_code == 204, changed.text
        assert laptop.get("/api/v1/auth/me").status_code == 200
        assert phone.get("/api/v1/auth/me").status_code == 401
        assert script.get("/api/v1/auth/me").status_code == 200
        old = phone.post(
            "/api/v1/auth/login", json={"email": owner.email, "password": owner.password}
        )
        assert old.status_code == 401
        _login(phone, owner.email, new)


def test_password_change_refuses_a_wrong_current_password_and_a_short_new_one(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    with stack.client(owner.token) as client:
        wrong = client.post(
            "/api/v1/auth/password",
            json={"current_password": "not it at all", "new_password": "long enough now"},
        )
        assert wrong.status_code == 422
        assert wrong.json() == {
            "code": "invalid",
            "message": "current_password: wrong password",
            "details": {"field": "current_password", "reason": "wrong"},
        }
        short = client.post(
            "/api/v1/auth/password",
            json={"current_password": owner.password, "new_password": "short"},
        )
        assert short.status_code == 422
        assert short.json()["message"] == "new_password: must be at least 8 characters"
    with stack.client() as client:
        _login(client, owner.email, owner.password)  # unchanged


def test_password_guesses_share_the_login_limit(settings: Settings) -> None:
    waits = {"login_delay_seconds": 60, "login_max_delay_seconds": 60}
    with running_stack(settings.model_copy(update=waits)) as stack:
        owner = Factory(stack).owner()
        free = stack.settings.login_free_failures
        with stack.client(owner.token) as client:
            # A new password that breaks the rules is refused before any guess is counted.
            for _ in range(free + 2):
                common = client.post(
                    "/api/v1/auth/password",
                    json={"current_password": "guess guess", "new_password": "password123"},
                )
                assert common.status_code == 422
                assert common.json()["details"] == {"field": "new_password", "reason": "common"}
            for _ in range(free):
                r = client.post(
                    "/api/v1/auth/password",
                    json={"current_password": "guess guess", "new_password": "whatever it is"},
                )
                assert r.status_code == 422, r.text
            right = client.post(
                "/api/v1/auth/password",
                json={"current_password": owner.password, "new_password": "whatever it is"},
            )
            assert right.status_code == 429
            assert right.json()["details"]["limited"] == "account"
        with stack.client() as client:
            blocked = client.post(
                "/api/v1/auth/login", json={"email": owner.email, "password": owner.password}
            )
        assert blocked.status_code == 429


def test_password_change_can_revoke_every_api_token(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    new = "a brand new passphrase"
    other_token = factory.token_for(owner.email, "laptop script")
    with stack.client() as laptop, stack.client() as phone, stack.client(owner.token) as script:
        csrf = _login(laptop, owner.email, owner.password)
        _login(phone, owner.email, owner.password)
        assert script.get("/api/v1/auth/me").status_code == 200  # remembered by the cache now
        changed = laptop.post(
            "/api/v1/auth/password",
            json={"current_password": owner.password, "new_password": new, "revoke_tokens": True},
            headers={"X-CSRF-Token": csrf},
        )
        assert changed.status_code == 204, changed.text
        assert laptop.get("/api/v1/auth/me").status_code == 200  # this login stays
        assert phone.get("/api/v1/auth/me").status_code == 401
        assert script.get("/api/v1/auth/me").status_code == 401
        tokens = laptop.get("/api/v1/auth/tokens").json()
        assert len(tokens) == 2 and all(t["revoked_at"] for t in tokens)
    with stack.client(other_token) as client:
        assert client.get("/api/v1/auth/me").status_code == 401
    # A token client may revoke the tokens too, its own included.
    fresh = factory.token_for(owner.email, "fresh")
    with stack.client(fresh) as client:
        changed = client.post(
            "/api/v1/auth/password",
            json={
                "current_password": new,
                "new_password": "yet another phrase",
                "revoke_tokens": True,
            },
        )
        assert changed.status_code == 204, changed.text
        assert client.get("/api/v1/auth/me").status_code == 401


def test_new_passwords_must_not_be_common_or_the_email(stack: Stack, factory: Factory) -> None:
    # Before: 12345678, password and the user's own email were all accepted.
    owner = factory.member(factory.owner(), "annotator")  # annotator2@example.com
    local = owner.email.split("@")[0]
    refused = {
        "12345678": "common",
        "password": "common",
        "Password1!": "common",
        "iloveyou2026": "common",
        owner.email: "email",
        owner.email.upper(): "email",
        local: "email",
        f"{local.title()}2026!": "email",
        "Annotator 2": "email",
    }
    with stack.client(owner.token) as client:
        for password, reason in refused.items():
            r = client.post(
                "/api/v1/auth/password",
                json={"current_password": owner.password, "new_password": password},
            )
            assert r.status_code == 422, password
            body = r.json()
            assert body["details"] == {"field": "new_password", "reason": reason}, password
            assert body["message"].startswith("new_password: "), body
        ok = client.post(
            "/api/v1/auth/password",
            json={"current_password": owner.password, "new_password": "plum tree at dusk"},
        )
        assert ok.status_code == 204, ok.text


def test_a_token_shows_when_it_was_last_used(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    with stack.client(owner.token) as client:
        created = client.post("/api/v1/auth/tokens", json={"name": "ci"}).json()
        assert created["last_used_at"] is None
        before = utcnow()
        with stack.client(created["token"]) as ci:
            assert ci.get("/api/v1/auth/me").status_code == 200
        deadline = time.monotonic() + 10
        while True:  # written by a background thread, so that no request waits for it
            listed = {t["name"]: t for t in client.get("/api/v1/auth/tokens").json()}
            if listed["ci"]["last_used_at"] is not None:
                break
            assert time.monotonic() < deadline, "last_used_at was never written"
            time.sleep(0.05)
    used = datetime.fromisoformat(listed["ci"]["last_used_at"])
    assert before <= used <= utcnow()


def test_users_set_their_display_name(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    with stack.client(owner.token) as client:
        changed = client.patch("/api/v1/auth/me", json={"name": "  Ann Lee "})
        assert changed.status_code == 200, changed.text
        assert changed.json()["user"]["name"] == "Ann Lee"
        members = client.get(f"/api/v1/organizations/{owner.organization_id}/members").json()
        assert [m["name"] for m in members] == ["Ann Lee"]
        assert client.patch("/api/v1/auth/me", json={"name": ""}).json()["user"]["name"] == ""
        too_long = client.patch("/api/v1/auth/me", json={"name": "x" * 201})
        assert too_long.status_code == 422 and too_long.json()["message"].startswith("name")
    with stack.client() as browser:  # a login session: the write needs its CSRF token
        csrf = _login(browser, owner.email, owner.password)
        assert browser.patch("/api/v1/auth/me", json={"name": "B"}).status_code == 403
        ok = browser.patch("/api/v1/auth/me", json={"name": "B"}, headers={"X-CSRF-Token": csrf})
        assert ok.json()["user"]["name"] == "B" and ok.json()["csrf_token"] == csrf


def _revoke_behind_the_apis_back(stack: Stack) -> None:
    # As another API process would: the database changes, this process is not told.
    with stack.runtime.db.transaction() as session:
        session.execute(update(ApiToken).values(revoked_at=utcnow()))


def test_token_revoked_by_another_process_stops_working_within_the_cache_time(
    settings: Settings,
) -> None:
    with running_stack(settings.model_copy(update={"auth_cache_seconds": 2})) as stack:
        owner = Factory(stack).owner()
        with stack.client(owner.token) as client:
            assert client.get("/api/v1/auth/me").status_code == 200
            _revoke_behind_the_apis_back(stack)
            revoked_at = time.monotonic()
            # Remembered: this process does not look the token up again at once...
            assert client.get("/api/v1/auth/me").status_code == 200
            # ... but within auth_cache_seconds.
            while (status := client.get("/api/v1/auth/me").status_code) == 200:
                assert time.monotonic() - revoked_at < 5, "the revoked token kept working"
                time.sleep(0.05)
    assert status == 401


def test_without_the_cache_a_revoked_token_fails_at_once(settings: Settings) -> None:
    with running_stack(settings.model_copy(update={"auth_cache_seconds": 0})) as stack:
        owner = Factory(stack).owner()
        with stack.client(owner.token) as client:
            assert client.get("/api/v1/auth/me").status_code == 200
            _revoke_behind_the_apis_back(stack)
            assert client.get("/api/v1/auth/me").status_code == 401


def test_a_remembered_token_still_reads_the_user_fresh(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    with stack.client(owner.token) as client:
        assert client.get("/api/v1/auth/me").json()["user"]["name"] == ""
        with stack.runtime.db.transaction() as session:
            session.execute(update(User).where(User.id == owner.user.id).values(name="Ada"))
        # The token is remembered (stack default: 5 s); the user's fields are not.
        assert client.get("/api/v1/auth/me").json()["user"]["name"] == "Ada"


def test_no_credentials_is_401(stack: Stack) -> None:
    with stack.client() as client:
        r = client.get("/api/v1/projects")
    assert r.status_code == 401 and r.json()["code"] == "unauthenticated"


def test_preferences_are_kept_per_user(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    other = factory.member(owner, "annotator")
    keymap = {"keymap": {"tool.rectangle": ["G"], "history.undo": ["Ctrl+Z", "Alt+Z"]}}
    with stack.client(owner.token) as client:
        assert client.get("/api/v1/auth/preferences").json() == {}
        saved = client.put("/api/v1/auth/preferences", json=keymap)
        assert saved.status_code == 200 and saved.json() == keymap
        assert client.get("/api/v1/auth/preferences").json() == keymap
        bad = client.put("/api/v1/auth/preferences", json={"keymap": {"tool.rectangle": "G"}})
        assert bad.status_code == 422 and bad.json()["details"]["field"] == "keymap"
        huge = client.put("/api/v1/auth/preferences", json={"notes": "x" * 70_000})
        assert huge.status_code == 422
        assert client.get("/api/v1/auth/preferences").json() == keymap
    with stack.client(other.token) as client:
        assert client.get("/api/v1/auth/preferences").json() == {}
