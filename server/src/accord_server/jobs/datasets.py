"""The dataset version job: hands the freezing (services/datasets.py) its transactions, the
storage, a scratch folder, and how to report progress and notice a cancel request."""

from __future__ import annotations

from accord_server.jobs.base import checkpoint_for, progress_for
from accord_server.runtime import Runtime
from accord_server.services import datasets


def run_dataset_version(runtime: Runtime, job_id: int) -> None:
    """Freeze a dataset version: write and store its manifest, then record it in one
    transaction."""
    db = runtime.db
    datasets.freeze_version(
        job_id=job_id,
        read=lambda: db.session(write=False),
        write=db.transaction,
        storage=runtime.storage,
        scratch=runtime.settings.upload_tmp_dir,
        progress=progress_for(runtime, job_id),
        checkpoint=checkpoint_for(runtime, job_id),
    )
