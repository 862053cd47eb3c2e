"""Imported annotations: crediting (members by email, else non-login imported annotators, per
organization), overlap, events, the queue, the data manager, and files imported twice."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from accord_server.db.models import (
    Annotation,
    AnnotationRevision,
    Assignment,
    Event,
    Task,
    User,
)
from accord_server.jobs.events import deliver_events
from accord_server.services import accounts, sessions
from accord_server.services.errors import Invalid
from accord_server.settings import Settings
from support import Factory, Member, Stack, running_stack


def _box(label: str, region_id: str = "b1") -> dict[str, Any]:
    return {
        "id": region_id,
        "tool": "objects",
        "type": "bbox",
        "label": label,
        "geometry": {"x": 1, "y": 1, "width": 5, "height": 5},
    }


def _ls_box(label: str) -> dict[str, Any]:
    """A Label Studio rectangle on a 200 x 100 image: 10 % of it from (10 %, 20 %)."""
    return {
        "id": "ls1",
        "from_name": "objects",
        "to_name": "image",
        "type": "rectanglelabels",
        "original_width": 200,
        "original_height": 100,
        "value": {"x": 10, "y": 20, "width": 10, "height": 10, "rectanglelabels": [label]},
    }


def _import(stack: Stack, member: Member, project_id: int, tasks: list[Any]) -> dict[str, Any]:
    with stack.client(member.token) as client:
        r = client.post(f"/api/v1/projects/{project_id}/imports", json={"tasks": tasks})
        assert r.status_code == 202, r.text
        stack.run_jobs()
        return dict(client.get(f"/api/v1/jobs/{r.json()['id']}").json())


def _user(stack: Stack, user_id: int) -> User:
    with stack.runtime.db.session() as session:
        user = session.get(User, user_id)
        assert user is not None
        session.expunge(user)
        return user


def test_annotations_are_credited_counted_and_evented(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    ann = factory.member(owner, "annotator")
    project = factory.project(owner, overlap=2)
    pid = project["id"]
    tasks = [
        {
            "data": {"image": "https://x/a.png"},
            "annotations": [
                {
                    "result": [_box("car")],
                    "completed_by": ann.email.upper(),
                    "lead_time": 3.5,
                    "created_at": "2024-01-02T03:04:05Z",
                },
                {"result": [_ls_box("person")], "completed_by": 12, "was_cancelled": False},
            ],
        },
        {
            "data": {"image": "https://x/b.png"},
            "annotations": [{"result": [_box("bike")], "completed_by": {"id": 12, "email": ""}}],
        },
        {
            "data": {"image": "https://x/c.png"},
            "annotations": [
                {"result": [_box("bike")], "completed_by": "Ann Other"},
                {"result": [_box("car")], "completed_by": "Ann Other"},
                {"result": [], "completed_by": 13, "was_cancelled": True},
            ],
        },
    ]
    job = _import(stack, owner, pid, tasks)
    assert job["state"] == "succeeded", job
    assert job["message"] == (
        "imported 3 tasks with 4 annotations; 1 without 2 annotations that could not be imported"
    )
    counts = job["counts"]
    assert (counts["annotations"], counts["imported_annotators"]) == (4, 2)
    assert (counts["annotations_dropped"], counts["errors"]) == (2, 0)
    assert [(e["scope"], e["row"], e["field"]) for e in job["errors"]] == [
        ("annotations", 3, "annotations[2].was_cancelled"),  # unreadable ones first
        ("annotations", 3, "annotations[1].completed_by"),
    ]
    with stack.runtime.db.session() as session:
        task_ids = {t.data["image"][-5]: t for t in session.scalars(select(Task))}
        a, b, c = task_ids["a"], task_ids["b"], task_ids["c"]
        assert (a.annotation_count, a.open_slots) == (2, 0)
        assert (b.annotation_count, b.open_slots) == (1, 1)
        assert (c.annotation_count, c.open_slots) == (1, 1)
        on_a = {
            x.user_id: x
            for x in session.scalars(select(Annotation).where(Annotation.task_id == a.id))
        }
        assert set(on_a) >= {ann.user.id}
        mine = on_a[ann.user.id]
        assert mine.origin == "human" and mine.revision == 1 and mine.lead_time == 3.5
        assert mine.created_at.isoformat().startswith("2024-01-02T03:04:05")
        (ls_user_id,) = set(on_a) - {ann.user.id}
        ls_geometry = on_a[ls_user_id].result[0]["geometry"]
        assert (ls_geometry["x"], ls_geometry["y"], ls_geometry["width"]) == (20, 20, 20)
        on_b = session.scalars(select(Annotation.user_id).where(Annotation.task_id == b.id)).all()
        assert on_b == [ls_user_id]  # the same Label Studio user, however it is written
        assert session.scalar(select(func.count()).select_from(AnnotationRevision)) == 4
        assigned = session.scalars(
            select(Assignment.task_id).where(Assignment.user_id == ann.user.id)
        ).all()
        assert (
            assigned == [a.id]
            and session.scalar(select(Assignment.state).where(Assignment.user_id == ann.user.id))
            == "submitted"
        )
        created = session.scalars(
            select(Event.payload).where(Event.kind == "annotation.created")
        ).all()
        assert sorted(p["annotation_id"] for p in created) == sorted(
            session.scalars(select(Annotation.id)).all()
        )
    imported = _user(stack, ls_user_id)
    assert imported.name == "Label Studio user 12"
    assert imported.imported_organization_id == owner.organization_id
    assert imported.password_hash is None and not imported.is_active
    # Delivery derives task.completed for the task that reached its overlap, and stats.
    deliver_events(stack.runtime)
    with stack.runtime.db.session() as session:
        completed = session.scalars(
            select(Event.payload).where(Event.kind == "task.completed")
        ).all()
    assert [p["task_id"] for p in completed] == [a.id]
    with stack.client(owner.token) as client:
        rows = {
            t["id"]: t for t in client.get(f"/api/v1/projects/{pid}/tasks/table").json()["items"]
        }
        names = sorted(p["name"] for p in rows[a.id]["annotator_people"])
        assert "Label Studio user 12" in names
        assert [p["name"] for p in rows[c.id]["annotator_people"]] == ["Ann Other"]
        listed = client.get(f"/api/v1/tasks/{a.id}/annotations").json()
        assert sorted(x["user_id"] for x in listed) == sorted([ann.user.id, ls_user_id])
    # The queue never hands the member the task they were credited on.
    with stack.client(ann.token) as client:
        handed = client.post(f"/api/v1/projects/{pid}/next").json()["task"]
    assert handed["id"] in (b.id, c.id)
    # A later import of the same person finds the same imported annotator.
    again = _import(
        stack,
        owner,
        pid,
        [
            {
                "data": {"image": "https://x/d.png"},
                "annotations": [{"result": [], "completed_by": 12}],
            }
        ],
    )
    assert again["counts"]["imported_annotators"] == 0 and again["counts"]["annotations"] == 1
    with stack.runtime.db.session() as session:
        d = session.scalars(
            select(Task).where(Task.data["image"].as_string() == "https://x/d.png")
        ).one()
        assert session.scalars(
            select(Annotation.user_id).where(Annotation.task_id == d.id)
        ).all() == [ls_user_id]


def test_an_imported_annotator_cannot_log_in_get_a_token_or_become_a_member(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    _import(
        stack,
        owner,
        project["id"],
        [
            {
                "data": {"image": "https://x/1"},
                "annotations": [{"result": [], "completed_by": "ghost@old.example"}],
            }
        ],
    )
    with stack.runtime.db.session() as session:
        ghost = session.scalars(
            select(User).where(User.imported_organization_id.is_not(None))
        ).one()
        email, ghost_id = ghost.email, ghost.id
    assert _user(stack, ghost_id).name == "ghost@old.example"
    assert email != "ghost@old.example"  # the real address stays free for a real account
    with stack.client() as client:
        r = client.post("/api/v1/auth/login", json={"email": email, "password": ""})
        assert r.status_code in (401, 422)
        r = client.post("/api/v1/auth/login", json={"email": email, "password": "correct horse 1"})
        assert r.status_code == 401
    # A token made for it behind the API's back is refused: the user is not active.
    with stack.runtime.db.transaction() as session:
        user = session.get(User, ghost_id)
        assert user is not None
        _, token = sessions.create_api_token(session, user=user, name="sneaky")
    with stack.client(token) as client:
        assert client.get("/api/v1/auth/me").status_code == 401
        assert client.post(f"/api/v1/projects/{project['id']}/next").status_code == 401
    with stack.runtime.db.transaction() as session:
        actor = accounts.get_membership_or_raise(
            session, organization_id=owner.organization_id, user=owner.user
        )
        # Neither a member (so never in a project's queue) nor given a password.
        with pytest.raises(Invalid, match="kept for imported annotators"):
            accounts.add_member(
                session, actor=actor, email=email, role="annotator", password="correct horse 9"
            )
        user = session.get(User, ghost_id)
        assert user is not None
        with pytest.raises(Invalid, match="imported annotator"):
            accounts.set_password(session, user=user, password="correct horse 9")
        with pytest.raises(Invalid, match="kept for imported annotators"):
            accounts.create_user(session, email="x@imported.invalid", password=None)
    # The real address may still become a member: it is not the imported annotator.
    with stack.runtime.db.transaction() as session:
        actor = accounts.get_membership_or_raise(
            session, organization_id=owner.organization_id, user=owner.user
        )
        _, real = accounts.add_member(
            session,
            actor=actor,
            email="ghost@old.example",
            role="annotator",
            password="correct horse 9",
        )
        assert real.id != ghost_id


def test_another_organizations_imported_annotator_is_not_reused(
    stack: Stack, factory: Factory
) -> None:
    first, second = factory.owner(), factory.owner()
    people = []
    for owner in (first, second):
        project = factory.project(owner)
        job = _import(
            stack,
            owner,
            project["id"],
            [
                {
                    "data": {"image": "https://x/1"},
                    "annotations": [{"result": [], "completed_by": 12}],
                }
            ],
        )
        assert job["counts"]["imported_annotators"] == 1
        with stack.runtime.db.session() as session:
            people.append(
                session.scalars(
                    select(Annotation.user_id).where(Annotation.project_id == project["id"])
                ).one()
            )
    assert people[0] != people[1]
    assert _user(stack, people[0]).imported_organization_id == first.organization_id
    assert _user(stack, people[1]).imported_organization_id == second.organization_id


def test_a_member_of_another_organization_is_not_credited(stack: Stack, factory: Factory) -> None:
    owner, stranger = factory.owner(), factory.owner()
    project = factory.project(owner)
    tasks = [
        {
            "data": {"image": "https://x/1"},
            "annotations": [{"result": [], "completed_by": stranger.email}],
        }
    ]
    _import(stack, owner, project["id"], tasks)
    with stack.runtime.db.session() as session:
        credited = session.scalars(select(Annotation.user_id)).one()
    assert credited != stranger.user.id
    assert _user(stack, credited).imported_organization_id == owner.organization_id


def test_the_same_file_imported_twice_says_so(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    tasks = [
        {
            "data": {"image": "https://x/1"},
            "annotations": [{"result": [_box("car")], "completed_by": 5}],
        }
    ]
    blob = orjson.dumps(tasks)
    jobs = []
    for _ in range(2):
        with stack.client(owner.token) as client:
            r = client.post(
                f"/api/v1/projects/{project['id']}/imports/files",
                files=[("files", ("old.json", blob))],
            )
            assert r.status_code == 202, r.text
            stack.run_jobs()
            jobs.append(client.get(f"/api/v1/jobs/{r.json()['id']}").json())
    first, second = jobs
    assert first["errors"] == [] and first["counts"]["files_imported_before"] == 0
    assert second["state"] == "succeeded" and second["counts"]["files_imported_before"] == 1
    assert second["message"] == (
        "imported 1 task with 1 annotation; 1 file imported before (its tasks written again as "
        "new ones)"
    )
    assert second["errors"] == [
        {
            "file": "old.json",
            "row": None,
            "field": None,
            "message": f"imported into this project before (import {first['id']}): its tasks and "
            "annotations are written again, as new tasks",
            "scope": "duplicate",
        }
    ]
    with stack.runtime.db.session() as session:
        per_task = session.execute(
            select(Annotation.task_id, func.count()).group_by(Annotation.task_id)
        ).all()
    assert len(per_task) == 2 and all(n == 1 for _, n in per_task)  # each on its own task


def test_annotations_land_on_their_tasks_across_chunks(settings: Settings) -> None:
    # Chunks of 3 rows and a file read twice (too large to keep): each row's annotations are
    # written with its own task, with the people met in earlier chunks credited the same.
    with running_stack(settings.model_copy(update={"import_batch_size": 3})) as stack:
        factory = Factory(stack)
        owner = factory.owner()
        project = factory.project(owner, overlap=3)
        lines = b"\n".join(
            orjson.dumps(
                {
                    "data": {"image": f"https://x/{i}"},
                    "annotations": [
                        {"result": [_box("car")], "completed_by": f"p{j}"} for j in range(i % 3)
                    ],
                }
            )
            for i in range(8)
        )
        with stack.client(owner.token) as client:
            r = client.post(
                f"/api/v1/projects/{project['id']}/imports/files",
                files=[("files", ("t.jsonl", lines))],
            )
            stack.run_jobs()
            job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
        assert job["state"] == "succeeded", job
        assert (job["counts"]["annotations"], job["counts"]["imported_annotators"]) == (7, 2)
        with stack.runtime.db.session() as session:
            tasks = session.scalars(select(Task).order_by(Task.id)).all()
            assert [t.annotation_count for t in tasks] == [i % 3 for i in range(8)]
            assert [t.open_slots for t in tasks] == [3 - i % 3 for i in range(8)]
            names = dict(
                session.execute(
                    select(Annotation.task_id, func.count(Annotation.id)).group_by(
                        Annotation.task_id
                    )
                ).all()
            )
            people = session.execute(
                select(User.name, func.count(Annotation.id))
                .join(Annotation, Annotation.user_id == User.id)
                .group_by(User.name)
            ).all()
        assert {t.id: t.annotation_count for t in tasks if t.annotation_count} == names
        assert sorted(people) == [("p0", 5), ("p1", 2)]
