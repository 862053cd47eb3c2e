"""``GET /projects/{id}/progress/mine``: a member's own work, and nothing of anyone else's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import update

from accord_server.db.base import utcnow
from accord_server.db.models import Assignment
from accord_server.services import queue
from support import Factory, Member, Stack

TEXT = {
    "media": "text",
    "tools": [{"name": "c", "type": "classification", "choices": ["yes", "no"]}],
}
KEYS = {"submitted", "leased", "drafts", "skipped", "available", "more_available"}


def _result() -> list[dict[str, Any]]:
    return [{"id": "r", "tool": "c", "type": "classification", "value": {"choices": ["yes"]}}]


def _mine(stack: Stack, member: Member, project_id: int) -> dict[str, Any]:
    with stack.client(member.token) as client:
        response = client.get(f"/api/v1/projects/{project_id}/progress/mine")
    assert response.status_code == 200, response.text
    body = dict(response.json())
    assert set(body) == KEYS  # counts only: no ids, names or emails of anyone
    return body


def _next(stack: Stack, member: Member, project_id: int) -> int:
    with stack.client(member.token) as client:
        response = client.post(f"/api/v1/projects/{project_id}/next")
    assert response.status_code == 200, response.text
    return int(response.json()["task"]["id"])


def _submit(stack: Stack, member: Member, task_id: int) -> int:
    with stack.client(member.token) as client:
        response = client.post(
            f"/api/v1/tasks/{task_id}/annotations", json={"id": f"a{task_id}", "result": _result()}
        )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _project(factory: Factory, owner: Member, tasks: int, overlap: int) -> int:
    project = factory.project(owner, schema=TEXT, overlap=overlap)
    factory.import_tasks(owner, project["id"], [{"text": f"t{i}"} for i in range(tasks)])
    return int(project["id"])


def test_each_annotator_sees_only_their_own_numbers(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    ann, bea = factory.member(owner, "annotator"), factory.member(owner, "annotator")
    pid = _project(factory, owner, tasks=4, overlap=2)
    # Bea submits two tasks and skips the third; Ann submits one and holds one with a draft.
    t1 = _next(stack, bea, pid)
    _submit(stack, bea, t1)
    _submit(stack, bea, _next(stack, bea, pid))
    t3 = _next(stack, bea, pid)
    with stack.client(bea.token) as client:
        assert client.post(f"/api/v1/tasks/{t3}/skip").status_code == 204
    assert _next(stack, ann, pid) == t1
    _submit(stack, ann, t1)
    held = _next(stack, ann, pid)
    with stack.client(ann.token) as client:
        draft = client.put(f"/api/v1/tasks/{held}/draft", json={"draft": {"result": []}})
        assert draft.status_code == 204, draft.text

    # Ann: t3 (Bea skipped it, it still has both slots) and t4 are still open to her.
    assert _mine(stack, ann, pid) == {
        "submitted": 1,
        "leased": 1,
        "drafts": 1,
        "skipped": 0,
        "available": 2,
        "more_available": False,
    }
    # Bea: t1 is full and she had t2 and t3; only t4.
    assert _mine(stack, bea, pid) == {
        "submitted": 2,
        "leased": 0,
        "drafts": 0,
        "skipped": 1,
        "available": 1,
        "more_available": False,
    }
    # The owner annotated nothing: t2 is full (Bea's annotation, Ann's lease), t3 and t4 are not.
    assert _mine(stack, owner, pid) == {
        "submitted": 0,
        "leased": 0,
        "drafts": 0,
        "skipped": 0,
        "available": 2,
        "more_available": False,
    }


def test_the_count_is_what_the_queue_hands_out(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    ann, bea = factory.member(owner, "annotator"), factory.member(owner, "annotator")
    pid = _project(factory, owner, tasks=5, overlap=1)
    _submit(stack, bea, _next(stack, bea, pid))
    _next(stack, bea, pid)  # Bea holds a second one
    assert _mine(stack, ann, pid)["available"] == 3
    handed = set()
    with stack.client(ann.token) as client:
        while (r := client.post(f"/api/v1/projects/{pid}/next")).status_code == 200:
            handed.add(r.json()["task"]["id"])
            assert client.post(f"/api/v1/tasks/{r.json()['task']['id']}/skip").status_code == 204
    assert len(handed) == 3
    assert _mine(stack, ann, pid) == {
        "submitted": 0,
        "leased": 0,
        "drafts": 0,
        "skipped": 3,
        "available": 0,
        "more_available": False,
    }


def test_an_expired_lease_frees_its_slot_but_not_for_its_holder(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    ann, bea = factory.member(owner, "annotator"), factory.member(owner, "annotator")
    pid = _project(factory, owner, tasks=1, overlap=1)
    task = _next(stack, ann, pid)
    with stack.client(ann.token) as client:
        assert (
            client.put(f"/api/v1/tasks/{task}/draft", json={"draft": {"r": 1}}).status_code == 204
        )
    assert _mine(stack, bea, pid)["available"] == 0
    with stack.runtime.db.transaction() as session:  # time passes: the lease runs out
        session.execute(update(Assignment).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    # Counted before anyone's `next` reclaims it; the holder is never handed it again.
    assert _mine(stack, bea, pid)["available"] == 1
    assert _mine(stack, ann, pid) == {
        "submitted": 0,
        "leased": 0,
        "drafts": 0,
        "skipped": 0,
        "available": 0,
        "more_available": False,
    }
    assert _next(stack, bea, pid) == task
    assert _mine(stack, bea, pid)["leased"] == 1


def test_deleted_annotations_and_null_drafts_do_not_count(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    ann = factory.member(owner, "annotator")
    pid = _project(factory, owner, tasks=2, overlap=1)
    annotation = _submit(stack, ann, _next(stack, ann, pid))
    held = _next(stack, ann, pid)
    with stack.client(ann.token) as client:
        assert client.put(f"/api/v1/tasks/{held}/draft", json={"draft": None}).status_code == 204
    assert _mine(stack, ann, pid)["submitted"] == 1
    assert _mine(stack, ann, pid)["drafts"] == 0
    with stack.client(owner.token) as client:
        assert client.delete(f"/api/v1/annotations/{annotation}").status_code == 204
    assert _mine(stack, ann, pid)["submitted"] == 0


def test_another_organizations_project_is_not_found(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    pid = _project(factory, owner, tasks=1, overlap=1)
    stranger = factory.owner("Elsewhere")
    with stack.client(stranger.token) as client:
        response = client.get(f"/api/v1/projects/{pid}/progress/mine")
    assert response.status_code == 404, response.text  # as if it did not exist, never 403
    assert response.json()["message"] == f"project {pid} not found"
    with stack.client() as anonymous:
        assert anonymous.get(f"/api/v1/projects/{pid}/progress/mine").status_code == 401


def test_counting_stops_at_the_cap(
    stack: Stack, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = factory.owner()
    pid = _project(factory, owner, tasks=4, overlap=1)
    monkeypatch.setattr(queue, "AVAILABLE_COUNT_CAP", 3)
    mine = _mine(stack, owner, pid)
    assert (mine["available"], mine["more_available"]) == (3, True)
    _next(stack, owner, pid)
    mine = _mine(stack, owner, pid)
    assert (mine["available"], mine["more_available"]) == (3, False)
