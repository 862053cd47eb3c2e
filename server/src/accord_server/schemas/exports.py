"""Exports on the wire: what ``POST /projects/{id}/exports`` takes and what an export reads as."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from accord_server.schemas.common import Id, InputModel, ReadModel
from accord_server.schemas.enums import ExportResultChoice
from accord_server.schemas.tasks import JobRead

Fraction = Annotated[float, Field(ge=0, le=1)]


class ExportSplit(InputModel):
    """Train/val/test fractions (summing to 1) and the seed that, with each task's id, decides
    its part: the same seed gives every task the same part in every export."""

    train: Fraction = 0.8
    val: Fraction = 0.1
    test: Fraction = 0.1
    seed: Annotated[int, Field(ge=0, le=2**63 - 1)] = 0


class ExportFilter(InputModel):
    """The data manager's task filter (``GET /projects/{id}/tasks/table``'s parameters); only
    the tasks that match are exported."""

    state: str | None = None
    annotator_id: Id | None = None
    annotator: Annotated[str, Field(max_length=320)] | None = Field(
        None, description="Part of an annotator's name or email."
    )
    label: Annotated[str, Field(max_length=200)] | None = None
    min_score: float | None = None
    max_score: float | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    batch_id: Id | None = None
    reported: bool | None = None


class ExportCreate(InputModel):
    format: Annotated[str, Field(min_length=1, max_length=50)] = Field(
        description="A format's name (`GET /api/v1/export-formats`)."
    )
    result: ExportResultChoice = Field(
        ExportResultChoice.LATEST,
        description="Which results: `latest` (each task's latest live annotation), `all` "
        "(every annotator's), `ground_truth` (gold tasks only, with their latest annotation). "
        "`consensus` and `reviewed` are refused until the quality engine lands.",
    )
    include_media: bool = Field(
        False, description="Put the stored media files in the download (a zip)."
    )
    split: ExportSplit | None = Field(None, description="Split the tasks into train/val/test.")
    label_map: dict[Annotated[str, Field(min_length=1, max_length=200)], str | None] | None = Field(
        None,
        description="Rename labels and choices (`{old: new}`), or drop them (`{old: null}`), "
        "in the results and the schema the format is given.",
    )
    filter: ExportFilter | None = Field(None, description="Export only the matching tasks.")
    options: dict[str, Any] | None = Field(None, description="The format's own options.")
    version: Id | None = Field(
        None,
        description="Export this dataset version (its frozen tasks, results and schema, the "
        "same bytes every time) instead of the live project; no `filter` or `result` then.",
    )


class ReportDropRead(ReadModel):
    reason: str
    count: int
    task_ids: list[int] = Field(description="The first tasks it happened to (20 at most).")


class ExportReportRead(ReadModel):
    dropped: list[ReportDropRead] = Field(default_factory=list)


class ExportRead(ReadModel):
    id: int
    organization_id: int
    project_id: int
    format: str
    options: dict[str, Any] = Field(
        description="What was asked: result, include_media, split, label_map, and the "
        "format's options with their defaults."
    )
    filter: dict[str, Any]
    state: str = Field(description="The job's: queued, running, succeeded, failed, cancelled.")
    job: JobRead
    file_name: str | None
    content_type: str | None
    size: int | None
    sha256: str | None
    task_count: int
    report: ExportReportRead = Field(description="What the format could not hold, by reason.")
    download_url: str | None = Field(description="Where to download it, once it succeeded.")
    created_by: int | None
    created_at: datetime
    finished_at: datetime | None


class ExportFormatRead(ReadModel):
    name: str
    title: str
    media: list[str]
    description: str
    options: dict[str, Any] = Field(description="Its own options and their defaults.")
