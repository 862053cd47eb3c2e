"""A webhook receiver on loopback for the tests: a real HTTP server in a thread that records
every request, and can be down (nothing listening: connection refused) or failing (503)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from support import free_port


@dataclass(frozen=True)
class Received:
    headers: dict[str, str]
    body: bytes
    answered: int


class Receiver:
    """Listens on 127.0.0.1:``port`` while ``up()``; answers ``status`` (200, or 503 while
    ``failing``) and records each request with what it answered."""

    def __init__(self) -> None:
        self.port = free_port()
        self.status = 200
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/accord"

    def up(self, status: int = 200) -> None:
        self.status = status
        if self._server is not None:
            return
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status = receiver.status
                with receiver._lock:
                    receiver.received.append(Received(dict(self.headers.items()), body, status))
                self.send_response(status)
                answer = b'{"ok": true}' if status == 200 else b"down for maintenance"
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def down(self) -> None:
        """Stop listening: connections are refused."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def ok(self) -> list[Received]:
        """The requests it answered with 200."""
        with self._lock:
            return [r for r in self.received if r.answered == 200]
