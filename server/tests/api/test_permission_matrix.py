"""The role × endpoint matrix over real HTTP: every v1 endpoint, called by every kind of caller,
answers the status that ``services.permissions`` and the visibility rules call for.

Callers: the five organization roles, the owner of another organization (``outsider``: 404,
never 403, for anything of this organization) and a caller with no credentials (401).

Shape: one test per caller (× SQLite and PostgreSQL), each building its own fresh
organization, project, tasks, annotations and job (``_world``) and then calling every row of
``CASES`` in order, collecting every cell that differs so one run reports them all. A row that
changes or destroys what it touches gets a fresh target of its own (a spare task, a new
project, member, token or job), so the rows do not depend on one another. One data set per
test instead of per cell keeps the 60-odd rows × 7 callers to 14 tests (a cell is one request).
``test_every_route_is_in_the_matrix`` fails when an endpoint is added without a row.
"""

from __future__ import annotations

import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from accord_server.api.v1 import v1_routes
from accord_server.db.models import Annotation, Assignment
from scenarios import box, lease
from support import TEXT_SCHEMA, Factory, Member, Stack

OWNER, ADMIN, MANAGER, REVIEWER, ANNOTATOR = "owner", "admin", "manager", "reviewer", "annotator"
OUTSIDER, ANONYMOUS = "outsider", "anonymous"
ROLES = (OWNER, ADMIN, MANAGER, REVIEWER, ANNOTATOR)
CALLERS = (*ROLES, OUTSIDER, ANONYMOUS)
ADMINS = {OWNER, ADMIN}
MANAGERS = {OWNER, ADMIN, MANAGER}
REVIEWERS = {OWNER, ADMIN, MANAGER, REVIEWER}
MEMBERS = set(ROLES)
ANYONE = {*ROLES, OUTSIDER}


def expect(ok: int, allowed: set[str], denied: int = 403, **others: int) -> dict[str, int]:
    """``ok`` for the ``allowed`` callers, ``denied`` for the other members, 404 for the outsider
    (unless allowed), 401 without credentials; ``others`` overrides single callers."""
    table = {role: ok if role in allowed else denied for role in ROLES}
    table[OUTSIDER] = ok if OUTSIDER in allowed else 404
    table[ANONYMOUS] = 401
    table.update(others)
    return table


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), "green").save(out, format="PNG")
    return out.getvalue()


@dataclass
class World:
    """One organization with a member of each role, a blind project with tasks, an annotator's
    work in it, a finished job; and another organization's owner."""

    stack: Stack
    factory: Factory
    members: dict[str, Member]
    other: Member  # a second annotator, whose work the callers look at
    outsider: Member
    outsider_project: int
    org: int
    project: int
    media: str
    others_task: int
    others_annotation: int
    job: int
    export: int
    version: int
    source: int
    spares: list[int]
    counter: itertools.count[int] = field(default_factory=itertools.count)

    def caller(self, name: str) -> Member | None:
        if name == ANONYMOUS:
            return None
        return self.outsider if name == OUTSIDER else self.members[name]

    def client(self, name: str) -> httpx.Client:
        member = self.caller(name)
        return self.stack.client(None if member is None else member.token)

    def spare_task(self) -> int:
        """A task nobody was handed yet, for a row that changes or deletes it."""
        return self.spares.pop()

    def own_task(self, name: str) -> int:
        """A task the caller holds under a lease (another's for callers who cannot lease)."""
        member = self.caller(name)
        if member is None or name == OUTSIDER:
            return self.others_task
        return int(lease(self.stack, member, self.project)["task"]["id"])

    def own_annotation(self, name: str) -> int:
        """An annotation of the caller's own (another's for callers who cannot make one)."""
        member = self.caller(name)
        if member is None or name == OUTSIDER:
            return self.others_annotation
        return self.annotation_by(member)

    def annotation_by(self, member: Member) -> int:
        """A fresh annotation of ``member``'s, on a task the queue hands them."""
        task = int(lease(self.stack, member, self.project)["task"]["id"])
        with self.stack.client(member.token) as client:
            made = client.post(
                f"/api/v1/tasks/{task}/annotations",
                json={"id": f"own-{next(self.counter)}", "result": [box()]},
            )
        assert made.status_code == 201, made.text
        return int(made.json()["id"])

    def reported_task(self, name: str) -> int:
        """A task with an open report: the caller's own, reported by them (another's, reported
        by the other annotator, for callers who cannot hold one)."""
        member = self.caller(name)
        if member is None or name == OUTSIDER:
            member, task = self.other, self.others_task
        else:
            task = self.own_task(name)
        with self.stack.client(member.token) as client:
            made = client.post(f"/api/v1/tasks/{task}/reports", json={"reason": "other"})
        assert made.status_code in (200, 201), made.text
        return task

    def new_member(self, role: str) -> int:
        """A fresh member of the organization with ``role``; their user id."""
        return self.factory.member(self.members[OWNER], role).user.id

    def new_project(self) -> int:
        return int(self.factory.project(self.members[OWNER])["id"])

    def queued_job(self) -> int:
        """An import job of the owner's, queued (not run)."""
        with self.stack.client(self.members[OWNER].token) as client:
            made = client.post(
                f"/api/v1/projects/{self.project}/imports", json={"tasks": [{"image": "q.png"}]}
            )
        assert made.status_code == 202, made.text
        return int(made.json()["id"])

    def webhook(self) -> int:
        """A fresh webhook of the organization, made by its owner."""
        with self.stack.client(self.members[OWNER].token) as client:
            made = client.post(
                f"/api/v1/organizations/{self.org}/webhooks",
                json={"url": "https://93.184.215.14/hook", "events": ["task.completed"]},
            )
        assert made.status_code == 201, made.text
        return int(made.json()["id"])

    def delivery(self) -> int:
        """A delivery (a queued ping) of a fresh webhook of the organization."""
        with self.stack.client(self.members[OWNER].token) as client:
            made = client.post(f"/api/v1/webhooks/{self.webhook()}/ping")
        assert made.status_code == 202, made.text
        return int(made.json()["id"])

    def finished_export(self) -> int:
        """A fresh export of the owner's, run to the end."""
        with self.stack.client(self.members[OWNER].token) as client:
            made = client.post(f"/api/v1/projects/{self.project}/exports", json={"format": "csv"})
            assert made.status_code == 202, made.text
            self.stack.run_jobs()
        return int(made.json()["id"])

    def fresh_version(self) -> int:
        """A fresh dataset version of the owner's, frozen."""
        return _version(self.stack, self.members[OWNER], self.project)

    def token_of(self, member: Member) -> int:
        """A fresh API token id of ``member``."""
        with self.stack.client(member.token) as client:
            made = client.post("/api/v1/auth/tokens", json={"name": f"t{next(self.counter)}"})
        assert made.status_code == 201, made.text
        return int(made.json()["id"])


