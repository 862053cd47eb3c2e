"""Annotations: idempotent submit, update with revisions, delete; validated on the way in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord_server.db.base import utcnow
from accord_server.db.engine import NeedsTransaction, in_statement_atomic
from accord_server.db.models import (
    Annotation,
    AnnotationRevision,
    Assignment,
    Membership,
    Project,
    Task,
    User,
)
from accord_server.schemas.enums import EventKind
from accord_server.services.errors import Conflict, Forbidden, Invalid, NotFound
from accord_server.services.events import AnnotationPayload, event_values, record
from accord_server.services.permissions import Action, authorize, can
from accord_server.services.projects import project_schema, schema_for
from accord_server.services.results import MediaInfo, validate_result
from accord_server.services.submit_statements import ANNOTATION_COLUMNS, submit_statements
from accord_server.services.tasks import TaskAccess, check_may_annotate

MAX_CLIENT_ID = 64


def media_info(meta: dict[str, Any] | None, kind: str) -> MediaInfo:
    """What validation needs to know about a task's media: its ``meta`` (from the import-time
    probe) and its project's kind of media."""
    meta = meta or {}
    return MediaInfo(
        kind=kind,
        width=meta.get("width"),
        height=meta.get("height"),
        text_length=meta.get("text_length"),
        frame_count=meta.get("frame_count"),
    )


def _check_client_id(client_id: str) -> str:
    if not client_id or len(client_id) > MAX_CLIENT_ID:
        raise Invalid(
            f"id: must be a client-generated id of 1 to {MAX_CLIENT_ID} characters",
            details={"field": "id"},
        )
    return client_id


def find_by_client_id(session: Session, *, user: User, client_id: str) -> Annotation | None:
    """The user's annotation submitted with this client id, if any."""
    conn = session.connection()
    query = submit_statements(conn.dialect.name == "postgresql").by_client_id
    row = conn.execute(query, {"user_id": user.id, "client_id": client_id}).first()
    return None if row is None else session.get(Annotation, row.id)


def _id_used(client_id: str, task_id: int) -> Conflict:
    return Conflict(
        f"id: {client_id!r} was already used for task {task_id}", details={"field": "id"}
    )


def _replay(existing: Annotation, task_id: int) -> Annotation:
    if existing.task_id != task_id:
        raise _id_used(existing.client_id, existing.task_id)
    return existing


def _check_may_submit_without_lease(access: TaskAccess) -> None:
    """Only those who may edit any annotation (managers and up) submit without a lease."""
    check_may_annotate(access)


def _take_slot(conn: Connection, *, access: TaskAccess, user: User, now: datetime) -> None:
    """Consume the caller's hand-out of the task, or explain why they may not submit."""
    sql = submit_statements(conn.dialect.name == "postgresql")
    hold = access.hold
    if hold is None:
        _check_may_submit_without_lease(access)
        conn.execute(
            sql.hand_out,
            {
                "task_id": access.task_id,
                "project_id": access.project_id,
                "user_id": user.id,
                "state": "submitted",
                "leased_at": now,
                "lease_expires_at": now,
                "finished_at": now,
            },
        )
        conn.execute(sql.use_slot, {"the_task": access.task_id})  # overlap counts it, room or not
        return

    def move(old: str) -> bool:
        moved = conn.execute(
            sql.transition, {"assignment_id": hold.id, "old": old, "new": "submitted", "now": now}
        )
        return bool(moved.rowcount)

    state = hold.state
    if state == "leased":
        if move("leased"):
            return  # the lease already held the slot
        # It changed since we read it (PostgreSQL: a concurrent reclaim or submit committed).
        state = conn.execute(select(Assignment.state).where(Assignment.id == hold.id)).scalar_one()
    if state in ("expired", "skipped"):
        if not conn.execute(sql.take_open_slot, {"the_task": access.task_id}).rowcount:
            raise Conflict(
                f"task {access.task_id}: your lease ended and the task has since been handed to "
                "others; ask the queue for the next task",
                details={"task_id": access.task_id, "assignment": state},
            )
        if move(state):
            return
    raise Conflict(
        f"task {access.task_id}: you already submitted an annotation; update it instead",
        details={"task_id": access.task_id},
    )


