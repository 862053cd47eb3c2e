"""Pydantic models of the server's responses (its ``<Thing>Read`` shapes).

Every model allows extra fields: a newer server may add some, and an older SDK keeps working
(the extra values stay readable as attributes and in ``model_dump()``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Annotation",
    "AnnotationRevision",
    "AnnotatorProgress",
    "ApiToken",
    "ApiTokenCreated",
    "Job",
    "JobCounts",
    "JobError",
    "Lease",
    "Me",
    "Member",
    "Membership",
    "Organization",
    "Prediction",
    "Progress",
    "Project",
    "Task",
    "User",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow")


class User(_Model):
    """A user account."""

    id: int
    email: str
    name: str = ""


class Membership(_Model):
    """Your role in one organization (as listed by ``client.me()``)."""

    organization_id: int
    organization_name: str
    role: str


class Me(_Model):
    """The caller: user and memberships."""

    user: User
    memberships: list[Membership] = Field(default_factory=list)
    csrf_token: str | None = None


class ApiToken(_Model):
    """A personal API token (its secret is never shown again)."""

    id: int
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None


class ApiTokenCreated(ApiToken):
    """A new API token with its secret ``token`` — shown only this once."""

    token: str


class Organization(_Model):
    """An organization (tenant) and your role in it."""

    id: int
    name: str
    created_at: datetime
    role: str


class MemberAdded(_Model):
    """The answer to adding a member: the same whether or not the email had an account (see
    ``Organizations.add_member``)."""

    email: str
    role: str


class Member(_Model):
    """A member of an organization."""

    user_id: int
    email: str
    name: str = ""
    role: str


class Project(_Model):
    """A labeling project: its label schema and workflow settings."""

    id: int
    organization_id: int
    name: str
    description: str = ""
    media: str
    label_schema: dict[str, Any]
    schema_source: str = ""
    overlap: int
    lease_minutes: int
    blind: bool
    instructions: str = ""
    created_at: datetime
    updated_at: datetime


class AnnotatorProgress(_Model):
    """How many annotations one annotator submitted in a project."""

    user_id: int
    email: str
    annotations: int


class Progress(_Model):
    """A project's task states and annotation counts."""

    tasks: int
    new: int
    in_progress: int
    completed: int
    annotations: int
    active_leases: int
    skipped: int
    percent_complete: float
    annotators: list[AnnotatorProgress] = Field(default_factory=list)


class Task(_Model):
    """One item to label: its data, and its state derived from the project's overlap."""

    id: int
    project_id: int
    batch_id: int | None = None
    data: dict[str, Any]
    meta: dict[str, Any] = Field(default_factory=dict)
    priority: int = 0
    is_gold: bool = False
    annotation_count: int = 0
    state: str
    created_at: datetime


class Prediction(_Model):
    """A model's prediction on a task."""

    id: int
    task_id: int
    model_version: str | None = None
    score: float | None = None
    result: list[Any]
    created_at: datetime


class Lease(_Model):
    """A task handed to you by the queue, yours until ``lease_expires_at``."""

    task: Task
    assignment_id: int
    lease_expires_at: datetime
    resumed: bool
    draft: Any | None = None


class Annotation(_Model):
    """An annotation of a task; ``client_id`` is the id you submitted it with."""

    id: int
    client_id: str
    task_id: int
    project_id: int
    user_id: int | None = None
    result: list[Any]
    origin: str
    lead_time: float | None = None
    revision: int
    created_at: datetime
    updated_at: datetime


class AnnotationRevision(_Model):
    """An earlier result of an annotation."""

    revision: int
    result: list[Any]
    lead_time: float | None = None
    user_id: int | None = None
    created_at: datetime


class JobCounts(_Model):
    """What a job has read and written so far."""

    files: int = 0
    rows: int = 0
    tasks: int = 0
    errors: int = 0
    predictions: int = 0


class JobError(_Model):
    """One problem in a job's error report: which file, row and field, and why."""

    file: str | None = None
    row: int | None = None
    field: str | None = None
    message: str = ""

    def __str__(self) -> str:
        where = self.file or ""
        if self.row:
            where += f" row {self.row}"
        if self.field:
            where += f" {self.field}"
        return f"{where.strip()}: {self.message}" if where.strip() else self.message


class Job(_Model):
    """A background job (import, export...): state, progress 0..1, counts and errors."""

    id: int
    organization_id: int
    project_id: int | None = None
    kind: str
    state: str
    progress: float = 0.0
    phase: str = ""
    counts: JobCounts = Field(default_factory=JobCounts)
    errors: list[JobError] = Field(default_factory=list)
    message: str = ""
    cancel_requested: bool = False
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        """True once the job is succeeded, failed or cancelled."""
        return self.state in FINISHED_STATES


FINISHED_STATES = frozenset({"succeeded", "failed", "cancelled"})
