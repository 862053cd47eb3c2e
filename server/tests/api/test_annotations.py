"""Annotations: validation against schema and media, idempotent submit, revisions, delete."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from accord_server.db.models import Annotation, AnnotationRevision, Assignment, Event, Task
from accord_server.services import projects
from accord_server.services.errors import NotFound
from support import IMAGE_SCHEMA, TEXT_SCHEMA, Factory, Stack, statements_run


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "blue").save(out, format="PNG")
    return out.getvalue()


def _image_task(stack: Stack, factory: Factory) -> tuple[Any, int]:
    owner = factory.owner()
    project = factory.project(owner)
    with stack.client(owner.token) as client:
        r = client.post(
            f"/api/v1/projects/{project['id']}/imports/files",
            files=[("files", ("photo.png", _png(640, 480), "image/png"))],
        )
        assert r.status_code == 202
        stack.run_jobs()
        lease = client.post(f"/api/v1/projects/{project['id']}/next").json()
    assert lease["task"]["meta"]["width"] == 640
    return owner, lease["task"]["id"]


def box(x: float, y: float, w: float, h: float, label: str = "car") -> dict[str, Any]:
    return {
        "id": "b1",
        "tool": "objects",
        "type": "bbox",
        "label": label,
        "geometry": {"x": x, "y": y, "width": w, "height": h},
    }


@pytest.mark.parametrize(
    ("region", "path", "fragment"),
    [
        (box(10, 10, 20, 20, label="truck"), "result[0].label", 'unknown label "truck"'),
        (box(630, 10, 20, 20), "result[0].geometry", "outside the image"),
        (
            {
                "id": "p1",
                "tool": "outline",
                "type": "polygon",
                "label": "car",
                "geometry": {"points": [[1, 1], [5, 5]]},
            },
            "result[0].geometry.points",
            "3",
        ),
        (
            {
                "id": "q",
                "tool": "nope",
                "type": "bbox",
                "label": "car",
                "geometry": {"x": 1, "y": 1, "width": 1, "height": 1},
            },
            "result[0].tool",
            "nope",
        ),
    ],
)
def test_invalid_regions_are_422_naming_region_and_field(
    stack: Stack, factory: Factory, region: dict[str, Any], path: str, fragment: str
) -> None:
    owner, task_id = _image_task(stack, factory)
    with stack.client(owner.token) as client:
        r = client.post(
            f"/api/v1/tasks/{task_id}/annotations", json={"id": "x1", "result": [region]}
        )
    assert r.status_code == 422, r.text
    body = r.json()
    assert body["code"] == "invalid"
    first = body["details"]["errors"][0]
    assert first["path"].startswith(path), first
    assert fragment in body["message"]
    assert f'(region "{region["id"]}")' in body["message"]
    with stack.runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Annotation)) == 0
        assert session.scalar(select(Task.annotation_count)) == 0


def test_a_submit_validates_against_the_schema_as_changed(stack: Stack, factory: Factory) -> None:
    owner, task_id = _image_task(stack, factory)
    with stack.client(owner.token) as client:
        refused = client.post(
            f"/api/v1/tasks/{task_id}/annotations",
            json={"id": "t1", "result": [box(10, 10, 20, 20, label="truck")]},
        )
        assert refused.status_code == 422, refused.text
        project_id = client.get(f"/api/v1/tasks/{task_id}").json()["project_id"]
        schema = {**IMAGE_SCHEMA, "tools": [*IMAGE_SCHEMA["tools"]]}
        schema["tools"][0] = {"name": "objects", "type": "bbox", "labels": ["car", "truck"]}
        changed = client.patch(f"/api/v1/projects/{project_id}", json={"label_schema": schema})
        assert changed.status_code == 200, changed.text
        r = client.post(
            f"/api/v1/tasks/{task_id}/annotations",
            json={"id": "t2", "result": [box(10, 10, 20, 20, label="truck")]},
        )
    assert r.status_code == 201, r.text
    assert r.json()["result"][0]["label"] == "truck"


def test_a_schema_read_before_a_change_is_taken_as_changed(stack: Stack, factory: Factory) -> None:
    """Another API process changed the schema between a request's lookup and its validation:
    the version it read is not parsed here, so the schema is loaded, as it is now."""
    owner = factory.owner()
    project = factory.project(owner)
    old_version = datetime(2000, 1, 1, tzinfo=UTC)
    with stack.runtime.db.session() as session:
        schema = projects.schema_for(session, project_id=project["id"], version=old_version)
        assert [t.name for t in schema.tools] == [t["name"] for t in IMAGE_SCHEMA["tools"]]
        again = projects.schema_for(
            session,
            project_id=project["id"],
            version=datetime.fromisoformat(project["updated_at"]),
        )
        assert again is schema  # kept under the version it was loaded at
        with pytest.raises(NotFound):
            projects.schema_for(session, project_id=project["id"] + 999, version=old_version)


def test_span_past_the_end_of_the_text(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT_SCHEMA)
    factory.import_tasks(owner, project["id"], [{"text": "Ada in 🇬🇧 London"}])
    with stack.client(owner.token) as client:
        task = client.post(f"/api/v1/projects/{project['id']}/next").json()["task"]
        assert task["meta"]["text_length"] == 16  # code points, not UTF-16 units
        span = {
            "id": "s1",
            "tool": "ner",
            "type": "span",
            "label": "LOC",
            "geometry": {"start": 10, "end": 17},
        }
        r = client.post(
            f"/api/v1/tasks/{task['id']}/annotations", json={"id": "x", "result": [span]}
        )
        assert r.status_code == 422
        assert r.json()["details"]["errors"][0]["path"].startswith("result[0].geometry")
        span["geometry"]["end"] = 16
        ok = client.post(
            f"/api/v1/tasks/{task['id']}/annotations", json={"id": "x", "result": [span]}
        )
        assert ok.status_code == 201, ok.text


def test_retried_submit_returns_the_first_result(stack: Stack, factory: Factory) -> None:
    owner, task_id = _image_task(stack, factory)
    body = {"id": "same-id", "result": [box(1, 1, 10, 10)], "lead_time": 4.5}
    with stack.client(owner.token) as client:
        first = client.post(f"/api/v1/tasks/{task_id}/annotations", json=body)
        retry = client.post(f"/api/v1/tasks/{task_id}/annotations", json=body)
        other = client.post(
            f"/api/v1/tasks/{task_id}/annotations", json={**body, "id": "another-id"}
        )
    assert first.status_code == 201 and retry.status_code == 200
    assert retry.json() == first.json()
    assert first.json()["lead_time"] == 4.5
    assert other.status_code == 409
    assert other.json()["message"].endswith(
        "you already submitted an annotation; update it instead"
    )
    with stack.runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Annotation)) == 1
        assert session.scalar(select(Task.annotation_count)) == 1
        # What a submit writes besides the annotation: its first revision and one event.
        revision = session.scalars(select(AnnotationRevision)).one()
        assert (revision.annotation_id, revision.revision) == (first.json()["id"], 1)
        assert revision.result == first.json()["result"] and revision.lead_time == 4.5
        event = session.scalars(select(Event).where(Event.kind.like("annotation.%"))).one()
        assert (event.kind, event.project_id) == ("annotation.created", first.json()["project_id"])
        assert event.payload == {
            "annotation_id": first.json()["id"],
            "task_id": task_id,
            "user_id": owner.user.id,
            "revision": 1,
        }


def _spans(text_id: str) -> dict[str, Any]:
    region = {
        "id": "s1",
        "tool": "ner",
        "type": "span",
        "label": "PER",
        "geometry": {"start": 0, "end": 3},
    }
    return {"id": text_id, "result": [region]}


def test_a_client_id_used_on_another_task_is_409_and_writes_nothing(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    annotator = factory.member(owner, "annotator")
    project = factory.project(owner, schema=TEXT_SCHEMA)
    factory.import_tasks(owner, project["id"], [{"data": {"text": f"Ada {i}"}} for i in range(3)])
    annotator_client, owner_client = stack.client(annotator.token), stack.client(owner.token)
    with annotator_client as client, owner_client as owners:
        first = client.post(f"/api/v1/projects/{project['id']}/next").json()["task"]["id"]
        submit = f"/api/v1/tasks/{first}/annotations"
        assert client.post(submit, json=_spans("x")).status_code == 201
        second = client.post(f"/api/v1/projects/{project['id']}/next").json()["task"]["id"]
        reused = client.post(f"/api/v1/tasks/{second}/annotations", json=_spans("x"))
        # The owner submits without a lease (a hand-out of its own), with the same refusal.
        assert owners.post(submit, json=_spans("o")).status_code == 201
        owner_reused = owners.post(f"/api/v1/tasks/{second}/annotations", json=_spans("o"))
        # The refused submit left the lease as it was: a new id goes through.
        again = client.post(f"/api/v1/tasks/{second}/annotations", json=_spans("y"))
        assert again.status_code == 201
    for refused, client_id in ((reused, "x"), (owner_reused, "o")):
        assert refused.status_code == 409, refused.text
        assert refused.json()["message"] == f"id: '{client_id}' was already used for task {first}"
        assert refused.json()["details"] == {"field": "id"}
    with stack.runtime.db.session() as session:
        counts = {i: n for i, n in session.execute(select(Task.id, Task.annotation_count))}
    assert counts[first] == 2 and counts[second] == 1


def test_the_same_submit_sent_twice_at_once_is_written_once(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT_SCHEMA)
    factory.import_tasks(owner, project["id"], [{"data": {"text": "Ada"}}])
    with stack.client(owner.token) as client:
        task_id = client.post(f"/api/v1/projects/{project['id']}/next").json()["task"]["id"]

    def submit(_: int) -> tuple[int, dict[str, Any]]:
        with stack.client(owner.token) as c:
            r = c.post(f"/api/v1/tasks/{task_id}/annotations", json=_spans("twice"))
        return r.status_code, r.json()

    for _ in range(5):
        with ThreadPoolExecutor(2) as pool:
            results = list(pool.map(submit, range(2)))
        statuses = sorted(status for status, _ in results)
        assert statuses in ([200, 201], [200, 200]), results
        assert results[0][1] == results[1][1]
    with stack.runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Annotation)) == 1
        assert session.scalar(select(Task.annotation_count)) == 1


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_postgres_submits_in_one_write_outside_a_transaction(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    annotator = factory.member(owner, "annotator")
    project = factory.project(owner, schema=TEXT_SCHEMA)
    factory.import_tasks(owner, project["id"], [{"data": {"text": f"Ada {i}"}} for i in range(2)])
    with stack.client(annotator.token) as client, stack.client(owner.token) as owners:
        leased = client.post(f"/api/v1/projects/{project['id']}/next").json()["task"]["id"]
        for c in (client, owners):  # their credentials checked, and remembered
            assert c.get("/api/v1/auth/me").status_code == 200
        with statements_run(stack.runtime.db.engine) as on_lease:
            submitted = client.post(f"/api/v1/tasks/{leased}/annotations", json=_spans("a"))
        with statements_run(stack.runtime.db.engine) as on_retry:
            retried = client.post(f"/api/v1/tasks/{leased}/annotations", json=_spans("a"))
        with statements_run(stack.runtime.db.engine) as handed_out:
            handed = owners.post(f"/api/v1/tasks/{leased}/annotations", json=_spans("o"))
    assert (submitted.status_code, retried.status_code, handed.status_code) == (201, 200, 201)
    assert retried.json() == submitted.json()
    # The task and the caller's lease, then the whole submit as one statement; no BEGIN/COMMIT.
    assert on_lease == [("SELECT", True), ("WITH", True)]
    assert handed_out == [("SELECT", True), ("WITH", True)]
    # A retry finds its lease submitted and runs again in a transaction, where it is answered.
    assert on_retry[0] == ("SELECT", True) and all(not auto for _, auto in on_retry[1:])
    with stack.runtime.db.session() as session:
        assert session.scalar(select(Task.annotation_count).where(Task.id == leased)) == 2
        assert session.scalar(select(func.count()).select_from(AnnotationRevision)) == 2
        created = select(func.count()).where(Event.kind == "annotation.created")
        assert session.scalar(created) == 2
        states = session.scalars(select(Assignment.state).where(Assignment.task_id == leased))
        assert sorted(states) == ["submitted", "submitted"]


def test_update_keeps_revisions_and_delete_reopens_the_task(stack: Stack, factory: Factory) -> None:
    owner, task_id = _image_task(stack, factory)
    with stack.client(owner.token) as client:
        ann = client.post(
            f"/api/v1/tasks/{task_id}/annotations", json={"id": "a", "result": [box(1, 1, 10, 10)]}
        ).json()
        assert ann["lead_time"] is not None and ann["lead_time"] >= 0
        r = client.patch(
            f"/api/v1/annotations/{ann['id']}", json={"result": [box(2, 2, 10, 10, "person")]}
        )
        assert r.status_code == 200 and r.json()["revision"] == 2
        bad = client.patch(
            f"/api/v1/annotations/{ann['id']}", json={"result": [box(2, 2, 1000, 10)]}
        )
        assert bad.status_code == 422
        revisions = client.get(f"/api/v1/annotations/{ann['id']}/revisions").json()
        assert [r["revision"] for r in revisions] == [1, 2]
        assert revisions[0]["result"][0]["label"] == "car"
        assert revisions[1]["result"][0]["label"] == "person"
        assert client.delete(f"/api/v1/annotations/{ann['id']}").status_code == 204
        assert client.get(f"/api/v1/annotations/{ann['id']}").status_code == 404
        assert client.get(f"/api/v1/tasks/{task_id}").json()["state"] == "new"
    with stack.runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(AnnotationRevision)) == 2
        assert session.scalar(select(Task.open_slots)) == 1


def test_annotator_cannot_touch_others_annotations(stack: Stack, factory: Factory) -> None:
    owner, task_id = _image_task(stack, factory)
    with stack.client(owner.token) as client:
        ann = client.post(
            f"/api/v1/tasks/{task_id}/annotations", json={"id": "a", "result": [box(1, 1, 10, 10)]}
        ).json()
    annotator = factory.member(owner, "annotator")
    with stack.client(annotator.token) as client:
        assert client.get(f"/api/v1/annotations/{ann['id']}").status_code == 404
        assert client.delete(f"/api/v1/annotations/{ann['id']}").status_code == 404
    reviewer = factory.member(owner, "reviewer")
    with stack.client(reviewer.token) as client:
        assert client.get(f"/api/v1/annotations/{ann['id']}").status_code == 200
        assert client.delete(f"/api/v1/annotations/{ann['id']}").status_code == 403


def test_a_submit_missing_a_required_tool_is_refused_but_a_draft_is_kept(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    schema = {
        "media": "text",
        "tools": [{"name": "ner", "type": "span", "labels": ["PER"], "required": True}],
    }
    project = factory.project(owner, schema=schema)
    assert project["label_schema"]["tools"][0]["required"] is True
    factory.import_tasks(owner, project["id"], [{"text": "Ada Lovelace"}])
    with stack.client(owner.token) as client:
        task_id = client.post(f"/api/v1/projects/{project['id']}/next").json()["task"]["id"]
        draft = client.put(f"/api/v1/tasks/{task_id}/draft", json={"draft": {"result": []}})
        assert draft.status_code in (200, 204), draft.text
        empty = client.post(f"/api/v1/tasks/{task_id}/annotations", json={"id": "e1", "result": []})
        assert empty.status_code == 422
        assert empty.json()["code"] == "invalid"
        assert empty.json()["message"] == 'result: tool "ner" is required: add at least one region'
        span = {
            "id": "s1",
            "tool": "ner",
            "type": "span",
            "label": "PER",
            "geometry": {"start": 0, "end": 3},
        }
        ok = client.post(
            f"/api/v1/tasks/{task_id}/annotations", json={"id": "e2", "result": [span]}
        )
        assert ok.status_code == 201, ok.text
    with stack.runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Annotation)) == 1