def _export(stack: Stack, owner: Member, project: int) -> int:
    """A finished export of the project, by its owner."""
    with stack.client(owner.token) as client:
        made = client.post(f"/api/v1/projects/{project}/exports", json={"format": "jsonl"})
        assert made.status_code == 202, made.text
        stack.run_jobs()
        assert client.get(f"/api/v1/exports/{made.json()['id']}").json()["state"] == "succeeded"
    return int(made.json()["id"])


def _version(stack: Stack, owner: Member, project: int) -> int:
    """A frozen dataset version of the project, by its owner."""
    with stack.client(owner.token) as client:
        made = client.post(f"/api/v1/projects/{project}/versions", json={"name": "v"})
        assert made.status_code == 202, made.text
        stack.run_jobs()
        assert client.get(f"/api/v1/versions/{made.json()['id']}").json()["state"] == "succeeded"
    return int(made.json()["id"])


def _world(stack: Stack, factory: Factory) -> World:
    owner = factory.owner("Acme")
    members = {OWNER: owner} | {role: factory.member(owner, role) for role in ROLES[1:]}
    other = factory.member(owner, ANNOTATOR)
    outsider = factory.owner("Elsewhere")
    outsider_project = factory.project(outsider)["id"]  # the outsider has one of their own
    project = factory.project(owner, blind=True)["id"]
    job = factory.import_tasks(owner, project, [{"image": f"{i}.png"} for i in range(40)])["id"]
    with stack.client(owner.token) as client:
        upload = client.post(
            f"/api/v1/projects/{project}/imports/files",
            files=[("files", ("m.png", _png(), "image/png"))],
        )
        assert upload.status_code == 202, upload.text
        stack.run_jobs()
        rows = client.get(f"/api/v1/projects/{project}/tasks?limit=1000").json()["items"]
    media = next(t["data"]["image"] for t in rows if t["data"]["image"].startswith("/api/"))
    # The other annotator's task and annotation.
    others_task = int(lease(stack, other, project)["task"]["id"])
    with stack.client(other.token) as client:
        made = client.post(
            f"/api/v1/tasks/{others_task}/annotations", json={"id": "o1", "result": [box()]}
        )
    assert made.status_code == 201, made.text
    # ... a task they skipped, and one they hold with a draft.
    skipped = int(lease(stack, other, project)["task"]["id"])
    held = int(lease(stack, other, project)["task"]["id"])
    with stack.client(other.token) as client:
        assert client.post(f"/api/v1/tasks/{skipped}/skip").status_code == 204
        assert client.put(f"/api/v1/tasks/{held}/draft", json={"draft": {}}).status_code == 204
    handed = {others_task, skipped, held}
    # The queue hands out the lowest ids first: the spares are the last ones.
    spares = [t["id"] for t in rows if t["id"] not in handed][-12:]
    return World(
        stack=stack,
        factory=factory,
        members=members,
        other=other,
        outsider=outsider,
        outsider_project=outsider_project,
        org=owner.organization_id,
        project=project,
        media=media,
        others_task=others_task,
        others_annotation=int(made.json()["id"]),
        job=job,
        export=_export(stack, owner, project),
        version=_version(stack, owner, project),
        source=factory.grant(owner),
        spares=spares,
    )


