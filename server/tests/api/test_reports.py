"""Reports: a reported task leaves the queue for everyone and the reporter's lease ends; the data
manager and the progress show it; a manager resolves it and the queue hands it out again (to
the reporter too). Reporting is idempotent per reporter, and only managers and up read or
resolve reports; a manager may fix the task's data first."""

from __future__ import annotations

import io
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from PIL import Image
from sqlalchemy import select, update

from accord_server.db.base import utcnow
from accord_server.db.models import Assignment, Event, Task, TaskReport
from support import Factory, Member, Stack

TEXT = {
    "media": "text",
    "tools": [{"name": "c", "type": "classification", "choices": ["yes", "no"]}],
}


def _project(factory: Factory, owner: Member, n: int = 2, **fields: Any) -> tuple[int, list[int]]:
    """A text project with ``n`` tasks, the first with the highest priority; its id and the
    task ids in hand-out order."""
    project = factory.project(owner, schema=TEXT, **fields)
    tasks = [{"data": {"text": f"t{i}"}, "priority": n - i} for i in range(n)]
    factory.import_tasks(owner, project["id"], tasks)
    with factory.stack.client(owner.token) as client:
        listed = client.get(f"/api/v1/projects/{project['id']}/tasks").json()["items"]
    return project["id"], [t["id"] for t in listed]


def _next(stack: Stack, member: Member, pid: int) -> int | None:
    with stack.client(member.token) as client:
        r = client.post(f"/api/v1/projects/{pid}/next")
    assert r.status_code in (200, 204), r.text
    return None if r.status_code == 204 else int(r.json()["task"]["id"])


def _report(
    stack: Stack, member: Member, task: int, reason: str = "broken_media", note: str = ""
) -> httpx.Response:
    with stack.client(member.token) as client:
        return client.post(f"/api/v1/tasks/{task}/reports", json={"reason": reason, "note": note})


def _events(stack: Stack, kind: str) -> list[dict[str, Any]]:
    with stack.runtime.db.session() as session:
        return list(
            session.scalars(select(Event.payload).where(Event.kind == kind).order_by(Event.id))
        )


def _task_row(stack: Stack, task: int) -> tuple[int, int]:
    """(open_slots, open_reports) of a task as stored."""
    with stack.runtime.db.session() as session:
        row = session.execute(
            select(Task.open_slots, Task.open_reports).where(Task.id == task)
        ).one()
    return int(row[0]), int(row[1])


