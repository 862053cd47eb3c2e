"""The export job: hands the pipeline (services/exports/pipeline.py) its transactions, the
storage, a scratch folder, and how to report progress and notice a cancel request."""

from __future__ import annotations

from accord_server.jobs.base import checkpoint_for, progress_for
from accord_server.runtime import Runtime
from accord_server.services.exports import pipeline


def run_export(runtime: Runtime, job_id: int) -> None:
    """Run an export job: write, pack and store the file, then record it in one transaction."""
    db = runtime.db
    pipeline.run_export(
        job_id=job_id,
        read=lambda: db.session(write=False),
        write=db.transaction,
        storage=runtime.storage,
        scratch=runtime.settings.upload_tmp_dir,
        progress=progress_for(runtime, job_id),
        checkpoint=checkpoint_for(runtime, job_id),
    )