Params = Callable[[World, str], dict[str, Any]]
Check = Callable[[World, str, httpx.Response], None]


@dataclass(frozen=True)
class Case:
    """One row: a request (its path filled from ``params``), and the status per caller."""

    name: str
    method: str
    path: str
    expected: dict[str, int]
    params: Params = lambda w, c: {}
    body: Callable[[World, str], Any] | None = None
    files: bool = False
    check: Check | None = None


def _sees_project(w: World, caller: str, response: httpx.Response) -> None:
    ids = {p["id"] for p in response.json()}
    assert (w.project in ids) == (caller in MEMBERS), ids


def _only_the_org(w: World, caller: str, response: httpx.Response) -> None:
    orgs = {p["organization_id"] for p in response.json()}
    assert orgs == ({w.org} if caller in MEMBERS else set()), orgs


def _sees_org(w: World, caller: str, response: httpx.Response) -> None:
    ids = {o["id"] for o in response.json()}
    assert (w.org in ids) == (caller in MEMBERS), ids


def _annotations_seen(w: World, caller: str, response: httpx.Response) -> None:
    seen = {a["user_id"] for a in response.json()["items"]}
    if caller == ANNOTATOR:
        assert w.other.user.id not in seen, seen  # only their own
    else:
        assert w.other.user.id in seen, seen


def _own_newest_first(w: World, caller: str, response: httpx.Response) -> None:
    items = response.json()["items"]
    member = w.caller(caller)
    assert member is not None
    assert {a["user_id"] for a in items} <= {member.user.id}, items  # nobody else's, any role
    assert [a["id"] for a in items] == sorted((a["id"] for a in items), reverse=True)


def _only_reported_tasks(w: World, caller: str, response: httpx.Response) -> None:
    rows = response.json()["items"]
    assert rows and all(t["open_reports"] > 0 for t in rows), response.text


def _report_details_for_managers(w: World, caller: str, response: httpx.Response) -> None:
    rows = response.json()["items"]
    assert rows and all(r["open_reports"] > 0 for r in rows), response.text
    if caller in MANAGERS:
        assert all(r["reports"] and r["reports"][0]["reason"] for r in rows), rows
    else:
        assert all(r["reports"] is None for r in rows), rows


def _resolved_one(response: httpx.Response) -> None:
    assert [r["resolution_note"] for r in response.json()] == ["fixed"], response.text


def _own_counts(w: World, caller: str, response: httpx.Response) -> None:
    """Only the caller's own annotations and assignments are counted (the other annotator has
    an annotation in the project)."""
    member = w.caller(caller)
    assert member is not None
    with w.stack.runtime.db.transaction() as session:
        own = session.scalar(
            select(func.count()).where(
                Annotation.project_id == w.project,
                Annotation.user_id == member.user.id,
                Annotation.deleted_at.is_(None),
            )
        )
        states = dict(
            session.execute(
                select(Assignment.state, func.count())
                .where(Assignment.project_id == w.project, Assignment.user_id == member.user.id)
                .group_by(Assignment.state)
            ).all()
        )
    body = response.json()
    mine = (own, states.get("skipped", 0), states.get("leased", 0))
    assert (body["submitted"], body["skipped"], body["leased"]) == mine, body
    assert body["drafts"] <= body["leased"], body


def _secret_once(response: httpx.Response) -> None:
    assert response.json()["secret"].startswith("whsec_"), response.text


def _new_email(w: World, _: str) -> dict[str, Any]:
    return {
        "email": f"new{next(w.counter)}@example.com",
        "role": "annotator",
        "password": "plum tree at dusk",
    }


