"""Starting imports: check the request, record the job; the job does the reading and writing."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy.orm import Session

from accord_server.adapters.storage import SourcePathError, Storage, safe_relative_path
from accord_server.db.models import Job, Membership, Project, User
from accord_server.schemas.enums import JobKind
from accord_server.services import import_sources, jobs, projects
from accord_server.services.batches import check_batch_name
from accord_server.services.errors import Invalid
from accord_server.services.permissions import Action


def check_upload_name(name: str | None, index: int) -> str:
    """An uploaded file's relative name, refused when it tries to escape (``../``)."""
    try:
        return safe_relative_path(name or "")
    except SourcePathError as exc:
        raise Invalid(f"files[{index}]: {exc}", details={"field": f"files[{index}]"}) from None


@dataclass(frozen=True)
class UploadedFile:
    """A file of an upload, received into a temporary file that the caller removes: its
    relative name (checked by ``check_upload_name``), where it is, its size and the content
    type it was sent with."""

    name: str
    path: Path
    size: int
    content_type: str | None


def get_import_project_or_raise(
    session: Session, *, project_id: int, user: User
) -> tuple[Project, Membership]:
    """A project the user may import into: NotFound when they cannot see it, Forbidden when
    their role may not import (checked before an upload's body is read)."""
    return projects.get_project_or_raise(
        session, project_id=project_id, user=user, action=Action.TASK_IMPORT
    )


def import_uploaded_files(
    session: Session,
    *,
    storage: Storage,
    project_id: int,
    user: User,
    files: list[UploadedFile],
    batch: str | None,
    skip_invalid: bool,
) -> Job:
    """Keep the files of an accepted upload (into storage) and record their import as a queued
    job. Everything is checked before a file is kept; a failure after that leaves blobs no task
    or job names, which media collection deletes after its grace period (content-addressed
    blobs may be another task's: they are never deleted here)."""
    project, _ = get_import_project_or_raise(session, project_id=project_id, user=user)
    if not files:
        raise Invalid("files: give at least one file to import", details={"field": "files"})
    if batch:
        check_batch_name(batch)
    stored = [
        {
            "name": upload.name,
            "key": storage.put_file(upload.path, content_type=upload.content_type),
            "size": upload.size,
        }
        for upload in files
    ]
    return create_import_job(
        session,
        project=project,
        user=user,
        files=stored,
        source=None,
        batch=batch,
        skip_invalid=skip_invalid,
    )


INLINE_TASKS_FILE = "tasks.json"


def store_inline_tasks(storage: Storage, tasks: list[dict[str, Any]]) -> dict[str, Any]:
    """Store tasks given inline in the request as one task file for the job: a JSON array,
    encoded in one call (one call per task cost more than the rest of the request), whose rows
    the job numbers as the list's index + 1. A lone surrogate, which orjson does not write, is
    written escaped (by Python's encoder): the job refuses its row, naming the field."""
    if not tasks:
        raise Invalid("tasks: the list is empty", details={"field": "tasks"})
    try:
        blob = orjson.dumps(tasks)
    except orjson.JSONEncodeError:
        blob = json.dumps(tasks, separators=(",", ":")).encode()
    key = storage.put_bytes(blob, content_type="application/json")
    return {"name": INLINE_TASKS_FILE, "key": key, "size": len(blob)}


def check_source(
    session: Session, source: dict[str, Any] | None, *, organization_id: int
) -> dict[str, Any] | None:
    """The job's record of a source reference, ``{"id", "name", "path"}``: NotFound unless the
    source is granted to the organization, Invalid when the path would leave it."""
    if not source:
        return None
    granted = import_sources.granted_source(
        session, organization_id=organization_id, source_id=int(source["id"])
    )
    path = import_sources.check_subpath(str(source.get("path") or ""))
    return {"id": granted.id, "name": granted.name, "path": path}


def create_import_job(
    session: Session,
    *,
    project: Project,
    user: User,
    files: list[dict[str, Any]],
    source: dict[str, Any] | None,
    batch: str | None,
    skip_invalid: bool,
) -> Job:
    """Record an import of stored files and/or a granted source (a folder or S3 prefix the
    project's organization may read, ``{"id", "path"}``) as a queued job, into a project that
    ``get_import_project_or_raise`` gave (the caller may import: checked before anything of
    the request was stored)."""
    if not files and not source:
        raise Invalid("files: give tasks, files or a source to import", details={"field": "files"})
    source = check_source(session, source, organization_id=project.organization_id)
    if batch:
        check_batch_name(batch)
    params: dict[str, Any] = {
        "files": files,
        "source": source,
        "batch": batch,
        "skip_invalid": skip_invalid,
        "total_files": len(files),
    }
    return jobs.create_job(
        session,
        organization_id=project.organization_id,
        kind=JobKind.IMPORT,
        params=params,
        user=user,
        project_id=project.id,
    )
