"""Tasks: listing with keyset pagination, lookup, data updates, deletion, predictions, bulk
insertion."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from sqlalchemy import ColumnElement, Select, bindparam, delete, func, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.elements import BindParameter

from accord_server import wording
from accord_server.db.base import utcnow
from accord_server.db.bulk import bulk_insert, reserve_ids
from accord_server.db.direct import DirectStatement
from accord_server.db.models import (
    Annotation,
    Assignment,
    Membership,
    Prediction,
    Project,
    Task,
    User,
)
from accord_server.schemas.enums import EventKind, TaskState
from accord_server.services.errors import Conflict, Invalid, NotFound
from accord_server.services.events import EventRecord, Payload, record, record_all
from accord_server.services.permissions import Action, authorize, can

MEDIA_DATA_KEY = {"image": "image", "video": "video", "audio": "audio", "text": "text"}
"""The key of a task's data that holds its media (a URL), or its text, by the project's medium."""


def media_url(project_id: int, key: str) -> str:
    """Where the web app and exports fetch a stored media file."""
    return f"/api/v1/projects/{project_id}/media/{key}"


def task_state(task: Task, overlap: int) -> str:
    """Derived state: new (no annotation), in_progress, completed (annotations >= overlap)."""
    if task.annotation_count >= overlap:
        return TaskState.COMPLETED
    return TaskState.IN_PROGRESS if task.annotation_count > 0 else TaskState.NEW


def state_filter(state: str, overlap: int) -> ColumnElement[bool]:
    """SQL condition for a derived task state."""
    if state == TaskState.NEW:
        return Task.annotation_count == 0
    if state == TaskState.COMPLETED:
        return Task.annotation_count >= overlap
    if state == TaskState.IN_PROGRESS:
        return (Task.annotation_count > 0) & (Task.annotation_count < overlap)
    raise Invalid(
        f"state: {state!r} is not a task state; expected one of: {', '.join(TaskState)}",
        details={"field": "state"},
    )


def reported_filter(reported: bool) -> ColumnElement[bool]:
    """SQL condition: the task has an open report (True), or none (False)."""
    return Task.open_reports > 0 if reported else Task.open_reports == 0


def list_tasks(
    session: Session,
    *,
    project: Project,
    state: str | None = None,
    reported: bool | None = None,
    after_id: int | None = None,
    limit: int = 100,
) -> list[Task]:
    """A page of a project's tasks in id order, after ``after_id`` (keyset pagination);
    ``reported``: only tasks with (True) or without (False) an open report."""
    query = select(Task).where(Task.project_id == project.id).order_by(Task.id).limit(limit)
    if state:
        query = query.where(state_filter(state, project.overlap))
    if reported is not None:
        query = query.where(reported_filter(reported))
    if after_id is not None:
        query = query.where(Task.id > after_id)
    return list(session.scalars(query))


class Hold(NamedTuple):
    """A user's assignment on a task as read (a row, not an object of the session)."""

    id: int
    state: str
    leased_at: datetime


@functools.cache
def _task_query() -> Select[Task, Project, Membership, int | None]:
    # Built once: the hot path of every request pays only for execution.
    user_id: BindParameter[int] = bindparam("user_id")
    return (
        select(Task, Project, Membership, Assignment.id)
        .join(Project, Project.id == Task.project_id)
        .join(Membership, Membership.organization_id == Project.organization_id)
        .outerjoin(Assignment, (Assignment.task_id == Task.id) & (Assignment.user_id == user_id))
        .where(Task.id == bindparam("task_id"), Membership.user_id == user_id)
    )


def _check_visible(task_id: int, role: str, handed_out: bool) -> None:
    """Reviewers and up see any task of their organizations; the others only tasks handed to
    them (NotFound otherwise)."""
    if not handed_out and not can(role, Action.TASK_LIST):
        raise NotFound(f"task {task_id} not found")


