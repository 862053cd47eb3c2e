"""Exports: start one (a background job), read and list them, download the file (with HTTP
range requests, for resuming), delete them; the formats there are."""

from __future__ import annotations

from collections.abc import Iterator
from typing import IO, Annotated

from fastapi import Header, Query
from fastapi.responses import Response, StreamingResponse

from accord_server.adapters.storage import Storage
from accord_server.api.deps import CurrentUser, RuntimeDep, SessionDep, after_commit, api_router
from accord_server.api.ranges import Unsatisfiable, parse_range
from accord_server.db.models import Export, Job
from accord_server.schemas.common import Id
from accord_server.schemas.enums import JobState
from accord_server.schemas.exports import ExportCreate, ExportFormatRead, ExportRead
from accord_server.schemas.tasks import JobRead
from accord_server.services.exports import service

router = api_router(prefix="/api/v1", tags=["exports"])
CHUNK = 256 * 1024


def export_read(export: Export, job: Job) -> ExportRead:
    """An export with its job, as the API shows it."""
    done = job.state == JobState.SUCCEEDED and export.storage_key is not None
    return ExportRead(
        id=export.id,
        organization_id=export.organization_id,
        project_id=export.project_id,
        format=export.format,
        options=export.options,
        filter=export.filter,
        state=job.state,
        job=JobRead.model_validate(job),
        file_name=export.file_name,
        content_type=export.content_type,
        size=export.size,
        sha256=export.sha256,
        task_count=export.task_count,
        report=export.report or {"dropped": []},
        download_url=f"/api/v1/exports/{export.id}/download" if done else None,
        created_by=export.created_by,
        created_at=export.created_at,
        finished_at=export.finished_at,
    )


@router.get("/export-formats", response_model=list[ExportFormatRead])
def list_export_formats(user: CurrentUser) -> list[ExportFormatRead]:
    """The export formats: name (the `format` of an export), title, the media each holds and
    its own options with their defaults."""
    return [
        ExportFormatRead(
            name=f.name,
            title=f.title,
            media=sorted(f.media),
            description=f.description,
            options=dict(f.options),
        )
        for f in service.export_formats()
    ]


@router.post("/projects/{project_id}/exports", response_model=ExportRead, status_code=202)
def create_export(
    project_id: Id, body: ExportCreate, session: SessionDep, user: CurrentUser, runtime: RuntimeDep
) -> ExportRead:
    """Export the project's tasks (or the filter's) in a format, in the background: answers
    the export with its queued job; download it once its state is `succeeded`."""
    export = service.create_export(
        session,
        project_id=project_id,
        user=user,
        format=body.format,
        result=body.result,
        include_media=body.include_media,
        split=body.split.model_dump() if body.split else None,
        label_map=body.label_map,
        filter=body.filter.model_dump(mode="json") if body.filter else None,
        options=body.options,
        version=body.version,
        result_given="result" in body.model_fields_set,
    )
    export, job = service.get_export_or_raise(session, export_id=export.id, user=user)
    after_commit(session, lambda: runtime.enqueue_job(job.id))
    return export_read(export, job)


@router.get("/projects/{project_id}/exports", response_model=list[ExportRead])
def list_exports(
    project_id: Id,
    session: SessionDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[ExportRead]:
    """The project's exports, newest first."""
    rows = service.list_exports(session, project_id=project_id, user=user, limit=limit)
    return [export_read(export, job) for export, job in rows]


@router.get("/exports/{export_id}", response_model=ExportRead)
def get_export(export_id: Id, session: SessionDep, user: CurrentUser) -> ExportRead:
    """An export: its state and progress (its job), and once done its file's name, size,
    SHA-256 and the report of what the format could not hold."""
    return export_read(*service.get_export_or_raise(session, export_id=export_id, user=user))


def _chunks(stream: IO[bytes]) -> Iterator[bytes]:
    try:
        while chunk := stream.read(CHUNK):
            yield chunk
    finally:
        stream.close()


@router.get(
    "/exports/{export_id}/download",
    response_class=Response,
    responses={206: {"description": "The range asked for."}, 416: {"description": "No byte."}},
)
def download_export(
    export_id: Id,
    session: SessionDep,
    user: CurrentUser,
    runtime: RuntimeDep,
    range_: Annotated[str | None, Header(alias="Range")] = None,
    if_range: Annotated[str | None, Header(alias="If-Range")] = None,
) -> Response:
    """The export's file, streamed from storage. `Range: bytes=N-` answers 206 with the rest
    (resume a partial download); `If-Range` with the ETag (the file's SHA-256, quoted) makes
    the range apply only to the same file."""
    export, job = service.get_export_or_raise(session, export_id=export_id, user=user)
    key, size = service.get_download_or_raise(export, job)
    return ranged_download(
        runtime.storage,
        key=key,
        size=size,
        sha256=str(export.sha256),
        file_name=str(export.file_name),
        media_type=export.content_type or "application/octet-stream",
        range_=range_,
        if_range=if_range,
    )


def ranged_download(
    storage: Storage,
    *,
    key: str,
    size: int,
    sha256: str,
    file_name: str,
    media_type: str,
    range_: str | None,
    if_range: str | None,
) -> Response:
    """A stored file streamed whole, or the range asked for (206; 416 for none of its bytes);
    the ETag is its SHA-256, quoted, and ``If-Range`` must match it for the range to apply."""
    etag = f'"{sha256}"'
    headers = {
        "Accept-Ranges": "bytes",
        "ETag": etag,
        "Content-Disposition": f'attachment; filename="{file_name}"',
        "Cache-Control": "private, no-transform",
    }
    try:
        wanted = parse_range(range_, size) if if_range in (None, etag) else None
    except Unsatisfiable:
        return Response(status_code=416, headers={**headers, "Content-Range": f"bytes */{size}"})
    if wanted is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(_chunks(storage.open(key)), media_type=media_type, headers=headers)
    start, end = wanted
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Length"] = str(end - start + 1)
    stream = storage.open_range(key, start, end)
    return StreamingResponse(
        _chunks(stream), status_code=206, media_type=media_type, headers=headers
    )


@router.delete("/exports/{export_id}", status_code=204, response_class=Response)
def delete_export(
    export_id: Id, session: SessionDep, user: CurrentUser, runtime: RuntimeDep
) -> Response:
    """Delete an export and its file (a queued or running one: cancel its job first)."""
    export, job = service.get_export_or_raise(session, export_id=export_id, user=user)
    service.delete_export(session, export=export, job=job, storage=runtime.storage)
    return Response(status_code=204)
