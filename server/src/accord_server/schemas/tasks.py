"""Wire models for tasks, predictions, leases, imports and jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from accord_server.schemas.common import InputModel, ReadModel


class TaskRead(ReadModel):
    id: int
    project_id: int
    batch_id: int | None
    data: dict[str, Any]
    meta: dict[str, Any]
    priority: int
    is_gold: bool
    annotation_count: int
    state: str
    created_at: datetime


class TaskList(ReadModel):
    items: list[TaskRead]
    next_cursor: int | None = Field(None, description="Pass as `cursor` for the next page.")


class TaskBulkUpdate(InputModel):
    task_ids: list[int] = Field(min_length=1, max_length=10_000)
    priority: int | None = None
    batch: str | None = Field(None, max_length=200, description="Move the tasks to this batch.")
    delete: bool = False


class PersonRead(ReadModel):
    id: int
    name: str
    email: str


class TaskRowRead(TaskRead):
    annotators: list[int] = Field(description="Users with a live annotation on the task.")
    annotator_people: list[PersonRead] = Field(
        description="The same users with their names and emails, in annotation order."
    )
    batch_name: str | None = Field(description="The name of the task's batch, if any.")
    max_score: float | None = Field(description="Highest prediction score, if any.")


class TaskTableRead(ReadModel):
    items: list[TaskRowRead]
    total: int


class BatchRead(ReadModel):
    id: int
    name: str
    priority: int
    tasks: int


class TaskBulkResult(ReadModel):
    affected: int


class PredictionRead(ReadModel):
    id: int
    task_id: int
    model_version: str | None
    score: float | None
    result: list[Any]
    created_at: datetime


class LeaseRead(ReadModel):
    task: TaskRead
    assignment_id: int
    lease_expires_at: datetime
    resumed: bool
    draft: Any | None = None


class DraftUpdate(InputModel):
    draft: Any


class FolderSource(InputModel):
    type: Literal["folder"]
    path: str = Field(description="Folder relative to a configured import root.")
    root: int = Field(0, ge=0, description="Index of the import root (ACCORD_IMPORT_ROOTS).")


class S3Source(InputModel):
    type: Literal["s3"]
    bucket: str = Field(min_length=3, max_length=63)
    prefix: str = ""


class ImportCreate(InputModel):
    tasks: list[dict[str, Any]] | None = Field(
        None, description="Tasks as objects (Label Studio task JSON or plain data)."
    )
    source: FolderSource | S3Source | None = Field(None, discriminator="type")
    batch: str | None = Field(None, max_length=200, description="Put the tasks in this batch.")
    skip_invalid: bool = Field(
        False, description="Import the valid rows and report the rest (default: all or none)."
    )


class JobRead(ReadModel):
    id: int
    organization_id: int
    project_id: int | None
    kind: str
    state: str
    progress: float
    phase: str
    counts: dict[str, Any]
    errors: list[Any]
    message: str
    cancel_requested: bool
    attempts: int = Field(
        description="How many times a worker has started the job: a retry after an "
        "unexpected error and a takeover after its worker died count too."
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
