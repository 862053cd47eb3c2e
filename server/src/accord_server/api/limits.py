"""A limit on request bodies that are not file uploads, enforced before they are read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson
from starlette.exceptions import HTTPException

from accord_server.api.errors import error_body

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_NO_BODY = frozenset({"GET", "HEAD", "OPTIONS", "DELETE"})


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


class BodyLimit:
    """Refuse a JSON (any non-multipart) request body over ``limit`` bytes with 413.

    A declared ``Content-Length`` over the limit is refused without keeping any of the body;
    a chunked body is counted as it arrives. The rest of a refused body is read and dropped,
    so that the client gets the answer. Multipart uploads are left to their own, larger limit
    (``max_upload_bytes``, checked file by file as they are stored). Without this an API
    process would build a request of any size in memory, for every caller at once."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

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
            elif key == b"content-type" and value[:10].lower() == b"multipart/":
                await self.app(scope, receive, send)
                return
        if length is None:
            await self.app(scope, self._counting(receive), send)
        elif length > self.limit:
            await _drain(receive)
            await self._refuse(send)
        else:
            await self.app(scope, receive, send)

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

    async def _refuse(self, send: Send) -> None:
        body = orjson.dumps(
            error_body("too_large", too_large_message(self.limit), {"limit": self.limit})
        )
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})
