"""Health: liveness (the process answers) and readiness (the database answers and a worker is
alive to run jobs), for load balancers, orchestrators and monitoring; no login needed."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from accord_server import __version__
from accord_server.api.deps import RuntimeDep
from accord_server.schemas.health import HealthRead, ReadinessRead
from accord_server.services import health

router = APIRouter(prefix="/api/v1/health", tags=["meta"])


@router.get("", response_model=HealthRead)
async def live() -> HealthRead:
    """Liveness: the API process answers. Touches nothing else, so an outage of the database
    does not get healthy API processes restarted (readiness reports it)."""
    return HealthRead(version=__version__)


@router.get(
    "/ready",
    response_model=ReadinessRead,
    responses={503: {"model": ReadinessRead, "description": "Not ready: see `checks`."}},
)
def ready(runtime: RuntimeDep) -> JSONResponse:
    """Readiness: 200 when the database answers and a worker reported within
    `ACCORD_WORKER_LAPSE_SECONDS`, 503 otherwise; `checks` says which failed, with the job
    queue's depth and the oldest queued job's wait."""
    try:
        with runtime.db.session(write=False) as session:
            report = health.readiness(
                session,
                lapse=timedelta(seconds=runtime.settings.worker_lapse_seconds),
                version=__version__,
            )
    except Exception as exc:  # noqa: BLE001 - whatever keeps the database from answering
        reason = f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc) else ''}"
        report = health.database_down(reason, version=__version__)
    return JSONResponse(
        report.model_dump(mode="json"), status_code=200 if report.status == "ready" else 503
    )
