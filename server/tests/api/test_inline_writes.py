"""SQLite's hot path writes on the event loop: while a thread of ours holds the writer lock it
waits there (no thread hop), and it goes to a thread only for another process's lock."""

from __future__ import annotations

import asyncio
import fcntl
import os
import threading
import time
from pathlib import Path

from accord_server.api.deps import _take_on_loop
from accord_server.db.engine import WriterLock


def test_a_release_calls_the_waiters_registered_before_it_once(tmp_path: Path) -> None:
    lock = WriterLock(str(tmp_path / "db.writer-lock"))
    calls: list[str] = []
    assert lock.acquire()
    lock.notify(lambda: calls.append("a"))
    cancel = lock.notify(lambda: calls.append("cancelled"))
    cancel()
    lock.acquire()
    lock.release()  # an inner release lets nobody in and wakes nobody
    assert calls == []
    assert lock.held_in_process()
    lock.release()
    assert calls == ["a"]
    assert not lock.held_in_process()
    lock.acquire()
    lock.release()
    assert calls == ["a"]  # called once, then forgotten


def test_waits_on_the_loop_while_a_thread_of_ours_writes(tmp_path: Path) -> None:
    lock = WriterLock(str(tmp_path / "db.writer-lock"))
    holding, let_go = threading.Event(), threading.Event()

    def writer() -> None:
        lock.acquire()
        holding.set()
        let_go.wait(5)
        lock.release()

    thread = threading.Thread(target=writer)
    thread.start()
    holding.wait(5)

    async def take() -> tuple[bool, bool]:
        loop = asyncio.get_running_loop()
        loop.call_later(0.05, let_go.set)
        taken = await _take_on_loop(lock)
        return taken, lock.held_here()  # held by the loop's own thread

    try:
        taken, on_loop = asyncio.run(take())
        assert (taken, on_loop) == (True, True)
        lock.release()
    finally:
        let_go.set()
        thread.join()


def test_many_waiters_on_the_loop_each_get_the_lock_in_turn(tmp_path: Path) -> None:
    lock = WriterLock(str(tmp_path / "db.writer-lock"))
    order: list[int] = []

    def busy_writer() -> None:
        for _ in range(20):
            lock.acquire()
            time.sleep(0.001)
            lock.release()

    async def one(i: int) -> None:
        assert await _take_on_loop(lock)  # never sent to a thread: no other process writes
        order.append(i)
        lock.release()

    async def many() -> None:
        thread = threading.Thread(target=busy_writer)
        thread.start()
        await asyncio.gather(*(one(i) for i in range(50)))
        await asyncio.to_thread(thread.join)

    asyncio.run(asyncio.wait_for(many(), 10))
    assert sorted(order) == list(range(50))
    assert not lock.held_in_process()


def test_gives_up_at_once_when_another_process_holds_the_lock(tmp_path: Path) -> None:
    path = tmp_path / "db.writer-lock"
    lock = WriterLock(str(path))
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)  # stands for another process
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert asyncio.run(asyncio.wait_for(_take_on_loop(lock), 2)) is False
        assert not lock.held_in_process()  # the failed try left nothing behind
    finally:
        os.close(fd)
