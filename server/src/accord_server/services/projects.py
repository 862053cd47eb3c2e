"""Projects: label schema, workflow policy, progress."""

from __future__ import annotations

import functools
from collections import Counter
from datetime import datetime
from typing import Any, NamedTuple

import yaml
from sqlalchemy import Select, bindparam, case, delete, func, select, update
from sqlalchemy.orm import Session

from accord_server import wording
from accord_server.db.base import utcnow
from accord_server.db.direct import DirectStatement
from accord_server.db.models import (
    Annotation,
    Assignment,
    Membership,
    Project,
    Task,
    User,
)
from accord_server.schemas.enums import EventKind
from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.errors import Conflict, Invalid, NotFound
from accord_server.services.events import record
from accord_server.services.formats.label_studio_config import (
    looks_like_label_studio,
    schema_from_label_studio,
)
from accord_server.services.label_schemas import parse_label_schema, schema_label_keys
from accord_server.services.permissions import Action, authorize

EDITABLE = {
    "name",
    "description",
    "label_schema",
    "overlap",
    "lease_minutes",
    "blind",
    "instructions",
}


@functools.cache
def _project_query() -> Select[Project, Membership]:
    # Built once: the hot path of every request pays only for execution.
    return (
        select(Project, Membership)
        .join(Membership, Membership.organization_id == Project.organization_id)
        .where(Project.id == bindparam("project_id"), Membership.user_id == bindparam("user_id"))
    )


class ProjectAccess(NamedTuple):
    """A project as the queue's hot path (``next``) needs it, with the caller's role there:
    plain values read in one query, not ORM objects (see ``tasks.TaskAccess``)."""

    id: int
    overlap: int
    lease_minutes: int
    role: str


@functools.cache
def _project_access_statement() -> DirectStatement:
    return DirectStatement(
        select(Project.id, Project.overlap, Project.lease_minutes, Membership.role)
        .join(Membership, Membership.organization_id == Project.organization_id)
        .where(Project.id == bindparam("project_id"), Membership.user_id == bindparam("user_id"))
    )


def get_project_access_or_raise(
    session: Session, *, project_id: int, user_id: int, action: Action = Action.PROJECT_READ
) -> ProjectAccess:
    """``get_project_or_raise`` as plain values (see ``ProjectAccess``); the same rules."""
    params = {"project_id": project_id, "user_id": user_id}
    found = _project_access_statement().first(session.connection(), params)
    if found is None:
        raise NotFound(f"project {project_id} not found")
    access = ProjectAccess(*found)
    authorize(access.role, action)
    return access


def get_project_or_raise(
    session: Session, *, project_id: int, user: User, action: Action = Action.PROJECT_READ
) -> tuple[Project, Membership]:
    """A project the user belongs to (NotFound otherwise), authorized for ``action``."""
    row = session.execute(_project_query(), {"project_id": project_id, "user_id": user.id}).first()
    if row is None:
        raise NotFound(f"project {project_id} not found")
    project, membership = row
    authorize(membership.role, action)
    return project, membership


