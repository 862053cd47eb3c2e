"""Through the API: who sees whose annotations, and the origin an annotation is given."""

from __future__ import annotations

from typing import Any

import pytest

from scenarios import TwoAnnotators, box, lease, submit, two_annotators
from support import Factory, Member, Stack


def _ids(stack: Stack, member: Member, url: str) -> list[int]:
    with stack.client(member.token) as client:
        response = client.get(url)
    assert response.status_code == 200, response.text
    body = response.json()
    items = body["items"] if isinstance(body, dict) else body
    return [a["id"] for a in items]


def _on_task(stack: Stack, scene: TwoAnnotators, member: Member) -> list[int]:
    return _ids(stack, member, f"/api/v1/tasks/{scene.task_id}/annotations")


def _in_project(stack: Stack, scene: TwoAnnotators, member: Member, query: str = "") -> list[int]:
    return _ids(stack, member, f"/api/v1/projects/{scene.project_id}/annotations{query}")


def test_blind_project_hides_other_annotators_work_on_a_task(
    stack: Stack, factory: Factory
) -> None:
    scene = two_annotators(stack, factory, blind=True)
    both = [scene.first_annotation, scene.second_annotation]
    assert _on_task(stack, scene, scene.first) == [scene.first_annotation]
    assert _on_task(stack, scene, scene.second) == [scene.second_annotation]
    assert _on_task(stack, scene, scene.reviewer) == both
    assert _on_task(stack, scene, scene.owner) == both
    # Nor can one read the other's annotation or its revisions by id.
    with stack.client(scene.first.token) as client:
        theirs = scene.second_annotation
        assert client.get(f"/api/v1/annotations/{theirs}").status_code == 404
        assert client.get(f"/api/v1/annotations/{theirs}/revisions").status_code == 404
        assert client.get(f"/api/v1/annotations/{scene.first_annotation}").status_code == 200


def test_open_project_shows_annotators_each_others_work_on_a_task(
    stack: Stack, factory: Factory
) -> None:
    scene = two_annotators(stack, factory, blind=False)
    both = [scene.first_annotation, scene.second_annotation]
    assert _on_task(stack, scene, scene.first) == both
    assert _on_task(stack, scene, scene.second) == both


@pytest.mark.parametrize("blind", [True, False])
def test_project_annotation_list_shows_an_annotator_only_their_own(
    stack: Stack, factory: Factory, blind: bool
) -> None:
    scene = two_annotators(stack, factory, blind=blind)
    both = [scene.first_annotation, scene.second_annotation]
    assert _in_project(stack, scene, scene.first) == [scene.first_annotation]
    assert _in_project(stack, scene, scene.second) == [scene.second_annotation]
    assert _in_project(stack, scene, scene.reviewer) == both
    assert _in_project(stack, scene, scene.owner) == both
    assert _in_project(stack, scene, scene.first, f"?cursor={scene.first_annotation}") == []
    assert _in_project(stack, scene, scene.owner, f"?cursor={scene.first_annotation}") == [
        scene.second_annotation
    ]


# (the regions' origins, the annotation's origin): see ``services.annotations._origin``.
ORIGIN_CASES: list[tuple[list[str | None], str]] = [
    (["model"], "model"),
    (["model", "model"], "model"),
    (["model-edited"], "model-edited"),
    (["model", "model-edited"], "model-edited"),
    ([None, "model-edited"], "model-edited"),
    (["model", None], "human"),
    (["model", "human"], "human"),
    ([None], "human"),
    (["consensus"], "human"),
]


def _regions(origins: list[str | None]) -> list[dict[str, Any]]:
    return [
        box(f"r{i}") if origin is None else box(f"r{i}", origin=origin)
        for i, origin in enumerate(origins)
    ]


