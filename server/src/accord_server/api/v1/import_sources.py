"""Import sources: what an admin of the server grants to an organization, and what its members
may import from."""

from __future__ import annotations

from fastapi import Response

from accord_server.api.deps import CurrentUser, RuntimeDep, SessionDep, api_router
from accord_server.db.models import ImportSource
from accord_server.schemas.common import Id
from accord_server.schemas.enums import SourceKind
from accord_server.schemas.sources import (
    ImportSourceAdminRead,
    ImportSourceCreate,
    ImportSourceRead,
)
from accord_server.services import accounts, import_sources
from accord_server.services.import_sources import SourceBounds
from accord_server.services.permissions import Action, authorize

router = api_router(prefix="/api/v1", tags=["import sources"])


def _read(source: ImportSource) -> ImportSourceRead:
    return ImportSourceRead(
        id=source.id,
        organization_id=source.organization_id,
        name=source.name,
        kind=SourceKind(source.kind),
        location=import_sources.location(source),
        created_at=source.created_at,
    )


def _admin_read(source: ImportSource) -> ImportSourceAdminRead:
    return ImportSourceAdminRead(
        **_read(source).model_dump(),
        profile=source.profile,
        endpoint_url=source.endpoint_url,
        region=source.region,
        created_by_id=source.created_by_id,
    )


@router.get(
    "/organizations/{organization_id}/import-sources", response_model=list[ImportSourceRead]
)
def list_organization_sources(
    organization_id: Id, session: SessionDep, user: CurrentUser
) -> list[ImportSourceRead]:
    """The sources granted to an organization: for its members who may import, and for admins
    of the server."""
    if not user.is_server_admin:
        membership = accounts.get_membership_or_raise(
            session, organization_id=organization_id, user=user
        )
        authorize(membership.role, Action.TASK_IMPORT)
    return [_read(s) for s in import_sources.list_sources(session, organization_id=organization_id)]


@router.post(
    "/organizations/{organization_id}/import-sources",
    response_model=ImportSourceAdminRead,
    status_code=201,
)
def grant_source(
    organization_id: Id,
    body: ImportSourceCreate,
    session: SessionDep,
    user: CurrentUser,
    runtime: RuntimeDep,
) -> ImportSourceAdminRead:
    """Grant a server folder or an S3 prefix to an organization (admins of the server only)."""
    source = import_sources.grant_source(
        session,
        organization_id=organization_id,
        name=body.name,
        kind=body.kind,
        bounds=SourceBounds.from_settings(runtime.settings),
        by=user,
        path=body.path,
        bucket=body.bucket,
        prefix=body.prefix,
        profile=body.profile,
        endpoint_url=body.endpoint_url,
        region=body.region,
    )
    return _admin_read(source)


@router.get("/import-sources", response_model=list[ImportSourceAdminRead])
def list_all_sources(session: SessionDep, user: CurrentUser) -> list[ImportSourceAdminRead]:
    """Every grant on the server, with how each is read (admins of the server only)."""
    import_sources.require_server_admin(user, "list every import source")
    return [_admin_read(s) for s in import_sources.list_sources(session, organization_id=None)]


@router.delete("/import-sources/{source_id}", status_code=204)
def revoke_source(source_id: Id, session: SessionDep, user: CurrentUser) -> Response:
    """Take a grant back; imports queued from it fail (admins of the server only)."""
    import_sources.revoke_source(session, source_id=source_id, by=user)
    return Response(status_code=204)
