"""Pydantic models of the server's responses (its ``<Thing>Read`` shapes).

Every model allows extra fields: a newer server may add some, and an older SDK keeps working
(the extra values stay readable as attributes and in ``model_dump()``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from accord._wording import count

__all__ = [
    "Annotation",
    "AnnotationRevision",
    "AnnotatorProgress",
    "ApiToken",
    "ApiTokenCreated",
    "Export",
    "ExportDrop",
    "ExportFormat",
    "ExportReport",
    "Job",
    "JobCounts",
    "JobError",
    "Lease",
    "Me",
    "Member",
    "Membership",
    "Organization",
    "OwnProgress",
    "Person",
    "Prediction",
    "Progress",
    "Project",
    "Task",
    "TaskReport",
    "User",
    "Webhook",
    "WebhookCreated",
    "WebhookDelivery",
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


class ImportSource(_Model):
    """A server folder or S3 prefix an admin of the server granted to an organization: its
    members who may import name it in ``client.imports.source()``."""

    id: int
    organization_id: int
    name: str
    kind: str
    location: str
    created_at: datetime


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
    reported_tasks: int = 0
    """Tasks with an open report: out of the queue until a manager resolves it."""
    open_reports: int = 0
    percent_complete: float
    annotators: list[AnnotatorProgress] = Field(default_factory=list)


class OwnProgress(_Model):
    """Your own work in a project (any member may read theirs; nobody else's is in it)."""

    submitted: int
    """Tasks you have a live annotation on."""
    leased: int
    """Tasks you hold under an unexpired lease now."""
    drafts: int
    """Of the tasks you hold, how many have a saved draft."""
    skipped: int
    """Tasks you skipped (the queue does not offer them again)."""
    available: int
    """Tasks the queue could still hand you (counted up to 10,000)."""
    more_available: bool = False
    """More than ``available`` are open to you (counting stopped at 10,000)."""


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
    open_reports: int = 0
    """Reports not resolved yet; while there are any, the queue hands the task to nobody."""
    created_at: datetime


class Person(_Model):
    """A user as a list names them."""

    id: int
    name: str = ""
    email: str


class TaskReport(_Model):
    """A report that a task cannot be annotated as it is (``reason``: ``broken_media``,
    ``wrong_data`` or ``other``), and its resolution once a manager resolved it."""

    id: int
    task_id: int
    project_id: int
    reason: str
    note: str = ""
    reporter: Person | None = None
    created_at: datetime
    resolved_at: datetime | None = None
    resolved_by: Person | None = None
    resolution_note: str = ""

    @property
    def open(self) -> bool:
        """True until a manager resolved it."""
        return self.resolved_at is None


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
    """What a job has read and written so far.

    For an import: ``rows`` valid rows read, ``tasks``, ``predictions`` and ``annotations``
    written, ``imported_annotators`` the non-login annotators it added (people of another tool
    who are not members), ``errors`` problems that fail an all-or-nothing import; of those,
    ``rows_skipped`` and ``files_skipped`` were left out whole, while ``predictions_dropped``
    were left out of rows whose tasks were imported (``tasks_with_dropped_predictions`` of
    them, with ``skip_invalid``). ``annotations_dropped`` (invalid, cancelled, or a second one
    by the same person) were left out of ``tasks_with_dropped_annotations`` tasks, which were
    imported all the same. ``files_imported_before``: task files this project had imported
    already (their tasks and annotations are written again, as new tasks).

    An import of existing labels (``client.imports.labels``) also counts the ``media_files``
    stored, the project's existing tasks that got labels (``tasks_labelled``), the items left
    out for want of their media (``items_skipped``) and the things the format's reader could
    not convert (``reader_problems``: each is in ``errors`` of the job, scope ``annotations``)."""

    files: int = 0
    rows: int = 0
    tasks: int = 0
    errors: int = 0
    predictions: int = 0
    rows_skipped: int = 0
    files_skipped: int = 0
    predictions_dropped: int = 0
    tasks_with_dropped_predictions: int = 0
    tasks_with_dropped_annotations: int = 0
    annotations: int = 0
    annotations_dropped: int = 0
    imported_annotators: int = 0
    files_imported_before: int = 0
    media_files: int = 0
    tasks_labelled: int = 0
    items_skipped: int = 0
    reader_problems: int = 0
    total: int = 0
    """An export's: how many tasks it holds (``tasks`` written so far)."""
    dropped: int = 0
    """An export's: how many things its format could not hold (see ``Export.report``)."""


class JobError(_Model):
    """One problem in a job's report: which file, row and field, why, and what it left out
    (``scope``: ``file``, ``row``, ``prediction``, ``annotations`` (one annotation left out of
    an imported task) or ``duplicate`` (a file imported before); see ``Job.report``)."""

    file: str | None = None
    row: int | None = None
    field: str | None = None
    message: str = ""
    scope: str | None = None

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
    attempts: int = 0
    """How many times a worker has started the job (a retry and a takeover count too)."""
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        """True once the job is succeeded, failed or cancelled."""
        return self.state in FINISHED_STATES

    def report(self, limit: int = 5) -> str:
        """The job's message, then what it left out, group by group, with up to ``limit``
        problems each: for a succeeded import, the tasks imported without some of their
        predictions or annotations (importing again would duplicate them), the files imported
        before, then the rows and files skipped; for a failed one, the problems that stopped it."""
        lines = [self.message] if self.message else []
        for heading, group in self._groups():
            lines.append(f"{heading}:")
            lines.extend(f"  {problem}" for problem in group[:limit])
            if len(group) > limit:
                lines.append(f"  ... and {len(group) - limit:,} more in job.errors")
        listed = len(self.errors)
        if listed and listed >= _MAX_LISTED:
            lines.append(f"(the server lists the first {listed:,} problems)")
        return "\n".join(lines)

    def _groups(self) -> list[tuple[str, list[JobError]]]:
        if self.state != "succeeded":
            problems = [e for e in self.errors if e.scope not in ("annotations", "duplicate")]
            return [(count(self.counts.errors, "problem"), problems)] if problems else []
        c = self.counts
        by_scope: dict[str | None, list[JobError]] = {}
        for e in self.errors:
            by_scope.setdefault(e.scope, []).append(e)
        dropped = c.tasks_with_dropped_predictions
        headings = [
            (
                "prediction",
                f"{count(dropped, 'task')} imported without "
                f"{count(c.predictions_dropped, 'invalid prediction')}",
            ),
            (
                "annotations",
                f"{count(c.tasks_with_dropped_annotations, 'task')} imported without "
                f"{count(c.annotations_dropped, 'annotation')}",
            ),
            (
                "duplicate",
                f"{count(c.files_imported_before, 'file')} imported before (written again)",
            ),
            ("row", f"{count(c.rows_skipped, 'row')} skipped"),
            ("file", f"{count(c.files_skipped, 'file')} skipped"),
            (None, "other problems"),
        ]
        return [(text, by_scope[scope]) for scope, text in headings if by_scope.get(scope)]


_MAX_LISTED = 1000
"""How many problems the server lists at most (``counts`` has them all)."""


FINISHED_STATES = frozenset({"succeeded", "failed", "cancelled"})


class Webhook(_Model):
    """A webhook: a URL that hears of an organization's (or one project's) events, signed
    with the Standard Webhooks scheme. Its secret is never shown again after creation."""

    id: int
    organization_id: int
    project_id: int | None = None
    url: str
    events: list[str]
    active: bool
    description: str = ""
    created_by_id: int | None = None
    created_at: datetime
    updated_at: datetime


class WebhookCreated(Webhook):
    """A new (or re-keyed) webhook with its signing ``secret`` (``whsec_...``) — shown only
    this once; give it to the receiver, which checks messages with ``accord.webhooks.verify``."""

    secret: str


class WebhookDelivery(_Model):
    """One message to a webhook and how sending it went (``state``: pending, failed — a retry
    is due at ``next_attempt_at`` —, succeeded or dead)."""

    id: int
    webhook_id: int
    event_id: int | None = None
    kind: str
    message_id: str
    redelivery_of: int | None = None
    state: str
    attempts: int
    next_attempt_at: datetime | None = None
    last_status: int | None = None
    last_error: str | None = None
    response_excerpt: str | None = None
    duration_ms: float | None = None
    payload: dict[str, Any] = Field(default_factory=dict)
    created_at: datetime
    updated_at: datetime


class ExportDrop(_Model):
    """What an export left out for one reason: how many, and the first tasks."""

    reason: str
    count: int
    task_ids: list[int] = Field(default_factory=list)


class ExportReport(_Model):
    """What an export's format could not hold, by reason (never dropped silently)."""

    dropped: list[ExportDrop] = Field(default_factory=list)


class Export(_Model):
    """An export of a project in one format: its job, and once done its file."""

    id: int
    organization_id: int
    project_id: int
    format: str
    options: dict[str, Any] = Field(default_factory=dict)
    filter: dict[str, Any] = Field(default_factory=dict)
    state: str
    job: Job
    file_name: str | None = None
    content_type: str | None = None
    size: int | None = None
    sha256: str | None = None
    task_count: int = 0
    report: ExportReport = Field(default_factory=ExportReport)
    download_url: str | None = None
    created_at: datetime
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        """True once its job is succeeded, failed or cancelled."""
        return self.state in FINISHED_STATES


class DatasetVersion(_Model):
    """A dataset version: a project's tasks and chosen results frozen into one immutable
    manifest. ``content_hash`` is equal for equal content; ``same_as`` names the earliest
    earlier version of the project with the same hash."""

    id: int
    organization_id: int
    project_id: int
    number: int
    name: str
    description: str = ""
    options: dict[str, Any] = Field(default_factory=dict)
    filter: dict[str, Any] = Field(default_factory=dict)
    label_schema: dict[str, Any] = Field(default_factory=dict)
    state: str
    job: Job
    manifest_sha256: str | None = None
    manifest_size: int | None = None
    content_hash: str | None = None
    same_as: int | None = None
    task_count: int = 0
    result_count: int = 0
    prediction_count: int = 0
    label_counts: dict[str, int] = Field(default_factory=dict)
    manifest_url: str | None = None
    created_at: datetime
    finished_at: datetime | None = None

    @property
    def finished(self) -> bool:
        """True once its job is succeeded, failed or cancelled."""
        return self.state in FINISHED_STATES


class VersionDiff(_Model):
    """What changed from version ``against`` to version ``version_id``: ``tasks`` counts
    (added, removed, changed, unchanged), ``labels`` (regions added and removed per label),
    ``task_ids`` (the first ones of each kind)."""

    version_id: int
    against: int
    same_content: bool
    schema_changed: bool
    tasks: dict[str, int]
    labels: dict[str, dict[str, int]] = Field(default_factory=dict)
    task_ids: dict[str, list[int]] = Field(default_factory=dict)


class ExportFormat(_Model):
    """An export format: ``name`` is what ``client.exports.create(format=...)`` takes."""

    name: str
    title: str
    media: list[str]
    description: str = ""
    options: dict[str, Any] = Field(default_factory=dict)
