"""Background jobs: state, progress, counts and the per-row error report; the worker processes
that run them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from accord_server.db.base import Base, BigId, Json, UTCDateTime, one_of, utcnow
from accord_server.schemas.enums import JobState

ONE_MEDIA_GC = "kind = 'media_gc' AND state IN ('queued', 'running')"


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        one_of("state", JobState, name="state"),
        # The queue's health (queued jobs, the oldest) and the search for running jobs whose
        # worker died.
        Index("ix_jobs_state_created_at", "state", "created_at"),
        # One media collection at a time, however many workers start one.
        Index(
            "uq_jobs_one_media_gc",
            "kind",
            unique=True,
            sqlite_where=text(ONE_MEDIA_GC),
            postgresql_where=text(ONE_MEDIA_GC),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # None for the server's own jobs (media collection), which no organization sees.
    organization_id: Mapped[int | None] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(50))
    state: Mapped[str] = mapped_column(String(20), default=JobState.QUEUED)
    progress: Mapped[float] = mapped_column(Float, default=0.0)
    phase: Mapped[str] = mapped_column(String(50), default="")
    params: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    counts: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    errors: Mapped[list[Any]] = mapped_column(Json, default=list)
    message: Mapped[str] = mapped_column(String(2000), default="")
    cancel_requested: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    heartbeat_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    """How many times a worker started the job (``services.jobs.MAX_ATTEMPTS`` at most)."""


class Worker(Base):
    """A worker process, as it last reported itself: the API's readiness counts the live ones."""

    __tablename__ = "workers"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class ImportedFile(Base):
    """A task file an import wrote into a project, by content (SHA-256): a later import of the
    same file into the project says so in its report, since its tasks and annotations are
    written again, as new tasks (``services/imports/writing.py``)."""

    __tablename__ = "imported_files"
    __table_args__ = (Index("ix_imported_files_project_sha256", "project_id", "sha256"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    job_id: Mapped[int | None] = mapped_column(ForeignKey("jobs.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(1024))
    sha256: Mapped[str] = mapped_column(String(64))
    annotations: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
