"""The one permission policy: which organization role may do which action."""

from __future__ import annotations

from enum import StrEnum

from accord_server.schemas.enums import Role
from accord_server.services.errors import Forbidden

# Role is defined in schemas/enums.py with the other closed sets; callers of the policy may
# import it from here too.
__all__ = ["POLICY", "Action", "Role", "authorize", "can"]


class Action(StrEnum):
    ORG_READ = "org.read"
    ORG_UPDATE = "org.update"
    MEMBER_LIST = "member.list"
    MEMBER_MANAGE = "member.manage"
    PROJECT_CREATE = "project.create"
    PROJECT_READ = "project.read"
    PROJECT_UPDATE = "project.update"
    PROJECT_DELETE = "project.delete"
    PROJECT_PROGRESS = "project.progress"
    TASK_IMPORT = "task.import"
    TASK_LIST = "task.list"
    TASK_UPDATE = "task.update"
    TASK_DELETE = "task.delete"
    QUEUE_NEXT = "queue.next"
    ANNOTATION_CREATE = "annotation.create"
    ANNOTATION_READ_ANY = "annotation.read_any"
    ANNOTATION_EDIT_ANY = "annotation.edit_any"
    JOB_READ_ANY = "job.read_any"
    REPORT_CREATE = "report.create"
    REPORT_MANAGE = "report.manage"
    EXPORT_CREATE = "export.create"
    """Export a project's labels (and read its exports): labels leave the platform."""
    VERSION_CREATE = "version.create"
    """Freeze a project's labels into a dataset version."""
    VERSION_READ = "version.read"
    """List, diff, pull and export dataset versions."""
    WEBHOOK_MANAGE = "webhook.manage"
    """Create, change and delete webhooks; read their deliveries (they carry labels)."""


_EVERYONE = frozenset(
    {
        Action.ORG_READ,
        Action.PROJECT_READ,
        Action.QUEUE_NEXT,
        Action.ANNOTATION_CREATE,
        Action.REPORT_CREATE,
    }
)
_REVIEWER = _EVERYONE | {
    Action.MEMBER_LIST,
    Action.PROJECT_PROGRESS,
    Action.TASK_LIST,
    Action.ANNOTATION_READ_ANY,
}
_MANAGER = _REVIEWER | {
    Action.PROJECT_CREATE,
    Action.PROJECT_UPDATE,
    Action.PROJECT_DELETE,
    Action.TASK_IMPORT,
    Action.TASK_UPDATE,
    Action.TASK_DELETE,
    Action.ANNOTATION_EDIT_ANY,
    Action.JOB_READ_ANY,
    Action.REPORT_MANAGE,
    Action.EXPORT_CREATE,
    Action.VERSION_CREATE,
    Action.VERSION_READ,
}
_ADMIN = _MANAGER | {Action.ORG_UPDATE, Action.MEMBER_MANAGE, Action.WEBHOOK_MANAGE}

POLICY: dict[Role, frozenset[Action]] = {
    Role.OWNER: _ADMIN,
    Role.ADMIN: _ADMIN,
    Role.MANAGER: _MANAGER,
    Role.REVIEWER: _REVIEWER,
    Role.ANNOTATOR: _EVERYONE,
}


def can(role: str, action: Action) -> bool:
    """Whether ``role`` may perform ``action``."""
    return action in POLICY[Role(role)]


def authorize(role: str, action: Action) -> None:
    """Raise Forbidden unless ``role`` may perform ``action``."""
    if not can(role, action):
        raise Forbidden(
            f"your role ({role}) may not do {action.value}",
            details={"role": role, "action": action.value},
        )
