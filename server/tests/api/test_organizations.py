"""Organizations and members: invite, roles, the last owner, who may manage."""

from __future__ import annotations

import time
from typing import Any

import httpx

from accord_server.services import accounts
from support import Factory, Stack


def test_members_lifecycle(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    org = owner.organization_id
    base = f"/api/v1/organizations/{org}/members"
    with stack.client(owner.token) as client:
        missing = client.post(base, json={"email": "new@example.com", "role": "annotator"})
        assert missing.status_code == 422 and missing.json()["message"].startswith("password")
        added = client.post(
            base, json={"email": "New@Example.com", "role": "annotator", "password": "long enough"}
        )
        assert added.status_code == 201
        assert added.json() == {"email": "new@example.com", "role": "annotator"}
        listed = {m["email"]: m["user_id"] for m in client.get(base).json()}
        uid = listed["new@example.com"]
        again = client.post(
            base, json={"email": "new@example.com", "role": "reviewer", "password": "long enough"}
        )
        assert again.status_code == 409
        bad_role = client.patch(f"{base}/{uid}", json={"role": "emperor"})
        assert bad_role.status_code == 422
        assert client.patch(f"{base}/{uid}", json={"role": "admin"}).json()["role"] == "admin"
        last = client.patch(f"{base}/{owner.user.id}", json={"role": "manager"})
        assert last.status_code == 409 and "last owner" in last.json()["message"]
        assert client.delete(f"{base}/{owner.user.id}").status_code == 409
    # The new member logs in with the password they were given.
    with stack.client() as client:
        login = client.post(
            "/api/v1/auth/login", json={"email": "new@example.com", "password": "long enough"}
        )
        assert login.status_code == 200
        assert login.json()["memberships"] == [
            {"organization_id": org, "organization_name": "Org 1", "role": "admin"}
        ]
    # An existing user keeps their own password; an admin cannot make owners.
    other = factory.owner("Other")
    admin_token = factory.member(owner, "admin").token
    with stack.client(admin_token) as client:
        r = client.post(base, json={"email": other.email, "role": "owner", "password": "ignored!"})
        assert r.status_code == 422 and "only an owner" in r.json()["message"]
        r = client.post(
            base, json={"email": other.email, "role": "manager", "password": "not theirs"}
        )
        assert r.status_code == 201
        assert client.delete(f"{base}/{owner.user.id}").status_code == 403
        assert client.delete(f"{base}/{uid}").status_code == 204
    with stack.client(owner.token) as client:
        emails = {m["email"] for m in client.get(base).json()}
    assert "new@example.com" not in emails and other.email in emails
    with stack.client() as client:
        theirs = {"email": other.email, "password": other.password}
        assert client.post("/api/v1/auth/login", json=theirs).status_code == 200
        given = {"email": other.email, "password": "not theirs"}
        assert client.post("/api/v1/auth/login", json=given).status_code == 401


def test_annotators_cannot_list_or_manage_members(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    annotator = factory.member(owner, "annotator")
    base = f"/api/v1/organizations/{owner.organization_id}/members"
    with stack.client(annotator.token) as client:
        assert client.get(base).status_code == 403
        r = client.post(
            base, json={"email": "x@example.com", "role": "annotator", "password": "long enough"}
        )
        assert r.status_code == 403
        orgs = client.get("/api/v1/organizations").json()
        assert [(o["id"], o["role"]) for o in orgs] == [(owner.organization_id, "annotator")]


def test_an_admin_of_the_server_creates_organizations_and_owns_them(
    stack: Stack, factory: Factory
) -> None:
    # Any user could before (issue 13, finding 1); see also test_import_sources.py.
    owner = factory.owner()
    annotator = factory.member(owner, "annotator")
    with stack.client(annotator.token) as client:
        assert client.post("/api/v1/organizations", json={"name": "Mine"}).status_code == 403
    with stack.runtime.db.transaction() as session:
        session.merge(annotator.user).is_server_admin = True
    with stack.client(annotator.token) as client:
        created = client.post("/api/v1/organizations", json={"name": "Mine"})
        assert created.status_code == 201 and created.json()["role"] == "owner"
        assert len(client.get("/api/v1/organizations").json()) == 2


def _add(client: httpx.Client, org: int, **body: Any) -> tuple[int, Any, float]:
    started = time.perf_counter()
    r = client.post(f"/api/v1/organizations/{org}/members", json=body)
    answer = r.json()
    if isinstance(answer, dict) and answer.get("email") == body["email"]:
        answer["email"] = "<the email>"
    return r.status_code, answer, time.perf_counter() - started


def test_adding_a_member_does_not_tell_whether_the_email_has_an_account(
    stack: Stack, factory: Factory
) -> None:
    # Before: an admin adding bob@ without a password got 201 when Bob had an account elsewhere
    # and "bob@... has no account yet" otherwise; with a password, the answer carried Bob's own
    # name and an older user id. The admin learned who uses this server.
    admin = factory.owner("Curious")
    elsewhere = factory.owner("Elsewhere")  # an account, in another organization
    with stack.runtime.db.transaction() as session:
        accounts.set_name(session, user=session.merge(elsewhere.user), name="Bob Private")
    existing = elsewhere.email
    with stack.runtime.db.transaction() as session:
        session.merge(admin.user).is_server_admin = True  # to create the organizations below
    with stack.client(admin.token) as client:

        def both(org: int, new: str, **body: Any) -> tuple[Any, Any, float, float]:
            a = _add(client, org, email=existing, **body)
            b = _add(client, org, email=new, **body)
            return a[:2], b[:2], a[2], b[2]

        org = admin.organization_id
        a, b, *_ = both(org, "new0@example.com", role="annotator")  # no password
        assert a == b and a[0] == 422, (a, b)
        a, b, *_ = both(org, "new0@example.com", role="annotator", password="12345678")
        assert a == b and a[0] == 422, (a, b)
        a, b, *_ = both(org, "new0@example.com", role="annotator", name="B", password="kite 77 7")
        assert a == b == (201, {"email": "<the email>", "role": "annotator"}), (a, b)
        # The same work either way: the password is hashed even when it is not used (without
        # that, adding an existing account took a few ms against half a second here).
        times: list[tuple[float, float]] = []
        for i in range(1, 4):
            fresh = client.post("/api/v1/organizations", json={"name": f"O{i}"}).json()["id"]
            a, b, t_existing, t_new = both(
                fresh, f"new{i}@example.com", role="reviewer", password="plum tree 9"
            )
            assert a == b == (201, {"email": "<the email>", "role": "reviewer"})
            times.append((t_existing, t_new))
    existing_time, new_time = min(t for t, _ in times), min(t for _, t in times)
    assert existing_time > 0.3 * new_time, times
