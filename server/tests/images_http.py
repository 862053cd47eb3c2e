"""A local HTTP server of images for the tests that read sizes from URLs (no internet): files
by path, redirects, slow answers; it records the paths asked and the Range of each."""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from PIL import Image


def png(width: int, height: int, *, noise: bool = False) -> bytes:
    """A PNG of ``width`` x ``height``; with ``noise``, one that does not compress (large)."""
    if noise:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), "green")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def jpeg_turned(width: int, height: int) -> bytes:
    """A JPEG stored ``width`` x ``height`` whose EXIF orientation (6) turns it a quarter."""
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    Image.new("RGB", (width, height), "red").save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


@dataclass
class ImageServer:
    """What the server serves, and what it was asked and sent."""

    port: int = 0
    files: dict[str, bytes] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    slow: set[str] = field(default_factory=set)
    ranges: dict[str, str | None] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


@contextmanager
def image_server() -> Iterator[ImageServer]:
    """Serve an ``ImageServer`` on a free local port for the block."""
    state = ImageServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path
            state.requests.append(path)
            state.ranges[path] = self.headers.get("Range")
            if path in state.redirects:
                self.send_response(302)
                self.send_header("Location", state.redirects[path])
                self.end_headers()
                return
            data = state.files.get(path)
            if data is None:
                self.send_error(404)
                return
            if path in state.slow:
                time.sleep(2)
            # Range ignored on purpose: the whole file comes, and the reader must stop early.
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the reader had enough

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
