"""SQLite's writer queue: one writer across threads and processes, re-entrant, try-able."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path

from accord_server.db.engine import WriterLock


def test_reentrant_for_its_holder_and_released_by_the_outermost_release(tmp_path: Path) -> None:
    lock = WriterLock(str(tmp_path / "db.writer-lock"))
    assert lock.acquire()
    assert lock.acquire(blocking=False)  # the holder nests
    lock.release()
    taken: list[bool] = []
    other = threading.Thread(target=lambda: taken.append(lock.acquire(blocking=False)))
    other.start()
    other.join()
    assert taken == [False]  # still held after the inner release
    lock.release()
    other = threading.Thread(target=lambda: taken.append(lock.acquire(blocking=False)))
    other.start()
    other.join()
    assert taken == [False, True]


def test_try_acquire_fails_while_another_process_holds_the_file_lock(tmp_path: Path) -> None:
    path = tmp_path / "db.writer-lock"
    lock = WriterLock(str(path))
    # Another open file description stands for another process (flock is per description).
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        assert not lock.acquire(blocking=False)
        # ... and a failed try leaves the thread lock free for the next attempt.
        fcntl.flock(fd, fcntl.LOCK_UN)
        assert lock.acquire(blocking=False)
        lock.release()
    finally:
        os.close(fd)
