"""The outbox through the API: each state change records its event, delivery derives
task.completed, and the project statistics follow the events."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from sqlalchemy import select

from accord_server.db.models import Event, Project
from accord_server.jobs.events import deliver_events
from accord_server.services import stats
from support import Factory, Member, Stack

SCHEMA = {
    "media": "text",
    "tools": [
        {"name": "ner", "type": "span", "labels": ["PER", "LOC"]},
        {
            "name": "topic",
            "type": "classification",
            "choices": ["sport", "news", "art"],
            "multiple": True,
        },
    ],
}
TEXT = "Ada in Paris"


def topic(*choices: str) -> dict[str, Any]:
    return {"id": "t", "tool": "topic", "type": "classification", "value": {"choices": [*choices]}}


def span(start: int, end: int, label: str) -> dict[str, Any]:
    return {
        "id": f"s{start}",
        "tool": "ner",
        "type": "span",
        "label": label,
        "geometry": {"start": start, "end": end},
    }


def events(stack: Stack, after: int = 0) -> list[tuple[int, str, int | None, dict[str, Any]]]:
    with stack.runtime.db.session() as session:
        rows = session.execute(
            select(Event.id, Event.kind, Event.project_id, Event.payload)
            .where(Event.id > after)
            .order_by(Event.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def last_id(stack: Stack) -> int:
    found = events(stack)
    return found[-1][0] if found else 0


def submit(stack: Stack, member: Member, project_id: int, result: list[Any], lead: float) -> int:
    """``next`` then a submit; the annotation's id."""
    with stack.client(member.token) as client:
        task = client.post(f"/api/v1/projects/{project_id}/next").json()["task"]
        r = client.post(
            f"/api/v1/tasks/{task['id']}/annotations",
            json={"id": f"a{task['id']}-{member.user.id}", "result": result, "lead_time": lead},
        )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_each_state_change_records_its_event(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    annotator = factory.member(owner, "annotator")
    project = factory.project(owner, schema=SCHEMA, name="News")
    pid = project["id"]
    assert events(stack)[-1][1:] == (
        "project.created",
        pid,
        {"project_id": pid, "name": "News", "changes": []},
    )
    with stack.client(owner.token) as client:
        mark = last_id(stack)
        r = client.patch(f"/api/v1/projects/{pid}", json={"overlap": 2, "name": "Sports"})
        assert r.status_code == 200
        assert [e[1:] for e in events(stack, mark)] == [
            (
                "project.updated",
                pid,
                {"project_id": pid, "name": "Sports", "changes": ["name", "overlap"]},
            )
        ]

        mark = last_id(stack)
        job = factory.import_tasks(owner, pid, [{"text": TEXT} for _ in range(3)])
        task_ids = [t["id"] for t in client.get(f"/api/v1/projects/{pid}/tasks").json()["items"]]
        assert [e[1:] for e in events(stack, mark)] == [
            (
                "task.created",
                pid,
                {
                    "first_task_id": min(task_ids),
                    "last_task_id": max(task_ids),
                    "count": 3,
                    "import_job_id": job["id"],
                },
            ),
            (
                "import.finished",
                pid,
                {
                    "job_id": job["id"],
                    "state": "succeeded",
                    "message": "imported 3 tasks",
                    "counts": job["counts"],
                },
            ),
        ]

        mark = last_id(stack)
        r = client.post(
            f"/api/v1/projects/{pid}/imports",
            json={"tasks": [{"data": {"text": TEXT}, "priority": "high"}]},
        )
        stack.run_jobs()
        failed = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
        assert failed["state"] == "failed"
        ((_, kind, _, payload),) = events(stack, mark)
        assert (kind, payload["job_id"], payload["state"]) == (
            "import.finished",
            failed["id"],
            "failed",
        )
        assert payload["message"] == failed["message"]

        # Cancelled before a worker took it: the import is finished all the same.
        mark = last_id(stack)
        r = client.post(f"/api/v1/projects/{pid}/imports", json={"tasks": [{"text": TEXT}]})
        assert client.post(f"/api/v1/jobs/{r.json()['id']}/cancel").json()["state"] == "cancelled"
        stack.run_jobs()
        assert [(e[1], e[3]["job_id"], e[3]["state"]) for e in events(stack, mark)] == [
            ("import.finished", r.json()["id"], "cancelled")
        ]

    mark = last_id(stack)
    first = submit(stack, annotator, pid, [topic("sport")], 2.0)
    with stack.client(annotator.token) as client:
        assert client.patch(
            f"/api/v1/annotations/{first}", json={"result": [topic("art")]}
        ).is_success
        assert client.delete(f"/api/v1/annotations/{first}").status_code == 204
    found = events(stack, mark)
    assert [
        (kind, payload["annotation_id"], payload["revision"]) for _, kind, _, payload in found
    ] == [
        ("annotation.created", first, 1),
        ("annotation.updated", first, 2),
        ("annotation.deleted", first, 2),
    ]
    assert {payload["user_id"] for *_, payload in found} == {annotator.user.id}

    mark = last_id(stack)
    with stack.client(owner.token) as client:
        r = client.post(
            f"/api/v1/projects/{pid}/tasks/bulk", json={"task_ids": task_ids[:2], "delete": True}
        )
        assert r.status_code == 200, r.text
        assert [e[1:] for e in events(stack, mark)] == [
            ("task.deleted", pid, {"task_ids": sorted(task_ids[:2]), "count": 2})
        ]
        mark = last_id(stack)
        assert client.delete(f"/api/v1/projects/{pid}").status_code == 204
    # The project's own events went with it; its deletion is told without the project column.
    assert [e[1:] for e in events(stack, mark)] == [
        ("project.deleted", None, {"project_id": pid, "name": "Sports", "changes": []})
    ]


def test_task_completed_is_derived_when_a_task_reaches_its_overlap(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    one, two, three = (factory.member(owner, "annotator") for _ in range(3))
    pid = factory.project(owner, schema=SCHEMA, overlap=2)["id"]
    factory.import_tasks(owner, pid, [{"text": TEXT}])
    first = submit(stack, one, pid, [topic("sport")], 1.0)
    assert deliver_events(stack.runtime) > 0
    assert [e for e in events(stack) if e[1] == "task.completed"] == []
    second = submit(stack, two, pid, [topic("news")], 1.0)
    deliver_events(stack.runtime)
    completed = [e for e in events(stack) if e[1] == "task.completed"]
    assert [e[3]["annotation_id"] for e in completed] == [second]
    assert completed[0][3]["annotations"] == 2
    # One annotation goes, the task reopens; the next one completes it again (once).
    with stack.client(owner.token) as client:
        assert client.delete(f"/api/v1/annotations/{first}").status_code == 204
    third = submit(stack, three, pid, [topic("art")], 1.0)
    deliver_events(stack.runtime)
    completed = [e for e in events(stack) if e[1] == "task.completed"]
    assert [e[3]["annotation_id"] for e in completed] == [second, third]
    with stack.runtime.db.session() as session:
        pending = session.scalars(select(Event.id).where(Event.delivered_at.is_(None))).all()
    assert pending == []  # the derived events were delivered in the same run


def _assert_same(kept: dict[str, Any], counted: dict[str, Any]) -> None:
    assert kept["labels"] == counted["labels"]
    assert kept["throughput"] == counted["throughput"]
    assert [{**a, "mean_lead_time": None} for a in kept["annotators"]] == [
        {**a, "mean_lead_time": None} for a in counted["annotators"]
    ]
    for a, b in zip(kept["annotators"], counted["annotators"], strict=True):
        if b["mean_lead_time"] is None:
            assert a["mean_lead_time"] is None
        else:  # sums kept by adding and subtracting: equal up to rounding
            assert math.isclose(a["mean_lead_time"], b["mean_lead_time"], rel_tol=1e-9)


def _counted(stack: Stack, pid: int) -> dict[str, Any]:
    with stack.runtime.db.session() as session:
        project = session.get(Project, pid)
        assert project is not None
        return stats.count_project_stats(session, project=project)


def test_stats_follow_the_events_and_equal_a_full_count(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    people = [factory.member(owner, "annotator") for _ in range(3)]
    pid = factory.project(owner, schema=SCHEMA, overlap=3)["id"]
    factory.import_tasks(owner, pid, [{"text": TEXT} for _ in range(4)])
    results = [
        [topic("sport"), span(0, 3, "PER")],
        [topic("sport", "news"), span(7, 12, "LOC")],
        [topic("art")],
    ]
    made: list[tuple[Member, int]] = []
    for round_ in range(4):
        for i, member in enumerate(people):
            made.append((member, submit(stack, member, pid, results[(i + round_) % 3], 1.5 * i)))
    deliver_events(stack.runtime)
    with stack.client(owner.token) as client:
        kept = client.get(f"/api/v1/projects/{pid}/stats").json()
    _assert_same(kept, _counted(stack, pid))
    assert sum(label["count"] for label in kept["labels"] if label["label"] == "sport") > 0

    # Updates (with and without a lead time), deletions, a task deleted with its annotations.
    for member, annotation_id in made[:3]:
        with stack.client(member.token) as client:
            body = {"result": [topic("news"), span(0, 3, "LOC")], "lead_time": 4.0}
            assert client.patch(f"/api/v1/annotations/{annotation_id}", json=body).is_success
    for member, annotation_id in made[3:5]:
        with stack.client(member.token) as client:
            assert client.delete(f"/api/v1/annotations/{annotation_id}").status_code == 204
    with stack.client(owner.token) as client:
        task_ids = [t["id"] for t in client.get(f"/api/v1/projects/{pid}/tasks").json()["items"]]
        client.post(
            f"/api/v1/projects/{pid}/tasks/bulk", json={"task_ids": task_ids[-1:], "delete": True}
        )
    deliver_events(stack.runtime)
    with stack.client(owner.token) as client:
        kept = client.get(f"/api/v1/projects/{pid}/stats").json()
    _assert_same(kept, _counted(stack, pid))
    assert {label["label"] for label in kept["labels"]} >= {"news", "LOC"}

    # Until its event is delivered, a new annotation is not counted, and as_of says so.
    with stack.client(owner.token) as client:
        client.patch(f"/api/v1/projects/{pid}", json={"overlap": 4})
    newcomer = factory.member(owner, "annotator")
    submit(stack, newcomer, pid, [topic("art")], 9.0)
    with stack.runtime.db.session() as session:
        pending_since = session.scalar(
            select(Event.created_at).where(
                Event.delivered_at.is_(None), Event.kind == "annotation.created"
            )
        )
    with stack.client(owner.token) as client:
        stale = client.get(f"/api/v1/projects/{pid}/stats").json()
        assert newcomer.user.id not in {a["user_id"] for a in stale["annotators"]}
        assert datetime.fromisoformat(stale["as_of"]) <= pending_since
        deliver_events(stack.runtime)
        fresh = client.get(f"/api/v1/projects/{pid}/stats").json()
    assert newcomer.user.id in {a["user_id"] for a in fresh["annotators"]}
    assert datetime.fromisoformat(fresh["as_of"]) > pending_since
    _assert_same(fresh, _counted(stack, pid))
