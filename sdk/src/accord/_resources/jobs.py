"""``client.jobs``: read, cancel and wait for background jobs (with a progress bar)."""

from __future__ import annotations

import time
from typing import Any

from tqdm import tqdm

from accord._exceptions import ImportFailed, JobFailed, WaitTimeout
from accord._http import HTTP
from accord._models import Job
from accord._wording import count

POLL_START = 0.1
POLL_MAX = 1.0


class Jobs:
    """Background jobs (imports, exports...)."""

    def __init__(self, http: HTTP) -> None:
        self._http = http

    def get(self, job_id: int) -> Job:
        """A job's state, progress, counts and errors."""
        return self._http.get_model(Job, f"/jobs/{job_id}")

    def cancel(self, job_id: int) -> Job:
        """Cancel a queued job, or stop a running one at its next checkpoint."""
        return self._http.send_model(Job, "POST", f"/jobs/{job_id}/cancel")

    def wait(
        self,
        job_id: int,
        *,
        timeout: float | None = None,
        progress: bool = False,
        poll_interval: float = POLL_MAX,
    ) -> Job:
        """Poll until the job finishes; return it when it succeeded.

        Raises ``ImportFailed`` (an import) or ``JobFailed`` (any other job) when it ended
        failed or cancelled, and ``WaitTimeout`` when ``timeout`` seconds pass first.
        ``progress=True`` draws a tqdm bar on stderr.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        delay = min(POLL_START, poll_interval)
        bar = _Bar(job_id) if progress else None
        try:
            while True:
                job = self.get(job_id)
                if bar is not None:
                    bar.show(job)
                if job.finished:
                    break
                if deadline is not None and time.monotonic() >= deadline:
                    raise WaitTimeout(job, timeout or 0.0)
                time.sleep(delay)
                delay = min(delay * 2, poll_interval)
        finally:
            if bar is not None:
                bar.close()
        if job.state == "succeeded":
            return job
        raise ImportFailed(job) if job.kind == "import" else JobFailed(job)


class _Bar:
    """A tqdm bar in percent, with the job's phase and counts."""

    def __init__(self, job_id: int) -> None:
        # set_description() appends ": " itself, hence "{desc}" without one in the format.
        self.bar: Any = tqdm(
            total=100,
            unit="%",
            desc=f"job {job_id}: ",
            leave=True,
            bar_format="{desc}{percentage:3.0f}%|{bar}| {elapsed}{postfix}",
        )
        self.shown = 0

    def show(self, job: Job) -> None:
        phase = job.state if job.finished else (job.phase or job.state)
        self.bar.set_description(f"job {job.id} {phase}", refresh=False)
        # Counts written out in full ("100,000 tasks"): tqdm's own number format gives "1e+5".
        counts = job.counts
        if job.kind == "export":
            done_of = f"{counts.tasks:,} of {count(counts.total, 'task')}"
            self.bar.set_postfix_str(done_of, refresh=False)
        else:
            self.bar.set_postfix_str(
                f"{count(counts.tasks, 'task')}, {count(counts.rows, 'row')}, "
                f"{count(counts.errors, 'error')}",
                refresh=False,
            )
        done = 100 if job.state == "succeeded" else round(job.progress * 100)
        if done > self.shown:
            self.bar.update(done - self.shown)
            self.shown = done
        else:
            self.bar.refresh()

    def close(self) -> None:
        self.bar.close()
