"""Wire models for annotations and their revisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from accord_server.schemas.common import ClientId, InputModel, ReadModel

AnnotationSort = Literal["id", "-id"]
"""The order of a project's annotation list: ``id`` oldest first, ``-id`` newest first."""


class AnnotationCreate(InputModel):
    id: ClientId = Field(
        description="Client-generated id (e.g. a UUID): a retried submit "
        "with the same id returns the first annotation."
    )
    result: list[Any] = Field(description="Regions in Accord's canonical result shape.")
    lead_time: float | None = Field(
        None, ge=0, description="Seconds spent, as measured by the client."
    )


class AnnotationUpdate(InputModel):
    result: list[Any]
    lead_time: float | None = Field(None, ge=0)


class AnnotationRead(ReadModel):
    id: int
    client_id: str
    task_id: int
    project_id: int
    user_id: int | None
    result: list[Any]
    origin: str
    lead_time: float | None
    revision: int
    created_at: datetime
    updated_at: datetime


class AnnotationList(ReadModel):
    items: list[AnnotationRead]
    next_cursor: int | None = None


class AnnotationRevisionRead(ReadModel):
    revision: int
    result: list[Any]
    lead_time: float | None
    user_id: int | None
    created_at: datetime
