"""Exports as rows: create one (checked, with its queued job), read, list and delete them, and
record how one ended. The job (``pipeline.run_export``) does the writing."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord_server.adapters.storage import Storage
from accord_server.db.base import utcnow
from accord_server.db.models import DatasetVersion, Export, Job, Membership, Project, User
from accord_server.schemas.enums import EventKind, ExportResultChoice, JobKind, JobState
from accord_server.schemas.label_schema import LabelSchema
from accord_server.services import jobs, projects
from accord_server.services.errors import Conflict, Invalid, NotFound
from accord_server.services.events import record
from accord_server.services.exports.options import (
    check_format_options,
    check_result,
    check_split,
    get_format_or_raise,
    map_schema,
    task_filters,
)
from accord_server.services.formats.export import Format
from accord_server.services.formats.registry import EXPORT_FORMATS
from accord_server.services.permissions import Action, authorize
from accord_server.services.task_table import filter_conditions


def export_formats() -> list[Format]:
    """Every export format, by name."""
    return [EXPORT_FORMATS[name] for name in sorted(EXPORT_FORMATS)]


def create_export(
    session: Session,
    *,
    project_id: int,
    user: User,
    format: str,
    result: str = "latest",
    include_media: bool = False,
    split: Mapping[str, Any] | None = None,
    label_map: Mapping[str, str | None] | None = None,
    filter: Mapping[str, Any] | None = None,
    options: Mapping[str, Any] | None = None,
    version: int | None = None,
    result_given: bool = True,
) -> Export:
    """Check an export request against the project and record it with its queued job (the
    caller enqueues the job after commit). NotFound when the user cannot see the project,
    Forbidden when their role may not export, Invalid naming the field for a bad request.

    With ``version``, the export is of that dataset version of the project (its manifest and
    schema), not of the live project: it must be frozen, and ``filter`` and ``result`` (when
    ``result_given``) are refused, the version having frozen its own."""
    project, membership = projects.get_project_or_raise(
        session, project_id=project_id, user=user, action=Action.EXPORT_CREATE
    )
    fmt = get_format_or_raise(format, project.media)
    format_options = check_format_options(fmt, options)
    checked_split = check_split(split)
    labels = dict(label_map) if label_map else None
    stored_filter = {k: v for k, v in dict(filter or {}).items() if v is not None}
    if version is None:
        choice = check_result(result)
        map_schema(projects.project_schema(project), labels)
        filter_conditions(session, project, task_filters(stored_filter))  # a bad one is refused
    else:
        frozen = _frozen_version(session, project, version, membership)
        if stored_filter:
            raise Invalid(
                "filter: an export of a dataset version holds the tasks the version froze",
                details={"field": "filter"},
            )
        if result_given:
            raise Invalid(
                "result: an export of a dataset version holds the results the version froze "
                f"({frozen.options.get('result')})",
                details={"field": "result"},
            )
        choice = ExportResultChoice(frozen.options.get("result", ExportResultChoice.LATEST))
        map_schema(LabelSchema.model_validate(frozen.label_schema), labels)
    params = {
        "format": fmt.name,
        "result": str(choice),
        "include_media": include_media,
        "split": checked_split,
        "label_map": labels,
        "format_options": format_options,
    }
    if version is not None:
        params["version"] = version
    job = jobs.create_job(
        session,
        organization_id=project.organization_id,
        kind=JobKind.EXPORT,
        params={},
        user=user,
        project_id=project.id,
    )
    export = Export(
        organization_id=project.organization_id,
        project_id=project.id,
        job_id=job.id,
        created_by=user.id,
        format=fmt.name,
        options=params,
        filter=stored_filter,
        task_count=0,
        report={},
    )
    session.add(export)
    session.flush()
    job.params = {"export_id": export.id}
    session.flush()
    return export


def _frozen_version(
    session: Session, project: Project, version_id: int, membership: Membership
) -> DatasetVersion:
    """The frozen dataset version an export names: NotFound for another organization's,
    Forbidden for a role that may not read versions, Invalid for another project's, Conflict
    while it is not frozen. (Read here rather than through ``services/datasets``, which builds
    on this package.)"""
    version = session.get(DatasetVersion, version_id)
    if version is None or version.organization_id != project.organization_id:
        raise NotFound(f"dataset version {version_id} not found")
    authorize(membership.role, Action.VERSION_READ)
    if version.project_id != project.id:
        raise Invalid(
            f"version: dataset version {version_id} is of project {version.project_id}, "
            f"not of project {project.id}",
            details={"field": "version"},
        )
    job = session.get(Job, version.job_id)
    if job is None or job.state != JobState.SUCCEEDED or version.manifest_key is None:
        state = job.state if job is not None else "gone"
        raise Conflict(
            f"dataset version {version_id} is not frozen yet: its job is {state}",
            details={"state": state, "version_id": version_id},
        )
    return version


def get_export_or_raise(session: Session, *, export_id: int, user: User) -> tuple[Export, Job]:
    """An export of the user's organization, for roles that may export (NotFound for another
    organization's, Forbidden for a role that may not)."""
    row = session.execute(
        select(Export, Job, Membership)
        .join(Job, Job.id == Export.job_id)
        .join(Membership, Membership.organization_id == Export.organization_id)
        .where(Export.id == export_id, Membership.user_id == user.id)
    ).first()
    if row is None:
        raise NotFound(f"export {export_id} not found")
    export, job, membership = row
    authorize(membership.role, Action.EXPORT_CREATE)
    return export, job


