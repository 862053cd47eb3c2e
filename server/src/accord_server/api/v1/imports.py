"""Imports: tasks as JSON, uploaded files (task files or media), a folder or an S3 prefix."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import File, Form, UploadFile

from accord_server.api.deps import CurrentUser, RuntimeDep, SessionDep, after_commit, api_router
from accord_server.runtime import Runtime
from accord_server.schemas.tasks import ImportCreate, JobRead
from accord_server.services import projects
from accord_server.services.errors import TooLarge
from accord_server.services.imports.service import (
    check_upload_name,
    create_import_job,
    store_inline_tasks,
)

router = api_router(prefix="/api/v1", tags=["imports"])

CHUNK = 1 << 20


@router.post("/projects/{project_id}/imports", response_model=JobRead, status_code=202)
def import_json(
    project_id: int, body: ImportCreate, session: SessionDep, user: CurrentUser, runtime: RuntimeDep
) -> JobRead:
    """Import tasks given inline, or from an import source granted to the organization (a
    server folder or S3 prefix); returns the job."""
    project, membership = projects.get_project_or_raise(session, project_id=project_id, user=user)
    files = []
    if body.tasks is not None:
        files.append(store_inline_tasks(runtime.storage, body.tasks))
    job = create_import_job(
        session,
        project=project,
        membership=membership,
        user=user,
        files=files,
        source=body.source.model_dump() if body.source else None,
        batch=body.batch,
        skip_invalid=body.skip_invalid,
    )
    after_commit(session, lambda: runtime.enqueue_job(job.id))
    return JobRead.model_validate(job)


def _store_upload(
    runtime: Runtime, upload: UploadFile, field: str, name: str, limit: int
) -> dict[str, Any]:
    """Copy an upload into storage chunk by chunk, refusing it once past ``limit`` bytes."""
    tmp_dir = runtime.settings.data_dir / "tmp"
    tmp_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=tmp_dir, prefix="upload-") as tmp:
        size = 0
        while chunk := upload.file.read(CHUNK):
            size += len(chunk)
            if size > limit:
                raise TooLarge(
                    f"{field} ({name}): larger than the limit of {limit} bytes",
                    details={"field": field, "limit": limit},
                )
            tmp.write(chunk)
        tmp.flush()
        key = runtime.storage.put_file(Path(tmp.name), content_type=upload.content_type)
    return {"name": name, "key": key, "size": size}


@router.post("/projects/{project_id}/imports/files", response_model=JobRead, status_code=202)
def import_files(
    project_id: int,
    files: Annotated[
        list[UploadFile], File(description="Task files (.json, .jsonl, .csv) or media files.")
    ],
    session: SessionDep,
    user: CurrentUser,
    runtime: RuntimeDep,
    batch: Annotated[str | None, Form()] = None,
    skip_invalid: Annotated[bool, Form()] = False,
) -> JobRead:
    """Upload files and import them as one job (all or nothing unless `skip_invalid`)."""
    project, membership = projects.get_project_or_raise(session, project_id=project_id, user=user)
    limit = runtime.settings.max_upload_bytes
    stored = []
    for i, upload in enumerate(files):
        name = check_upload_name(upload.filename, i)
        stored.append(_store_upload(runtime, upload, f"files[{i}]", name, limit))
    job = create_import_job(
        session,
        project=project,
        membership=membership,
        user=user,
        files=stored,
        source=None,
        batch=batch,
        skip_invalid=skip_invalid,
    )
    after_commit(session, lambda: runtime.enqueue_job(job.id))
    return JobRead.model_validate(job)
