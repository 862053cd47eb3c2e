"""Wire models for tasks, predictions, leases, imports and jobs."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import Field, StringConstraints

from accord_server.schemas.common import Id, InputModel, Priority, ReadModel
from accord_server.schemas.enums import ImportScope, ReportReason
from accord_server.schemas.storable import PER_ROW


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
    open_reports: int = Field(
        description="Reports on the task not resolved yet; while there are any, the queue "
        "hands the task to nobody."
    )
    created_at: datetime


class TaskList(ReadModel):
    items: list[TaskRead]
    next_cursor: int | None = Field(None, description="Pass as `cursor` for the next page.")


class TaskUpdate(InputModel):
    data: dict[str, Any] = Field(
        description="The task's new data (all of it), e.g. a corrected media URL; refused while "
        "the task has annotations."
    )


class TaskBulkUpdate(InputModel):
    task_ids: list[Id] = Field(min_length=1, max_length=10_000)
    priority: Priority | None = Field(
        None, description="Set the tasks' priority (higher first; a 32-bit integer)."
    )
    batch: str | None = Field(None, max_length=200, description="Move the tasks to this batch.")
    delete: bool = False


class PersonRead(ReadModel):
    id: int
    name: str
    email: str


ReportNote = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]


class TaskReportCreate(InputModel):
    reason: ReportReason = Field(description="broken_media, wrong_data or other.")
    note: ReportNote = Field("", description="What is wrong, in the reporter's words.")


class TaskReportResolve(InputModel):
    note: ReportNote = Field("", description="What was done (fixed the data, nothing wrong …).")


class TaskReportRead(ReadModel):
    id: int
    task_id: int
    project_id: int
    reason: ReportReason
    note: str
    reporter: PersonRead | None = Field(description="Who reported it (null: account deleted).")
    created_at: datetime
    resolved_at: datetime | None = Field(description="When it was resolved; null while open.")
    resolved_by: PersonRead | None = Field(description="Who resolved it.")
    resolution_note: str


class TaskRowRead(TaskRead):
    annotators: list[int] = Field(description="Users with a live annotation on the task.")
    annotator_people: list[PersonRead] = Field(
        description="The same users with their names and emails, in annotation order."
    )
    batch_name: str | None = Field(description="The name of the task's batch, if any.")
    max_score: float | None = Field(description="Highest prediction score, if any.")
    reports: list[TaskReportRead] | None = Field(
        description="The task's open reports (reason, note, who); null unless you may read "
        "reports (managers and up)."
    )


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


class MediaSizeUpdate(InputModel):
    """The size of a task's image, as the client that loaded it measured it
    (``naturalWidth`` / ``naturalHeight``)."""

    width: int = Field(description="Width in pixels, as the image is shown.")
    height: int = Field(description="Height in pixels, as the image is shown.")


class MediaSizeRead(ReadModel):
    task_id: int
    width: int
    height: int
    source: Literal["file", "url", "client"] = Field(
        description="Where the size came from: the stored file, the URL read at import, or a "
        "client's report."
    )
    recorded: bool = Field(
        description="Whether this request recorded it; false: it was known (and equal) already."
    )


class LeaseRead(ReadModel):
    task: TaskRead
    assignment_id: int
    lease_expires_at: datetime
    resumed: bool
    draft: Any | None = None


class DraftUpdate(InputModel):
    draft: Any


class SourceRef(InputModel):
    """An import source granted to the project's organization, and a folder inside it."""

    id: Id = Field(
        description="Id of an import source granted to the project's organization "
        "(`GET /organizations/{id}/import-sources`).",
    )
    path: str = Field(
        "",
        max_length=1024,
        description="A folder inside the source (relative; default: all of it).",
    )


LabelsFormat = Literal["coco", "yolo", "voc", "cvat", "label_studio"]
"""The label formats an import reads (``services/imports/labelsets.LABEL_READERS``)."""


class ImportCreate(InputModel):
    tasks: Annotated[list[dict[str, Any]] | None, PER_ROW] = Field(
        None,
        description="Tasks as objects (Label Studio task JSON or plain data). A row holding what "
        "cannot be stored (a NUL character, a lone surrogate) is reported by the job, with its "
        "row and field, as in a task file.",
    )
    source: SourceRef | None = Field(
        None, description="Import every file of a granted server folder or S3 prefix."
    )
    batch: str | None = Field(None, max_length=200, description="Put the tasks in this batch.")
    skip_invalid: bool = Field(
        False,
        description="Import the valid rows and report the rest (default: all or none); a row "
        "with an invalid prediction is imported without it.",
    )
    labels_format: LabelsFormat | None = Field(
        None,
        description="Import existing labels in this format from the source (a folder or ZIP "
        "archive of an export: the annotation file(s) and the images).",
    )
    schema_from_labels: bool = Field(
        False,
        description="With `labels_format`: replace the project's schema with one built from "
        "the labels found (a project without annotations only).",
    )


class JobProblemRead(ReadModel):
    """One entry of a job's report: where (file, row, field), why, and what it left out."""

    file: str | None = None
    row: int | None = Field(
        None, description="1-based row of a task file; 0 or null: the file as a whole."
    )
    field: str | None = Field(None, description="Path inside the row, e.g. `predictions[0]`.")
    message: str
    scope: ImportScope | None = Field(
        None,
        description="What the problem leaves out: `file` (none of its rows), `row` (its task), "
        "`prediction` (the task is imported without it when `skip_invalid`), `annotations` "
        "(one annotation: the task is imported without it), `duplicate` (nothing: the file was "
        "imported into the project before, and its tasks and annotations are written again as "
        "new tasks). `file`, `row` and `prediction` fail an all-or-nothing import.",
    )


class JobRead(ReadModel):
    id: int
    organization_id: int
    project_id: int | None
    kind: str
    state: str
    progress: float
    phase: str
    counts: dict[str, Any] = Field(
        description="An import's: `files`, `rows` (valid rows read), `tasks`, `predictions` "
        "and `annotations` (written), `imported_annotators` (new non-login annotators it "
        "credited), `errors` (problems that fail an all-or-nothing import), `rows_skipped`, "
        "`files_skipped`, `predictions_dropped`, `annotations_dropped`, "
        "`tasks_with_dropped_predictions` and `tasks_with_dropped_annotations` (tasks imported "
        "without some of them), `files_imported_before`. An export's: "
        "`tasks` (written so far), `total` (to write), and at the end `dropped` (what the "
        "format could not hold, see the export's report) and `bytes` (the file's size)."
    )
    errors: list[JobProblemRead] = Field(
        description="The report: the first 1,000 problems, in the order they were found."
    )
    message: str
    cancel_requested: bool
    attempts: int = Field(
        description="How many times a worker has started the job: a retry after an "
        "unexpected error and a takeover after its worker died count too."
    )
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