P = "/api/v1/projects/{project}"
CASES: list[Case] = [
    # --- organizations
    Case("list orgs", "GET", "/api/v1/organizations", expect(200, ANYONE), check=_sees_org),
    Case(
        # Only admins of the server create organizations (ACCORD_OPEN_ORGANIZATIONS is off).
        "create org",
        "POST",
        "/api/v1/organizations",
        expect(201, set(), **{OUTSIDER: 403}),
        body=lambda w, c: {"name": "New org"},
    ),
    # --- import sources: granted by admins of the server only (none of these callers is one)
    Case(
        "list org import sources",
        "GET",
        "/api/v1/organizations/{org}/import-sources",
        expect(200, MANAGERS),
    ),
    Case(
        "grant import source",
        "POST",
        "/api/v1/organizations/{org}/import-sources",
        expect(201, set(), **{OUTSIDER: 403}),
        body=lambda w, c: {"name": f"g{next(w.counter)}", "kind": "folder", "path": "/"},
    ),
    Case(
        "list all import sources",
        "GET",
        "/api/v1/import-sources",
        expect(200, set(), **{OUTSIDER: 403}),
    ),
    Case(
        "revoke import source",
        "DELETE",
        "/api/v1/import-sources/{source}",
        expect(204, set(), **{OUTSIDER: 403}),
        params=lambda w, c: {"source": w.source},
    ),
    Case("get org", "GET", "/api/v1/organizations/{org}", expect(200, MEMBERS)),
    Case("list members", "GET", "/api/v1/organizations/{org}/members", expect(200, REVIEWERS)),
    Case(
        "add member",
        "POST",
        "/api/v1/organizations/{org}/members",
        expect(201, ADMINS),
        body=_new_email,
    ),
    Case(
        "add an owner",
        "POST",
        "/api/v1/organizations/{org}/members",
        expect(201, {OWNER}, admin=422),
        body=lambda w, c: {**_new_email(w, c), "role": "owner"},
    ),
    Case(
        "change a member's role",
        "PATCH",
        "/api/v1/organizations/{org}/members/{user}",
        expect(200, ADMINS),
        params=lambda w, c: {"user": w.new_member(ANNOTATOR)},
        body=lambda w, c: {"role": "reviewer"},
    ),
    Case(
        "make a member owner",
        "PATCH",
        "/api/v1/organizations/{org}/members/{user}",
        expect(200, {OWNER}, admin=422),
        params=lambda w, c: {"user": w.new_member(ANNOTATOR)},
        body=lambda w, c: {"role": "owner"},
    ),
    Case(
        "change an owner's role",
        "PATCH",
        "/api/v1/organizations/{org}/members/{user}",
        expect(200, {OWNER}, admin=422),
        params=lambda w, c: {"user": w.new_member(OWNER)},
        body=lambda w, c: {"role": "annotator"},
    ),
    Case(
        "remove a member",
        "DELETE",
        "/api/v1/organizations/{org}/members/{user}",
        expect(204, ADMINS),
        params=lambda w, c: {"user": w.new_member(MANAGER)},
    ),
    Case(
        "remove an owner",
        "DELETE",
        "/api/v1/organizations/{org}/members/{user}",
        expect(204, {OWNER}),
        params=lambda w, c: {"user": w.new_member(OWNER)},
    ),
    Case(
        "remove an outsider's member",
        "DELETE",
        "/api/v1/organizations/{org}/members/{user}",
        expect(404, set(), denied=404, admin=404, manager=403, reviewer=403, annotator=403),
        params=lambda w, c: {"user": w.outsider.user.id},
    ),
    # --- projects
    Case(
        "create project",
        "POST",
        "/api/v1/projects",
        expect(201, MANAGERS),
        body=lambda w, c: {"organization_id": w.org, "name": "P2", "label_schema": TEXT_SCHEMA},
    ),
    Case("list projects", "GET", "/api/v1/projects", expect(200, ANYONE), check=_sees_project),
    Case(
        "list projects of the org",
        "GET",
        "/api/v1/projects?organization_id={org}",
        expect(200, ANYONE),
        check=_only_the_org,
    ),
    Case("get project", "GET", P, expect(200, MEMBERS)),
    Case(
        "update project",
        "PATCH",
        P,
        expect(200, MANAGERS),
        body=lambda w, c: {"instructions": f"by {c}"},
    ),
    Case(
        "delete project",
        "DELETE",
        "/api/v1/projects/{fresh}",
        expect(204, MANAGERS),
        params=lambda w, c: {"fresh": w.new_project()},
    ),
    Case("progress", "GET", P + "/progress", expect(200, REVIEWERS)),
    Case("own progress", "GET", P + "/progress/mine", expect(200, MEMBERS), check=_own_counts),
    Case("stats", "GET", P + "/stats", expect(200, REVIEWERS)),
    Case(
        "validate a label schema",
        "POST",
        "/api/v1/label-schemas/validate",
        expect(200, ANYONE),
        body=lambda w, c: {"label_schema": TEXT_SCHEMA},
    ),
    Case("media", "GET", "{media}", expect(200, MEMBERS)),
    Case("thumbnail", "GET", "{media}/thumbnail?size=64", expect(200, MEMBERS)),
    Case("limits", "GET", "/api/v1/limits", expect(200, ANYONE)),
    Case(
        "media through another project",
        "GET",
        "/api/v1/projects/{elsewhere}/media/{key}",
        expect(404, set(), denied=404),
        params=lambda w, c: {
            "elsewhere": w.outsider_project,
            "key": w.media.split("/media/", 1)[1],
        },
    ),
    # --- tasks
    Case("list tasks", "GET", P + "/tasks", expect(200, REVIEWERS)),
    Case("task table", "GET", P + "/tasks/table", expect(200, REVIEWERS)),
    Case("batches", "GET", P + "/batches", expect(200, REVIEWERS)),
    Case(
        "bulk priority",
        "POST",
        P + "/tasks/bulk",
        expect(200, MANAGERS),
        body=lambda w, c: {"task_ids": [w.spare_task()], "priority": 5},
    ),
    Case(
        "bulk batch",
        "POST",
        P + "/tasks/bulk",
        expect(200, MANAGERS),
        body=lambda w, c: {"task_ids": [w.spare_task()], "batch": "b"},
    ),
    Case(
        "bulk delete",
        "POST",
        P + "/tasks/bulk",
        expect(200, MANAGERS),
        body=lambda w, c: {"task_ids": [w.spare_task()], "delete": True},
    ),
    Case(
        "get another's task",
        "GET",
        "/api/v1/tasks/{task}",
        expect(200, REVIEWERS, denied=404),
        params=lambda w, c: {"task": w.others_task},
    ),
    Case(
        "get own task",
        "GET",
        "/api/v1/tasks/{task}",
        expect(200, MEMBERS),
        params=lambda w, c: {"task": w.own_task(c)},
    ),
    Case(
        "change a task's data",
        "PATCH",
        "/api/v1/tasks/{task}",
        expect(200, MANAGERS, reviewer=403, annotator=404),
        params=lambda w, c: {"task": w.spare_task()},
        body=lambda w, c: {"data": {"image": "fixed.png"}},
    ),
    Case(
        "change own task's data",
        "PATCH",
        "/api/v1/tasks/{task}",
        expect(200, MANAGERS),
        params=lambda w, c: {"task": w.own_task(c)},
        body=lambda w, c: {"data": {"image": "fixed.png"}},
    ),
    Case(
        "delete a task",
        "DELETE",
        "/api/v1/tasks/{task}",
        expect(204, MANAGERS, reviewer=403, annotator=404),
        params=lambda w, c: {"task": w.spare_task()},
    ),
    Case(
        "delete own task",
        "DELETE",
        "/api/v1/tasks/{task}",
        expect(204, MANAGERS),
        params=lambda w, c: {"task": w.own_task(c)},
    ),
    Case(
        "another's task's predictions",
        "GET",
        "/api/v1/tasks/{task}/predictions",
        expect(200, REVIEWERS, denied=404),
        params=lambda w, c: {"task": w.others_task},
    ),
    Case(
        "own task's predictions",
        "GET",
        "/api/v1/tasks/{task}/predictions",
        expect(200, MEMBERS),
        params=lambda w, c: {"task": w.own_task(c)},
    ),
    Case(
        "another's task's annotations",
        "GET",
        "/api/v1/tasks/{task}/annotations",
        expect(200, REVIEWERS, denied=404),
        params=lambda w, c: {"task": w.others_task},
    ),
    Case(
        "task table with open reports",
        "GET",
        P + "/tasks/table?reported=true",
        expect(200, REVIEWERS),
        params=lambda w, c: {"reported": w.reported_task(OWNER)},
        check=_report_details_for_managers,
    ),
    Case(
        "tasks with open reports",
        "GET",
        P + "/tasks?reported=true",
        expect(200, REVIEWERS),
        check=_only_reported_tasks,
    ),
    # --- reports
    Case(
        "report own task",
        "POST",
        "/api/v1/tasks/{task}/reports",
        expect(201, MEMBERS),
        params=lambda w, c: {"task": w.own_task(c)},
        body=lambda w, c: {"reason": "broken_media", "note": c},
    ),
    Case(
        "report a task not handed to you",
        "POST",
        "/api/v1/tasks/{task}/reports",
        expect(201, REVIEWERS, denied=404),
        params=lambda w, c: {"task": w.spare_task()},
        body=lambda w, c: {"reason": "wrong_data"},
    ),
    Case(
        "own reported task's reports",
        "GET",
        "/api/v1/tasks/{task}/reports",
        expect(200, MANAGERS),
        params=lambda w, c: {"task": w.reported_task(c)},
    ),
    Case(
        "another's reported task's reports",
        "GET",
        "/api/v1/tasks/{task}/reports",
        expect(200, MANAGERS, reviewer=403, annotator=404),
        params=lambda w, c: {"task": w.reported_task(OUTSIDER)},
    ),
    Case(
        "resolve own reported task",
        "POST",
        "/api/v1/tasks/{task}/reports/resolve",
        expect(200, MANAGERS),
        params=lambda w, c: {"task": w.reported_task(c)},
        body=lambda w, c: {"note": "fixed"},
        check=lambda w, c, r: _resolved_one(r),
    ),
    Case(
        "resolve another's reported task",
        "POST",
        "/api/v1/tasks/{task}/reports/resolve",
        expect(200, MANAGERS, reviewer=403, annotator=404),
        params=lambda w, c: {"task": w.reported_task(OUTSIDER)},
        body=lambda w, c: {},
    ),
    # --- imports
    Case(
        "import json",
        "POST",
        P + "/imports",
        expect(202, MANAGERS),
        body=lambda w, c: {"tasks": [{"image": "new.png"}]},
    ),
    Case("import files", "POST", P + "/imports/files", expect(202, MANAGERS), files=True),
    Case(
        "import from a granted source",
        "POST",
        P + "/imports",
        expect(202, MANAGERS),
        body=lambda w, c: {"source": {"id": w.source}},
    ),
    # --- exports
    Case("export formats", "GET", "/api/v1/export-formats", expect(200, ANYONE)),
    Case(
        "create export",
        "POST",
        P + "/exports",
        expect(202, MANAGERS),
        body=lambda w, c: {"format": "jsonl"},
    ),
    Case("list exports", "GET", P + "/exports", expect(200, MANAGERS)),
    Case(
        "get export",
        "GET",
        "/api/v1/exports/{export}",
        expect(200, MANAGERS),
        params=lambda w, c: {"export": w.export},
    ),
    Case(
        "download export",
        "GET",
        "/api/v1/exports/{export}/download",
        expect(200, MANAGERS),
        params=lambda w, c: {"export": w.export},
    ),
    Case(
        "delete export",
        "DELETE",
        "/api/v1/exports/{export}",
        expect(204, MANAGERS),
        params=lambda w, c: {"export": w.finished_export()},
    ),
    # --- dataset versions
    Case(
        "create version",
        "POST",
        P + "/versions",
        expect(202, MANAGERS),
        body=lambda w, c: {"name": "v"},
    ),
    Case("list versions", "GET", P + "/versions", expect(200, MANAGERS)),
    Case(
        "get version",
        "GET",
        "/api/v1/versions/{version}",
        expect(200, MANAGERS),
        params=lambda w, c: {"version": w.version},
    ),
    Case(
        "rename version",
        "PATCH",
        "/api/v1/versions/{version}",
        expect(200, MANAGERS),
        params=lambda w, c: {"version": w.version},
        body=lambda w, c: {"name": "renamed"},
    ),
    Case(
        "diff versions",
        "GET",
        "/api/v1/versions/{version}/diff?against={version}",
        expect(200, MANAGERS),
        params=lambda w, c: {"version": w.version},
    ),
    Case(
        "download a version's manifest",
        "GET",
        "/api/v1/versions/{version}/manifest",
        expect(200, MANAGERS),
        params=lambda w, c: {"version": w.version},
    ),
    Case(
        "export a version",
        "POST",
        P + "/exports",
        expect(202, MANAGERS),
        body=lambda w, c: {"format": "jsonl", "version": w.version},
    ),
    Case(
        "delete version",
        "DELETE",
        "/api/v1/versions/{version}",
        expect(204, MANAGERS),
        params=lambda w, c: {"version": w.fresh_version()},
    ),
    # --- queue
    Case("next", "POST", P + "/next", expect(200, MEMBERS)),
    Case(
        "skip own task",
        "POST",
        "/api/v1/tasks/{task}/skip",
        expect(204, MEMBERS),
        params=lambda w, c: {"task": w.own_task(c)},
    ),
    Case(
        "skip another's task",
        "POST",
        "/api/v1/tasks/{task}/skip",
        expect(404, set(), denied=404),
        params=lambda w, c: {"task": w.others_task},
    ),
    Case(
        "draft on own task",
        "PUT",
        "/api/v1/tasks/{task}/draft",
        expect(204, MEMBERS),
        params=lambda w, c: {"task": w.own_task(c)},
        body=lambda w, c: {"draft": {"x": 1}},
    ),
    Case(
        "draft on another's task",
        "PUT",
        "/api/v1/tasks/{task}/draft",
        expect(404, set(), denied=404),
        params=lambda w, c: {"task": w.others_task},
        body=lambda w, c: {"draft": {"x": 1}},
    ),
    Case(
        "submit on own task",
        "POST",
        "/api/v1/tasks/{task}/annotations",
        expect(201, MEMBERS),
        params=lambda w, c: {"task": w.own_task(c)},
        body=lambda w, c: {"id": f"s{next(w.counter)}", "result": [box()]},
    ),
    Case(
        "submit without a lease",
        "POST",
        "/api/v1/tasks/{task}/annotations",
        expect(201, MANAGERS, denied=404),
        params=lambda w, c: {"task": w.spare_task()},
        body=lambda w, c: {"id": f"s{next(w.counter)}", "result": [box()]},
    ),
    Case(
        "media size of own task",
        "PUT",
        "/api/v1/tasks/{task}/media-size",
        expect(200, MEMBERS),
        params=lambda w, c: {"task": w.own_task(c)},
        body=lambda w, c: {"width": 32, "height": 24},
    ),
    Case(
        "media size without a lease",
        "PUT",
        "/api/v1/tasks/{task}/media-size",
        expect(200, MANAGERS, denied=404),
        params=lambda w, c: {"task": w.spare_task()},
        body=lambda w, c: {"width": 32, "height": 24},
    ),
    # --- annotations
    Case(
        "project annotations",
        "GET",
        P + "/annotations",
        expect(200, MEMBERS),
        check=_annotations_seen,
    ),
    Case(
        "own project annotations, newest first",
        "GET",
        P + "/annotations?mine=true&sort=-id",
        expect(200, MEMBERS),
        check=_own_newest_first,
    ),
    Case(
        "get another's annotation",
        "GET",
        "/api/v1/annotations/{annotation}",
        expect(200, REVIEWERS, denied=404),
        params=lambda w, c: {"annotation": w.others_annotation},
    ),
    Case(
        "get own annotation",
        "GET",
        "/api/v1/annotations/{annotation}",
        expect(200, MEMBERS),
        params=lambda w, c: {"annotation": w.own_annotation(c)},
    ),
    Case(
        "another's annotation's revisions",
        "GET",
        "/api/v1/annotations/{annotation}/revisions",
        expect(200, REVIEWERS, denied=404),
        params=lambda w, c: {"annotation": w.others_annotation},
    ),
    Case(
        "own annotation's revisions",
        "GET",
        "/api/v1/annotations/{annotation}/revisions",
        expect(200, MEMBERS),
        params=lambda w, c: {"annotation": w.own_annotation(c)},
    ),
    Case(
        "update another's annotation",
        "PATCH",
        "/api/v1/annotations/{annotation}",
        expect(200, MANAGERS, reviewer=403, annotator=404),
        params=lambda w, c: {"annotation": w.others_annotation},
        body=lambda w, c: {"result": [box(label="bike")]},
    ),
    Case(
        "update own annotation",
        "PATCH",
        "/api/v1/annotations/{annotation}",
        expect(200, MEMBERS),
        params=lambda w, c: {"annotation": w.own_annotation(c)},
        body=lambda w, c: {"result": [box(label="bike")]},
    ),
    Case(
        "delete another's annotation",
        "DELETE",
        "/api/v1/annotations/{annotation}",
        expect(204, MANAGERS, reviewer=403, annotator=404),
        params=lambda w, c: {"annotation": w.annotation_by(w.other)},
    ),
    Case(
        "delete own annotation",
        "DELETE",
        "/api/v1/annotations/{annotation}",
        expect(204, MEMBERS),
        params=lambda w, c: {"annotation": w.own_annotation(c)},
    ),
    # --- jobs
    Case(
        "get another's job",
        "GET",
        "/api/v1/jobs/{job}",
        expect(200, MANAGERS, denied=404),
        params=lambda w, c: {"job": w.job},
    ),
    Case(
        "cancel another's job",
        "POST",
        "/api/v1/jobs/{job}/cancel",
        expect(200, MANAGERS, denied=404),
        params=lambda w, c: {"job": w.queued_job()},
    ),
    # --- webhooks: admins and owners (they carry labels out; their secrets sign messages)
    Case("list webhooks", "GET", "/api/v1/organizations/{org}/webhooks", expect(200, ADMINS)),
    Case(
        "create webhook",
        "POST",
        "/api/v1/organizations/{org}/webhooks",
        expect(201, ADMINS),
        body=lambda w, c: {"url": "https://93.184.215.14/hook", "project_id": w.project},
        check=lambda w, c, r: _secret_once(r),
    ),
    Case(
        "get webhook",
        "GET",
        "/api/v1/webhooks/{webhook}",
        expect(200, ADMINS),
        params=lambda w, c: {"webhook": w.webhook()},
    ),
    Case(
        "update webhook",
        "PATCH",
        "/api/v1/webhooks/{webhook}",
        expect(200, ADMINS),
        params=lambda w, c: {"webhook": w.webhook()},
        body=lambda w, c: {"active": False},
    ),
    Case(
        "delete webhook",
        "DELETE",
        "/api/v1/webhooks/{webhook}",
        expect(204, ADMINS),
        params=lambda w, c: {"webhook": w.webhook()},
    ),
    Case(
        "rotate webhook secret",
        "POST",
        "/api/v1/webhooks/{webhook}/rotate-secret",
        expect(200, ADMINS),
        params=lambda w, c: {"webhook": w.webhook()},
        check=lambda w, c, r: _secret_once(r),
    ),
    Case(
        "ping webhook",
        "POST",
        "/api/v1/webhooks/{webhook}/ping",
        expect(202, ADMINS),
        params=lambda w, c: {"webhook": w.webhook()},
    ),
    Case(
        "webhook deliveries",
        "GET",
        "/api/v1/webhooks/{webhook}/deliveries",
        expect(200, ADMINS),
        params=lambda w, c: {"webhook": w.webhook()},
    ),
    Case(
        "redeliver",
        "POST",
        "/api/v1/deliveries/{delivery}/redeliver",
        expect(202, ADMINS),
        params=lambda w, c: {"delivery": w.delivery()},
    ),
    # --- auth: the caller's own account, whatever their roles
    Case("me", "GET", "/api/v1/auth/me", expect(200, ANYONE)),
    Case(
        "update me", "PATCH", "/api/v1/auth/me", expect(200, ANYONE), body=lambda w, c: {"name": c}
    ),
    Case("list tokens", "GET", "/api/v1/auth/tokens", expect(200, ANYONE)),
    Case(
        "create token",
        "POST",
        "/api/v1/auth/tokens",
        expect(201, ANYONE),
        body=lambda w, c: {"name": "mine"},
    ),
    Case(
        "revoke own token",
        "DELETE",
        "/api/v1/auth/tokens/{token}",
        expect(200, ANYONE),
        params=lambda w, c: {"token": w.token_of(w.caller(c) or w.other)},
    ),
    Case(
        "revoke another's token",
        "DELETE",
        "/api/v1/auth/tokens/{token}",
        expect(404, set(), denied=404),
        params=lambda w, c: {"token": w.token_of(w.other)},
    ),
    Case("preferences", "GET", "/api/v1/auth/preferences", expect(200, ANYONE)),
    Case(
        "set preferences",
        "PUT",
        "/api/v1/auth/preferences",
        expect(200, ANYONE),
        body=lambda w, c: {"keys": c},
    ),
    Case(
        "change password",
        "POST",
        "/api/v1/auth/password",
        expect(204, ANYONE),
        body=lambda w, c: {
            "current_password": (w.caller(c) or w.other).password,
            "new_password": "a new password 1",
        },
    ),
    Case("logout", "POST", "/api/v1/auth/logout", expect(204, ANYONE)),
    # Last: it revokes the caller's own token.
    Case(
        "change password, revoking every token",
        "POST",
        "/api/v1/auth/password",
        expect(204, ANYONE),
        body=lambda w, c: {
            "current_password": "a new password 1",
            "new_password": "a newer password 2",
            "revoke_tokens": True,
        },
    ),
]

