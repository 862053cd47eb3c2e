"""`serve`'s embedded worker: a child process, started again (after a growing pause) whenever
it dies, and stopped with the server."""

from __future__ import annotations

import logging
import signal
import subprocess
import threading
import time
from collections.abc import Sequence

log = logging.getLogger(__name__)


class WorkerSupervisor:
    """Runs ``command`` as a child process and restarts it when it exits, ``delay`` seconds
    later, doubled after each death that follows quickly (it lived less than ``max_delay``), up
    to ``max_delay``. A thread waits for the child, so a dead one is reaped at once (no zombie)
    and every death is logged with its exit status or signal."""

    def __init__(
        self, command: Sequence[str], env: dict[str, str], *, delay: float, max_delay: float
    ) -> None:
        self._command = list(command)
        self._env = env
        self._first_delay = delay
        self._max_delay = max(max_delay, delay)
        self._next_delay = delay
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)

    @property
    def pid(self) -> int | None:
        """The running child's process id."""
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def start(self) -> None:
        """Start the worker and watch it."""
        with self._lock:
            self._proc = self._spawn()
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Stop the worker (SIGTERM, SIGKILL after ``timeout``) and restart it no more."""
        with self._lock:
            self._stopping.set()
            proc = self._proc
        if proc is not None and proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._thread.join(timeout)

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self._command, env=self._env)

    def _watch(self) -> None:
        while True:
            proc = self._proc
            assert proc is not None
            started = time.monotonic()
            status = proc.wait()  # reaps it
            if self._stopping.is_set():
                return
            delay = self._delay_after(time.monotonic() - started)
            log.warning(
                "worker (pid %s) %s; restarting it in %.1f s", proc.pid, _ended(status), delay
            )
            if self._stopping.wait(delay):
                return
            with self._lock:
                if self._stopping.is_set():
                    return
                try:
                    self._proc = self._spawn()
                except OSError:
                    log.exception("could not start the worker; trying again")
                    continue
            log.info("worker restarted (pid %s)", self._proc.pid)

    def _delay_after(self, lived: float) -> float:
        if lived >= self._max_delay:
            self._next_delay = self._first_delay  # it had recovered: start over
        delay = self._next_delay
        self._next_delay = min(max(delay * 2, 0.1), self._max_delay)
        return delay


def _ended(status: int) -> str:
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"was killed by {name}"
    return f"exited with status {status}"
