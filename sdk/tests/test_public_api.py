"""The public surface is exactly ``accord.__all__``; everything else is private."""

from __future__ import annotations

import accord

EXPECTED = {
    "Client",
    "__version__",
    # models
    "Annotation",
    "AnnotationRevision",
    "AnnotatorProgress",
    "ApiToken",
    "ApiTokenCreated",
    "DatasetVersion",
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
    "MemberAdded",
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
    "VersionDiff",
    "Webhook",
    "WebhookCreated",
    "WebhookDelivery",
    # exceptions
    "AccordError",
    "APIError",
    "InvalidRequest",
    "InvalidSignature",
    "NotFound",
    "Conflict",
    "Forbidden",
    "Unauthenticated",
    "TooLarge",
    "RateLimited",
    "ServerError",
    "TransportError",
    "JobFailed",
    "ImportFailed",
    "WaitTimeout",
}


def test_all_is_pinned() -> None:
    assert set(accord.__all__) == EXPECTED
    assert len(accord.__all__) == len(EXPECTED)
    assert accord.__all__ == sorted(accord.__all__, key=lambda n: (n.startswith("_"), n))


def test_every_public_name_exists_and_says_accord() -> None:
    for name in accord.__all__:
        value = getattr(accord, name)
        if name != "__version__":
            assert value.__module__ == "accord", name


def test_exception_tree() -> None:
    for name in (
        "InvalidRequest",
        "NotFound",
        "Conflict",
        "Forbidden",
        "Unauthenticated",
        "TooLarge",
        "RateLimited",
        "ServerError",
    ):
        assert issubclass(getattr(accord, name), accord.APIError)
    for name in ("APIError", "TransportError", "JobFailed", "WaitTimeout"):
        assert issubclass(getattr(accord, name), accord.AccordError)
    assert issubclass(accord.ImportFailed, accord.JobFailed)
    assert issubclass(accord.AccordError, Exception)


def test_version() -> None:
    assert accord.__version__.count(".") == 2


def test_sdk_never_imports_the_server() -> None:
    from pathlib import Path

    src = Path(accord.__file__).parent
    for path in src.rglob("*.py"):
        assert "accord_server" not in path.read_text(), path
