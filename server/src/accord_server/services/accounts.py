"""Users, organizations and memberships."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord_server.db.models import Membership, Organization, User
from accord_server.schemas.enums import Role
from accord_server.services import queue
from accord_server.services.errors import Conflict, Forbidden, Invalid, NotFound
from accord_server.services.passwords import check_password_rules
from accord_server.services.permissions import Action, authorize
from accord_server.services.security import hash_password

IMPORTED_EMAIL_DOMAIN = "imported.invalid"
"""The domain of imported annotators' placeholder emails (``imports/annotators.py``): no
account may be created or added with it."""


@dataclass(frozen=True)
class Person:
    """A user as lists name them (who annotated, who reported): id, name, email."""

    id: int
    name: str
    email: str


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively; keep one spelling."""
    email = email.strip().lower()
    if "@" not in email or email.startswith("@") or email.endswith("@"):
        raise Invalid(f"email: {email!r} is not an email address", details={"field": "email"})
    return email


def _check_not_reserved(email: str) -> None:
    if email.endswith("@" + IMPORTED_EMAIL_DOMAIN):
        raise Invalid(
            f"email: addresses @{IMPORTED_EMAIL_DOMAIN} are kept for imported annotators",
            details={"field": "email"},
        )


def check_not_imported(user: User, *, field: str = "email") -> None:
    """Refuse an imported annotator (a person of another tool, credited with imported
    annotations) where only a person with an account may be: a member, a password."""
    if user.imported_organization_id is not None:
        raise Invalid(
            f"{field}: {user.name or user.email} is an imported annotator, who cannot log in "
            "or be a member",
            details={"field": field},
        )


def get_user_by_email(session: Session, email: str) -> User | None:
    """The user with this email, if any."""
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def create_user(session: Session, *, email: str, password: str | None, name: str = "") -> User:
    """A new user; the email must be unused."""
    email = normalize_email(email)
    _check_not_reserved(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(
            f"email: a user with email {email} already exists", details={"field": "email"}
        )
    if password is not None:
        check_password_rules(password, email=email)
    return _insert_user(session, email, hash_password(password) if password else None, name)


def _insert_user(session: Session, email: str, password_hash: str | None, name: str) -> User:
    user = User(email=email, name=name, password_hash=password_hash)
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, *, user: User, password: str, field: str = "password") -> None:
    """Replace a user's password (``field`` names it in the error when it breaks a rule); an
    imported annotator has none and gets none."""
    check_not_imported(user, field=field)
    check_password_rules(password, email=user.email, field=field)
    user.password_hash = hash_password(password)
    session.flush()


def check_may_create_organization(user: User, *, open_organizations: bool) -> None:
    """Refuse unless ``user`` may create an organization: an admin of the server, or anyone
    while ``ACCORD_OPEN_ORGANIZATIONS`` is on."""
    if not open_organizations and not user.is_server_admin:
        raise Forbidden(
            "only an admin of the server may create organizations on this server",
            details={"action": "organization.create"},
        )


def create_organization(session: Session, *, name: str, owner: User) -> Organization:
    """A new organization whose first member is ``owner``."""
    name = name.strip()
    if not name:
        raise Invalid("name: must not be empty", details={"field": "name"})
    org = Organization(name=name)
    session.add(org)
    session.flush()
    session.add(Membership(organization_id=org.id, user_id=owner.id, role=Role.OWNER))
    session.flush()
    return org


def list_memberships(session: Session, *, user: User) -> list[tuple[Membership, Organization]]:
    """The user's memberships with their organizations, oldest first."""
    rows = session.execute(
        select(Membership, Organization)
        .join(Organization, Organization.id == Membership.organization_id)
        .where(Membership.user_id == user.id)
        .order_by(Membership.id)
    )
    return [(m, o) for m, o in rows]


def get_membership_or_raise(session: Session, *, organization_id: int, user: User) -> Membership:
    """The caller's membership in an organization; NotFound for organizations they are not in."""
    membership = session.scalar(
        select(Membership).where(
            Membership.organization_id == organization_id, Membership.user_id == user.id
        )
    )
    if membership is None:
        raise NotFound(f"organization {organization_id} not found")
    return membership


def list_members(session: Session, *, organization_id: int) -> list[tuple[Membership, User]]:
    """Members of an organization with their users."""
    rows = session.execute(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)
        .where(Membership.organization_id == organization_id)
        .order_by(Membership.id)
    )
    return [(m, u) for m, u in rows]