def submit_annotation(
    session: Session,
    *,
    access: TaskAccess,
    user: User,
    client_id: str,
    result: Any,
    lead_time: float | None = None,
    max_regions: int | None = None,
) -> tuple[Annotation, bool]:
    """Create the user's annotation on a task; a retried submit returns the first one.

    ``access`` is the task with the user's role and hold, as read (``get_task_access_or_raise``).

    Returns (annotation, created); a new annotation is a copy of the row written, not an object
    of the session."""
    authorize(access.role, Action.ANNOTATION_CREATE)
    client_id = _check_client_id(client_id)
    schema = schema_for(session, project_id=access.project_id, version=access.schema_version)
    regions = validate_result(
        schema,
        result,
        media_info(access.meta, access.media),
        require_complete=True,
        max_regions=max_regions,
    )
    if lead_time is not None and (lead_time < 0 or lead_time != lead_time):
        raise Invalid(
            "lead_time: must be a non-negative number of seconds", details={"field": "lead_time"}
        )
    now = utcnow()
    annotation = _new_annotation(access, user, client_id, regions, lead_time, now)
    if in_statement_atomic(session):
        _submit_in_one_statement(session, annotation, access)
        return annotation, True
    conn = session.connection()
    sql = submit_statements(conn.dialect.name == "postgresql")
    try:
        _take_slot(conn, access=access, user=user, now=now)
    except (Conflict, NotFound):
        # A retried submit finds its slot used already (by its first try, perhaps a
        # concurrent one): answer as that did.
        existing = find_by_client_id(session, user=user, client_id=client_id)
        if existing is not None:
            return _replay(existing, access.task_id), False
        raise
    if sql.with_effects:
        values = _with_effects_values(annotation, access.organization_id)
    else:
        values = {k: getattr(annotation, k) for k in ANNOTATION_COLUMNS}
    annotation_id = conn.execute(sql.annotation, values).scalar()
    if annotation_id is None:
        # The id is taken by another of the user's annotations (this task's slot was free, so
        # not one of this task): refuse, and the transaction's slot update rolls back with it.
        existing = find_by_client_id(session, user=user, client_id=client_id)
        raise _id_used(client_id, access.task_id if existing is None else existing.task_id)
    annotation.id = annotation_id
    if sql.with_effects:
        return annotation, True
    conn.execute(
        sql.revision,
        {
            "annotation_id": annotation.id,
            "revision": 1,
            "result": regions,
            "lead_time": lead_time,
            "user_id": user.id,
            "created_at": now,
        },
    )
    conn.execute(sql.count_annotation, {"the_task": access.task_id})
    event = event_values(
        EventKind.ANNOTATION_CREATED,
        organization_id=access.organization_id,
        project_id=annotation.project_id,
        payload=annotation_payload(annotation),
        now=now,
    )
    conn.execute(sql.event, event)
    return annotation, True


def _submit_in_one_statement(session: Session, annotation: Annotation, access: TaskAccess) -> None:
    """PostgreSQL, statement-atomic: write ``annotation`` (setting its id) with the usual
    submit's effects, on a live lease or a manager's without one, as ONE statement; anything
    else is left to a transaction (``NeedsTransaction``)."""
    hold = access.hold
    if hold is None:
        _check_may_submit_without_lease(access)
    elif hold.state != "leased":
        raise NeedsTransaction()  # a retry, or a lease that ended: see _take_slot
    sql = submit_statements(True)
    values = _with_effects_values(annotation, access.organization_id)
    values["now"] = annotation.created_at
    if hold is not None:
        values["assignment_id"] = hold.id
    statement = sql.submit_handed_out if hold is None else sql.submit_leased
    assert statement is not None
    try:
        annotation_id = statement.scalar(session.connection(), values)
    except IntegrityError as error:
        # The client id is in use, or a concurrent submit handed the task out first; the
        # statement wrote nothing. A transaction tells which (and answers a retry).
        raise NeedsTransaction() from error
    if annotation_id is None:
        raise NeedsTransaction()  # the lease ended or was submitted since it was read
    annotation.id = annotation_id


def _new_annotation(
    access: TaskAccess,
    user: User,
    client_id: str,
    regions: list[dict[str, Any]],
    lead_time: float | None,
    now: datetime,
) -> Annotation:
    """The annotation about to be written (not an object of the session)."""
    if lead_time is None and access.hold is not None:
        lead_time = (now - access.hold.leased_at).total_seconds()
    return Annotation(
        client_id=client_id,
        task_id=access.task_id,
        project_id=access.project_id,
        user_id=user.id,
        result=regions,
        origin=_origin(regions),
        lead_time=lead_time,
        revision=1,
        created_at=now,
        updated_at=now,
        deleted_at=None,
    )


def _with_effects_values(annotation: Annotation, organization_id: int) -> dict[str, Any]:
    values = {f"new_{k}": getattr(annotation, k) for k in ANNOTATION_COLUMNS}
    values["organization_id"] = organization_id
    return values


def _origin(regions: list[dict[str, Any]]) -> str:
    origins = {r.get("origin") for r in regions}
    if "model-edited" in origins:
        return "model-edited"
    if origins and origins <= {"model"}:
        return "model"
    return "human"


