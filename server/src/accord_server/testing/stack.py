"""A running Accord for one test: the real app served by uvicorn in a thread, its job queue."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from huey import Huey

from accord_server.app import create_app, make_runtime, server_options
from accord_server.jobs.queue import drain
from accord_server.runtime import Runtime
from accord_server.settings import Settings

BACKGROUND_DRAIN_SECONDS = 0.05


@dataclass
class Stack:
    """A running Accord for one test: runtime, job queue and a live HTTP server."""

    settings: Settings
    runtime: Runtime
    huey: Huey
    url: str
    #: Set it to hold the background job thread (``running_stack(..., background_jobs=True)``).
    worker_paused: threading.Event = field(default_factory=threading.Event)

    @property
    def import_root(self) -> Path:
        """The first folder server-side imports may read from."""
        return self.settings.import_roots[0]

    def run_jobs(self) -> int:
        """Run every queued job now, through the real queue (what a worker would do)."""
        return drain(self.huey)

    def client(self, token: str | None = None) -> httpx.Client:
        """An HTTP client, authenticated with an API token when given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


@contextmanager
def running_stack(settings: Settings, *, background_jobs: bool = False) -> Iterator[Stack]:
    """The app for ``settings`` served by uvicorn on a free port in a background thread.

    With ``background_jobs`` a second thread drains the job queue every 50 ms (what a worker
    would do), for clients that wait for their jobs; otherwise jobs run at ``Stack.run_jobs()``.
    """
    runtime, huey = make_runtime(settings)
    app = create_app(settings, runtime=runtime)
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
        **server_options(settings),  # as `serve` runs it
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    stack = Stack(settings=settings, runtime=runtime, huey=huey, url=f"http://127.0.0.1:{port}")
    stop = threading.Event()
    worker = threading.Thread(target=_drain_loop, args=(stack, stop), daemon=True)
    if background_jobs:
        worker.start()
    try:
        yield stack
    finally:
        stop.set()
        if background_jobs:
            worker.join(timeout=30)
        server.should_exit = True
        thread.join(timeout=10)
        runtime.close()


def _drain_loop(stack: Stack, stop: threading.Event) -> None:
    while not stop.is_set():
        if not stack.worker_paused.is_set():
            stack.run_jobs()
        stop.wait(BACKGROUND_DRAIN_SECONDS)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