# Routes anyone may call without credentials, so not in the matrix (tested in test_auth.py).
UNAUTHENTICATED = {("POST", "/api/v1/auth/login")}


def _route_of(path: str) -> str:
    """A case's path as its route is declared (``{org}`` → ``{organization_id}`` ...)."""
    return path.split("?")[0]


def test_every_route_is_in_the_matrix() -> None:
    declared = {
        (method, route.path)  # type: ignore[attr-defined]
        for route in v1_routes()
        for method in route.methods  # type: ignore[attr-defined]
    }
    names = {
        "org": "organization_id",
        "user": "user_id",
        "project": "project_id",
        "fresh": "project_id",
        "task": "task_id",
        "annotation": "annotation_id",
        "job": "job_id",
        "token": "token_id",
        "source": "source_id",
        "webhook": "webhook_id",
        "delivery": "delivery_id",
        "export": "export_id",
        "version": "version_id",
    }
    covered = set()
    for case in CASES:
        path = _route_of(case.path)
        if path in ("{media}", "/api/v1/projects/{elsewhere}/media/{key}"):
            path = "/api/v1/projects/{project_id}/media/{key:path}"
        if path == "{media}/thumbnail":
            path = "/api/v1/projects/{project_id}/media/{key:path}/thumbnail"
        for short, long in names.items():
            path = path.replace("{" + short + "}", "{" + long + "}")
        covered.add((case.method, path))
    assert declared - UNAUTHENTICATED - covered == set()
    assert covered - declared == set()


