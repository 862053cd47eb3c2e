"""The queue's smaller rules, each pinned: drafts belong to one lease, skips and expiries are
recorded with their time, a lease lasts the project's lease time, and what each refusal says."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from accord_server.db.base import utcnow
from accord_server.db.models import Assignment, Task
from accord_server.services import accounts
from support import Factory, Stack

TEXT = {
    "media": "text",
    "tools": [{"name": "c", "type": "classification", "choices": ["yes", "no"]}],
}


def _result() -> list[dict[str, Any]]:
    return [{"id": "r", "tool": "c", "type": "classification", "value": {"choices": ["yes"]}}]


def _assignments(stack: Stack) -> dict[tuple[int, int], Assignment]:
    with stack.runtime.db.session() as session:
        rows = session.scalars(select(Assignment)).all()
        return {(a.user_id, a.task_id): a for a in rows}


def _open_slots(stack: Stack) -> dict[int, int]:
    with stack.runtime.db.session() as session:
        return {row.id: row.open_slots for row in session.execute(select(Task.id, Task.open_slots))}


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def test_a_draft_is_kept_on_its_own_lease_only(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT, overlap=2)
    factory.import_tasks(owner, project["id"], [{"text": "a"}, {"text": "b"}])
    pid = project["id"]
    first, second = factory.member(owner, "annotator"), factory.member(owner, "annotator")
    with stack.client(first.token) as a, stack.client(second.token) as b:
        task = a.post(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
        assert b.post(f"/api/v1/projects/{pid}/next").json()["task"]["id"] == task
        before = utcnow()
        saved = a.put(f"/api/v1/tasks/{task}/draft", json={"draft": {"regions": [1, 2]}})
        assert saved.status_code == 204
        resumed = a.post(f"/api/v1/projects/{pid}/next").json()
        assert resumed["resumed"] and resumed["draft"] == {"regions": [1, 2]}
        theirs = b.post(f"/api/v1/projects/{pid}/next").json()
        assert theirs["resumed"] and theirs["draft"] is None
        # A draft on a task one does not hold is refused, and saves nothing.
        other = task + 1
        refused = b.put(f"/api/v1/tasks/{other}/draft", json={"draft": {"x": 1}})
        assert refused.status_code == 404
    rows = _assignments(stack)
    mine = rows[(first.user.id, task)]
    assert mine.draft == {"regions": [1, 2]}
    assert mine.draft_updated_at is not None and _aware(mine.draft_updated_at) >= before
    assert rows[(second.user.id, task)].draft is None
    assert rows[(second.user.id, task)].draft_updated_at is None


def test_a_new_lease_lasts_the_projects_lease_time(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT, lease_minutes=7)
    factory.import_tasks(owner, project["id"], [{"text": "a"}])
    with stack.client(owner.token) as client:
        before = utcnow()
        lease = client.post(f"/api/v1/projects/{project['id']}/next").json()
        after = utcnow()
    assert lease["resumed"] is False and lease["draft"] is None
    expires = datetime.fromisoformat(lease["lease_expires_at"])
    assert before + timedelta(minutes=7) <= _aware(expires) <= after + timedelta(minutes=7)
    row = _assignments(stack)[(owner.user.id, lease["task"]["id"])]
    assert row.state == "leased" and row.finished_at is None
    assert lease["assignment_id"] == row.id
    assert _open_slots(stack) == {lease["task"]["id"]: 0}


def test_skip_records_when_and_frees_the_slot_once(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT)
    factory.import_tasks(owner, project["id"], [{"text": "a"}, {"text": "b"}, {"text": "c"}])
    pid = project["id"]
    annotator, bystander = factory.member(owner, "annotator"), factory.member(owner, "annotator")
    with stack.client(annotator.token) as client:
        task = client.post(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
        with stack.client(bystander.token) as theirs:
            held = theirs.post(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
        before = utcnow()
        assert client.post(f"/api/v1/tasks/{task}/skip").status_code == 204
        # Only the caller's lease ended.
        assert _assignments(stack)[(bystander.user.id, held)].state == "leased"
        assert _assignments(stack)[(bystander.user.id, held)].finished_at is None
        # Skipping again changes nothing (and gives no second slot back).
        assert client.post(f"/api/v1/tasks/{task}/skip").status_code == 204
        row = _assignments(stack)[(annotator.user.id, task)]
        assert row.state == "skipped"
        assert row.finished_at is not None and _aware(row.finished_at) >= before
        assert _open_slots(stack)[task] == 1
        # A submitted task cannot be skipped.
        done = client.post(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
        made = client.post(
            f"/api/v1/tasks/{done}/annotations", json={"id": "d", "result": _result()}
        )
        assert made.status_code == 201
        refused = client.post(f"/api/v1/tasks/{done}/skip")
        assert refused.status_code == 409
        assert refused.json()["message"] == f"task {done} cannot be skipped: it is submitted"
    # A task never handed to the caller cannot be skipped by them.
    with stack.client(owner.token) as client:
        refused = client.post(f"/api/v1/tasks/{done}/skip")
        assert refused.status_code == 404
        assert refused.json()["message"] == f"task {done} is not assigned to you"
        refused = client.put(f"/api/v1/tasks/{done}/draft", json={"draft": {}})
        assert refused.json()["message"] == f"task {done} is not assigned to you"


def test_an_expired_lease_is_recorded_when_it_is_reclaimed(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT, overlap=2)
    factory.import_tasks(owner, project["id"], [{"text": "a"}, {"text": "b"}])
    pid = project["id"]
    slow = factory.member(owner, "annotator")
    late = factory.member(owner, "annotator")
    with stack.client(slow.token) as client:
        task = client.post(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
    with stack.runtime.db.transaction() as session:  # the lease runs out
        session.execute(update(Assignment).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    assert _open_slots(stack)[task] == 1
    before = utcnow()
    with stack.client(late.token) as client:
        # The next caller's request reclaims it; they get the task with a free slot.
        got = client.post(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
    assert got == task
    row = _assignments(stack)[(slow.user.id, task)]
    assert row.state == "expired"
    assert row.finished_at is not None and _aware(row.finished_at) >= before
    # Its slot came back, and the late caller's lease took one of the two.
    assert _open_slots(stack)[task] == 1
    with stack.client(slow.token) as client:
        # Its holder's next lease is a new one, on another task.
        again = client.post(f"/api/v1/projects/{pid}/next").json()
        assert again["resumed"] is False and again["task"]["id"] != task


def test_a_removed_members_leases_go_back_to_the_queue_at_once(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT, overlap=1)
    factory.import_tasks(owner, project["id"], [{"text": "only one"}])
    pid = project["id"]
    leaving, staying = factory.member(owner, "annotator"), factory.member(owner, "annotator")
    # Their lease in another organization's project is not this organization's to end.
    elsewhere = factory.owner("Elsewhere")
    other = factory.project(elsewhere, schema=TEXT, overlap=1)
    factory.import_tasks(elsewhere, other["id"], [{"text": "theirs"}])
    with stack.runtime.db.transaction() as session:
        actor = accounts.get_membership_or_raise(
            session, organization_id=elsewhere.organization_id, user=elsewhere.user
        )
        accounts.add_member(
            session, actor=actor, email=leaving.email, role="annotator", password="ignored!"
        )
    with stack.client(leaving.token) as client:
        task = client.post(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
        assert (
            client.put(f"/api/v1/tasks/{task}/draft", json={"draft": {"n": 1}}).status_code == 204
        )
        kept = client.post(f"/api/v1/projects/{other['id']}/next").json()["task"]["id"]
    with stack.client(staying.token) as client:
        assert client.post(f"/api/v1/projects/{pid}/next").status_code == 204  # it is held
    before = utcnow()
    with stack.client(owner.token) as client:
        members = f"/api/v1/organizations/{owner.organization_id}/members"
        assert client.delete(f"{members}/{leaving.user.id}").status_code == 204
    row = _assignments(stack)[(leaving.user.id, task)]
    assert row.state == "expired" and row.draft == {"n": 1}
    assert row.finished_at is not None and _aware(row.finished_at) >= before
    assert _open_slots(stack)[task] == 1
    assert _assignments(stack)[(leaving.user.id, kept)].state == "leased"
    assert _open_slots(stack)[kept] == 0
    with stack.client(staying.token) as client:
        # The slot is back now, not when the lease would have run out.
        got = client.post(f"/api/v1/projects/{pid}/next")
        assert got.status_code == 200 and got.json()["task"]["id"] == task
    assert _open_slots(stack)[task] == 0
    with stack.client(leaving.token) as client:
        assert client.post(f"/api/v1/projects/{pid}/next").status_code == 404
