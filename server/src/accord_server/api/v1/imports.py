"""Imports: tasks as JSON, uploaded files (task files or media), a folder or an S3 prefix."""

from __future__ import annotations

from typing import Any, get_args

from fastapi import Request

from accord_server.api.deps import (
    CurrentUser,
    RuntimeDep,
    SessionDep,
    after_commit,
    api_router,
    run_as_caller,
)
from accord_server.api.uploads import ReceivedForm, form_bool, received_upload
from accord_server.runtime import Runtime
from accord_server.schemas.common import Id
from accord_server.schemas.tasks import ImportCreate, JobRead, LabelsFormat
from accord_server.services.imports.service import (
    check_labels_options,
    create_import_job,
    get_import_project_or_raise,
    import_uploaded_files,
    store_inline_tasks,
)

router = api_router(prefix="/api/v1", tags=["imports"])


@router.post("/projects/{project_id}/imports", response_model=JobRead, status_code=202)
def import_json(
    project_id: Id, body: ImportCreate, session: SessionDep, user: CurrentUser, runtime: RuntimeDep
) -> JobRead:
    """Import tasks given inline, or from an import source granted to the organization (a
    server folder or S3 prefix); returns the job."""
    project, _ = get_import_project_or_raise(session, project_id=project_id, user=user)
    check_labels_options(
        body.labels_format, body.schema_from_labels, has_tasks=body.tasks is not None
    )
    files = []
    if body.tasks is not None:
        files.append(store_inline_tasks(runtime.storage, body.tasks))
    job = create_import_job(
        session,
        project=project,
        user=user,
        files=files,
        source=body.source.model_dump() if body.source else None,
        batch=body.batch,
        skip_invalid=body.skip_invalid,
        labels_format=body.labels_format,
        schema_from_labels=body.schema_from_labels,
    )
    after_commit(session, lambda: runtime.enqueue_job(job.id))
    return JobRead.model_validate(job)


UPLOAD_FIELDS = ("batch", "skip_invalid", "labels_format", "schema_from_labels")

UPLOAD_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "multipart/form-data": {
                "schema": {
                    "title": "ImportFilesForm",
                    "type": "object",
                    "required": ["files"],
                    "properties": {
                        "files": {
                            "title": "Files",
                            "type": "array",
                            "items": {
                                "type": "string",
                                "contentMediaType": "application/octet-stream",
                            },
                            "description": "Task files (.json, .jsonl, .csv) or media files (or, "
                            "with `labels_format`, a ZIP archive of existing labels); "
                            "`max_upload_bytes` (`GET /api/v1/limits`) of them in all.",
                        },
                        "batch": {
                            "title": "Batch",
                            "anyOf": [{"type": "string"}, {"type": "null"}],
                            "description": "Put the tasks in this batch.",
                        },
                        "skip_invalid": {
                            "title": "Skip Invalid",
                            "type": "boolean",
                            "default": False,
                            "description": "Import the valid rows and report the rest "
                            "(default: all or none).",
                        },
                        "labels_format": {
                            "title": "Labels Format",
                            "anyOf": [
                                {"enum": list(get_args(LabelsFormat)), "type": "string"},
                                {"type": "null"},
                            ],
                            "description": "The files are existing labels in this format: a "
                            "ZIP archive of an export (or its files), the annotation file(s) "
                            "and the images. Archives are checked before they are kept: an "
                            "entry that leaves the folder, a symbolic link, or more files or "
                            "bytes unpacked than the limits (`max_archive_files`, "
                            "`max_upload_bytes`) refuse the upload, naming the entry.",
                        },
                        "schema_from_labels": {
                            "title": "Schema From Labels",
                            "type": "boolean",
                            "default": False,
                            "description": "With `labels_format`: replace the project's "
                            "schema with one built from the labels found (a project without "
                            "annotations only).",
                        },
                    },
                }
            }
        },
    }
}


@router.post(
    "/projects/{project_id}/imports/files",
    response_model=JobRead,
    status_code=202,
    openapi_extra=UPLOAD_BODY,
)
async def import_files(project_id: Id, request: Request, runtime: RuntimeDep) -> JobRead:
    """Upload files and import them as one job (all or nothing unless `skip_invalid`).

    The caller is checked before the body is read (401, 404, 403 come at once and close the
    connection), the files go to a temporary folder as they come (413 past
    `max_upload_bytes` in all), and they are kept only once the import is recorded."""

    def check(session: SessionDep, user: CurrentUser) -> None:
        get_import_project_or_raise(session, project_id=project_id, user=user)

    await run_as_caller(request, check, write=False)
    async with received_upload(
        request,
        directory=runtime.settings.upload_tmp_dir,
        max_bytes=runtime.settings.max_upload_bytes,
        file_field="files",
        text_fields=UPLOAD_FIELDS,
    ) as form:
        return await run_as_caller(
            request, lambda session, user: _start(session, user, runtime, project_id, form)
        )


def _start(
    session: SessionDep, user: CurrentUser, runtime: Runtime, project_id: int, form: ReceivedForm
) -> JobRead:
    job = import_uploaded_files(
        session,
        storage=runtime.storage,
        project_id=project_id,
        user=user,
        files=form.files,
        batch=form.fields.get("batch"),
        skip_invalid=form_bool(form, "skip_invalid"),
        labels_format=form.fields.get("labels_format") or None,
        schema_from_labels=form_bool(form, "schema_from_labels"),
        max_bytes=runtime.settings.max_upload_bytes,
        max_files=runtime.settings.max_archive_files,
    )
    after_commit(session, lambda: runtime.enqueue_job(job.id))
    return JobRead.model_validate(job)
