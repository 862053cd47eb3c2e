"""Named constants shared by the database, the services and the wire schemas."""

from __future__ import annotations

from enum import StrEnum


class EventKind(StrEnum):
    """What an outbox event says happened (``services/events.py`` documents each payload)."""

    ANNOTATION_CREATED = "annotation.created"
    ANNOTATION_UPDATED = "annotation.updated"
    ANNOTATION_DELETED = "annotation.deleted"
    TASK_CREATED = "task.created"
    TASK_COMPLETED = "task.completed"
    TASK_DELETED = "task.deleted"
    IMPORT_FINISHED = "import.finished"
    PROJECT_CREATED = "project.created"
    PROJECT_UPDATED = "project.updated"
    PROJECT_DELETED = "project.deleted"
