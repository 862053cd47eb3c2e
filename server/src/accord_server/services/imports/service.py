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
from accord_server.services.imports import archives
from accord_server.services.imports.labelsets import label_reader
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
    labels_format: str | None = None,
    schema_from_labels: bool = False,
    max_bytes: int = 0,
    max_files: int = 0,
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
    check_labels_options(labels_format, schema_from_labels, has_tasks=False)
    if labels_format:
        check_label_files(files, max_bytes=max_bytes, max_files=max_files)
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
        labels_format=labels_format,
        schema_from_labels=schema_from_labels,
    )


def check_labels_options(
    labels_format: str | None, schema_from_labels: bool, *, has_tasks: bool
) -> None:
    """An import of existing labels names a format this server reads, and comes as files or
    a source (not inline tasks); ``schema_from_labels`` needs a format."""
    if labels_format is None:
        if schema_from_labels:
            raise Invalid(
                "schema_from_labels: only an import of existing labels (labels_format) builds "
                "a schema",
                details={"field": "schema_from_labels"},
            )
        return
    label_reader(labels_format)
    if has_tasks:
        raise Invalid(
            "labels_format: existing labels come as files (a ZIP archive or the files of an "
            "export) or from an import source, not as inline tasks",
            details={"field": "labels_format"},
        )


def check_label_files(files: list[UploadedFile], *, max_bytes: int, max_files: int) -> None:
    """Check the files of a label import before any is kept: every archive's entries (no
    ``../``, absolute path or symbolic link) and the files and bytes they unpack to together,
    Invalid naming the entry refused."""
    budget = archives.Budget(files=max_files, bytes=max_bytes)
    for upload in files:
        if archives.is_archive(upload.name):
            archives.check_archive(upload.path, upload.name, budget)
        else:
            budget.take(upload.name, upload.size)


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
    labels_format: str | None = None,
    schema_from_labels: bool = False,
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
    if labels_format:
        params["labels_format"] = labels_format.lower()
        params["schema_from_labels"] = schema_from_labels
    return jobs.create_job(
        session,
        organization_id=project.organization_id,
        kind=JobKind.IMPORT,
        params=params,
        user=user,
        project_id=project.id,
    )
