"""Security headers on every response, and the API docs page they allow.

Pages (the web app, /docs) get a Content-Security-Policy that runs only our own scripts;
everything else (JSON, media, files) gets one that runs nothing at all, so an uploaded SVG or
HTML file opened from its media URL cannot run a script in our origin. ``nosniff`` keeps
browsers from guessing a media file is a page; no response may be framed (clickjacking)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PAGE_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "worker-src 'self' blob:",
        # Svelte's transitions and Swagger UI set inline styles; no script can come from them.
        "style-src 'self' 'unsafe-inline'",
        # Task media may live anywhere: the media store (S3 URLs) or imported http(s) URLs.
        "img-src 'self' data: blob: https: http:",
        "media-src 'self' blob: https: http:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
"""For HTML: our scripts only."""

OTHER_POLICY = "default-src 'none'; frame-ancestors 'none'; sandbox"
"""For everything else: nothing runs, nothing frames it."""

_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (b"cross-origin-opener-policy", b"same-origin"),
]
_PAGE = [*_COMMON, (b"content-security-policy", PAGE_POLICY.encode())]
_OTHER = [*_COMMON, (b"content-security-policy", OTHER_POLICY.encode())]


class SecurityHeaders:
    """Add the headers above to every HTTP response (a plain ASGI wrapper of ``send``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                html = any(k == b"content-type" and v.startswith(b"text/html") for k, v in headers)
                headers.extend(_PAGE if html else _OTHER)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Accord API</title>
<link rel="icon" href="/docs-assets/favicon-32x32.png">
<link rel="stylesheet" href="/docs-assets/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/docs-assets/swagger-ui-bundle.js"></script>
<script src="/docs-init.js"></script>
</body>
</html>
"""
"""Swagger UI, all from this server (``web/dist/docs-assets``, built from the pinned npm
package; the start-up script is a file, not inline, for the policy above)."""

DOCS_INIT = """window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
});
"""
