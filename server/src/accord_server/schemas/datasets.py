"""Dataset versions on the wire: what ``POST /projects/{id}/versions`` takes, what a version
and a diff of two read as."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from accord_server.schemas.common import InputModel, ReadModel
from accord_server.schemas.enums import ExportResultChoice
from accord_server.schemas.exports import ExportFilter
from accord_server.schemas.tasks import JobRead

Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=10_000)]


class VersionCreate(InputModel):
    name: Name
    description: Description = ""
    result: ExportResultChoice = Field(
        ExportResultChoice.LATEST,
        description="Which results are frozen: `latest`, `all` or `ground_truth` (as exports).",
    )
    filter: ExportFilter | None = Field(None, description="Freeze only the matching tasks.")


class VersionUpdate(InputModel):
    """Only the name and description of a version change; its content never does."""

    name: Name | None = None
    description: Description | None = None


class VersionRead(ReadModel):
    id: int
    organization_id: int
    project_id: int
    number: int = Field(description="1, 2, ... within the project.")
    name: str
    description: str
    options: dict[str, Any] = Field(description="What it froze with: the result choice.")
    filter: dict[str, Any]
    label_schema: dict[str, Any] = Field(description="The project's label schema it froze.")
    state: str = Field(description="Its job's: queued, running, succeeded, failed, cancelled.")
    job: JobRead
    manifest_sha256: str | None
    manifest_size: int | None
    content_hash: str | None = Field(
        description="SHA-256 of the canonical schema, a newline and the manifest: equal content "
        "gives an equal hash."
    )
    same_as: int | None = Field(
        description="The earliest earlier version of the project with the same content hash."
    )
    task_count: int
    result_count: int
    prediction_count: int
    label_counts: dict[str, int] = Field(description="Regions per label in the frozen results.")
    manifest_url: str | None = Field(description="Where to download the manifest, once frozen.")
    created_by: int | None
    created_at: datetime
    finished_at: datetime | None


class DiffTaskCounts(ReadModel):
    added: int
    removed: int
    changed: int
    unchanged: int


class DiffLabelCounts(ReadModel):
    added: int
    removed: int


class DiffTaskIds(ReadModel):
    added: list[int]
    removed: list[int]
    changed: list[int]


class VersionDiffRead(ReadModel):
    version_id: int
    against: int
    same_content: bool
    schema_changed: bool
    tasks: DiffTaskCounts = Field(
        description="Tasks only in this version (added), only in `against` (removed), in both "
        "with different results (changed) or the same (unchanged)."
    )
    labels: dict[str, DiffLabelCounts] = Field(
        description="Regions added and removed per label, from `against` to this version."
    )
    task_ids: DiffTaskIds = Field(description="The first 100 task ids of each kind, ascending.")