def test_origin_follows_the_regions_on_submit_and_update(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    annotator = factory.member(owner, "annotator")
    project = factory.project(owner)
    factory.import_tasks(owner, project["id"], [{"image": f"{i}.png"} for i in range(12)])
    with stack.client(owner.token) as client:
        task_ids = [
            t["id"] for t in client.get(f"/api/v1/projects/{project['id']}/tasks").json()["items"]
        ]
        # A manager submits without a lease (on PostgreSQL: the one-statement submit).
        for task_id, (origins, expected) in zip(task_ids, ORIGIN_CASES, strict=False):
            made = client.post(
                f"/api/v1/tasks/{task_id}/annotations",
                json={"id": f"c{task_id}", "result": _regions(origins)},
            )
            assert made.status_code == 201, made.text
            assert made.json()["origin"] == expected, origins
            stored = client.get(f"/api/v1/annotations/{made.json()['id']}").json()
            assert stored["origin"] == expected, origins

    # An annotator's submit on a lease: a model suggestion accepted as it was stays "model".
    with stack.client(annotator.token) as client:
        leased = client.post(f"/api/v1/projects/{project['id']}/next").json()["task"]["id"]
        made = client.post(
            f"/api/v1/tasks/{leased}/annotations",
            json={"id": "accepted", "result": _regions(["model"])},
        )
        assert made.status_code == 201, made.text
        assert made.json()["origin"] == "model"
        annotation_id = made.json()["id"]
        # Edits recompute it.
        for origins, expected in [
            (["model-edited"], "model-edited"),
            ([None], "human"),
            (["model", "model"], "model"),
        ]:
            changed = client.patch(
                f"/api/v1/annotations/{annotation_id}", json={"result": _regions(origins)}
            )
            assert changed.status_code == 200, changed.text
            assert changed.json()["origin"] == expected, origins
            assert client.get(f"/api/v1/annotations/{annotation_id}").json()["origin"] == expected


def test_project_annotation_list_holds_that_projects_annotations_only(
    stack: Stack, factory: Factory
) -> None:
    first = two_annotators(stack, factory, blind=False)
    # A second project of the same organization, with an annotation of the same annotator.
    other = factory.project(first.owner)
    factory.import_tasks(first.owner, other["id"], [{"image": "o.png"}])
    task = lease(stack, first.first, other["id"])["task"]["id"]
    elsewhere = submit(stack, first.first, task, [box()], "elsewhere")["id"]
    for member in (first.owner, first.reviewer):
        assert _in_project(stack, first, member) == [
            first.first_annotation,
            first.second_annotation,
        ]
        assert _ids(stack, member, f"/api/v1/projects/{other['id']}/annotations") == [elsewhere]
    assert _in_project(stack, first, first.first) == [first.first_annotation]


def test_mine_newest_first_is_the_callers_own_submits_latest_first(
    stack: Stack, factory: Factory
) -> None:
    # The workspace's "previous task" walks this list: the caller's own, newest first.
    scene = two_annotators(stack, factory, blind=False)
    pid = scene.project_id
    factory.import_tasks(scene.owner, pid, [{"image": f"more{i}.png"} for i in range(3)])
    first, second, owner = scene.first, scene.second, scene.owner
    later = submit(stack, first, lease(stack, first, pid)["task"]["id"], [box()], "first-2")["id"]
    theirs = submit(stack, second, lease(stack, second, pid)["task"]["id"], [box()], "second-2")
    owners = submit(stack, owner, lease(stack, owner, pid)["task"]["id"], [box()], "owner-1")["id"]
    everyone = sorted(
        [scene.first_annotation, scene.second_annotation, later, theirs["id"], owners]
    )

    mine = "?mine=true&sort=-id"
    assert _in_project(stack, scene, first, mine) == [later, scene.first_annotation]
    assert _in_project(stack, scene, first, "?sort=-id") == [later, scene.first_annotation]
    assert _in_project(stack, scene, second, mine) == [theirs["id"], scene.second_annotation]
    # Managers and reviewers see everyone's, unless they ask for their own.
    assert _in_project(stack, scene, owner, mine) == [owners]
    assert _in_project(stack, scene, owner, "?sort=-id") == everyone[::-1]
    assert _in_project(stack, scene, owner, "?mine=true") == [owners]
    assert _in_project(stack, scene, owner) == everyone
    assert _in_project(stack, scene, scene.reviewer, mine) == []

    # Pages continue backwards from the cursor.
    with stack.client(first.token) as client:
        url = f"/api/v1/projects/{pid}/annotations{mine}&limit=1"
        page = client.get(url).json()
        assert [a["id"] for a in page["items"]] == [later]
        page = client.get(f"{url}&cursor={page['next_cursor']}").json()
        assert [a["id"] for a in page["items"]] == [scene.first_annotation]
        assert client.get(f"{url}&cursor={page['next_cursor']}").json()["items"] == []
        wrong = client.get(f"/api/v1/projects/{pid}/annotations?sort=newest")
        assert wrong.status_code == 422
        assert wrong.json()["message"].startswith("sort: ")

        # An annotator edits their own (a revision is recorded), never another's.
        other = client.patch(f"/api/v1/annotations/{theirs['id']}", json={"result": [box()]})
        assert other.status_code == 404
        edited = client.patch(
            f"/api/v1/annotations/{scene.first_annotation}", json={"result": [box("r9", "bike")]}
        )
        assert edited.status_code == 200, edited.text
        assert edited.json()["revision"] == 2
        revisions = client.get(f"/api/v1/annotations/{scene.first_annotation}/revisions").json()
        assert [r["result"][0]["label"] for r in revisions] == ["car", "bike"]
    with stack.client(second.token) as client:
        unchanged = client.get(f"/api/v1/annotations/{theirs['id']}").json()
        assert unchanged["revision"] == 1 and unchanged["result"] == theirs["result"]
    # An edit does not move an annotation in the list: the order is the submits'.
    assert _in_project(stack, scene, first, mine) == [later, scene.first_annotation]
