"""Wire models for login, users, tokens, organizations and members."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, StringConstraints

from accord_server.schemas.common import (
    Email,
    InputModel,
    Name,
    Password,
    ReadModel,
    RoleName,
)


class LoginCreate(InputModel):
    email: Email
    password: Password


class ProfileUpdate(InputModel):
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


class PasswordChange(InputModel):
    current_password: Password
    new_password: Password
    revoke_tokens: bool = Field(
        False,
        description="Also revoke every API token of yours, the one sending this request "
        "included (your other login sessions end either way; this one stays).",
    )


class UserRead(ReadModel):
    id: int
    email: str
    name: str
    is_server_admin: bool = Field(
        False,
        description="An admin of the server: grants import sources and creates organizations.",
    )


class MembershipRead(ReadModel):
    organization_id: int
    organization_name: str
    role: str


class MeRead(ReadModel):
    user: UserRead
    memberships: list[MembershipRead]
    csrf_token: str | None = None


class ApiTokenCreate(InputModel):
    name: Name


class ApiTokenRead(ReadModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiTokenCreated(ApiTokenRead):
    token: str


class OrganizationCreate(InputModel):
    name: Name


class OrganizationRead(ReadModel):
    id: int
    name: str
    created_at: datetime
    role: str


class MemberCreate(InputModel):
    email: Email
    role: RoleName
    password: Password = Field(
        description="The initial password of a new account. Required whether or not the email "
        "already has an account here, so that the answer does not tell: an existing account "
        "keeps its own password, and this one is checked against the rules and dropped."
    )
    name: str = Field(
        "", description="The display name of a new account (an existing one keeps its own)."
    )


class MemberUpdate(InputModel):
    role: RoleName


class MemberAdded(ReadModel):
    """The answer to adding a member: the same whether or not the email had an account."""

    email: str
    role: str


class MemberRead(ReadModel):
    user_id: int
    email: str
    name: str
    role: str
