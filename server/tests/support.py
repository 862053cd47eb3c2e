"""Helpers for the server's test modules: the shared stack, factories and schemas (from
``accord_server.testing``, which the SDK's tests use too) and what only these tests need."""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event

from accord_server import testing
from accord_server.services import token_use
from accord_server.settings import Settings
from accord_server.testing import *  # noqa: F403 - the shared stack, factories and schemas

__all__ = ["png_claiming", "statements_run", "worker_process"]
__all__ += testing.__all__


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[tuple[str, bool]]]:
    """Record each statement sent meanwhile: its first word, and whether it ran outside a
    transaction (the driver's autocommit). The background writes of API token use, which
    no request waits for, are left out."""
    seen: list[tuple[str, bool]] = []

    def executed(conn: Any, _cursor: Any, statement: str, *_: object) -> None:
        if threading.current_thread().name == token_use.THREAD_NAME:
            return
        seen.append((statement.split()[0], conn.connection.driver_connection.autocommit))

    event.listen(engine, "before_cursor_execute", executed)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", executed)


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims ``width``×``height``, with almost no pixel data behind it
    (a decompression bomb, or a large image that is cheap to make)."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@contextmanager
def worker_process(
    settings: Settings, log: Path | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`accord-server worker` for these settings (its output in ``log`` when given), stopped
    (SIGTERM) afterwards."""
    env = {
        **os.environ,
        "ACCORD_DATA_DIR": str(settings.data_dir),
        "ACCORD_DATABASE_URL": settings.resolved_database_url,
        "ACCORD_WORKER_HEARTBEAT_SECONDS": str(settings.worker_heartbeat_seconds),
        "ACCORD_WORKER_LAPSE_SECONDS": str(settings.worker_lapse_seconds),
    }
    env.pop("ACCORD_REDIS_URL", None)
    env["ACCORD_QUEUE_NAME"] = settings.queue_name
    if settings.redis_url:
        env["ACCORD_REDIS_URL"] = settings.redis_url
    output = open(log, "wb") if log is not None else subprocess.PIPE  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "accord_server", "worker"],
        env=env,
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        if log is not None:
            output.close()  # type: ignore[union-attr]