class TaskAccess(NamedTuple):
    """A task as the annotators' hot path (submit, draft) needs it: its media facts, its
    project's, the caller's role there and their hold on it, read as plain values in one query.

    Not ORM objects: building the task, project and membership objects cost four times the
    query itself (measured in instructions), and the hot path reads only these columns."""

    task_id: int
    meta: dict[str, Any]
    project_id: int
    organization_id: int
    media: str
    schema_version: datetime
    """The project's ``updated_at``: the key of its parsed schema (``projects.schema_for``)."""
    role: str
    hold: Hold | None


@functools.cache
def _access_statement() -> DirectStatement:
    user_id: BindParameter[int] = bindparam("user_id")
    query = (
        select(
            Task.id,
            Task.meta,
            Project.id,
            Project.organization_id,
            Project.media,
            Project.updated_at,
            Membership.role,
            Assignment.id,
            Assignment.state,
            Assignment.leased_at,
        )
        .join(Project, Project.id == Task.project_id)
        .join(Membership, Membership.organization_id == Project.organization_id)
        .outerjoin(Assignment, (Assignment.task_id == Task.id) & (Assignment.user_id == user_id))
        .where(Task.id == bindparam("task_id"), Membership.user_id == user_id)
    )
    return DirectStatement(query)


def get_task_access_or_raise(session: Session, *, task_id: int, user_id: int) -> TaskAccess:
    """A task the user may see (``get_task_or_raise``'s rule), as plain values with their role
    and hold (see ``TaskAccess``)."""
    params = {"task_id": task_id, "user_id": user_id}
    found = _access_statement().first(session.connection(), params)
    if found is None:
        raise NotFound(f"task {task_id} not found")
    task_id, meta, project_id, org_id, media, version, role, hold_id, state, leased_at = found
    _check_visible(task_id, role, handed_out=hold_id is not None)
    hold = None if hold_id is None else Hold(hold_id, state, leased_at)
    return TaskAccess(task_id, meta or {}, project_id, org_id, media, version, role, hold)


def check_may_annotate(access: TaskAccess) -> None:
    """Who may annotate a task they see: whoever was handed it (a lease, now or before) and
    those who may edit any annotation (managers and up); the others get NotFound, as for a task
    not handed to them (a reviewer sees it, but may not work on it)."""
    if access.hold is None and not can(access.role, Action.ANNOTATION_EDIT_ANY):
        raise NotFound(f"task {access.task_id} is not assigned to you; ask the queue for it first")


def get_task_or_raise(
    session: Session, *, task_id: int, user: User
) -> tuple[Task, Project, Membership]:
    """A task the user may see: any in their organizations for reviewers and up, else only
    tasks handed to them (NotFound otherwise)."""
    row = session.execute(_task_query(), {"task_id": task_id, "user_id": user.id}).first()
    if row is None:
        raise NotFound(f"task {task_id} not found")
    task, project, membership, assignment_id = row
    _check_visible(task_id, membership.role, handed_out=assignment_id is not None)
    return task, project, membership


def delete_tasks(
    session: Session, *, project: Project, membership: Membership, task_ids: Sequence[int]
) -> int:
    """Delete tasks of a project (with their annotations); returns how many went."""
    authorize(membership.role, Action.TASK_DELETE)
    deleted = sorted(
        session.scalars(
            delete(Task)
            .where(Task.project_id == project.id, Task.id.in_(list(task_ids)))
            .returning(Task.id)
        )
    )
    if deleted:
        record(
            session,
            EventKind.TASK_DELETED,
            organization_id=project.organization_id,
            project_id=project.id,
            payload={"task_ids": deleted, "count": len(deleted)},
        )
    session.flush()
    return len(deleted)


