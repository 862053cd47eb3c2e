"""Small data set-ups built through the real API, shared by the visibility and matrix tests.

Each builds fresh data inside the calling test's own stack (one database per test)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from support import Factory, Member, Stack


def box(region_id: str = "b1", label: str = "car", **extra: Any) -> dict[str, Any]:
    """A bbox region of ``support.IMAGE_SCHEMA``'s ``objects`` tool."""
    return {
        "id": region_id,
        "tool": "objects",
        "type": "bbox",
        "label": label,
        "geometry": {"x": 1, "y": 1, "width": 5, "height": 5},
        **extra,
    }


def lease(stack: Stack, member: Member, project_id: int) -> dict[str, Any]:
    """``member`` asks the queue for a task; the lease."""
    with stack.client(member.token) as client:
        response = client.post(f"/api/v1/projects/{project_id}/next")
    assert response.status_code == 200, response.text
    return dict(response.json())


def submit(
    stack: Stack, member: Member, task_id: int, result: list[dict[str, Any]], client_id: str
) -> dict[str, Any]:
    """``member`` submits ``result`` on a task they hold; the annotation."""
    with stack.client(member.token) as client:
        response = client.post(
            f"/api/v1/tasks/{task_id}/annotations", json={"id": client_id, "result": result}
        )
    assert response.status_code == 201, response.text
    return dict(response.json())


@dataclass
class TwoAnnotators:
    """One task annotated by two annotators (overlap 2), in a blind or open project."""

    owner: Member
    reviewer: Member
    first: Member
    second: Member
    project_id: int
    task_id: int
    first_annotation: int
    second_annotation: int


def two_annotators(stack: Stack, factory: Factory, *, blind: bool) -> TwoAnnotators:
    owner = factory.owner()
    reviewer = factory.member(owner, "reviewer")
    first = factory.member(owner, "annotator")
    second = factory.member(owner, "annotator")
    project = factory.project(owner, overlap=2, blind=blind)
    factory.import_tasks(owner, project["id"], [{"image": "a.png"}])
    task_id = lease(stack, first, project["id"])["task"]["id"]
    assert lease(stack, second, project["id"])["task"]["id"] == task_id
    a = submit(stack, first, task_id, [box("r1")], "first-1")
    b = submit(stack, second, task_id, [box("r2", "person")], "second-1")
    return TwoAnnotators(owner, reviewer, first, second, project["id"], task_id, a["id"], b["id"])
