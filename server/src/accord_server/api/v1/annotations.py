"""Annotations: submit (idempotent), read, update with revisions, delete."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from accord_server.api.deps import (
    CurrentUser,
    RuntimeDep,
    SessionDep,
    api_router,
    inline,
    one_write,
)
from accord_server.schemas.annotations import (
    AnnotationCreate,
    AnnotationList,
    AnnotationRead,
    AnnotationRevisionRead,
    AnnotationSort,
    AnnotationUpdate,
)
from accord_server.schemas.common import Id
from accord_server.services import annotations as annotation_service
from accord_server.services import projects, tasks

router = api_router(prefix="/api/v1", tags=["annotations"])


@router.post(
    "/tasks/{task_id}/annotations",
    response_model=AnnotationRead,
    status_code=201,
    responses={
        200: {"model": AnnotationRead, "description": "A retried submit: the first result."}
    },
)
@inline
@one_write
def submit_annotation(
    task_id: Id,
    body: AnnotationCreate,
    response: Response,
    session: SessionDep,
    user: CurrentUser,
    runtime: RuntimeDep,
) -> AnnotationRead:
    """Submit your annotation of a task; the same `id` again returns the first result.

    At most `ACCORD_MAX_REGIONS` regions (`GET /api/v1/limits`)."""
    access = tasks.get_task_access_or_raise(session, task_id=task_id, user_id=user.id)
    annotation, created = annotation_service.submit_annotation(
        session,
        access=access,
        user=user,
        client_id=body.id,
        result=body.result,
        lead_time=body.lead_time,
        max_regions=runtime.settings.max_regions,
    )
    if not created:
        response.status_code = 200
    return AnnotationRead.model_validate(annotation)


@router.get("/projects/{project_id}/annotations", response_model=AnnotationList)
def list_annotations(
    project_id: Id,
    session: SessionDep,
    user: CurrentUser,
    mine: Annotated[
        bool, Query(description="Only your own annotations (an annotator only ever gets theirs).")
    ] = False,
    sort: Annotated[
        AnnotationSort,
        Query(description="`id`: oldest first; `-id`: newest first (e.g. your latest submits)."),
    ] = "id",
    cursor: Annotated[
        Id | None, Query(description="`next_cursor` of the previous page, in the same sort.")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> AnnotationList:
    """A page of the project's annotations (annotators see only their own)."""
    project, membership = projects.get_project_or_raise(session, project_id=project_id, user=user)
    page = annotation_service.list_project_annotations(
        session,
        project=project,
        membership=membership,
        user=user,
        mine=mine,
        newest_first=sort == "-id",
        cursor=cursor,
        limit=limit,
    )
    return AnnotationList(
        items=[AnnotationRead.model_validate(a) for a in page],
        next_cursor=page[-1].id if len(page) == limit else None,
    )


@router.get("/annotations/{annotation_id}", response_model=AnnotationRead)
def get_annotation(annotation_id: Id, session: SessionDep, user: CurrentUser) -> AnnotationRead:
    """One annotation."""
    annotation, *_ = annotation_service.get_annotation_or_raise(
        session, annotation_id=annotation_id, user=user
    )
    return AnnotationRead.model_validate(annotation)


@router.patch("/annotations/{annotation_id}", response_model=AnnotationRead)
def update_annotation(
    annotation_id: Id,
    body: AnnotationUpdate,
    session: SessionDep,
    user: CurrentUser,
    runtime: RuntimeDep,
) -> AnnotationRead:
    """Replace the result; the previous one is kept as a revision (at most
    `ACCORD_MAX_REGIONS` regions)."""
    annotation, task, project, membership = annotation_service.get_annotation_or_raise(
        session, annotation_id=annotation_id, user=user
    )
    annotation = annotation_service.update_annotation(
        session,
        annotation=annotation,
        task=task,
        project=project,
        membership=membership,
        user=user,
        result=body.result,
        lead_time=body.lead_time,
        max_regions=runtime.settings.max_regions,
    )
    return AnnotationRead.model_validate(annotation)


@router.delete("/annotations/{annotation_id}", status_code=204)
def delete_annotation(annotation_id: Id, session: SessionDep, user: CurrentUser) -> None:
    """Delete an annotation; the task goes back to the queue for one more."""
    annotation, _, project, membership = annotation_service.get_annotation_or_raise(
        session, annotation_id=annotation_id, user=user
    )
    annotation_service.delete_annotation(
        session, annotation=annotation, project=project, membership=membership, user=user
    )


@router.get("/annotations/{annotation_id}/revisions", response_model=list[AnnotationRevisionRead])
def list_revisions(
    annotation_id: Id, session: SessionDep, user: CurrentUser
) -> list[AnnotationRevisionRead]:
    """Every revision of an annotation, oldest first."""
    annotation, *_ = annotation_service.get_annotation_or_raise(
        session, annotation_id=annotation_id, user=user
    )
    return [
        AnnotationRevisionRead.model_validate(r)
        for r in annotation_service.list_revisions(session, annotation=annotation)
    ]
