"""Who sees whose annotations, and the origin an annotation is given, at the service level.

The data is made through the API (``scenarios``); the services are then called directly in a
transaction of the test's own database."""

from __future__ import annotations

from typing import Any

import pytest

from accord_server.services import annotations as annotation_service
from accord_server.services import projects, tasks
from scenarios import TwoAnnotators, box, two_annotators
from support import Factory, Member, Stack


def _task_annotations(stack: Stack, scene: TwoAnnotators, member: Member) -> list[int]:
    with stack.runtime.db.transaction(write=False) as session:
        task, project, membership = tasks.get_task_or_raise(
            session, task_id=scene.task_id, user=member.user
        )
        found = tasks.list_task_annotations(
            session, task=task, project=project, membership=membership, user=member.user
        )
        return [a.id for a in found]


def _project_annotations(
    stack: Stack, scene: TwoAnnotators, member: Member, **page: Any
) -> list[int]:
    with stack.runtime.db.transaction(write=False) as session:
        project, membership = projects.get_project_or_raise(
            session, project_id=scene.project_id, user=member.user
        )
        found = annotation_service.list_project_annotations(
            session, project=project, membership=membership, user=member.user, **page
        )
        return [a.id for a in found]


def test_blind_task_annotations_show_an_annotator_only_their_own(
    stack: Stack, factory: Factory
) -> None:
    scene = two_annotators(stack, factory, blind=True)
    both = [scene.first_annotation, scene.second_annotation]
    assert _task_annotations(stack, scene, scene.first) == [scene.first_annotation]
    assert _task_annotations(stack, scene, scene.second) == [scene.second_annotation]
    # Reviewers and up see everyone's, blind or not.
    assert _task_annotations(stack, scene, scene.reviewer) == both
    assert _task_annotations(stack, scene, scene.owner) == both


def test_open_task_annotations_show_annotators_each_others(stack: Stack, factory: Factory) -> None:
    scene = two_annotators(stack, factory, blind=False)
    both = [scene.first_annotation, scene.second_annotation]
    assert _task_annotations(stack, scene, scene.first) == both
    assert _task_annotations(stack, scene, scene.second) == both


@pytest.mark.parametrize("blind", [True, False])
def test_project_annotations_show_an_annotator_only_their_own(
    stack: Stack, factory: Factory, blind: bool
) -> None:
    # Blind or not: the project-wide list is a reviewer's tool.
    scene = two_annotators(stack, factory, blind=blind)
    both = [scene.first_annotation, scene.second_annotation]
    assert _project_annotations(stack, scene, scene.first) == [scene.first_annotation]
    assert _project_annotations(stack, scene, scene.second) == [scene.second_annotation]
    assert _project_annotations(stack, scene, scene.reviewer) == both
    assert _project_annotations(stack, scene, scene.owner) == both
    # Pagination keeps the filter: after the first annotation, the first annotator has none.
    assert _project_annotations(stack, scene, scene.first, cursor=scene.first_annotation) == []
    assert _project_annotations(stack, scene, scene.owner, limit=1) == [scene.first_annotation]
    assert _project_annotations(stack, scene, scene.owner, cursor=scene.first_annotation) == [
        scene.second_annotation
    ]
    # Newest first, and only the caller's own with ``mine`` (annotators get only theirs anyway).
    assert _project_annotations(stack, scene, scene.owner, newest_first=True) == both[::-1]
    assert _project_annotations(
        stack, scene, scene.owner, newest_first=True, cursor=scene.second_annotation
    ) == [scene.first_annotation]
    assert _project_annotations(stack, scene, scene.owner, mine=True) == []
    assert _project_annotations(stack, scene, scene.reviewer, mine=True) == []
    assert _project_annotations(stack, scene, scene.second, mine=True, newest_first=True) == [
        scene.second_annotation
    ]


def test_deleted_annotations_are_hidden_from_both_lists(stack: Stack, factory: Factory) -> None:
    scene = two_annotators(stack, factory, blind=False)
    with stack.client(scene.owner.token) as client:
        assert client.delete(f"/api/v1/annotations/{scene.first_annotation}").status_code == 204
    assert _task_annotations(stack, scene, scene.owner) == [scene.second_annotation]
    assert _project_annotations(stack, scene, scene.owner) == [scene.second_annotation]


def _model(region_id: str, origin: str | None, label: str = "car") -> dict[str, Any]:
    return box(region_id, label) if origin is None else box(region_id, label, origin=origin)


# (the regions' origins, the annotation's origin): the rules of ``annotations._origin``.
ORIGIN_CASES: list[tuple[list[str | None], str]] = [
    (["model"], "model"),
    (["model", "model"], "model"),
    (["model-edited"], "model-edited"),
    (["model", "model-edited"], "model-edited"),
    ([None, "model-edited"], "model-edited"),
    (["model", None], "human"),
    (["model", "human"], "human"),
    ([None], "human"),
    (["human"], "human"),
    (["consensus"], "human"),
    ([], "human"),
]


def _regions(origins: list[str | None]) -> list[dict[str, Any]]:
    return [_model(f"r{i}", origin) for i, origin in enumerate(origins)]


def test_origin_of_submitted_and_updated_annotations(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    factory.import_tasks(
        owner, project["id"], [{"image": f"{i}.png"} for i in range(len(ORIGIN_CASES))]
    )
    with stack.runtime.db.transaction() as session:
        ids = tasks.list_tasks(
            session,
            project=projects.get_project_or_raise(
                session, project_id=project["id"], user=owner.user
            )[0],
        )
        task_ids = [t.id for t in ids]
    made: list[tuple[int, str]] = []
    for task_id, (origins, expected) in zip(task_ids, ORIGIN_CASES, strict=True):
        with stack.runtime.db.transaction() as session:
            # A manager submits without a lease.
            access = tasks.get_task_access_or_raise(session, task_id=task_id, user_id=owner.user.id)
            annotation, created = annotation_service.submit_annotation(
                session,
                access=access,
                user=owner.user,
                client_id=f"c{task_id}",
                result=_regions(origins),
            )
            assert created
            assert annotation.origin == expected, origins
            made.append((annotation.id, expected))
    # As stored.
    with stack.client(owner.token) as client:
        for annotation_id, expected in made:
            assert client.get(f"/api/v1/annotations/{annotation_id}").json()["origin"] == expected

    # An update recomputes it from the new regions.
    annotation_id = made[0][0]
    for origins, expected in [
        (["model-edited"], "model-edited"),
        ([None], "human"),
        (["model"], "model"),
    ]:
        with stack.runtime.db.transaction() as session:
            annotation, task, project_row, membership = annotation_service.get_annotation_or_raise(
                session, annotation_id=annotation_id, user=owner.user
            )
            updated = annotation_service.update_annotation(
                session,
                annotation=annotation,
                task=task,
                project=project_row,
                membership=membership,
                user=owner.user,
                result=_regions(origins),
            )
            assert updated.origin == expected, origins
        with stack.client(owner.token) as client:
            assert client.get(f"/api/v1/annotations/{annotation_id}").json()["origin"] == expected
