"""ORM models, one module per aggregate; importing this package registers them all."""

from accord_server.db.models.accounts import (
    ApiToken,
    LoginThrottle,
    Membership,
    Organization,
    User,
    UserSession,
)
from accord_server.db.models.annotations import Annotation, AnnotationRevision
from accord_server.db.models.datasets import DatasetVersion
from accord_server.db.models.events import Event, EventBacklog
from accord_server.db.models.exports import Export
from accord_server.db.models.jobs import ImportedFile, Job, Worker
from accord_server.db.models.projects import Batch, Project
from accord_server.db.models.queue import Assignment
from accord_server.db.models.reports import TaskReport
from accord_server.db.models.sources import ImportSource
from accord_server.db.models.stats import (
    ProjectStats,
    StatsAnnotation,
    StatsAnnotator,
    StatsDay,
    StatsLabel,
)
from accord_server.db.models.tasks import Prediction, Task
from accord_server.db.models.webhooks import Webhook, WebhookDelivery

__all__ = [
    "Annotation",
    "AnnotationRevision",
    "ApiToken",
    "Assignment",
    "Batch",
    "DatasetVersion",
    "Event",
    "EventBacklog",
    "Export",
    "ImportSource",
    "ImportedFile",
    "Job",
    "LoginThrottle",
    "Membership",
    "Organization",
    "Prediction",
    "Project",
    "ProjectStats",
    "StatsAnnotation",
    "StatsAnnotator",
    "StatsDay",
    "StatsLabel",
    "Task",
    "TaskReport",
    "User",
    "UserSession",
    "Webhook",
    "WebhookDelivery",
    "Worker",
]
