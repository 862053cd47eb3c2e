"""The queue wiring: an idle worker of the SQLite queue is woken when a job is queued."""

from __future__ import annotations

import socket
import sys
import threading
import time
from typing import Any

import pytest

from accord_server.jobs.queue import make_consumer, wake_address
from accord_server.settings import Settings
from support import Factory, Stack

linux_only = pytest.mark.skipif(sys.platform != "linux", reason="abstract Unix sockets: Linux")


def _job_state(stack: Stack, token: str, job_id: int) -> str:
    with stack.client(token) as client:
        return str(client.get(f"/api/v1/jobs/{job_id}").json()["state"])


@linux_only
def test_a_queued_job_wakes_an_idle_worker_at_once(stack: Stack, factory: Factory) -> None:
    # The worker would next poll in 60 s; the API's wake-up makes it look now.
    consumer = make_consumer(stack.huey, stack.settings, threads=1, max_delay=60)
    stop = threading.Event()
    worker: Any = consumer.worker_class(
        huey=stack.huey, stop_flag=stop, default_delay=60, max_delay=60, backoff=1.15
    )
    assert worker.wake is not None

    def run() -> None:
        while not stop.is_set():
            worker.loop()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        owner = factory.owner()
        project = factory.project(owner)
        time.sleep(0.5)  # the worker found the queue empty and waits
        with stack.client(owner.token) as client:
            r = client.post(
                f"/api/v1/projects/{project['id']}/imports", json={"tasks": [{"image": "a"}]}
            )
        assert r.status_code == 202
        deadline = time.monotonic() + 10
        while _job_state(stack, owner.token, r.json()["id"]) != "succeeded":
            assert time.monotonic() < deadline, "the worker was not woken"
            time.sleep(0.05)
    finally:
        stop.set()
        address = wake_address(stack.settings)
        assert address is not None
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sender:
            sender.sendto(b"1", address)
        thread.join(timeout=10)
        worker.wake.close()
    assert not thread.is_alive()


@linux_only
def test_a_second_worker_of_the_same_queue_falls_back_to_polling(stack: Stack) -> None:
    first = make_consumer(stack.huey, stack.settings, threads=1).worker_class.wake
    second = make_consumer(stack.huey, stack.settings, threads=1).worker_class.wake
    try:
        assert first is not None and second is None
    finally:
        first.close()


def test_each_sqlite_queue_has_its_own_wake_address_and_redis_none(settings: Settings) -> None:
    address = wake_address(settings)
    assert address is not None and address.startswith(b"\0accord-jobs-")
    assert wake_address(settings.model_copy(update={"queue_name": "other"})) != address
    moved = settings.model_copy(update={"data_dir": settings.data_dir / "elsewhere"})
    assert wake_address(moved) != address
    assert wake_address(settings.model_copy(update={"redis_url": "redis://x:6379/0"})) is None
