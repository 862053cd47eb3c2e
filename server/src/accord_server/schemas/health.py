"""Wire models of the health endpoints: liveness and readiness."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class HealthRead(BaseModel):
    """Liveness: the API process answers."""

    status: Literal["ok"] = "ok"
    version: str


class CheckRead(BaseModel):
    """One check of the readiness: whether it passed, and what was found."""

    ok: bool
    message: str


class WorkerCheckRead(CheckRead):
    alive: int = Field(description="Workers that reported within `ACCORD_WORKER_LAPSE_SECONDS`.")
    last_heartbeat_seconds: float | None = Field(
        description="Seconds since any worker last reported (null: none ever did)."
    )


class QueueCheckRead(CheckRead):
    queued: int = Field(description="Jobs waiting for a worker.")
    running: int = Field(description="Jobs a worker is running.")
    oldest_queued_seconds: float | None = Field(
        description="How long the oldest queued job has waited (null: none waits)."
    )


class ReadinessChecks(BaseModel):
    database: CheckRead
    worker: WorkerCheckRead | None = Field(description="Null when the database did not answer.")
    queue: QueueCheckRead | None = Field(description="Null when the database did not answer.")


class ReadinessRead(BaseModel):
    """Readiness: 200 when the database answers and a worker is alive, 503 otherwise; the
    queue is reported, never decisive."""

    status: Literal["ready", "unavailable"]
    version: str
    checks: ReadinessChecks
