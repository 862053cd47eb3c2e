"""Organizations and members: invite, roles, the last owner, who may manage."""

from __future__ import annotations

from support import Factory, Stack


def test_members_lifecycle(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    org = owner.organization_id
    base = f"/api/v1/organizations/{org}/members"
    with stack.client(owner.token) as client:
        missing = client.post(base, json={"email": "new@example.com", "role": "annotator"})
        assert missing.status_code == 422 and missing.json()["details"]["field"] == "password"
        added = client.post(
            base, json={"email": "New@Example.com", "role": "annotator", "password": "long enough"}
        )
        assert added.status_code == 201 and added.json()["email"] == "new@example.com"
        uid = added.json()["user_id"]
        again = client.post(base, json={"email": "new@example.com", "role": "reviewer"})
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
    # An existing user is added without a password; an admin cannot make owners.
    other = factory.owner("Other")
    admin_token = factory.member(owner, "admin").token
    with stack.client(admin_token) as client:
        r = client.post(base, json={"email": other.email, "role": "owner"})
        assert r.status_code == 422 and "only an owner" in r.json()["message"]
        r = client.post(base, json={"email": other.email, "role": "manager"})
        assert r.status_code == 201
        assert client.delete(f"{base}/{owner.user.id}").status_code == 403
        assert client.delete(f"{base}/{uid}").status_code == 204
    with stack.client(owner.token) as client:
        emails = {m["email"] for m in client.get(base).json()}
    assert "new@example.com" not in emails and other.email in emails


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


def test_any_user_can_create_an_organization(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    annotator = factory.member(owner, "annotator")
    with stack.client(annotator.token) as client:
        created = client.post("/api/v1/organizations", json={"name": "Mine"})
        assert created.status_code == 201 and created.json()["role"] == "owner"
        assert len(client.get("/api/v1/organizations").json()) == 2
