"""Exports: a project's tasks and labels written in one format into one stored download, by a
background job (``services/exports``). The export's state is its job's."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from accord_server.db.base import Base, BigId, Json, UTCDateTime, utcnow


class Export(Base):
    __tablename__ = "exports"
    __table_args__ = (Index("ix_exports_project_id_id", "project_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    format: Mapped[str] = mapped_column(String(50))
    # What was asked: result, include_media, split, label_map, the format's options.
    options: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # The data manager's task filter it was made from ({} for every task).
    filter: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # The download, once the job succeeded: where it is stored, its name, size and SHA-256.
    storage_key: Mapped[str | None] = mapped_column(String(200))
    file_name: Mapped[str | None] = mapped_column(String(300))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    task_count: Mapped[int] = mapped_column(Integer, default=0)
    # What the format could not hold: Report.as_dict().
    report: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
