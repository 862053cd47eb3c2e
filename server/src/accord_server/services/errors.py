"""The one error vocabulary of the domain; mapped to HTTP once in ``api/errors.py``."""

from __future__ import annotations

from typing import Any


class AccordError(Exception):
    """Base of every domain error: a stable ``code``, a human ``message`` and ``details``."""

    code = "error"

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details if details is not None else {}


class Invalid(AccordError):
    """Input that breaks a rule; ``details`` names the field(s) and the reason."""

    code = "invalid"


class NotFound(AccordError):
    """No such resource, or one the caller may not know exists (another tenant's)."""

    code = "not_found"


class Conflict(AccordError):
    """The request collides with the current state (duplicate, schema in use, ...)."""

    code = "conflict"


class Forbidden(AccordError):
    """The caller is known but their role does not allow the action."""

    code = "forbidden"


class Unauthenticated(AccordError):
    """No valid session or token."""

    code = "unauthenticated"


class TooLarge(AccordError):
    """An upload or request past the configured limit."""

    code = "too_large"


class RateLimited(AccordError):
    """Too many attempts; try again later."""

    code = "rate_limited"


class Unavailable(AccordError):
    """A dependency (storage, queue) did not answer."""

    code = "unavailable"


def field_error(path: str, message: str, **extra: Any) -> dict[str, Any]:
    """One entry of ``details["errors"]``: where the problem is and what it is."""
    return {"path": path, "message": message, **extra}
