"""Accord's Python SDK: ``Client``, the response models and one exception tree."""

from accord._client import Client
from accord._exceptions import (
    AccordError,
    APIError,
    Conflict,
    Forbidden,
    ImportFailed,
    InvalidRequest,
    JobFailed,
    NotFound,
    RateLimited,
    ServerError,
    TooLarge,
    TransportError,
    Unauthenticated,
    WaitTimeout,
)
from accord._models import (
    Annotation,
    AnnotationRevision,
    AnnotatorProgress,
    ApiToken,
    ApiTokenCreated,
    Job,
    JobCounts,
    JobError,
    Lease,
    Me,
    Member,
    MemberAdded,
    Membership,
    Organization,
    Prediction,
    Progress,
    Project,
    Task,
    User,
)
from accord._version import __version__

__all__ = [
    "APIError",
    "AccordError",
    "Annotation",
    "AnnotationRevision",
    "AnnotatorProgress",
    "ApiToken",
    "ApiTokenCreated",
    "Client",
    "Conflict",
    "Forbidden",
    "ImportFailed",
    "InvalidRequest",
    "Job",
    "JobCounts",
    "JobError",
    "JobFailed",
    "Lease",
    "Me",
    "Member",
    "MemberAdded",
    "Membership",
    "NotFound",
    "Organization",
    "Prediction",
    "Progress",
    "Project",
    "RateLimited",
    "ServerError",
    "Task",
    "TooLarge",
    "TransportError",
    "Unauthenticated",
    "User",
    "WaitTimeout",
    "__version__",
]

# Show public names as accord.X in reprs and tracebacks, as httpx does.
for _name in __all__:
    if not _name.startswith("__"):
        globals()[_name].__module__ = "accord"
del _name
