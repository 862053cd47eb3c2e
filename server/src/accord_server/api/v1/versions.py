"""Dataset versions: freeze one (a background job), list and read them, compare two, download
a manifest (with HTTP range requests), rename and delete them. Export one with
``POST /projects/{id}/exports`` and ``version``."""

from __future__ import annotations

from typing import Annotated

from fastapi import Header, Query
from fastapi.responses import Response

from accord_server.api.deps import CurrentUser, RuntimeDep, SessionDep, after_commit, api_router
from accord_server.api.v1.exports import ranged_download
from accord_server.db.models import DatasetVersion, Job
from accord_server.schemas.common import Id
from accord_server.schemas.datasets import (
    VersionCreate,
    VersionDiffRead,
    VersionRead,
    VersionUpdate,
)
from accord_server.schemas.enums import JobState
from accord_server.schemas.tasks import JobRead
from accord_server.services import datasets
from accord_server.services.permissions import Action

router = api_router(prefix="/api/v1", tags=["versions"])


def version_read(version: DatasetVersion, job: Job) -> VersionRead:
    """A version with its job, as the API shows it."""
    done = job.state == JobState.SUCCEEDED and version.manifest_key is not None
    return VersionRead(
        id=version.id,
        organization_id=version.organization_id,
        project_id=version.project_id,
        number=version.number,
        name=version.name,
        description=version.description,
        options=version.options,
        filter=version.filter,
        label_schema=version.label_schema,
        state=job.state,
        job=JobRead.model_validate(job),
        manifest_sha256=version.manifest_sha256,
        manifest_size=version.manifest_size,
        content_hash=version.content_hash,
        same_as=version.same_as_id,
        task_count=version.task_count,
        result_count=version.result_count,
        prediction_count=version.prediction_count,
        label_counts=version.label_counts,
        manifest_url=f"/api/v1/versions/{version.id}/manifest" if done else None,
        created_by=version.created_by,
        created_at=version.created_at,
        finished_at=version.finished_at,
    )


@router.post("/projects/{project_id}/versions", response_model=VersionRead, status_code=202)
def create_version(
    project_id: Id,
    body: VersionCreate,
    session: SessionDep,
    user: CurrentUser,
    runtime: RuntimeDep,
) -> VersionRead:
    """Freeze the project's tasks (or the filter's) and their chosen results into a dataset
    version, in the background: answers the version with its queued job."""
    version = datasets.create_version(
        session,
        project_id=project_id,
        user=user,
        name=body.name,
        description=body.description,
        result=body.result,
        filter=body.filter.model_dump(mode="json") if body.filter else None,
    )
    version, job = datasets.get_version_or_raise(
        session, version_id=version.id, user=user, action=Action.VERSION_CREATE
    )
    after_commit(session, lambda: runtime.enqueue_job(job.id))
    return version_read(version, job)


@router.get("/projects/{project_id}/versions", response_model=list[VersionRead])
def list_versions(
    project_id: Id,
    session: SessionDep,
    user: CurrentUser,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> list[VersionRead]:
    """The project's dataset versions, newest first."""
    rows = datasets.list_versions(session, project_id=project_id, user=user, limit=limit)
    return [version_read(version, job) for version, job in rows]


@router.get("/versions/{version_id}", response_model=VersionRead)
def get_version(version_id: Id, session: SessionDep, user: CurrentUser) -> VersionRead:
    """A dataset version: its state (its job), and once frozen its hashes and counts."""
    return version_read(*datasets.get_version_or_raise(session, version_id=version_id, user=user))


@router.patch("/versions/{version_id}", response_model=VersionRead)
def update_version(
    version_id: Id, body: VersionUpdate, session: SessionDep, user: CurrentUser
) -> VersionRead:
    """Rename a version or change its description; its content never changes."""
    version, job = datasets.get_version_or_raise(
        session, version_id=version_id, user=user, action=Action.VERSION_CREATE
    )
    datasets.rename_version(version, name=body.name, description=body.description)
    session.flush()
    return version_read(version, job)


@router.get("/versions/{version_id}/diff", response_model=VersionDiffRead)
def diff_versions(
    version_id: Id,
    against: Annotated[int, Query(ge=1, le=2**63 - 1, description="The version compared to.")],
    session: SessionDep,
    user: CurrentUser,
    runtime: RuntimeDep,
) -> VersionDiffRead:
    """What changed from `against` to this version: tasks added, removed and changed, regions
    added and removed per label, the first task ids of each."""
    new, new_job = datasets.get_version_or_raise(session, version_id=version_id, user=user)
    old, old_job = datasets.get_version_or_raise(session, version_id=against, user=user)
    datasets.require_frozen(new, new_job)
    datasets.require_frozen(old, old_job)
    return VersionDiffRead.model_validate(datasets.diff_versions(runtime.storage, new, old))


@router.get(
    "/versions/{version_id}/manifest",
    response_class=Response,
    responses={206: {"description": "The range asked for."}, 416: {"description": "No byte."}},
)
def download_manifest(
    version_id: Id,
    session: SessionDep,
    user: CurrentUser,
    runtime: RuntimeDep,
    range_: Annotated[str | None, Header(alias="Range")] = None,
    if_range: Annotated[str | None, Header(alias="If-Range")] = None,
) -> Response:
    """The version's manifest (canonical JSONL, one task a line), streamed from storage;
    `Range` and `If-Range` as for an export's download."""
    version, job = datasets.get_version_or_raise(session, version_id=version_id, user=user)
    key = datasets.require_frozen(version, job)
    return ranged_download(
        runtime.storage,
        key=key,
        size=int(version.manifest_size or 0),
        sha256=str(version.manifest_sha256),
        file_name=f"project-{version.project_id}-v{version.number}-manifest.jsonl",
        media_type=datasets.MANIFEST_TYPE,
        range_=range_,
        if_range=if_range,
    )


@router.delete("/versions/{version_id}", status_code=204, response_class=Response)
def delete_version(
    version_id: Id, session: SessionDep, user: CurrentUser, runtime: RuntimeDep
) -> Response:
    """Delete a version and its manifest (one still being frozen: cancel its job first)."""
    version, job = datasets.get_version_or_raise(
        session, version_id=version_id, user=user, action=Action.VERSION_CREATE
    )
    datasets.delete_version(session, version=version, job=job, storage=runtime.storage)
    return Response(status_code=204)
