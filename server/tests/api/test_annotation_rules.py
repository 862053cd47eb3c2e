"""Annotation rules each pinned by a test: what an edit records, that an edit is validated as
strictly as a submit, and what each refusal says."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from accord_server.db.models import Assignment
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
        assert [e["message"] for e in errors] == ['tool "c" is required: answer it']
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


def test_refusals_of_others_annotations_say_why(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    reviewer = factory.member(owner, "reviewer")
    author, other = factory.member(owner, "annotator"), factory.member(owner, "annotator")
    project = factory.project(owner, schema=SCHEMA)
    factory.import_tasks(owner, project["id"], [{"text": "a"}])
    with stack.client(author.token) as client:
        task = client.post(f"/api/v1/projects/{project['id']}/next").json()["task"]["id"]
        made = client.post(
            f"/api/v1/tasks/{task}/annotations", json={"id": "a", "result": _result()}
        )
    url = f"/api/v1/annotations/{made.json()['id']}"
    with stack.client(reviewer.token) as client:
        refused = client.patch(url, json={"result": _result("no")})
        assert refused.status_code == 403
        assert (
            refused.json()["message"] == "only the author or a manager may change this annotation"
        )
    with stack.client(other.token) as client:
        refused = client.get(url)
        assert refused.status_code == 404
        assert refused.json()["message"] == f"annotation {made.json()['id']} not found"
    with stack.client(owner.token) as client:
        assert client.delete(url).status_code == 204
        gone = client.get(url)
        assert gone.status_code == 404
        assert gone.json()["message"] == f"annotation {made.json()['id']} not found"


def test_deleting_an_annotation_takes_one_off_its_task(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    first, second, third = (factory.member(owner, "annotator") for _ in range(3))
    project = factory.project(owner, schema=SCHEMA, overlap=2)
    factory.import_tasks(owner, project["id"], [{"text": "a"}])
    pid = project["id"]
    made = []
    for i, member in enumerate((first, second)):
        with stack.client(member.token) as client:
            task = client.post(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
            body = {"id": f"a{i}", "result": _result()}
            made.append(client.post(f"/api/v1/tasks/{task}/annotations", json=body).json())
    with stack.client(third.token) as client:
        assert client.post(f"/api/v1/projects/{pid}/next").status_code == 204  # full
    with stack.client(owner.token) as client:
        done = client.get(f"/api/v1/tasks/{task}").json()
        assert (done["annotation_count"], done["state"]) == (2, "completed")
        assert client.delete(f"/api/v1/annotations/{made[0]['id']}").status_code == 204
        reopened = client.get(f"/api/v1/tasks/{task}").json()
        assert (reopened["annotation_count"], reopened["state"]) == (1, "in_progress")
    with stack.client(third.token) as client:  # its slot is open again
        assert client.post(f"/api/v1/projects/{pid}/next").json()["task"]["id"] == task


def test_a_skipped_task_can_be_submitted_while_its_slot_is_free(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    annotator = factory.member(owner, "annotator")
    project = factory.project(owner, schema=SCHEMA)
    factory.import_tasks(owner, project["id"], [{"text": "a"}])
    with stack.client(annotator.token) as client:
        task = client.post(f"/api/v1/projects/{project['id']}/next").json()["task"]["id"]
        assert client.post(f"/api/v1/tasks/{task}/skip").status_code == 204
        made = client.post(
            f"/api/v1/tasks/{task}/annotations", json={"id": "a", "result": _result()}
        )
        assert made.status_code == 201, made.text
        again = client.post(
            f"/api/v1/tasks/{task}/annotations", json={"id": "b", "result": _result()}
        )
        assert again.status_code == 409
        assert again.json()["details"] == {"task_id": task}
        assert client.get(f"/api/v1/tasks/{task}").json()["annotation_count"] == 1


def test_a_submit_after_the_slot_went_to_another_says_so(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    first, second = factory.member(owner, "annotator"), factory.member(owner, "annotator")
    project = factory.project(owner, schema=SCHEMA)
    factory.import_tasks(owner, project["id"], [{"text": "a"}])
    pid = project["id"]
    with stack.client(first.token) as client:
        task = client.post(f"/api/v1/projects/{pid}/next").json()["task"]["id"]
        assert client.post(f"/api/v1/tasks/{task}/skip").status_code == 204
    with stack.client(second.token) as client:
        assert client.post(f"/api/v1/projects/{pid}/next").json()["task"]["id"] == task
    with stack.client(first.token) as client:
        late = client.post(
            f"/api/v1/tasks/{task}/annotations", json={"id": "a", "result": _result()}
        )
    assert late.status_code == 409
    assert late.json()["details"] == {"task_id": task, "assignment": "skipped"}
    assert late.json()["message"] == (
        f"task {task}: your lease ended and the task has since been handed to others; "
        "ask the queue for the next task"
    )


def test_a_managers_submit_without_a_lease_is_recorded_as_a_hand_out(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=SCHEMA)
    factory.import_tasks(owner, project["id"], [{"text": "a"}])
    with stack.client(owner.token) as client:
        task = client.get(f"/api/v1/projects/{project['id']}/tasks").json()["items"][0]["id"]
        made = client.post(
            f"/api/v1/tasks/{task}/annotations", json={"id": "a", "result": _result()}
        )
        assert made.status_code == 201
    with stack.runtime.db.session() as session:
        row = session.scalars(select(Assignment)).one()
    assert (row.user_id, row.task_id, row.state) == (owner.user.id, task, "submitted")
    assert row.finished_at is not None and row.leased_at == row.finished_at
    assert row.lease_expires_at == row.finished_at


def test_client_ids_are_1_to_64_characters(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=SCHEMA)
    factory.import_tasks(owner, project["id"], [{"text": "a"}, {"text": "b"}])
    with stack.client(owner.token) as client:
        tasks = client.get(f"/api/v1/projects/{project['id']}/tasks").json()["items"]
        url = f"/api/v1/tasks/{tasks[0]['id']}/annotations"
        for bad in ("", "x" * 65):
            refused = client.post(url, json={"id": bad, "result": _result()})
            assert refused.status_code == 422, bad
            assert refused.json()["details"]["errors"][0]["path"] == "id"
        made = client.post(url, json={"id": "x" * 64, "result": _result()})
        assert made.status_code == 201, made.text
