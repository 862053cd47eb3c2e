"""Wire models for login, users, tokens, organizations and members."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import StringConstraints

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


class UserRead(ReadModel):
    id: int
    email: str
    name: str


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
    name: str = ""
    password: Password | None = None


class MemberUpdate(InputModel):
    role: RoleName


class MemberRead(ReadModel):
    user_id: int
    email: str
    name: str
    role: str
