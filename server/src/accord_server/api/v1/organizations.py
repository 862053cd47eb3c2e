"""Organizations and their members."""

from __future__ import annotations

from accord_server.api.deps import CurrentUser, RuntimeDep, SessionDep, api_router
from accord_server.schemas.accounts import (
    MemberAdded,
    MemberCreate,
    MemberRead,
    MemberUpdate,
    OrganizationCreate,
    OrganizationRead,
)
from accord_server.schemas.common import Id
from accord_server.services import accounts
from accord_server.services.permissions import Action, authorize

router = api_router(prefix="/api/v1/organizations", tags=["organizations"])


@router.get("", response_model=list[OrganizationRead])
def list_organizations(session: SessionDep, user: CurrentUser) -> list[OrganizationRead]:
    """Organizations you belong to, with your role in each."""
    return [
        OrganizationRead(id=o.id, name=o.name, created_at=o.created_at, role=m.role)
        for m, o in accounts.list_memberships(session, user=user)
    ]


@router.post("", response_model=OrganizationRead, status_code=201)
def create_organization(
    body: OrganizationCreate, session: SessionDep, user: CurrentUser, runtime: RuntimeDep
) -> OrganizationRead:
    """A new organization with you as its owner: for admins of the server, or anyone when the
    server allows it (`ACCORD_OPEN_ORGANIZATIONS`)."""
    accounts.check_may_create_organization(
        user, open_organizations=runtime.settings.open_organizations
    )
    org = accounts.create_organization(session, name=body.name, owner=user)
    return OrganizationRead(id=org.id, name=org.name, created_at=org.created_at, role="owner")


@router.get("/{organization_id}", response_model=OrganizationRead)
def get_organization(
    organization_id: Id, session: SessionDep, user: CurrentUser
) -> OrganizationRead:
    """One of your organizations."""
    membership = accounts.get_membership_or_raise(
        session, organization_id=organization_id, user=user
    )
    for m, o in accounts.list_memberships(session, user=user):
        if m.id == membership.id:
            return OrganizationRead(id=o.id, name=o.name, created_at=o.created_at, role=m.role)
    raise AssertionError("membership vanished")


@router.get("/{organization_id}/members", response_model=list[MemberRead])
def list_members(organization_id: Id, session: SessionDep, user: CurrentUser) -> list[MemberRead]:
    """Members of an organization with their roles."""
    membership = accounts.get_membership_or_raise(
        session, organization_id=organization_id, user=user
    )
    authorize(membership.role, Action.MEMBER_LIST)
    return [
        MemberRead(user_id=u.id, email=u.email, name=u.name, role=m.role)
        for m, u in accounts.list_members(session, organization_id=organization_id)
    ]


@router.post("/{organization_id}/members", response_model=MemberAdded, status_code=201)
def add_member(
    organization_id: Id, body: MemberCreate, session: SessionDep, user: CurrentUser
) -> MemberAdded:
    """Add a member by email. An email without an account here gets one, with the given
    password and name; an existing account keeps its own. The answer is the same either way,
    so it does not tell whether the email had an account elsewhere."""
    actor = accounts.get_membership_or_raise(session, organization_id=organization_id, user=user)
    membership, member = accounts.add_member(
        session,
        actor=actor,
        email=body.email,
        role=body.role,
        name=body.name,
        password=body.password,
    )
    return MemberAdded(email=member.email, role=membership.role)


@router.patch("/{organization_id}/members/{user_id}", response_model=MemberRead)
def change_member(
    organization_id: Id, user_id: Id, body: MemberUpdate, session: SessionDep, user: CurrentUser
) -> MemberRead:
    """Change a member's role."""
    actor = accounts.get_membership_or_raise(session, organization_id=organization_id, user=user)
    membership = accounts.change_member_role(session, actor=actor, user_id=user_id, role=body.role)
    for m, u in accounts.list_members(session, organization_id=organization_id):
        if m.id == membership.id:
            return MemberRead(user_id=u.id, email=u.email, name=u.name, role=m.role)
    raise AssertionError("member vanished")


@router.delete("/{organization_id}/members/{user_id}", status_code=204)
def remove_member(organization_id: Id, user_id: Id, session: SessionDep, user: CurrentUser) -> None:
    """Remove a member from the organization."""
    actor = accounts.get_membership_or_raise(session, organization_id=organization_id, user=user)
    accounts.remove_member(session, actor=actor, user_id=user_id)