def _check_role_grant(actor_role: str, role: str) -> None:
    if role not in {r.value for r in Role}:
        raise Invalid(
            f"role: {role!r} is not a role; expected one of: " + ", ".join(r.value for r in Role),
            details={"field": "role"},
        )
    if role == Role.OWNER and actor_role != Role.OWNER:
        raise Invalid("role: only an owner can make someone an owner", details={"field": "role"})


def add_member(
    session: Session,
    *,
    actor: Membership,
    email: str,
    role: str,
    password: str,
    name: str = "",
) -> tuple[Membership, User]:
    """Add a user to the actor's organization with ``role``; an email without an account gets
    one, with ``password`` and ``name``, while an existing account keeps its own.

    Both cases do the same work and the caller answers them alike, so an admin does not learn
    whether the email has an account elsewhere: the password is checked against the rules
    (and hashed) even when it is not used."""
    authorize(actor.role, Action.MEMBER_MANAGE)
    _check_role_grant(actor.role, role)
    email = normalize_email(email)
    _check_not_reserved(email)
    check_password_rules(password, email=email)
    password_hash = hash_password(password)
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = _insert_user(session, email, password_hash, name.strip())
    elif session.scalar(
        select(Membership.id).where(
            Membership.organization_id == actor.organization_id, Membership.user_id == user.id
        )
    ):
        raise Conflict(f"email: {user.email} is already a member", details={"field": "email"})
    membership = Membership(organization_id=actor.organization_id, user_id=user.id, role=role)
    session.add(membership)
    session.flush()
    return membership, user


def _get_member_or_raise(session: Session, organization_id: int, user_id: int) -> Membership:
    membership = session.scalar(
        select(Membership).where(
            Membership.organization_id == organization_id, Membership.user_id == user_id
        )
    )
    if membership is None:
        raise NotFound(f"member {user_id} not found")
    return membership


def _count_owners(session: Session, organization_id: int) -> int:
    return (
        session.scalar(
            select(func.count()).where(
                Membership.organization_id == organization_id, Membership.role == Role.OWNER
            )
        )
        or 0
    )


def change_member_role(
    session: Session, *, actor: Membership, user_id: int, role: str
) -> Membership:
    """Change a member's role; the last owner cannot be demoted."""
    authorize(actor.role, Action.MEMBER_MANAGE)
    _check_role_grant(actor.role, role)
    target = _get_member_or_raise(session, actor.organization_id, user_id)
    if target.role == Role.OWNER and actor.role != Role.OWNER:
        raise Invalid("role: only an owner can change an owner's role", details={"field": "role"})
    last_owner = target.role == Role.OWNER and _count_owners(session, actor.organization_id) <= 1
    if last_owner and role != Role.OWNER:
        raise Conflict("role: the organization's last owner cannot be demoted")
    target.role = role
    session.flush()
    return target


def remove_member(session: Session, *, actor: Membership, user_id: int) -> None:
    """Remove a member; the last owner cannot be removed. The tasks they hold under lease in
    the organization's projects go back to the queue at once."""
    authorize(actor.role, Action.MEMBER_MANAGE)
    target = _get_member_or_raise(session, actor.organization_id, user_id)
    if target.role == Role.OWNER:
        if actor.role != Role.OWNER:
            raise Forbidden("only an owner can remove an owner")
        if _count_owners(session, actor.organization_id) <= 1:
            raise Conflict("the organization's last owner cannot be removed")
    queue.release_leases_of_member(session, organization_id=actor.organization_id, user_id=user_id)
    session.delete(target)
    session.flush()


MAX_PREFERENCES_BYTES = 64 * 1024


def set_name(session: Session, *, user: User, name: str) -> User:
    """Change the user's display name ("" for none)."""
    user.name = name.strip()
    session.flush()
    return user


def set_preferences(session: Session, *, user: User, preferences: dict[str, Any]) -> User:
    """Replace the user's preferences; a keymap maps action names to lists of key chords."""
    keymap = preferences.get("keymap", {})
    if not isinstance(keymap, dict) or not all(
        isinstance(action, str)
        and isinstance(chords, list)
        and all(isinstance(c, str) and 0 < len(c) <= 40 for c in chords)
        for action, chords in keymap.items()
    ):
        raise Invalid(
            "keymap: must map action names to lists of key chords (strings)",
            details={"field": "keymap"},
        )
    if len(orjson.dumps(preferences)) > MAX_PREFERENCES_BYTES:
        raise Invalid(
            f"preferences: larger than {MAX_PREFERENCES_BYTES} bytes",
            details={"field": "preferences"},
        )
    user.preferences = preferences
    session.flush()
    return user
