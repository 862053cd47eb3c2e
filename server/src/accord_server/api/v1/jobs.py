"""Background jobs: state, progress, counts, the error report; cancel."""

from __future__ import annotations

from datetime import timedelta

from accord_server.api.deps import CurrentUser, RuntimeDep, SessionDep, api_router
from accord_server.schemas.common import Id
from accord_server.schemas.tasks import JobRead
from accord_server.services import jobs

router = api_router(prefix="/api/v1/jobs", tags=["jobs"])


@router.get("/{job_id}", response_model=JobRead)
def get_job(job_id: Id, session: SessionDep, user: CurrentUser) -> JobRead:
    """A job's state, progress, counts and errors."""
    job, _ = jobs.get_job_or_raise(session, job_id=job_id, user=user)
    return JobRead.model_validate(job)


@router.post("/{job_id}/cancel", response_model=JobRead)
def cancel_job(job_id: Id, session: SessionDep, user: CurrentUser, runtime: RuntimeDep) -> JobRead:
    """Cancel a queued job, or stop a running one at its next checkpoint (at once when its
    worker died: it stopped reporting `ACCORD_WORKER_LAPSE_SECONDS` ago)."""
    job, _ = jobs.get_job_or_raise(session, job_id=job_id, user=user)
    lapse = timedelta(seconds=runtime.settings.worker_lapse_seconds)
    return JobRead.model_validate(jobs.request_cancel(session, job=job, lapse=lapse))
