"""Tasks, their predictions and media."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import Query
from fastapi.responses import Response, StreamingResponse

from accord_server.api.deps import CurrentUser, RuntimeDep, SessionDep, api_router
from accord_server.api.v1.reports import report_read
from accord_server.db.models import Task
from accord_server.schemas.annotations import AnnotationRead
from accord_server.schemas.common import Id, Offset
from accord_server.schemas.tasks import (
    BatchRead,
    MediaSizeRead,
    MediaSizeUpdate,
    PersonRead,
    PredictionRead,
    TaskBulkResult,
    TaskBulkUpdate,
    TaskList,
    TaskRead,
    TaskRowRead,
    TaskTableRead,
    TaskUpdate,
)
from accord_server.services import batches, media_sizes, projects, tasks, thumbnails
from accord_server.services.errors import Invalid
from accord_server.services.permissions import Action
from accord_server.services.task_table import TaskFilters, query_task_table

router = api_router(prefix="/api/v1", tags=["tasks"])

Limit = Annotated[int, Query(ge=1, le=1000)]
Reported = Annotated[
    bool | None,
    Query(description="true: only tasks with an open report; false: only tasks without one."),
]


def task_read(task: Task, overlap: int) -> TaskRead:
    """A task with its derived state (``overlap``: its project's)."""
    return TaskRead(
        id=task.id,
        project_id=task.project_id,
        batch_id=task.batch_id,
        data=task.data,
        meta=task.meta or {},
        priority=task.priority,
        is_gold=task.is_gold,
        annotation_count=task.annotation_count,
        state=tasks.task_state(task, overlap),
        open_reports=task.open_reports,
        created_at=task.created_at,
    )


@router.get("/projects/{project_id}/tasks", response_model=TaskList)
def list_tasks(
    project_id: Id,
    session: SessionDep,
    user: CurrentUser,
    state: str | None = None,
    reported: Reported = None,
    cursor: Id | None = None,
    limit: Limit = 100,
) -> TaskList:
    """A page of tasks in id order; pass `next_cursor` back as `cursor` for the next page."""
    project, _ = projects.get_project_or_raise(
        session, project_id=project_id, user=user, action=Action.TASK_LIST
    )
    page = tasks.list_tasks(
        session, project=project, state=state, reported=reported, after_id=cursor, limit=limit
    )
    return TaskList(
        items=[task_read(t, project.overlap) for t in page],
        next_cursor=page[-1].id if len(page) == limit else None,
    )


@router.get("/projects/{project_id}/tasks/table", response_model=TaskTableRead)
def task_table(
    project_id: Id,
    session: SessionDep,
    user: CurrentUser,
    state: str | None = None,
    annotator_id: Id | None = None,
    annotator: Annotated[
        str | None,
        Query(max_length=320, description="Part of an annotator's name or email."),
    ] = None,
    label: str | None = None,
    min_score: float | None = None,
    max_score: float | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    batch_id: Id | None = None,
    reported: Reported = None,
    sort: str = "id",
    offset: Offset = 0,
    limit: Limit = 100,
) -> TaskTableRead:
    """The data manager: filtered, sorted tasks in offset windows, with the total."""
    project, membership = projects.get_project_or_raise(
        session, project_id=project_id, user=user, action=Action.TASK_LIST
    )
    filters = TaskFilters(
        state=state,
        annotator_id=annotator_id,
        annotator=annotator or None,
        label=label,
        min_score=min_score,
        max_score=max_score,
        created_after=created_after,
        created_before=created_before,
        batch_id=batch_id,
        reported=reported,
        sort=sort,
    )
    rows, total = query_task_table(
        session,
        project=project,
        role=membership.role,
        filters=filters,
        offset=offset,
        limit=limit,
    )
    items = [
        TaskRowRead(
            **task_read(r.task, project.overlap).model_dump(),
            annotators=[p.id for p in r.annotators],
            annotator_people=[
                PersonRead(id=p.id, name=p.name, email=p.email) for p in r.annotators
            ],
            max_score=r.max_score,
            batch_name=r.batch_name,
            reports=None if r.reports is None else [report_read(e) for e in r.reports],
        )
        for r in rows
    ]
    return TaskTableRead(items=items, total=total)


@router.get("/projects/{project_id}/batches", response_model=list[BatchRead])
def list_batches(project_id: Id, session: SessionDep, user: CurrentUser) -> list[BatchRead]:
    """A project's batches with their task counts."""
    project, _ = projects.get_project_or_raise(
        session, project_id=project_id, user=user, action=Action.TASK_LIST
    )
    return [
        BatchRead(id=b.id, name=b.name, priority=b.priority, tasks=n)
        for b, n in batches.list_batches(session, project=project)
    ]


@router.post("/projects/{project_id}/tasks/bulk", response_model=TaskBulkResult)
def bulk_update_tasks(
    project_id: Id, body: TaskBulkUpdate, session: SessionDep, user: CurrentUser
) -> TaskBulkResult:
    """Delete tasks or set their priority, many at once."""
    project, membership = projects.get_project_or_raise(session, project_id=project_id, user=user)
    if body.delete:
        n = tasks.delete_tasks(
            session, project=project, membership=membership, task_ids=body.task_ids
        )
    elif body.batch is not None:
        n = batches.move_to_batch(
            session,
            project=project,
            membership=membership,
            task_ids=body.task_ids,
            batch=body.batch,
        )
    elif body.priority is not None:
        n = tasks.set_task_priority(
            session,
            project=project,
            membership=membership,
            task_ids=body.task_ids,
            priority=body.priority,
        )
    else:
        raise Invalid(
            "priority: give a priority, a batch or delete: true", details={"field": "priority"}
        )
    return TaskBulkResult(affected=n)


@router.get("/tasks/{task_id}", response_model=TaskRead)
def get_task(task_id: Id, session: SessionDep, user: CurrentUser) -> TaskRead:
    """One task."""
    task, project, _ = tasks.get_task_or_raise(session, task_id=task_id, user=user)
    return task_read(task, project.overlap)


@router.patch("/tasks/{task_id}", response_model=TaskRead)
def update_task(task_id: Id, body: TaskUpdate, session: SessionDep, user: CurrentUser) -> TaskRead:
    """Replace a task's data (managers and up), e.g. to fix what a report found; refused (409)
    while the task has annotations. Its media facts (size, stored file) follow the new data."""
    task, project, membership = tasks.get_task_or_raise(session, task_id=task_id, user=user)
    task = tasks.update_task_data(
        session, task=task, project=project, membership=membership, data=body.data
    )
    return task_read(task, project.overlap)


@router.delete("/tasks/{task_id}", status_code=204)
def delete_task(task_id: Id, session: SessionDep, user: CurrentUser) -> None:
    """Delete a task with its annotations."""
    task, project, membership = tasks.get_task_or_raise(session, task_id=task_id, user=user)
    tasks.delete_tasks(session, project=project, membership=membership, task_ids=[task.id])


@router.put("/tasks/{task_id}/media-size", response_model=MediaSizeRead)
def record_media_size(
    task_id: Id,
    body: MediaSizeUpdate,
    session: SessionDep,
    user: CurrentUser,
    runtime: RuntimeDep,
) -> MediaSizeRead:
    """Record the size of a task's image, as the workspace that loaded it reports it, when the
    server does not know it yet (tasks imported by URL): from then on shapes on the task are
    checked against it. The first report wins; the same size again is 200, another one 409;
    when the server stores the image, the report must match the file (422). For whoever may
    annotate the task."""
    size = media_sizes.record_media_size(
        session,
        task_id=task_id,
        user=user,
        width=body.width,
        height=body.height,
        storage=runtime.storage,
        max_pixels=runtime.settings.max_image_pixels,
    )
    return MediaSizeRead.model_validate(size)


@router.get("/tasks/{task_id}/predictions", response_model=list[PredictionRead])
def list_predictions(task_id: Id, session: SessionDep, user: CurrentUser) -> list[PredictionRead]:
    """Model predictions on a task."""
    task, _, _ = tasks.get_task_or_raise(session, task_id=task_id, user=user)
    return [PredictionRead.model_validate(p) for p in tasks.list_predictions(session, task=task)]


@router.get("/tasks/{task_id}/annotations", response_model=list[AnnotationRead])
def list_task_annotations(
    task_id: Id, session: SessionDep, user: CurrentUser
) -> list[AnnotationRead]:
    """Annotations on a task you may see (only yours in a blind project, as an annotator)."""
    task, project, membership = tasks.get_task_or_raise(session, task_id=task_id, user=user)
    return [
        AnnotationRead.model_validate(a)
        for a in tasks.list_task_annotations(
            session, task=task, project=project, membership=membership, user=user
        )
    ]


@router.get(
    "/projects/{project_id}/media/{key:path}/thumbnail",
    response_class=Response,
    responses={200: {"content": {thumbnails.MIME: {}}, "description": "A JPEG thumbnail."}},
)
def get_thumbnail(
    project_id: Id,
    key: str,
    session: SessionDep,
    user: CurrentUser,
    runtime: RuntimeDep,
    size: int = 256,
) -> Response:
    """A JPEG thumbnail of an image of one of the project's tasks (made once, then cached);
    422 for an image that is not a JPEG and has more than `ACCORD_MAX_DECODE_PIXELS` pixels."""
    project, _ = projects.get_project_or_raise(session, project_id=project_id, user=user)
    data = thumbnails.get_thumbnail(
        session,
        storage=runtime.storage,
        project=project,
        key=key,
        size=size,
        max_pixels=runtime.settings.max_image_pixels,
        max_decode_pixels=runtime.settings.max_decode_pixels,
    )
    return Response(
        data,
        media_type=thumbnails.MIME,
        headers={"Cache-Control": "private, max-age=86400, immutable"},
    )


# Declared after the thumbnail route: ``{key:path}`` would otherwise swallow "/thumbnail".
@router.get("/projects/{project_id}/media/{key:path}", response_class=Response)
def get_media(
    project_id: Id, key: str, session: SessionDep, user: CurrentUser, runtime: RuntimeDep
) -> StreamingResponse:
    """A media file of one of the project's tasks."""
    project, _ = projects.get_project_or_raise(session, project_id=project_id, user=user)
    mime = tasks.get_media_mime_or_raise(session, project=project, key=key)
    stream = runtime.storage.open(key)
    return StreamingResponse(
        stream,
        media_type=mime,
        headers={"Cache-Control": "private, max-age=86400, immutable"},
    )