def update_task_data(
    session: Session,
    *,
    task: Task,
    project: Project,
    membership: Membership,
    data: dict[str, Any],
) -> Task:
    """Replace a task's data (managers and up), e.g. to fix what a report found; refused while
    it has live annotations (they were made on the old data). The media facts follow the data:
    the same media URL keeps them, another stored media file of the project brings its own, a
    text's length is counted again; for anything else they are unknown, as for a URL import."""
    authorize(membership.role, Action.TASK_UPDATE)
    meta, media_key = _media_facts(session, project, task, data)
    changed = session.execute(
        update(Task)
        .where(Task.id == task.id, Task.annotation_count == 0)
        .values(data=data, meta=meta, media_key=media_key)
        .execution_options(synchronize_session=False)
    )
    if not changed.rowcount:  # type: ignore[attr-defined]
        session.refresh(task)
        n = task.annotation_count
        raise Conflict(
            f"data: task {task.id} has {wording.count(n, 'annotation')} made on its data; "
            f"delete {'it' if n == 1 else 'them'} before changing the data",
            details={"field": "data", "annotations": n},
        )
    record(
        session,
        EventKind.TASK_UPDATED,
        organization_id=project.organization_id,
        project_id=project.id,
        payload={"task_id": task.id, "changes": ["data"]},
    )
    session.flush()
    session.refresh(task)
    return task


def _media_facts(
    session: Session, project: Project, task: Task, data: dict[str, Any]
) -> tuple[dict[str, Any], str | None]:
    """The meta and media key that go with new ``data`` (see ``update_task_data``)."""
    field = MEDIA_DATA_KEY.get(project.media, project.media)
    value = data.get(field)
    if project.media == "text":
        return ({"text_length": len(value)} if isinstance(value, str) else {}), None
    if value == task.data.get(field):
        return dict(task.meta or {}), task.media_key
    prefix = media_url(project.id, "")
    if not isinstance(value, str) or not value.startswith(prefix):
        return {}, None  # a URL elsewhere: like a URL import, nothing known of it
    key = value[len(prefix) :]
    meta = session.scalar(
        select(Task.meta).where(Task.project_id == project.id, Task.media_key == key).limit(1)
    )
    if meta is None:
        raise Invalid(
            f"data.{field}: no media file of project {project.id} is stored as {key!r}",
            details={"field": f"data.{field}"},
        )
    return dict(meta), key


