"""Annotations: idempotent submit, update with revisions, delete; validated on the way in."""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import Select, bindparam, select, update
from sqlalchemy.orm import Session

from accord_server.db.base import utcnow
from accord_server.db.models import (
    Annotation,
    AnnotationRevision,
    Assignment,
    Event,
    Membership,
    Project,
    Task,
    User,
)
from accord_server.services.annotation_results import MediaInfo, validate_result
from accord_server.services.errors import Conflict, Forbidden, Invalid, NotFound
from accord_server.services.permissions import Action, authorize, can
from accord_server.services.projects import project_schema
from accord_server.services.queue import get_assignment, transition

MAX_CLIENT_ID = 64


def media_info(task: Task, project: Project) -> MediaInfo:
    """What validation needs to know about a task's media (from the import-time probe)."""
    meta = task.meta or {}
    return MediaInfo(
        kind=project.media,
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


@functools.cache
def _by_client_id() -> Select[Annotation]:
    return select(Annotation).where(
        Annotation.user_id == bindparam("user_id"), Annotation.client_id == bindparam("client_id")
    )


def find_by_client_id(session: Session, *, user: User, client_id: str) -> Annotation | None:
    """The user's annotation submitted with this client id, if any."""
    return session.scalar(_by_client_id(), {"user_id": user.id, "client_id": client_id})


def _replay(existing: Annotation, task: Task) -> Annotation:
    if existing.task_id != task.id:
        raise Conflict(
            f"id: {existing.client_id!r} was already used for task {existing.task_id}",
            details={"field": "id"},
        )
    return existing


def _take_slot(
    session: Session,
    *,
    task: Task,
    project: Project,
    membership: Membership,
    user: User,
    assignment: Assignment | None,
) -> None:
    """Consume the caller's hand-out of the task, or explain why they may not submit."""
    if assignment is None:
        if not can(membership.role, Action.ANNOTATION_EDIT_ANY):
            raise NotFound(f"task {task.id} is not assigned to you; ask the queue for it first")
        session.add(
            Assignment(
                task_id=task.id,
                project_id=project.id,
                user_id=user.id,
                state="submitted",
                lease_expires_at=utcnow(),
                finished_at=utcnow(),
            )
        )
        session.execute(
            update(Task).where(Task.id == task.id).values(open_slots=Task.open_slots - 1)
        )
        return
    if transition(session, assignment, "leased", "submitted"):
        return  # the lease already held the slot
    if assignment.state in ("expired", "skipped"):
        taken = session.execute(
            update(Task)
            .where(Task.id == task.id, Task.open_slots > 0)
            .values(open_slots=Task.open_slots - 1)
        ).rowcount  # type: ignore[attr-defined]
        if not taken:
            raise Conflict(
                f"task {task.id}: your lease ended and the task has since been handed to "
                "others; ask the queue for the next task",
                details={"task_id": task.id, "assignment": assignment.state},
            )
        if transition(session, assignment, assignment.state, "submitted"):
            return
    raise Conflict(
        f"task {task.id}: you already submitted an annotation; update it instead",
        details={"task_id": task.id},
    )


def submit_annotation(
    session: Session,
    *,
    task: Task,
    project: Project,
    membership: Membership,
    user: User,
    client_id: str,
    result: Any,
    lead_time: float | None = None,
) -> tuple[Annotation, bool]:
    """Create the user's annotation on a task; a retried submit returns the first one.

    Returns (annotation, created)."""
    authorize(membership.role, Action.ANNOTATION_CREATE)
    client_id = _check_client_id(client_id)
    existing = find_by_client_id(session, user=user, client_id=client_id)
    if existing is not None:
        return _replay(existing, task), False
    regions = validate_result(
        project_schema(project), result, media_info(task, project), require_complete=True
    )
    if lead_time is not None and (lead_time < 0 or lead_time != lead_time):
        raise Invalid(
            "lead_time: must be a non-negative number of seconds", details={"field": "lead_time"}
        )
    assignment = get_assignment(session, task_id=task.id, user=user)
    try:
        _take_slot(
            session,
            task=task,
            project=project,
            membership=membership,
            user=user,
            assignment=assignment,
        )
    except Conflict:
        # A concurrent retry of this very submit may have won the race: answer as it did.
        existing = find_by_client_id(session, user=user, client_id=client_id)
        if existing is not None:
            return _replay(existing, task), False
        raise
    now = utcnow()
    if lead_time is None and assignment is not None:
        lead_time = (now - assignment.leased_at).total_seconds()
    annotation = Annotation(
        client_id=client_id,
        task_id=task.id,
        project_id=project.id,
        user_id=user.id,
        result=regions,
        origin=_origin(regions),
        lead_time=lead_time,
        revision=1,
        created_at=now,
        updated_at=now,
    )
    session.add(annotation)
    session.flush()
    session.add(
        AnnotationRevision(
            annotation_id=annotation.id,
            revision=1,
            result=regions,
            lead_time=lead_time,
            user_id=user.id,
            created_at=now,
        )
    )
    session.execute(
        update(Task).where(Task.id == task.id).values(annotation_count=Task.annotation_count + 1)
    )
    _record_event(session, project, "annotation.created", annotation)
    session.flush()
    return annotation, True


def _origin(regions: list[dict[str, Any]]) -> str:
    origins = {r.get("origin") for r in regions}
    if "model-edited" in origins:
        return "model-edited"
    if origins and origins <= {"model"}:
        return "model"
    return "human"


def _record_event(session: Session, project: Project, kind: str, annotation: Annotation) -> None:
    session.add(
        Event(
            organization_id=project.organization_id,
            project_id=project.id,
            kind=kind,
            payload={
                "annotation_id": annotation.id,
                "task_id": annotation.task_id,
                "user_id": annotation.user_id,
                "revision": annotation.revision,
            },
        )
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
) -> Annotation:
    """Replace an annotation's result, keeping the previous one as a revision."""
    _authorize_edit(annotation, membership, user)
    regions = validate_result(
        project_schema(project), result, media_info(task, project), require_complete=True
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
    _record_event(session, project, "annotation.updated", annotation)
    session.flush()
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
    _record_event(session, project, "annotation.deleted", annotation)
    session.flush()


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
    after_id: int | None = None,
    limit: int = 100,
) -> list[Annotation]:
    """A page of a project's live annotations (only the caller's own for annotators)."""
    query = (
        select(Annotation)
        .where(Annotation.project_id == project.id, Annotation.deleted_at.is_(None))
        .order_by(Annotation.id)
        .limit(limit)
    )
    if after_id is not None:
        query = query.where(Annotation.id > after_id)
    if not can(membership.role, Action.ANNOTATION_READ_ANY):
        query = query.where(Annotation.user_id == user.id)
    return list(session.scalars(query))
