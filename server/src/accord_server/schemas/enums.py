"""The closed sets of names (roles, states, kinds), defined once.

The database's check constraints (``db/models``, through ``db.base.one_of``), the permission
policy, the label schema, the wire schemas and the services all read them from here. Members are
``StrEnum``s, so each one is also its plain string: ``Role.OWNER == "owner"`` and
``f"{Role.OWNER}"`` is ``owner``. Adding a value to a set that a check constraint holds needs a
migration too (``tests/db/test_enums.py`` compares the migrated databases with these).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A member's role in an organization, from most to least powerful."""

    OWNER = "owner"
    ADMIN = "admin"
    MANAGER = "manager"
    REVIEWER = "reviewer"
    ANNOTATOR = "annotator"


class JobState(StrEnum):
    """Where a background job is; the last three are final."""

    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


class JobKind(StrEnum):
    """What a background job does (``jobs/runner.py`` maps each kind to its function)."""

    IMPORT = "import"
    MEDIA_GC = "media_gc"
    """Delete stored media that no task names any more (server-wide: no organization)."""
    EXPORT = "export"
    """Write a project's tasks and labels in a format into one download (``services/exports``)."""
    DATASET_VERSION = "dataset_version"
    """Freeze a project's tasks and chosen results into a dataset version's manifest
    (``services/datasets.py``)."""


class SourceKind(StrEnum):
    """Where an import source granted to an organization is: a server folder or an S3 prefix."""

    FOLDER = "folder"
    S3 = "s3"


class ImportScope(StrEnum):
    """What a problem in an import's report leaves out: a whole file (none of its rows), a row
    (its task), one prediction (its task is imported without it, with ``skip_invalid``), one
    annotation (its task is imported without it), or nothing: a file imported into the project
    before (``duplicate``: its tasks and annotations are written again, as new tasks). The
    first three are errors: any of them fails an import that is all or nothing."""

    FILE = "file"
    ROW = "row"
    PREDICTION = "prediction"
    ANNOTATIONS = "annotations"
    DUPLICATE = "duplicate"


class AssignmentState(StrEnum):
    """A task handed to one annotator: under lease, or how the lease ended."""

    LEASED = "leased"
    SUBMITTED = "submitted"
    SKIPPED = "skipped"
    EXPIRED = "expired"


class TaskState(StrEnum):
    """A task's state, derived from its annotation count and the project's overlap."""

    NEW = "new"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class ReportReason(StrEnum):
    """Why an annotator reported a task instead of annotating it."""

    BROKEN_MEDIA = "broken_media"
    WRONG_DATA = "wrong_data"
    OTHER = "other"


class AnnotationOrigin(StrEnum):
    """Who made an annotation or a region: a person, a model, a person editing a model's
    suggestion, or the consensus of several annotations."""

    HUMAN = "human"
    MODEL = "model"
    MODEL_EDITED = "model-edited"
    CONSENSUS = "consensus"


class MediaKind(StrEnum):
    """What a project's tasks show (the ``media`` of its label schema)."""

    IMAGE = "image"
    TEXT = "text"
    VIDEO = "video"
    AUDIO = "audio"
    POINTCLOUD = "pointcloud"


class ToolType(StrEnum):
    """The kind of a label schema's tool, and of the regions it makes."""

    BBOX = "bbox"
    POLYGON = "polygon"
    KEYPOINTS = "keypoints"
    MASK = "mask"
    SPAN = "span"
    RELATION = "relation"
    CLASSIFICATION = "classification"
    TEXT = "text"


class AttributeType(StrEnum):
    """The value type of an attribute a label declares."""

    BOOL = "bool"
    CHOICE = "choice"
    TEXT = "text"
    NUMBER = "number"


class EventKind(StrEnum):
    """What an outbox event says happened (``services/events.py`` documents each payload)."""

    ANNOTATION_CREATED = "annotation.created"
    ANNOTATION_UPDATED = "annotation.updated"
    ANNOTATION_DELETED = "annotation.deleted"
    TASK_CREATED = "task.created"
    TASK_COMPLETED = "task.completed"
    TASK_UPDATED = "task.updated"
    TASK_DELETED = "task.deleted"
    TASK_REPORTED = "task.reported"
    TASK_REPORT_RESOLVED = "task.report_resolved"
    IMPORT_FINISHED = "import.finished"
    EXPORT_COMPLETED = "export.completed"
    DATASET_VERSION_CREATED = "dataset_version.created"
    PROJECT_CREATED = "project.created"
    PROJECT_UPDATED = "project.updated"
    PROJECT_DELETED = "project.deleted"
    BATCH_COMPLETED = "batch.completed"


class DeliveryState(StrEnum):
    """Where a webhook delivery is: not tried yet, tried and failed (a retry is due later),
    answered with a 2xx, or given up after its last attempt. The first two are open: the
    webhook's later deliveries wait for it."""

    PENDING = "pending"
    FAILED = "failed"
    SUCCEEDED = "succeeded"
    DEAD = "dead"


class ExportResultChoice(StrEnum):
    """Which results of each task an export holds (``services/exports`` documents each)."""

    LATEST = "latest"
    ALL = "all"
    CONSENSUS = "consensus"
    REVIEWED = "reviewed"
    GROUND_TRUTH = "ground_truth"