def _schema_source(raw: str | dict[str, Any]) -> str:
    """The schema text kept for editing: as written, except that a Label Studio config is
    kept as the Accord schema it became."""
    if isinstance(raw, str) and not looks_like_label_studio(raw):
        return raw
    data = schema_from_label_studio(raw) if isinstance(raw, str) else raw
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _check_int(field: str, value: object, minimum: int, maximum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise Invalid(
            f"{field}: must be an integer from {minimum} to {maximum}, got {value!r}",
            details={"field": field},
        )
    return value


def create_project(
    session: Session,
    *,
    membership: Membership,
    user: User,
    name: str,
    label_schema: str | dict[str, Any],
    description: str = "",
    overlap: int = 1,
    lease_minutes: int = 30,
    blind: bool = True,
    instructions: str = "",
) -> Project:
    """A new project in the membership's organization, its schema validated."""
    authorize(membership.role, Action.PROJECT_CREATE)
    if not name.strip():
        raise Invalid("name: must not be empty", details={"field": "name"})
    schema = parse_label_schema(label_schema)
    project = Project(
        organization_id=membership.organization_id,
        name=name.strip(),
        description=description,
        media=schema.media,
        label_schema=schema.model_dump(mode="json", exclude_none=True),
        schema_source=_schema_source(label_schema),
        overlap=_check_int("overlap", overlap, 1, 100),
        lease_minutes=_check_int("lease_minutes", lease_minutes, 1, 7 * 24 * 60),
        blind=blind,
        instructions=instructions,
        created_by=user.id,
    )
    session.add(project)
    session.flush()
    _record_event(session, EventKind.PROJECT_CREATED, project, [])
    return project


def _record_event(session: Session, kind: EventKind, project: Project, changes: list[str]) -> None:
    # A deleted project's event names it in the payload only: the row would go with it.
    record(
        session,
        kind,
        organization_id=project.organization_id,
        project_id=None if kind == EventKind.PROJECT_DELETED else project.id,
        payload={"project_id": project.id, "name": project.name, "changes": changes},
    )


def list_projects(session: Session, *, user: User, organization_id: int | None) -> list[Project]:
    """Projects of the user's organizations (or of one of them), newest first."""
    query = (
        select(Project)
        .join(Membership, Membership.organization_id == Project.organization_id)
        .where(Membership.user_id == user.id)
        .order_by(Project.id.desc())
    )
    if organization_id is not None:
        query = query.where(Project.organization_id == organization_id)
    return list(session.scalars(query))


_SCHEMA_CACHE: dict[tuple[int, datetime], LabelSchema] = {}
_SCHEMA_CACHE_SIZE = 256


def project_schema(project: Project) -> LabelSchema:
    """The project's typed label schema (parsed once per project version).

    Keyed by ``updated_at``, which every project change moves, so a stale entry is never used
    even when another process changed the schema."""
    schema = _SCHEMA_CACHE.get((project.id, project.updated_at))
    if schema is None:
        schema = _remember_schema(project.id, project.updated_at, project.label_schema)
    return schema


def schema_for(session: Session, *, project_id: int, version: datetime) -> LabelSchema:
    """``project_schema`` for a project read as plain values (``version``: its ``updated_at``);
    the schema is loaded only when this version is not parsed yet."""
    schema = _SCHEMA_CACHE.get((project_id, version))
    if schema is None:
        row = session.connection().execute(
            select(Project.updated_at, Project.label_schema).where(Project.id == project_id)
        )
        found = row.one_or_none()
        if found is None:
            raise NotFound(f"project {project_id} not found")
        # A change since ``version`` was read: validate against the newer schema (the one a
        # transaction starting now would see), and keep it under its own version.
        schema = _remember_schema(project_id, found.updated_at, found.label_schema)
    return schema


def _remember_schema(project_id: int, version: datetime, raw: dict[str, Any]) -> LabelSchema:
    schema = LabelSchema.model_validate(raw)
    if len(_SCHEMA_CACHE) >= _SCHEMA_CACHE_SIZE:
        _SCHEMA_CACHE.clear()
    _SCHEMA_CACHE[(project_id, version)] = schema
    return schema


def labels_in_use(
    session: Session, *, project: Project, keys: set[tuple[str, str]], tools: set[str]
) -> Counter[str]:
    """How many live annotations use each (tool, label) in ``keys`` or any label of ``tools``."""
    used: Counter[str] = Counter()
    if not keys and not tools:
        return used
    results = session.scalars(
        select(Annotation.result)
        .where(Annotation.project_id == project.id, Annotation.deleted_at.is_(None))
        .execution_options(yield_per=2000)
    )
    for result in results:
        seen: set[str] = set()
        for region in result or []:
            if not isinstance(region, dict):
                continue
            tool = str(region.get("tool"))
            if tool in tools:
                seen.add(f'tool "{tool}"')
                continue
            labels = [region.get("label")]
            value = region.get("value")
            if isinstance(value, dict) and isinstance(value.get("choices"), list):
                labels = value["choices"]
            for label in labels:
                if (tool, str(label)) in keys:
                    seen.add(f'{tool}: "{label}"')
        used.update(seen)
    return used


def _apply_schema_change(session: Session, project: Project, raw: str | dict[str, Any]) -> None:
    new = parse_label_schema(raw)
    old = project_schema(project)
    if new.media != old.media and session.scalar(
        select(Task.id).where(Task.project_id == project.id).limit(1)
    ):
        raise Conflict(
            f"label_schema.media: cannot change media from {old.media} to {new.media} "
            "in a project that has tasks",
            details={"field": "label_schema.media"},
        )
    old_types = {t.name: t.type for t in old.tools}
    new_types = {t.name: t.type for t in new.tools}
    changed_tools = {n for n, typ in old_types.items() if new_types.get(n, typ) != typ}
    dropped_tools = set(old_types) - set(new_types)
    removed = {
        k for k in schema_label_keys(old) - schema_label_keys(new) if k[0] not in dropped_tools
    }
    used = labels_in_use(
        session, project=project, keys=removed, tools=changed_tools | dropped_tools
    )
    if used:
        listing = "; ".join(
            f"{name} ({wording.count(count, 'annotation')})" for name, count in sorted(used.items())
        )
        raise Conflict(
            f"label_schema: the change would orphan labels in use: {listing}",
            details={"field": "label_schema", "in_use": dict(sorted(used.items()))},
        )
    project.label_schema = new.model_dump(mode="json", exclude_none=True)
    project.schema_source = _schema_source(raw)


def set_label_schema(session: Session, *, project: Project, raw: str | dict[str, Any]) -> None:
    """Replace a project's schema (an import's ``schema_from_labels``), refused as an edit's
    would be when it orphans labels in use; the caller checked who may."""
    _apply_schema_change(session, project, raw)
    project.media = parse_label_schema(raw).media
    project.updated_at = utcnow()
    session.flush()
    _record_event(session, EventKind.PROJECT_UPDATED, project, ["label_schema"])


def update_project(
    session: Session, *, project: Project, membership: Membership, changes: dict[str, Any]
) -> Project:
    """Apply a partial update; a schema change that orphans used labels is refused."""
    authorize(membership.role, Action.PROJECT_UPDATE)
    unknown = set(changes) - EDITABLE
    if unknown:
        raise Invalid(
            f"{sorted(unknown)[0]}: cannot be changed", details={"field": sorted(unknown)[0]}
        )
    if "name" in changes:
        if not str(changes["name"] or "").strip():
            raise Invalid("name: must not be empty", details={"field": "name"})
        project.name = changes["name"].strip()
    for field in ("description", "instructions"):
        if field in changes:
            setattr(project, field, changes[field] or "")
    if "blind" in changes:
        project.blind = bool(changes["blind"])
    if "lease_minutes" in changes:
        project.lease_minutes = _check_int("lease_minutes", changes["lease_minutes"], 1, 10080)
    if "label_schema" in changes:
        _apply_schema_change(session, project, changes["label_schema"])
    if "overlap" in changes:
        new = _check_int("overlap", changes["overlap"], 1, 100)
        delta = new - project.overlap
        if delta:
            # open_slots = overlap - annotations - live leases: shifting overlap shifts it.
            session.execute(
                update(Task)
                .where(Task.project_id == project.id)
                .values(open_slots=Task.open_slots + delta)
            )
        project.overlap = new
    project.updated_at = utcnow()
    session.flush()
    _record_event(session, EventKind.PROJECT_UPDATED, project, sorted(changes))
    return project


def delete_project(session: Session, *, project: Project, membership: Membership) -> None:
    """Delete a project with its tasks, annotations and assignments."""
    authorize(membership.role, Action.PROJECT_DELETE)
    _record_event(session, EventKind.PROJECT_DELETED, project, [])
    session.execute(delete(Project).where(Project.id == project.id))
    session.flush()


def project_progress(session: Session, *, project: Project) -> dict[str, Any]:
    """Task states, annotation, skip and open report counts, and per-annotator counts."""
    done = Task.annotation_count >= project.overlap
    row = session.execute(
        select(
            func.count(),
            func.coalesce(func.sum(case((Task.annotation_count == 0, 1), else_=0)), 0),
            func.coalesce(func.sum(case((done, 1), else_=0)), 0),
            func.coalesce(func.sum(Task.annotation_count), 0),
            func.coalesce(func.sum(case((Task.open_reports > 0, 1), else_=0)), 0),
            func.coalesce(func.sum(Task.open_reports), 0),
        ).where(Task.project_id == project.id)
    ).one()
    total, new, completed, annotations, reported, open_reports = (int(v) for v in row)
    per_state = dict(
        session.execute(
            select(Assignment.state, func.count())
            .where(Assignment.project_id == project.id)
            .group_by(Assignment.state)
        ).all()
    )
    per_user = session.execute(
        select(User.id, User.email, func.count(Annotation.id))
        .join(Annotation, Annotation.user_id == User.id)
        .where(Annotation.project_id == project.id, Annotation.deleted_at.is_(None))
        .group_by(User.id, User.email)
        .order_by(User.id)
    ).all()
    return {
        "tasks": total,
        "new": new,
        "in_progress": total - new - completed,
        "completed": completed,
        "annotations": annotations,
        "active_leases": int(per_state.get("leased", 0)),
        "skipped": int(per_state.get("skipped", 0)),
        "reported_tasks": reported,
        "open_reports": open_reports,
        "percent_complete": round(100.0 * completed / total, 2) if total else 0.0,
        "annotators": [
            {"user_id": uid, "email": email, "annotations": int(n)} for uid, email, n in per_user
        ],
    }
