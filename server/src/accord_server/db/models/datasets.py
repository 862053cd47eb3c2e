"""Dataset versions: a project's tasks and chosen results frozen into one immutable manifest
(canonical JSONL, stored content-addressed) by a background job (``services/datasets.py``). The
version's state is its job's; its content never changes after the job wrote it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord_server.db.base import Base, BigId, Json, UTCDateTime, utcnow


class DatasetVersion(Base):
    __tablename__ = "dataset_versions"
    __table_args__ = (
        UniqueConstraint("project_id", "number", name="uq_dataset_versions_project_id_number"),
        Index("ix_dataset_versions_project_id_content_hash", "project_id", "content_hash"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organization_id: Mapped[int] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), index=True
    )
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    # 1, 2, ... within the project, in the order they were asked for (never reused).
    number: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # What it froze with: {"result": "latest" | "all" | "ground_truth"} and the task filter.
    options: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    filter: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # The project's label schema when it was frozen (the writers of its exports get this one).
    label_schema: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    # Once the job succeeded: the manifest (key = content address, its SHA-256 and size) and
    # the version's hash (SHA-256 of the canonical schema, a newline, and the manifest).
    manifest_key: Mapped[str | None] = mapped_column(String(200))
    manifest_sha256: Mapped[str | None] = mapped_column(String(64))
    manifest_size: Mapped[int | None] = mapped_column(BigInteger)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    # The earliest earlier version of the project with the same content hash, if any.
    same_as_id: Mapped[int | None] = mapped_column(
        ForeignKey("dataset_versions.id", ondelete="SET NULL")
    )
    task_count: Mapped[int] = mapped_column(Integer, default=0)
    result_count: Mapped[int] = mapped_column(Integer, default=0)
    prediction_count: Mapped[int] = mapped_column(Integer, default=0)
    # Regions per label in the chosen results: {"car": 12, ...}.
    label_counts: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
