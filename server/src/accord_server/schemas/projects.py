"""Wire models for projects and their progress."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from accord_server.schemas.common import Id, InputModel, Name, ReadModel


class ProjectCreate(InputModel):
    organization_id: Id | None = Field(
        None, description="Organization to create the project in; default: your only one."
    )
    name: Name
    description: str = ""
    label_schema: str | dict[str, Any] = Field(
        description="The label schema as YAML/JSON text or as an object."
    )
    overlap: int = Field(1, ge=1, le=100, description="Annotations wanted per task.")
    lease_minutes: int = Field(30, ge=1, le=10080, description="How long a hand-out lasts.")
    blind: bool = Field(True, description="Annotators never see each other's work.")
    instructions: str = Field("", description="Markdown shown to annotators.")


class ProjectUpdate(InputModel):
    name: Name | None = None
    description: str | None = None
    label_schema: str | dict[str, Any] | None = None
    overlap: int | None = Field(None, ge=1, le=100)
    lease_minutes: int | None = Field(None, ge=1, le=10080)
    blind: bool | None = None
    instructions: str | None = None


class ProjectRead(ReadModel):
    id: int
    organization_id: int
    name: str
    description: str
    media: str
    label_schema: dict[str, Any]
    schema_source: str
    overlap: int
    lease_minutes: int
    blind: bool
    instructions: str
    created_at: datetime
    updated_at: datetime


class AnnotatorProgress(ReadModel):
    user_id: int
    email: str
    annotations: int


class ProjectProgressRead(ReadModel):
    tasks: int
    new: int
    in_progress: int
    completed: int
    annotations: int
    active_leases: int
    skipped: int
    reported_tasks: int = Field(description="Tasks with an open report (out of the queue).")
    open_reports: int = Field(description="Reports not resolved yet, on those tasks.")
    percent_complete: float
    annotators: list[AnnotatorProgress]


class OwnProgressRead(ReadModel):
    """The caller's own work in a project: counts of their rows only, nothing of anyone else's."""

    submitted: int = Field(description="Tasks you have a live (not deleted) annotation on.")
    leased: int = Field(description="Tasks you hold under an unexpired lease now.")
    drafts: int = Field(description="Of the tasks you hold, how many have a saved draft.")
    skipped: int = Field(description="Tasks you skipped; the queue does not offer them again.")
    available: int = Field(
        description="Tasks the queue could still hand you: a free slot (or one an expired lease "
        "frees) on a task you have never been handed. Counted up to 10,000."
    )
    more_available: bool = Field(
        description="More tasks than `available` are open to you (counting stopped at 10,000)."
    )


class LabelCount(ReadModel):
    tool: str
    label: str
    count: int


class DayCount(ReadModel):
    date: str
    annotations: int


class AnnotatorStats(ReadModel):
    user_id: int
    email: str
    annotations: int
    mean_lead_time: float | None


class ProjectStatsRead(ReadModel):
    labels: list[LabelCount]
    throughput: list[DayCount]
    annotators: list[AnnotatorStats]
    as_of: datetime = Field(
        description="Every change made before this time is counted (the statistics follow the "
        "project's events, delivered about once a second)."
    )


class LabelSchemaValidate(InputModel):
    label_schema: str | dict[str, Any] = Field(description="YAML/JSON text or an object.")


class LabelSchemaRead(ReadModel):
    media: str
    label_schema: dict[str, Any]
