"""The size of an image given by URL, read from the first bytes of it (an import's probe).

Only ``http`` and ``https`` URLs are fetched, redirects only to those; the request asks for the
first ``max_bytes`` (a Range request; a server that ignores it is read no further) and gives up
after ``timeout`` seconds in all. Nothing is stored: the bytes are parsed for the image header
(``media.image_size``) and dropped. The caller decides whether URLs may be fetched at all: a
worker that fetches URLs its users chose can reach what they cannot (SSRF).
"""

from __future__ import annotations

import http.client
import time
import urllib.request
from typing import IO, Any
from urllib.parse import urlsplit

from accord_server.adapters.media import image_size

SCHEMES = frozenset({"http", "https"})
_CHUNK = 64 * 1024


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects to http(s) only (urllib would follow one to ftp too)."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urlsplit(newurl).scheme not in SCHEMES:
            return None
        return super().redirect_request(req, fp, code, msg, headers, newurl)


_OPENER = urllib.request.build_opener(_HttpOnlyRedirects())


def is_http_url(value: object) -> bool:
    """Whether ``value`` is an http(s) URL with a host."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in SCHEMES and bool(parts.netloc)


def probe_image_size(url: str, *, max_bytes: int, timeout: float) -> tuple[int, int] | None:
    """The size the image at ``url`` is shown at, from at most ``max_bytes`` of its start read
    within ``timeout`` seconds; None when the URL is not http(s), fails, is too slow, or its
    start holds no image header."""
    if not is_http_url(url):
        return None
    deadline = time.monotonic() + timeout
    request = urllib.request.Request(
        url, headers={"Range": f"bytes=0-{max_bytes - 1}", "User-Agent": "accord-import"}
    )
    head = b""
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            if response.status not in (200, 206):
                return None
            while len(head) < max_bytes and time.monotonic() < deadline:
                chunk = response.read1(min(_CHUNK, max_bytes - len(head)))
                if not chunk:
                    break
                head += chunk
                size = image_size(head)
                if size is not None:
                    return size  # the header is in: the rest is not needed
    except (OSError, ValueError, http.client.HTTPException):
        return None
    return None