def test_matrix_rows_name_every_caller() -> None:
    for case in CASES:
        assert set(case.expected) == set(CALLERS), case.name


def _call(world: World, case: Case, caller: str) -> httpx.Response:
    params = {"org": world.org, "project": world.project, "media": world.media}
    params |= case.params(world, caller)
    url = case.path.format(**params)
    body = None if case.body is None else case.body(world, caller)
    with world.client(caller) as client:
        if case.files:
            return client.post(url, files=[("files", ("up.png", _png(), "image/png"))])
        return client.request(case.method, url, json=body)


@pytest.mark.parametrize("caller", CALLERS)
def test_permission_matrix(stack: Stack, factory: Factory, caller: str) -> None:
    world = _world(stack, factory)
    wrong = []
    for case in CASES:
        response = _call(world, case, caller)
        want = case.expected[caller]
        if response.status_code != want:
            wrong.append(f"{case.name}: {response.status_code} (want {want}) {response.text[:120]}")
            continue
        if response.status_code == 404:
            assert response.json()["code"] == "not_found", case.name
        if response.status_code == 403:
            assert response.json()["code"] == "forbidden", case.name
        if case.check is not None and response.is_success:
            case.check(world, caller, response)
    assert not wrong, f"{caller}:\n" + "\n".join(wrong)
