"""Imports: tasks as JSON, uploaded files (task files or media), a folder or an S3 prefix."""

from __future__ import annotations

from typing import Annotated

import orjson
from fastapi import APIRouter, File, Form, UploadFile

from accord_server.api.deps import CurrentUser, RuntimeDep, SessionDep, after_commit
from accord_server.schemas.tasks import ImportCreate, JobRead
from accord_server.services import projects
from accord_server.services.errors import TooLarge
from accord_server.services.imports.service import check_upload_name, create_import_job

router = APIRouter(tags=["imports"])

CHUNK = 1 << 20


@router.post("/projects/{project_id}/imports", response_model=JobRead, status_code=202)
def import_json(project_id: int, body: ImportCreate, session: SessionDep, user: CurrentUser,
                runtime: RuntimeDep) -> JobRead:
    """Import tasks given inline, or from a server folder / S3 prefix; returns the job."""
    project, membership = projects.get_project_or_raise(session, project_id=project_id, user=user)
    files = []
    if body.tasks is not None:
        blob = b"\n".join(orjson.dumps(t) for t in body.tasks)
        key = runtime.storage.put_bytes(blob, content_type="application/x-ndjson")
        files.append({"name": "tasks.jsonl", "key": key, "size": len(blob)})
    job = create_import_job(
        session, project=project, membership=membership, user=user, files=files,
        source=body.source.model_dump() if body.source else None, batch=body.batch,
        skip_invalid=body.skip_invalid, import_roots=runtime.settings.import_roots,
    )
    after_commit(session, lambda: runtime.enqueue_job(job.id))
    return JobRead.model_validate(job)


@router.post("/projects/{project_id}/imports/files", response_model=JobRead, status_code=202)
def import_files(
    project_id: int,
    files: Annotated[list[UploadFile], File(description="Task files (.json, .jsonl, .csv) "
                                                        "or media files.")],
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
        data = upload.file.read(limit + 1)
        if len(data) > limit:
            raise TooLarge(f"files[{i}] ({name}): larger than the limit of {limit} bytes",
                           details={"field": f"files[{i}]", "limit": limit})
        key = runtime.storage.put_bytes(data, content_type=upload.content_type)
        stored.append({"name": name, "key": key, "size": len(data)})
    job = create_import_job(
        session, project=project, membership=membership, user=user, files=stored, source=None,
        batch=batch, skip_invalid=skip_invalid, import_roots=runtime.settings.import_roots,
    )
    after_commit(session, lambda: runtime.enqueue_job(job.id))
    return JobRead.model_validate(job)
