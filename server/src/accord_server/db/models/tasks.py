"""Tasks (one item to label) and model predictions on them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from accord_server.db.base import Base, BigId, Json, UTCDateTime, utcnow


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        # The queue's index: open tasks of a project (no open report) in hand-out order.
        Index(
            "ix_tasks_queue",
            "project_id",
            text("priority DESC"),
            "id",
            sqlite_where=text("open_slots > 0 AND open_reports = 0"),
            postgresql_where=text("open_slots > 0 AND open_reports = 0"),
        ),
        # Reported tasks of a project: the data manager's filter and the dashboard's count.
        Index(
            "ix_tasks_reported",
            "project_id",
            "id",
            sqlite_where=text("open_reports > 0"),
            postgresql_where=text("open_reports > 0"),
        ),
        Index("ix_tasks_project_id_id", "project_id", "id"),
        Index("ix_tasks_project_media", "project_id", "media_key"),
        # Media collection: is a stored file named by any task, of any project?
        Index(
            "ix_tasks_media_key",
            "media_key",
            sqlite_where=text("media_key IS NOT NULL"),
            postgresql_where=text("media_key IS NOT NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("batches.id", ondelete="SET NULL"), index=True
    )
    import_job_id: Mapped[int | None] = mapped_column(BigId)
    data: Mapped[dict[str, Any]] = mapped_column(Json)
    meta: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    media_key: Mapped[str | None] = mapped_column(String(100))
    priority: Mapped[int] = mapped_column(Integer, default=0)
    is_gold: Mapped[bool] = mapped_column(Boolean, default=False)
    # Submitted (live) annotations, and hand-outs still possible: overlap - annotations - leases.
    annotation_count: Mapped[int] = mapped_column(Integer, default=0)
    open_slots: Mapped[int] = mapped_column(Integer)
    # Reports not resolved yet (services/reports.py); the queue serves only tasks with none.
    open_reports: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Prediction(Base):
    __tablename__ = "predictions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    model_version: Mapped[str | None] = mapped_column(String(200))
    score: Mapped[float | None] = mapped_column(Float)
    result: Mapped[list[Any]] = mapped_column(Json)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
