"""Shared wire types: error body, constrained aliases, base models."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from accord_server.schemas.enums import Role

Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Email = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]
Password = Annotated[str, StringConstraints(min_length=1, max_length=1000)]
# A pattern rather than the enum keeps the OpenAPI document (and its error messages) as they were.
RoleName = Annotated[str, Field(pattern=f"^({'|'.join(Role)})$")]
ClientId = Annotated[str, StringConstraints(min_length=1, max_length=64)]

# Integers reach the database bounded: SQLite and PostgreSQL hold signed 64-bit integers (a
# larger one was an OverflowError in SQLite's driver, a 500), and a priority is a 32-bit column.
INT64_MAX = 2**63 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
Id = Annotated[int, Field(ge=1, le=INT64_MAX)]
"""The id of a row (in a path, a query or a body): ids start at 1."""
Offset = Annotated[int, Field(ge=0, le=INT64_MAX)]
"""How many rows to skip."""
Priority = Annotated[int, Field(ge=INT32_MIN, le=INT32_MAX)]
"""A task's or a batch's priority (higher first): a 32-bit integer."""


class InputModel(BaseModel):
    """Base of request bodies: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid")


class ReadModel(BaseModel):
    """Base of response bodies, built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


class ErrorRead(BaseModel):
    """Every error response: a stable code, a message naming the field, and details."""

    code: str
    message: str
    details: Any = None


class LimitsRead(BaseModel):
    """The server's size limits, so that a client can refuse too large a file before sending."""

    max_upload_bytes: int = Field(description="Largest accepted uploaded file, in bytes.")
    max_json_bytes: int = Field(
        description="Largest request body that is not a file upload (JSON), in bytes."
    )
    max_regions: int = Field(description="Most regions one annotation may hold.")