def annotation_payload(annotation: Annotation) -> AnnotationPayload:
    """The payload of an annotation.* event (the one-statement submit on PostgreSQL builds the
    same in SQL: ``submit_statements``)."""
    return {
        "annotation_id": annotation.id,
        "task_id": annotation.task_id,
        "user_id": annotation.user_id,
        "revision": annotation.revision,
    }


def _record_event(
    session: Session, project: Project, kind: EventKind, annotation: Annotation
) -> None:
    record(
        session,
        kind,
        organization_id=project.organization_id,
        project_id=annotation.project_id,
        payload=annotation_payload(annotation),
    )


def get_annotation_or_raise(
    session: Session, *, annotation_id: int, user: User
) -> tuple[Annotation, Task, Project, Membership]:
    """A live annotation the user may see (their own, or any for reviewers and up)."""
    row = session.execute(
        select(Annotation, Task, Project, Membership)
        .join(Task, Task.id == Annotation.task_id)
        .join(Project, Project.id == Annotation.project_id)
        .join(Membership, Membership.organization_id == Project.organization_id)
        .where(
            Annotation.id == annotation_id,
            Membership.user_id == user.id,
            Annotation.deleted_at.is_(None),
        )
    ).first()
    if row is None:
        raise NotFound(f"annotation {annotation_id} not found")
    annotation, task, project, membership = row
    if annotation.user_id != user.id and not can(membership.role, Action.ANNOTATION_READ_ANY):
        raise NotFound(f"annotation {annotation_id} not found")
    return annotation, task, project, membership


def _authorize_edit(annotation: Annotation, membership: Membership, user: User) -> None:
    if annotation.user_id != user.id and not can(membership.role, Action.ANNOTATION_EDIT_ANY):
        raise Forbidden("only the author or a manager may change this annotation")


def update_annotation(
    session: Session,
    *,
    annotation: Annotation,
    task: Task,
    project: Project,
    membership: Membership,
    user: User,
    result: Any,
    lead_time: float | None = None,
    max_regions: int | None = None,
) -> Annotation:
    """Replace an annotation's result, keeping the previous one as a revision."""
    _authorize_edit(annotation, membership, user)
    regions = validate_result(
        project_schema(project),
        result,
        media_info(task.meta, project.media),
        require_complete=True,
        max_regions=max_regions,
    )
    now = utcnow()
    revision = annotation.revision + 1
    annotation.result = regions
    annotation.revision = revision
    annotation.updated_at = now
    annotation.origin = _origin(regions)
    if lead_time is not None:
        annotation.lead_time = (annotation.lead_time or 0.0) + lead_time
    session.add(
        AnnotationRevision(
            annotation_id=annotation.id,
            revision=revision,
            result=regions,
            lead_time=lead_time,
            user_id=user.id,
            created_at=now,
        )
    )
    session.flush()
    _record_event(session, project, EventKind.ANNOTATION_UPDATED, annotation)
    return annotation


def delete_annotation(
    session: Session,
    *,
    annotation: Annotation,
    project: Project,
    membership: Membership,
    user: User,
) -> None:
    """Delete an annotation (kept with its revisions); the task needs one more annotation."""
    _authorize_edit(annotation, membership, user)
    annotation.deleted_at = utcnow()
    session.execute(
        update(Task)
        .where(Task.id == annotation.task_id)
        .values(annotation_count=Task.annotation_count - 1, open_slots=Task.open_slots + 1)
    )
    session.flush()
    _record_event(session, project, EventKind.ANNOTATION_DELETED, annotation)


def list_revisions(session: Session, *, annotation: Annotation) -> list[AnnotationRevision]:
    """All revisions of an annotation, oldest first."""
    return list(
        session.scalars(
            select(AnnotationRevision)
            .where(AnnotationRevision.annotation_id == annotation.id)
            .order_by(AnnotationRevision.revision)
        )
    )


def list_project_annotations(
    session: Session,
    *,
    project: Project,
    membership: Membership,
    user: User,
    mine: bool = False,
    newest_first: bool = False,
    cursor: int | None = None,
    limit: int = 100,
) -> list[Annotation]:
    """A page of a project's live annotations (only the caller's own for annotators, and for
    anyone with ``mine``), by id, oldest or ``newest_first``; ``cursor`` is the last id of the
    previous page."""
    query = (
        select(Annotation)
        .where(Annotation.project_id == project.id, Annotation.deleted_at.is_(None))
        .order_by(Annotation.id.desc() if newest_first else Annotation.id)
        .limit(limit)
    )
    if cursor is not None:
        query = query.where(Annotation.id < cursor if newest_first else Annotation.id > cursor)
    if mine or not can(membership.role, Action.ANNOTATION_READ_ANY):
        query = query.where(Annotation.user_id == user.id)
    return list(session.scalars(query))
