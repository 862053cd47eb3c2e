"""The one exception tree of the SDK.

```
AccordError                 every error the SDK raises on purpose
├── APIError                the server answered with an error body {code, message, details}
│   ├── InvalidRequest      422 invalid, 400 bad_request
│   ├── NotFound            404 not_found (also another organization's resources)
│   ├── Conflict            409 conflict
│   ├── Forbidden           403 forbidden
│   ├── Unauthenticated     401 unauthenticated
│   ├── TooLarge            413 too_large
│   ├── RateLimited         429 rate_limited (.retry_after seconds, when the server said)
│   └── ServerError         500 internal, 503 unavailable, any other 5xx
├── TransportError          no answer: connection refused, reset, timed out
├── JobFailed               a job you waited for ended failed or cancelled (.job, .errors)
│   └── ImportFailed        ... and it was an import
├── WaitTimeout             a job did not finish within the time you gave
└── InvalidSignature        a webhook message whose signature or timestamp does not check out
```
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from accord._models import Job, JobError

__all__ = [
    "APIError",
    "AccordError",
    "Conflict",
    "Forbidden",
    "ImportFailed",
    "InvalidRequest",
    "InvalidSignature",
    "JobFailed",
    "NotFound",
    "RateLimited",
    "ServerError",
    "TooLarge",
    "TransportError",
    "Unauthenticated",
    "WaitTimeout",
]


class AccordError(Exception):
    """Base of every SDK error; ``status_code`` is None when no HTTP answer is involved."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str = "error",
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.details: Any = details if details is not None else {}

    def __str__(self) -> str:
        if self.status_code is None:
            return self.message
        return f"{self.status_code} {self.code}: {self.message}"


class APIError(AccordError):
    """The server answered with an error status and a ``{code, message, details}`` body."""

    status_code: int

    def __init__(self, message: str, *, status_code: int, code: str, details: Any = None) -> None:
        super().__init__(message, status_code=status_code, code=code, details=details)


class InvalidRequest(APIError):
    """The request was refused as invalid; ``details["errors"]`` lists the fields."""


class NotFound(APIError):
    """No such resource, or it belongs to an organization you are not in."""


class Conflict(APIError):
    """The request conflicts with the current state (a duplicate, a used label...)."""


class Forbidden(APIError):
    """Your role does not allow this."""


class Unauthenticated(APIError):
    """No token, or a wrong, expired or revoked one."""


class TooLarge(APIError):
    """An upload or a request is over the server's limit."""


class RateLimited(APIError):
    """Too many requests; ``retry_after`` is the server's hint in seconds, when given."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        code: str,
        details: Any = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, code=code, details=details)
        self.retry_after = retry_after


class ServerError(APIError):
    """The server failed (internal), is unavailable, or a proxy in front of it answered 5xx."""


class TransportError(AccordError):
    """The server could not be reached or did not answer in time (the cause is chained)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="transport")


class JobFailed(AccordError):
    """A background job ended ``failed`` or ``cancelled``; ``errors`` is its error report."""

    def __init__(self, job: Job) -> None:
        super().__init__(_job_message(job), code=f"job_{job.state}", details=job.errors)
        self.job = job
        self.errors: list[JobError] = list(job.errors)


class ImportFailed(JobFailed):
    """An import job failed (nothing was imported) or was cancelled; see ``errors``."""


class WaitTimeout(AccordError):
    """A job was still running when the wait's timeout ran out (``job`` is its last state)."""

    def __init__(self, job: Job, timeout: float) -> None:
        super().__init__(f"job {job.id} still {job.state} after {timeout:g} s", code="timeout")
        self.job = job


class InvalidSignature(AccordError):
    """A webhook message that ``accord.webhooks.verify`` refused: a header missing, a timestamp
    too far from now, or no signature made with the secret."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code="invalid_signature")


def _job_message(job: Job) -> str:
    text = f"job {job.id} ({job.kind}) {job.state}"
    if job.message:
        text += f": {job.message}"
    return text


_BY_CODE: dict[str, type[APIError]] = {
    "invalid": InvalidRequest,
    "bad_request": InvalidRequest,
    "not_found": NotFound,
    "conflict": Conflict,
    "forbidden": Forbidden,
    "unauthenticated": Unauthenticated,
    "too_large": TooLarge,
    "rate_limited": RateLimited,
    "internal": ServerError,
    "unavailable": ServerError,
}
_BY_STATUS: dict[int, type[APIError]] = {
    400: InvalidRequest,
    401: Unauthenticated,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    413: TooLarge,
    422: InvalidRequest,
    429: RateLimited,
}
_CODE_OF_STATUS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    422: "invalid",
    429: "rate_limited",
    500: "internal",
    503: "unavailable",
}


def error_from_response(
    status_code: int, body: Any, *, retry_after: float | None = None, text: str = ""
) -> APIError:
    """The exception for an error response: by the body's ``code``, else by the status."""
    if isinstance(body, dict) and isinstance(body.get("code"), str):
        code = body["code"]
        message = str(body.get("message") or code)
        details = body.get("details")
    else:
        # Not our error body: a proxy, a load balancer or a crash before the app answered.
        code = _CODE_OF_STATUS.get(status_code, "error")
        message = text.strip()[:500] or f"HTTP {status_code}"
        details = None
    cls = _BY_CODE.get(code) or _BY_STATUS.get(status_code)
    if cls is None:
        cls = ServerError if status_code >= 500 else APIError
    if cls is RateLimited:
        return RateLimited(
            message, status_code=status_code, code=code, details=details, retry_after=retry_after
        )
    return cls(message, status_code=status_code, code=code, details=details)
