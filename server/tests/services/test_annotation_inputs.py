"""The annotation service's own checks of its inputs (the API's schemas check some of them
first; the service must hold without them)."""

from __future__ import annotations

import pytest

from accord_server.services import annotations as annotation_service
from accord_server.services import projects, tasks
from accord_server.services.annotations import media_info
from accord_server.services.errors import Invalid
from accord_server.services.results import MediaInfo
from scenarios import box
from support import Factory, Stack


def test_media_info_reads_the_probed_facts() -> None:
    meta = {"width": 640, "height": 480, "text_length": 12, "frame_count": 90, "mime": "x"}
    assert media_info(meta, "video") == MediaInfo(
        kind="video", width=640, height=480, text_length=12, frame_count=90
    )
    assert media_info(None, "text") == MediaInfo(
        kind="text", width=None, height=None, text_length=None, frame_count=None
    )


def test_client_ids_are_1_to_64_characters(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    factory.import_tasks(owner, project["id"], [{"image": "a.png"}])
    with stack.runtime.db.transaction() as session:
        found, _ = projects.get_project_or_raise(session, project_id=project["id"], user=owner.user)
        task_id = tasks.list_tasks(session, project=found)[0].id
    for bad in ("", "x" * 65):
        with stack.runtime.db.transaction() as session:
            access = tasks.get_task_access_or_raise(session, task_id=task_id, user_id=owner.user.id)
            with pytest.raises(Invalid) as refused:
                annotation_service.submit_annotation(
                    session, access=access, user=owner.user, client_id=bad, result=[box()]
                )
        assert refused.value.details == {"field": "id"}
        assert refused.value.message == "id: must be a client-generated id of 1 to 64 characters"
    with stack.runtime.db.transaction() as session:
        access = tasks.get_task_access_or_raise(session, task_id=task_id, user_id=owner.user.id)
        _, created = annotation_service.submit_annotation(
            session, access=access, user=owner.user, client_id="x" * 64, result=[box()]
        )
        assert created


def test_lead_time_is_a_non_negative_number_of_seconds(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    factory.import_tasks(owner, project["id"], [{"image": "a.png"}, {"image": "b.png"}])
    with stack.runtime.db.transaction() as session:
        found, _ = projects.get_project_or_raise(session, project_id=project["id"], user=owner.user)
        task_ids = [t.id for t in tasks.list_tasks(session, project=found)]
    for bad in (-1.0, float("nan")):
        with stack.runtime.db.transaction() as session:
            access = tasks.get_task_access_or_raise(
                session, task_id=task_ids[0], user_id=owner.user.id
            )
            with pytest.raises(Invalid) as refused:
                annotation_service.submit_annotation(
                    session,
                    access=access,
                    user=owner.user,
                    client_id="a",
                    result=[box()],
                    lead_time=bad,
                )
        assert refused.value.details == {"field": "lead_time"}
    with stack.runtime.db.transaction() as session:
        access = tasks.get_task_access_or_raise(session, task_id=task_ids[1], user_id=owner.user.id)
        annotation, _ = annotation_service.submit_annotation(
            session, access=access, user=owner.user, client_id="b", result=[box()], lead_time=0.0
        )
        assert annotation.lead_time == 0.0