def list_exports(
    session: Session, *, project_id: int, user: User, limit: int = 100
) -> list[tuple[Export, Job]]:
    """A project's exports, newest first."""
    projects.get_project_or_raise(
        session, project_id=project_id, user=user, action=Action.EXPORT_CREATE
    )
    rows = session.execute(
        select(Export, Job)
        .join(Job, Job.id == Export.job_id)
        .where(Export.project_id == project_id)
        .order_by(Export.id.desc())
        .limit(limit)
    )
    return [(export, job) for export, job in rows]


def delete_export(session: Session, *, export: Export, job: Job, storage: Storage) -> None:
    """Delete an export and its stored file (its job stays, as the record of what ran); one
    whose job is still queued or running is refused (cancel it first)."""
    if job.state in (JobState.QUEUED, JobState.RUNNING):
        raise Conflict(
            f"export {export.id} is {job.state}: cancel its job ({job.id}) first",
            details={"state": job.state, "job_id": job.id},
        )
    if export.storage_key:
        storage.delete(export.storage_key)
    session.delete(export)
    session.flush()


def get_download_or_raise(export: Export, job: Job) -> tuple[str, int]:
    """The stored key and size of a finished export's file (Conflict until it succeeded)."""
    if job.state != JobState.SUCCEEDED or not export.storage_key or export.size is None:
        raise Conflict(
            f"export {export.id} has no file to download: its job is {job.state}",
            details={"state": job.state},
        )
    return export.storage_key, export.size


def finish_export(
    session: Session,
    *,
    export_id: int,
    job_id: int,
    attempt: int,
    stored: Mapping[str, Any],
    task_count: int,
    report: dict[str, Any],
) -> None:
    """Record a written export (its file, the task count, the report), end its job succeeded
    and record ``export.completed``, in one transaction; ``jobs.Superseded`` when the attempt
    was taken over meanwhile."""
    export = session.get(Export, export_id)
    if export is None:
        raise NotFound(f"export {export_id} not found")
    dropped = sum(d["count"] for d in report.get("dropped", []))
    message = f"exported {task_count:,} task{'s' if task_count != 1 else ''}"
    if dropped:
        message += f"; {dropped:,} thing{'s' if dropped != 1 else ''} the format could not hold"
    jobs.finish_job(
        session,
        job_id=job_id,
        state=JobState.SUCCEEDED,
        counts={
            "tasks": task_count,
            "total": task_count,
            "dropped": dropped,
            "bytes": stored["size"],
        },
        message=message,
        attempt=attempt,
    )
    export.storage_key = stored["key"]
    export.file_name = stored["file_name"]
    export.content_type = stored["content_type"]
    export.size = stored["size"]
    export.sha256 = stored["sha256"]
    export.task_count = task_count
    export.report = report
    export.finished_at = utcnow()
    record(
        session,
        EventKind.EXPORT_COMPLETED,
        organization_id=export.organization_id,
        project_id=export.project_id,
        payload={
            "export_id": export.id,
            "job_id": job_id,
            "format": export.format,
            "task_count": task_count,
            "size": stored["size"],
            "sha256": stored["sha256"],
            "dropped": dropped,
        },
    )
    session.flush()


def export_project(session: Session, export: Export) -> Project:
    """The project an export belongs to."""
    project = session.get(Project, export.project_id)
    if project is None:
        raise NotFound(f"project {export.project_id} not found")
    return project
