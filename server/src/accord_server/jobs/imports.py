"""The import job: hands the pipeline (services/imports/pipeline.py) its transactions, the
storage, the limits, and how to report progress and notice a cancel request."""

from __future__ import annotations

from accord_server.jobs.base import checkpoint_for, progress_for
from accord_server.runtime import Runtime
from accord_server.services.imports import pipeline


def run_import(runtime: Runtime, job_id: int) -> None:
    """Run an import job end to end: all of it is written in one transaction, or nothing."""
    db = runtime.db
    pipeline.run_import(
        job_id=job_id,
        read=lambda: db.session(write=False),
        write=db.transaction,
        storage=runtime.storage,
        limits=pipeline.ImportLimits.from_settings(runtime.settings),
        progress=progress_for(runtime, job_id),
        checkpoint=checkpoint_for(runtime, job_id),
    )