def set_task_priority(
    session: Session,
    *,
    project: Project,
    membership: Membership,
    task_ids: Sequence[int],
    priority: int,
) -> int:
    """Set the priority of tasks of a project; returns how many changed."""
    authorize(membership.role, Action.TASK_UPDATE)
    result = session.execute(
        update(Task)
        .where(Task.project_id == project.id, Task.id.in_(list(task_ids)))
        .values(priority=priority)
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def list_predictions(session: Session, *, task: Task) -> list[Prediction]:
    """Model predictions on a task, newest first."""
    return list(
        session.scalars(
            select(Prediction).where(Prediction.task_id == task.id).order_by(Prediction.id.desc())
        )
    )


def get_media_mime_or_raise(session: Session, *, project: Project, key: str) -> str:
    """The content type of a media file one of the project's tasks names, or NotFound."""
    # Keys are content hashes: only someone who saw a task's data can name one.
    query = select(Task.meta).where(Task.project_id == project.id, Task.media_key == key).limit(1)
    meta = session.scalar(query)
    if meta is None:
        raise NotFound(f"media {key} not found in project {project.id}")
    return str(meta.get("mime", "application/octet-stream"))


def list_task_annotations(
    session: Session, *, task: Task, project: Project, membership: Membership, user: User
) -> list[Annotation]:
    """Live annotations on a task the caller may see (only their own in blind mode)."""
    query = (
        select(Annotation)
        .where(Annotation.task_id == task.id, Annotation.deleted_at.is_(None))
        .order_by(Annotation.id)
    )
    if not can(membership.role, Action.ANNOTATION_READ_ANY) and project.blind:
        query = query.where(Annotation.user_id == user.id)
    return list(session.scalars(query))


TASK_COLUMNS = (
    "id",
    "project_id",
    "batch_id",
    "import_job_id",
    "data",
    "meta",
    "media_key",
    "priority",
    "is_gold",
    "annotation_count",
    "open_slots",
    "created_at",
)
PREDICTION_COLUMNS = (
    "project_id",
    "task_id",
    "model_version",
    "score",
    "result",
    "created_at",
)


def insert_tasks(
    session: Session,
    *,
    project: Project,
    rows: Sequence[dict[str, Any]],
    import_job_id: int | None = None,
) -> list[int]:
    """Bulk-insert task rows (dicts with data, meta, media_key, priority, batch_id, is_gold,
    and ``annotation_count`` when they come with annotations, written right after by the
    caller: each takes a slot, as a submit does); returns the new ids in order."""
    ids = reserve_ids(session, Task, len(rows))
    now = utcnow()
    project_id, overlap = project.id, project.overlap  # ORM attribute reads: once, not per row
    values = [
        (
            task_id,
            project_id,
            row.get("batch_id"),
            import_job_id,
            row["data"],
            row.get("meta") or {},
            row.get("media_key"),
            row.get("priority", 0),
            row.get("is_gold", False),
            row.get("annotation_count", 0),
            overlap - row.get("annotation_count", 0),
            now,
        )
        for task_id, row in zip(ids, rows, strict=True)
    ]
    bulk_insert(session, Task, TASK_COLUMNS, values)
    if ids:
        record(
            session,
            EventKind.TASK_CREATED,
            organization_id=project.organization_id,
            project_id=project.id,
            payload={
                "first_task_id": ids[0],
                "last_task_id": ids[-1],
                "count": len(ids),
                "import_job_id": import_job_id,
            },
        )
    return list(ids)


def find_completions(
    session: Session, events: Sequence[EventRecord]
) -> list[tuple[EventKind, int, int | None, Payload]]:
    """The task.completed events that ``events`` (annotation.created) call for: an annotation
    brought its task to the project's overlap, i.e. it is live and exactly ``overlap`` live
    annotations of the task are as old as it or older. A read (the ``prepare`` of the
    ``task_completions`` subscriber)."""
    ids = [int(e.payload["annotation_id"]) for e in events]
    earlier = aliased(Annotation)
    live_before = (
        select(func.count(earlier.id))
        .where(
            earlier.task_id == Annotation.task_id,
            earlier.deleted_at.is_(None),
            earlier.id <= Annotation.id,
        )
        .scalar_subquery()
    )
    rows = session.execute(
        select(
            Annotation.id,
            Annotation.task_id,
            Project.id,
            Project.organization_id,
            Project.overlap,
            live_before,
        )
        .join(Project, Project.id == Annotation.project_id)
        .where(Annotation.id.in_(ids), Annotation.deleted_at.is_(None))
        .order_by(Annotation.id)
    ).all()
    return [
        (
            EventKind.TASK_COMPLETED,
            organization_id,
            project_id,
            {"task_id": task_id, "annotation_id": annotation_id, "annotations": count},
        )
        for annotation_id, task_id, project_id, organization_id, overlap, count in rows
        if count == overlap
    ]


def record_completions(
    session: Session,
    events: Sequence[EventRecord],
    completed: Sequence[tuple[EventKind, int, int | None, Payload]],
) -> None:
    """Event subscriber (annotation.created): record the task.completed events
    ``find_completions`` found. Found after the fact, so that a submit writes nothing more for
    it; a task that loses an annotation and gets another completes again."""
    record_all(session, completed)


def insert_predictions(
    session: Session, *, project: Project, rows: Iterable[dict[str, Any]]
) -> int:
    """Bulk-insert predictions (dicts with task_id, result, score, model_version)."""
    now = utcnow()
    values = [
        (project.id, row["task_id"], row.get("model_version"), row.get("score"), row["result"], now)
        for row in rows
    ]
    bulk_insert(session, Prediction, PREDICTION_COLUMNS, values)
    return len(values)
