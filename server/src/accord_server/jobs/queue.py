"""huey wiring: SqliteHuey in data_dir by default, RedisHuey when ACCORD_REDIS_URL is set.

A Redis worker blocks on the queue and takes a job the moment it is queued. A worker of the
SQLite queue has to poll; so that a job does not wait for its next poll, whoever queues one also
sends a datagram to ``wake_address`` (an abstract Unix socket, Linux) on which the idle workers
of that queue on this machine wait between polls (``make_consumer``)."""

from __future__ import annotations

import hashlib
import select
import socket
from collections.abc import Callable
from typing import Any

from huey import Huey, RedisHuey, SqliteHuey
from huey.consumer import Consumer, Worker

from accord_server.runtime import Runtime
from accord_server.settings import Settings

JOB_TASK_NAME = "accord.run_job"
POLL_MAX_DELAY = 0.25
"""Longest pause between two polls of an idle SQLite queue (huey's default backs off to 10 s,
which a user sees as an import that sits "queued"); a wake-up cuts it short."""


def make_huey(settings: Settings) -> Huey:
    """The job queue for these settings (no connection is made until used)."""
    name = settings.queue_name
    if settings.redis_url:
        return RedisHuey(name, url=settings.redis_url, results=False)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(name, filename=str(settings.data_dir / "jobs.db"), results=False)


def wake_address(settings: Settings) -> bytes | None:
    """Where idle workers of this settings' SQLite queue wait for a wake-up: an abstract Unix
    socket named after the queue's file and name (None for Redis, whose workers block)."""
    if settings.redis_url:
        return None
    queue = f"{(settings.data_dir / 'jobs.db').resolve()}\0{settings.queue_name}"
    return b"\0accord-jobs-" + hashlib.sha256(queue.encode()).hexdigest()[:24].encode()


def register_job_task(huey: Huey, runtime: Runtime) -> Callable[[int], Any]:
    """Register the one huey task (``run_job(job_id)``) and return its enqueue function."""
    from accord_server.jobs.runner import RETRY_DELAY, run_job
    from accord_server.services.jobs import MAX_ATTEMPTS

    # The job row counts the attempts and decides when to stop (run_job raises only while
    # attempts are left); huey's count has one spare, for a run that failed before it could
    # claim the job (the database was down).
    @huey.task(  # type: ignore[untyped-decorator]
        name=JOB_TASK_NAME, retries=MAX_ATTEMPTS, retry_delay=RETRY_DELAY
    )
    def run_job_task(job_id: int) -> None:
        run_job(runtime, job_id)

    address = wake_address(runtime.settings)
    sender: list[socket.socket] = []

    def enqueue(job_id: int) -> None:
        run_job_task(job_id)
        if address is not None:
            if not sender:
                sender.append(socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM))
                sender[0].setblocking(False)
            _wake(sender[0], address)

    return enqueue


def _wake(sock: socket.socket, address: bytes) -> None:
    try:
        sock.sendto(b"1", address)
    except OSError:
        pass  # no worker listening (or its buffer is full: it has been woken already)


class _WakeableWorker(Worker):  # type: ignore[misc]
    """A huey worker that, while the queue is idle, waits between polls on the wake-up socket
    (when it has one) instead of sleeping."""

    wake: socket.socket | None = None
    delay: float
    default_delay: float
    max_delay: float
    backoff: float

    def sleep(self) -> None:
        if self.wake is None:
            super().sleep()
            return
        self.delay = min(self.delay, self.max_delay)
        readable, _, _ = select.select([self.wake], [], [], self.delay)
        if not readable:
            self.delay *= self.backoff
            return
        self.delay = self.default_delay
        try:
            while self.wake.recv(64):
                pass
        except OSError:
            pass  # drained (or another worker thread took the datagram first)


def make_consumer(
    huey: Huey, settings: Settings, *, threads: int, max_delay: float = POLL_MAX_DELAY
) -> Consumer:
    """The worker's huey consumer: ``threads`` worker threads polling an idle SQLite queue at
    least every ``max_delay`` seconds and woken at once when a job is queued on this machine.
    Without the wake-up (not Linux, or another worker holds the address) they only poll."""
    wake = _listen(wake_address(settings))
    worker_class = type("AccordWorker", (_WakeableWorker,), {"wake": wake})
    consumer_class = type("AccordConsumer", (Consumer,), {"worker_class": worker_class})
    consumer: Consumer = consumer_class(
        huey, workers=threads, worker_type="thread", max_delay=max_delay
    )
    return consumer


def _listen(address: bytes | None) -> socket.socket | None:
    if address is None:
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        return None
    sock.setblocking(False)
    return sock


def drain(huey: Huey) -> int:
    """Run every queued job in this process (used by `worker --once` and tests)."""
    ran = 0
    while True:
        message = huey.dequeue()
        if message is None:
            return ran
        huey.execute(message)
        ran += 1
