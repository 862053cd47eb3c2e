"""Annotation rules each pinned by a test: what an edit records, that an edit is validated as
strictly as a submit, and what each refusal says."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from support import Factory, Stack

SCHEMA = {
    "media": "text",
    "tools": [
        {"name": "c", "type": "classification", "choices": ["yes", "no"], "required": True},
        {"name": "note", "type": "classification", "choices": ["odd"]},
    ],
}


def _result(choice: str = "yes", note: bool = False) -> list[dict[str, Any]]:
    regions = [{"id": "r", "tool": "c", "type": "classification", "value": {"choices": [choice]}}]
    if note:
        regions.append(
            {"id": "n", "tool": "note", "type": "classification", "value": {"choices": ["odd"]}}
        )
    return regions


def test_edits_add_up_lead_time_and_record_who_and_when(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    annotator = factory.member(owner, "annotator")
    project = factory.project(owner, schema=SCHEMA)
    factory.import_tasks(owner, project["id"], [{"text": "a"}, {"text": "b"}])
    with stack.client(annotator.token) as client:
        task = client.post(f"/api/v1/projects/{project['id']}/next").json()["task"]["id"]
        made = client.post(
            f"/api/v1/tasks/{task}/annotations",
            json={"id": "a", "result": _result(), "lead_time": 3.0},
        ).json()
    assert made["lead_time"] == 3.0
    url = f"/api/v1/annotations/{made['id']}"
    with stack.client(owner.token) as client:
        edited = client.patch(url, json={"result": _result("no"), "lead_time": 2.0}).json()
        assert edited["lead_time"] == 5.0 and edited["revision"] == 2
        # An edit that does not say how long it took leaves the time as it was.
        edited = client.patch(url, json={"result": _result("yes")}).json()
        assert edited["lead_time"] == 5.0 and edited["revision"] == 3
        revisions = client.get(f"{url}/revisions").json()
    assert [(r["revision"], r["user_id"], r["lead_time"]) for r in revisions] == [
        (1, annotator.user.id, 3.0),
        (2, owner.user.id, 2.0),
        (3, owner.user.id, None),
    ]
    assert [r["result"][0]["value"]["choices"] for r in revisions] == [["yes"], ["no"], ["yes"]]
    times = [datetime.fromisoformat(r["created_at"]) for r in revisions]
    assert times == sorted(times) and times[-1] >= datetime.fromisoformat(made["created_at"])

    # A manager's annotation made without a lease has no lead time until an edit gives one.
    other = task + 1 if task == 1 else task - 1
    with stack.client(owner.token) as client:
        mine = client.post(
            f"/api/v1/tasks/{other}/annotations", json={"id": "m", "result": _result()}
        )
        assert mine.json()["lead_time"] is None
        edited = client.patch(
            f"/api/v1/annotations/{mine.json()['id']}", json={"result": _result(), "lead_time": 2.0}
        ).json()
        assert edited["lead_time"] == 2.0


def test_an_edit_is_validated_as_strictly_as_a_submit(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=SCHEMA)
    factory.import_tasks(owner, project["id"], [{"text": "a"}])
    with stack.client(owner.token) as client:
        task = client.post(f"/api/v1/projects/{project['id']}/next").json()["task"]["id"]
        incomplete = [_result(note=True)[1]]
        refused = client.post(
            f"/api/v1/tasks/{task}/annotations", json={"id": "x", "result": incomplete}
        )
        assert refused.status_code == 422
        made = client.post(
            f"/api/v1/tasks/{task}/annotations", json={"id": "a", "result": _result(note=True)}
        ).json()
        url = f"/api/v1/annotations/{made['id']}"
        refused = client.patch(url, json={"result": incomplete})
        assert refused.status_code == 422, refused.text
        errors = refused.json()["details"]["errors"]
        assert [e["message"] for e in errors] == ['required tool "c" has no region']
        assert client.get(url).json()["revision"] == 1


def test_refusals_say_why(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    reviewer = factory.member(owner, "reviewer")
    first, second = factory.member(owner, "annotator"), factory.member(owner, "annotator")
    project = factory.project(owner, schema=SCHEMA)
    factory.import_tasks(owner, project["id"], [{"text": "a"}, {"text": "b"}])
    pid = project["id"]
    with stack.client(reviewer.token) as client:
        # Only managers and up submit without a lease.
        tasks = client.get(f"/api/v1/projects/{pid}/tasks").json()["items"]
        task = tasks[0]["id"]
        refused = client.post(
            f"/api/v1/tasks/{task}/annotations", json={"id": "r", "result": _result()}
        )
        assert refused.status_code == 404
        assert refused.json()["message"] == (
            f"task {task} is not assigned to you; ask the queue for it first"
        )
    with stack.client(first.token) as client:
        one = client.post(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
        made = client.post(
            f"/api/v1/tasks/{one}/annotations", json={"id": "x", "result": _result()}
        )
        assert made.status_code == 201
        two = client.post(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
        assert client.post(f"/api/v1/tasks/{two}/skip").status_code == 204
    with stack.client(second.token) as client:
        assert client.post(f"/api/v1/projects/{pid}/next").json()["task"]["id"] == two
    with stack.client(first.token) as client:
        # The skipped task's slot is gone, and its client id names the first task.
        reused = client.post(
            f"/api/v1/tasks/{two}/annotations", json={"id": "x", "result": _result()}
        )
        assert reused.status_code == 409
        assert reused.json()["message"] == f"id: 'x' was already used for task {one}"
        assert reused.json()["details"] == {"field": "id"}
