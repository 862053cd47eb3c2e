"""Limits on request bodies, enforced before they are read: file uploads, and every other body
(JSON; multipart too, on a route that takes no files)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from starlette.exceptions import HTTPException

from accord_server.api.errors import error_body
from accord_server.services.errors import TooLarge

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})

UPLOAD_PATH = re.compile(r"/api/v1/projects/[^/]+/imports/files/?")
"""The routes that take file uploads (``api/v1/imports.py`` ``import_files``); any other body,
multipart or not, has the JSON limit."""

UPLOAD_OVERHEAD_BYTES = 8 * 1024 * 1024
"""What an upload's body may hold beyond its files' bytes (``max_upload_bytes``): the multipart
boundaries, part headers and form fields (some 200 bytes a file, so about 40,000 files)."""


async def _drain(receive: Receive) -> None:
    """Read the rest of a refused body and drop it: a client still sending when the answer
    comes would see the connection reset instead of the 413."""
    while True:
        message = await receive()
        if message["type"] != "http.request" or not message.get("more_body", False):
            return


def too_large_message(limit: int) -> str:
    """What a too large body is told, with the way around it."""
    return (
        f"request body: larger than the limit of {limit} bytes for JSON; send large imports "
        "as files (POST /api/v1/projects/{id}/imports/files)"
    )


def upload_too_large_message(limit: int) -> str:
    """What a too large upload is told."""
    return (
        f"upload: larger than the limit of {limit} bytes of files in one upload (plus "
        f"{UPLOAD_OVERHEAD_BYTES} bytes of form overhead); upload fewer files at a time"
    )


class BodyLimit:
    """Refuse a request body over ``limit`` bytes (JSON), and an upload (``UPLOAD_PATH``) over
    ``upload_limit`` bytes of files (plus ``UPLOAD_OVERHEAD_BYTES``), with 413.

    A declared ``Content-Length`` over the limit is refused without keeping any of the body; a
    chunked body is counted as it arrives. Without this an API process would build a request
    of any size in memory (or on disk, for an upload), for every caller at once.

    The rest of a refused JSON body is read and dropped, so that the client gets the answer.
    An upload is not read any further: its answer (413 here; 401, 403 or 404 when the endpoint
    refuses it before reading it) closes the connection (``Connection: close``), which stops
    a client that would send gigabytes; clients read the answer all the same (httpx, curl and
    browsers read a response that comes while they are still sending)."""

    def __init__(self, app: ASGIApp, limit: int, upload_limit: int) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in _NO_BODY:
            await self.app(scope, receive, send)
            return
        length: int | None = None
        for key, value in scope["headers"]:
            if key == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
        if UPLOAD_PATH.fullmatch(scope["path"]):
            await self._upload(scope, receive, send, length)
        elif length is None:
            await self.app(scope, self._counting(receive), send)
        elif length > self.limit:
            await _drain(receive)
            await self._refuse(send, too_large_message(self.limit), self.limit)
        else:
            await self.app(scope, receive, send)

    async def _upload(self, scope: Scope, receive: Receive, send: Send, length: int | None) -> None:
        limit = self.upload_limit
        body_limit = limit + UPLOAD_OVERHEAD_BYTES
        if length is not None and length > body_limit:
            await self._refuse(send, upload_too_large_message(limit), limit, close=True)
            return
        seen = 0
        complete = False

        async def counted() -> Message:
            nonlocal seen, complete
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > body_limit:
                    raise TooLarge(upload_too_large_message(limit), details={"limit": limit})
                complete = not message.get("more_body", False)
            return message

        async def closing(message: Message) -> None:
            if message["type"] == "http.response.start" and not complete:
                # Answered before the whole body came (refused): read no more of it.
                message["headers"] = [*message.get("headers", []), (b"connection", b"close")]
            await send(message)

        await self.app(scope, counted, closing)

    def _counting(self, receive: Receive) -> Receive:
        seen = 0
        limit = self.limit

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    if message.get("more_body", False):
                        await _drain(receive)
                    # FastAPI passes an HTTPException raised while it reads the body through
                    # unchanged (anything else would become a 400).
                    raise HTTPException(413, detail=too_large_message(limit))
            return message

        return counted

    async def _refuse(self, send: Send, message: str, limit: int, *, close: bool = False) -> None:
        body = orjson.dumps(error_body("too_large", message, {"limit": limit}))
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        if close:
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