def test_a_reported_task_leaves_the_queue_until_a_manager_resolves_it(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    reporter, other = factory.member(owner, "annotator"), factory.member(owner, "annotator")
    pid, (first, second) = _project(factory, owner)

    assert _next(stack, reporter, pid) == first
    before = utcnow()
    r = _report(stack, reporter, first, "broken_media", "  the image is a 404  ")
    assert r.status_code == 201, r.text
    report = r.json()
    assert report["reason"] == "broken_media"
    assert report["note"] == "the image is a 404"
    assert report["reporter"] == {
        "id": reporter.user.id,
        "name": reporter.user.name,
        "email": reporter.email,
    }
    assert report["resolved_at"] is None and report["resolved_by"] is None
    # The reporter's lease ended as a skip and gave its slot back; the report keeps it out.
    with stack.runtime.db.session() as session:
        lease = session.scalars(
            select(Assignment).where(
                Assignment.task_id == first, Assignment.user_id == reporter.user.id
            )
        ).one()
        assert lease.state == "skipped" and lease.finished_at is not None
        assert lease.finished_at >= before
    assert _task_row(stack, first) == (1, 1)

    # Nobody is handed it: neither the other annotator nor the reporter.
    assert _next(stack, other, pid) == second
    with stack.client(other.token) as client:
        assert client.post(f"/api/v1/tasks/{second}/skip").status_code == 204
    assert _next(stack, other, pid) is None
    assert _next(stack, reporter, pid) == second
    with stack.client(reporter.token) as client:
        assert client.post(f"/api/v1/tasks/{second}/skip").status_code == 204
    assert _next(stack, reporter, pid) is None

    with stack.client(owner.token) as client:
        progress = client.get(f"/api/v1/projects/{pid}/progress").json()
        assert (progress["reported_tasks"], progress["open_reports"]) == (1, 1)
        listed = client.get(f"/api/v1/projects/{pid}/tasks", params={"reported": True}).json()
        assert [(t["id"], t["open_reports"]) for t in listed["items"]] == [(first, 1)]
        unreported = client.get(f"/api/v1/projects/{pid}/tasks", params={"reported": False})
        assert [t["id"] for t in unreported.json()["items"]] == [second]
        table = client.get(f"/api/v1/projects/{pid}/tasks/table", params={"reported": True})
        assert table.json()["total"] == 1
        (row,) = table.json()["items"]
        assert row["id"] == first
        assert [(x["reason"], x["note"], x["reporter"]["id"]) for x in row["reports"]] == [
            ("broken_media", "the image is a 404", reporter.user.id)
        ]

        resolved = client.post(
            f"/api/v1/tasks/{first}/reports/resolve", json={"note": "re-uploaded"}
        )
        assert resolved.status_code == 200, resolved.text
        (done,) = resolved.json()
        assert done["id"] == report["id"]
        assert done["resolved_by"]["id"] == owner.user.id
        assert done["resolution_note"] == "re-uploaded"
        assert done["resolved_at"] is not None
        # Resolving again resolves nothing more.
        again = client.post(f"/api/v1/tasks/{first}/reports/resolve", json={})
        assert again.status_code == 200 and again.json() == []
        history = client.get(f"/api/v1/tasks/{first}/reports").json()
        assert [(h["id"], h["resolved_by"]["id"]) for h in history] == [
            (report["id"], owner.user.id)
        ]
        progress = client.get(f"/api/v1/projects/{pid}/progress").json()
        assert (progress["reported_tasks"], progress["open_reports"]) == (0, 0)
    assert _task_row(stack, first) == (1, 0)

    # Back in the queue, for the reporter as well (they never annotated it).
    assert _next(stack, reporter, pid) == first
    assert _events(stack, "task.reported") == [
        {
            "task_id": first,
            "report_id": report["id"],
            "user_id": reporter.user.id,
            "reason": "broken_media",
        }
    ]
    assert _events(stack, "task.report_resolved") == [
        {"task_id": first, "report_ids": [report["id"]], "count": 1, "resolved_by": owner.user.id}
    ]


def test_reporting_again_is_the_same_report(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    annotator = factory.member(owner, "annotator")
    pid, (first, _) = _project(factory, owner)
    assert _next(stack, annotator, pid) == first
    made = _report(stack, annotator, first, "wrong_data", "not a sentence")
    assert made.status_code == 201, made.text
    again = _report(stack, annotator, first, "other", "changed my mind")
    assert again.status_code == 200, again.text
    assert again.json() == made.json()  # the first one, unchanged
    assert _task_row(stack, first) == (1, 1)
    assert len(_events(stack, "task.reported")) == 1


def test_concurrent_reports_count_once_per_reporter(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    reviewers = [factory.member(owner, "reviewer") for _ in range(3)]
    _, (task, _) = _project(factory, owner)
    with ThreadPoolExecutor(max_workers=9) as pool:
        answers = list(pool.map(lambda m: _report(stack, m, task), reviewers * 3))
    assert sorted(a.status_code for a in answers) == [200] * 6 + [201] * 3, [
        a.text for a in answers
    ]
    assert _task_row(stack, task)[1] == 3
    with stack.runtime.db.session() as session:
        assert len(session.scalars(select(TaskReport.id)).all()) == 3
    with stack.client(owner.token) as client:
        resolved = client.post(f"/api/v1/tasks/{task}/reports/resolve", json={})
        assert len(resolved.json()) == 3
    assert _task_row(stack, task)[1] == 0


def test_a_lease_that_expires_on_a_reported_task_does_not_bring_it_back(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    first, second, third = (factory.member(owner, "annotator") for _ in range(3))
    pid, (task,) = _project(factory, owner, n=1, overlap=2)
    assert _next(stack, first, pid) == task
    assert _next(stack, second, pid) == task
    assert _report(stack, first, task).status_code == 201
    with stack.runtime.db.transaction() as session:
        session.execute(
            update(Assignment)
            .where(Assignment.user_id == second.user.id)
            .values(lease_expires_at=utcnow())
        )
    assert _next(stack, third, pid) is None  # reclaims the second's slot, serves nothing
    assert _task_row(stack, task) == (2, 1)


def test_only_managers_read_and_resolve_reports(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    annotator = factory.member(owner, "annotator")
    reviewer = factory.member(owner, "reviewer")
    manager = factory.member(owner, "manager")
    outsider = factory.owner("Elsewhere")
    pid, (first, second) = _project(factory, owner)
    assert _next(stack, annotator, pid) == first
    assert _report(stack, annotator, first).status_code == 201
    for member in (annotator, reviewer):
        with stack.client(member.token) as client:
            listed = client.get(f"/api/v1/tasks/{first}/reports")
            assert listed.status_code == 403, listed.text
            assert listed.json()["details"]["action"] == "report.manage"
            refused = client.post(f"/api/v1/tasks/{first}/reports/resolve", json={})
            assert refused.status_code == 403, refused.text
    assert _task_row(stack, first)[1] == 1  # still open
    with stack.client(reviewer.token) as client:
        row = client.get(f"/api/v1/projects/{pid}/tasks/table").json()["items"][0]
        assert (row["id"], row["open_reports"], row["reports"]) == (first, 1, None)
    # An annotator reports only tasks handed to them; another organization sees nothing.
    assert _report(stack, annotator, second).status_code == 404
    with stack.client(outsider.token) as client:
        assert client.get(f"/api/v1/tasks/{first}/reports").status_code == 404
        resolve = client.post(f"/api/v1/tasks/{first}/reports/resolve", json={})
        assert resolve.status_code == 404
        report = client.post(f"/api/v1/tasks/{first}/reports", json={"reason": "other"})
        assert report.status_code == 404
    with stack.client(manager.token) as client:
        assert client.get(f"/api/v1/tasks/{first}/reports").status_code == 200
        resolved = client.post(f"/api/v1/tasks/{first}/reports/resolve", json={})
        assert [r["resolved_by"]["id"] for r in resolved.json()] == [manager.user.id]
    assert _task_row(stack, first)[1] == 0


def test_a_report_names_its_reason(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    _, (task, _) = _project(factory, owner)
    r = _report(stack, owner, task, reason="boring")
    assert r.status_code == 422, r.text
    assert r.json()["message"].startswith("reason")
    long = _report(stack, owner, task, note="x" * 2001)
    assert long.status_code == 422 and long.json()["message"].startswith("note")
    assert _task_row(stack, task)[1] == 0


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "green").save(out, format="PNG")
    return out.getvalue()


def _other_orgs_media(stack: Stack, factory: Factory) -> str:
    """The storage key of an image uploaded to another organization's project."""
    other = factory.owner("Elsewhere")
    theirs = factory.project(other)["id"]
    with stack.client(other.token) as client:
        upload = client.post(
            f"/api/v1/projects/{theirs}/imports/files",
            files=[("files", ("theirs.png", _png(41, 31), "image/png"))],
        )
        assert upload.status_code == 202, upload.text
        stack.run_jobs()
    (item,) = client_items(stack, other, theirs)
    return str(item["data"]["image"]).split("/media/", 1)[1]


def test_a_manager_fixes_the_data_of_a_reported_task(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    annotator = factory.member(owner, "annotator")
    reviewer = factory.member(owner, "reviewer")
    project = factory.project(owner, overlap=1)
    pid = project["id"]
    with stack.client(owner.token) as client:
        upload = client.post(
            f"/api/v1/projects/{pid}/imports/files",
            files=[("files", ("good.png", _png(40, 30), "image/png"))],
        )
        assert upload.status_code == 202, upload.text
        stack.run_jobs()
    (good,) = client_items(stack, owner, pid)
    good_url = good["data"]["image"]
    missing = f"/api/v1/projects/{pid}/media/sha256/00/{'0' * 62}"
    factory.import_tasks(owner, pid, [{"data": {"image": missing}, "priority": 9}])
    broken = next(t for t in client_items(stack, owner, pid) if t["id"] != good["id"])

    assert _next(stack, annotator, pid) == broken["id"]
    assert _report(stack, annotator, broken["id"], "broken_media", "404").status_code == 201
    url = f"/api/v1/tasks/{broken['id']}"
    with stack.client(annotator.token) as client:
        assert client.patch(url, json={"data": {"image": good_url}}).status_code == 403
    with stack.client(reviewer.token) as client:
        assert client.patch(url, json={"data": {"image": good_url}}).status_code == 403
    with stack.client(owner.token) as client:
        unknown = client.patch(url, json={"data": {"image": missing + "1"}})
        assert unknown.status_code == 422, unknown.text
        assert unknown.json()["message"].startswith("data.image: no media file of project")
        # Another organization's file, named under this project: its facts are not lent.
        theirs = f"/api/v1/projects/{pid}/media/{_other_orgs_media(stack, factory)}"
        borrowed = client.patch(url, json={"data": {"image": theirs}})
        assert borrowed.status_code == 422, borrowed.text
        fixed = client.patch(url, json={"data": {"image": good_url, "note": "re-linked"}})
        assert fixed.status_code == 200, fixed.text
        assert fixed.json()["data"] == {"image": good_url, "note": "re-linked"}
        assert fixed.json()["meta"] == good["meta"]  # the stored file's facts, size included
        assert fixed.json()["open_reports"] == 1  # fixing is not resolving
        assert client.post(f"{url}/reports/resolve", json={}).status_code == 200
    with stack.runtime.db.session() as session:
        task = session.get(Task, broken["id"])
        assert task is not None and task.media_key == good_url.split("/media/", 1)[1]
    assert _events(stack, "task.updated") == [{"task_id": broken["id"], "changes": ["data"]}]

    # Served again, annotated on the new data; from then on its data stays as annotated.
    assert _next(stack, annotator, pid) == broken["id"]
    with stack.client(annotator.token) as client:
        box = {"id": "b", "tool": "objects", "type": "bbox", "label": "car"}
        box["geometry"] = {"x": 1, "y": 1, "width": 50, "height": 5}  # wider than the image
        refused = client.post(f"{url}/annotations", json={"id": "a1", "result": [box]})
        assert refused.status_code == 422, refused.text  # the width came with the fix
        box["geometry"] = {"x": 1, "y": 1, "width": 5, "height": 5}
        made = client.post(f"{url}/annotations", json={"id": "a1", "result": [box]})
        assert made.status_code == 201, made.text
    with stack.client(owner.token) as client:
        late = client.patch(url, json={"data": {"image": "https://example.com/x.png"}})
        assert late.status_code == 409, late.text
        assert late.json()["message"] == (
            f"data: task {broken['id']} has 1 annotation made on its data; delete it before "
            "changing the data"
        )


def test_a_text_tasks_length_follows_its_new_text(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    _, (task, _) = _project(factory, owner)
    with stack.client(owner.token) as client:
        fixed = client.patch(f"/api/v1/tasks/{task}", json={"data": {"text": "Ada 🙂"}})
        assert fixed.status_code == 200, fixed.text
        assert fixed.json()["meta"] == {"text_length": 5}  # code points


def client_items(stack: Stack, member: Member, pid: int) -> list[dict[str, Any]]:
    """The project's tasks, in id order."""
    with stack.client(member.token) as client:
        return list(client.get(f"/api/v1/projects/{pid}/tasks").json()["items"])
