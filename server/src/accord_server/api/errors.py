"""The one mapping from domain errors to HTTP: every error body is {code, message, details}."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from accord_server.db.outage import LockUnavailable, unavailable_reason
from accord_server.services import errors

log = logging.getLogger(__name__)

STATUS: dict[type[errors.AccordError], int] = {
    errors.Invalid: 422,
    errors.NotFound: 404,
    errors.Conflict: 409,
    errors.Forbidden: 403,
    errors.Unauthenticated: 401,
    errors.TooLarge: 413,
    errors.RateLimited: 429,
    errors.Unavailable: 503,
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "rate_limited",
}

DATABASE_RETRY_AFTER_SECONDS = 5
"""What a request that found the database unavailable is told to wait (``Retry-After``)."""


def error_body(code: str, message: str, details: Any = None) -> dict[str, Any]:
    """The JSON body of every error response."""
    return {"code": code, "message": message, "details": details if details is not None else {}}


def status_for(exc: errors.AccordError) -> int:
    """HTTP status of a domain error."""
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 400


def _loc_path(loc: tuple[Any, ...]) -> str:
    parts = list(
        loc[1:] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else loc
    )
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or (str(loc[0]) if loc else "body")


async def _domain(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, errors.AccordError)
    headers = {}
    if isinstance(exc, errors.RateLimited):
        headers["Retry-After"] = str(exc.details.get("retry_after_seconds", 60))
    elif isinstance(exc, errors.Unavailable) and "retry_after_seconds" in exc.details:
        headers["Retry-After"] = str(exc.details["retry_after_seconds"])
    return JSONResponse(
        error_body(exc.code, exc.message, exc.details), status_code=status_for(exc), headers=headers
    )


async def _validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [
        {"path": _loc_path(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid")}
        for e in exc.errors()
    ]
    first = problems[0] if problems else {"path": "body", "message": "invalid request"}
    return JSONResponse(
        error_body("invalid", f"{first['path']}: {first['message']}", {"errors": problems}),
        status_code=422,
    )


async def _http(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    code = HTTP_CODES.get(exc.status_code, "error")
    return JSONResponse(
        error_body(code, str(exc.detail)),
        status_code=exc.status_code,
        headers=getattr(exc, "headers", None),
    )


async def _disconnected(_: Request, exc: Exception) -> JSONResponse:
    # The client went away while its body was read (an upload cut off): nobody gets the answer,
    # and it is no server error to log.
    return JSONResponse(error_body("bad_request", "the client went away"), status_code=400)


async def _database(request: Request, exc: Exception) -> JSONResponse:
    """503 with Retry-After when the database cannot serve right now (not answering, restarting,
    out of connections, locked past the busy timeout), instead of 500 "internal"; any other
    database error is unexpected. The reason goes to the log, not to the client."""
    reason = unavailable_reason(exc)
    if reason is None:
        return await _unexpected(request, exc)
    log.warning("database unavailable: %s (%s %s)", reason, request.method, request.url.path)
    wait = DATABASE_RETRY_AFTER_SECONDS
    return await _domain(
        request,
        errors.Unavailable(
            f"the database is not available right now; try again in {wait} s",
            details={"dependency": "database", "retry_after_seconds": wait},
        ),
    )


async def _unexpected(_: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error", exc_info=exc)
    return JSONResponse(error_body("internal", "internal server error"), status_code=500)


def install_error_handlers(app: FastAPI) -> None:
    """Map every error to the one body shape."""
    app.add_exception_handler(errors.AccordError, _domain)
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ClientDisconnect, _disconnected)
    for database_error in (DBAPIError, PoolTimeout, DisconnectionError, LockUnavailable):
        app.add_exception_handler(database_error, _database)
    app.add_exception_handler(Exception, _unexpected)
