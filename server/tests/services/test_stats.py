"""Project statistics kept from events: built for a project that has none, applied once however
often an event comes, equal to a count over the annotations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update

from accord_server.db.base import utcnow
from accord_server.db.models import Event, Project, ProjectStats, StatsAnnotation, StatsLabel
from accord_server.jobs.events import deliver_events
from accord_server.services import stats
from accord_server.services.events import EventRecord, event_records
from support import Factory, Stack

SCHEMA = {
    "media": "text",
    "tools": [{"name": "topic", "type": "classification", "choices": ["a", "b"], "multiple": True}],
}


def _annotate(stack: Stack, token: str, pid: int, choices: list[str]) -> int:
    with stack.client(token) as client:
        task = client.post(f"/api/v1/projects/{pid}/next").json()["task"]
        region = {"id": "t", "tool": "topic", "type": "classification", "value": {}}
        region["value"] = {"choices": choices}
        r = client.post(
            f"/api/v1/tasks/{task['id']}/annotations",
            json={"id": f"a{task['id']}", "result": [region], "lead_time": 2.0},
        )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _both(stack: Stack, pid: int) -> tuple[dict[str, Any], dict[str, Any]]:
    with stack.runtime.db.session() as session:
        project = session.get(Project, pid)
        assert project is not None
        kept = stats.project_stats(session, project=project)
        kept.pop("as_of")
        return kept, stats.count_project_stats(session, project=project)


def test_built_when_missing_and_replays_change_nothing(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    pid = factory.project(owner, schema=SCHEMA)["id"]
    factory.import_tasks(owner, pid, [{"text": f"t{i}"} for i in range(5)])
    first = _annotate(stack, owner.token, pid, ["a"])
    _annotate(stack, owner.token, pid, ["a", "b"])
    deliver_events(stack.runtime)
    kept, counted = _both(stack, pid)
    assert kept == counted
    assert kept["labels"] == [
        {"tool": "topic", "label": "a", "count": 2},
        {"tool": "topic", "label": "b", "count": 1},
    ]

    # Every annotation event again (a redelivery): nothing is counted twice.
    with stack.runtime.db.transaction() as session:
        rows = session.execute(
            select(
                Event.id,
                Event.kind,
                Event.organization_id,
                Event.project_id,
                Event.payload,
                Event.created_at,
            ).order_by(Event.id)
        )
        again: list[EventRecord] = event_records(rows)
        stats.apply_events(session, again, stats.read_shares(session, again))
    assert _both(stack, pid)[0] == counted

    # Counters lost (or a project older than them): the answer is counted, and the next event
    # builds them from the annotations.
    with stack.runtime.db.transaction() as session:
        for model in (ProjectStats, StatsLabel, StatsAnnotation):
            session.execute(delete(model).where(model.project_id == pid))
    kept, counted = _both(stack, pid)
    assert kept == counted
    with stack.client(owner.token) as client:
        assert client.delete(f"/api/v1/annotations/{first}").status_code == 204
    _annotate(stack, owner.token, pid, ["b"])
    deliver_events(stack.runtime)
    with stack.runtime.db.session() as session:
        assert session.get(ProjectStats, pid) is not None
    kept, counted = _both(stack, pid)
    assert kept == counted
    assert kept["labels"] == [
        {"tool": "topic", "label": "b", "count": 2},
        {"tool": "topic", "label": "a", "count": 1},
    ]


def test_shares_read_before_a_change_are_corrected_by_its_event(
    stack: Stack, factory: Factory
) -> None:
    """The statistics read annotations before the writer lock is taken (``read_shares``): an
    annotation edited in between is counted as it was, then its own event corrects it."""
    owner = factory.owner()
    pid = factory.project(owner, schema=SCHEMA)["id"]
    factory.import_tasks(owner, pid, [{"text": f"t{i}"} for i in range(3)])
    _annotate(stack, owner.token, pid, ["a"])
    deliver_events(stack.runtime)
    edited = _annotate(stack, owner.token, pid, ["a"])
    with stack.runtime.db.transaction(write=False) as session:
        rows = session.execute(
            select(
                Event.id,
                Event.kind,
                Event.organization_id,
                Event.project_id,
                Event.payload,
                Event.created_at,
            )
            .where(Event.delivered_at.is_(None))
            .order_by(Event.id)
        )
        batch = event_records(rows)
        stale = stats.read_shares(session, batch)
    region = {"id": "t", "tool": "topic", "type": "classification", "value": {"choices": ["b"]}}
    with stack.client(owner.token) as client:
        r = client.patch(f"/api/v1/annotations/{edited}", json={"result": [region]})
        assert r.status_code == 200, r.text
    with stack.runtime.db.transaction() as session:
        stats.apply_events(session, batch, stale)  # the batch, delivered with what was read
        ids = [e.id for e in batch]
        session.execute(update(Event).where(Event.id.in_(ids)).values(delivered_at=utcnow()))
    assert _both(stack, pid)[0]["labels"] == [{"tool": "topic", "label": "a", "count": 2}]
    deliver_events(stack.runtime)  # the edit's event
    kept, counted = _both(stack, pid)
    assert kept == counted
    assert kept["labels"] == [
        {"tool": "topic", "label": "a", "count": 1},
        {"tool": "topic", "label": "b", "count": 1},
    ]
