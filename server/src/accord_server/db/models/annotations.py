"""Annotations (one annotator's result on one task) and their revisions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column

from accord_server.db.base import Base, BigId, Json, UTCDateTime, one_of, utcnow
from accord_server.schemas.enums import AnnotationOrigin


class Annotation(Base):
    __tablename__ = "annotations"
    __table_args__ = (
        one_of("origin", AnnotationOrigin, name="origin"),
        # A retried submit finds the first one by (user, client id).
        Index("uq_annotations_user_client_id", "user_id", "client_id", unique=True),
        # One live annotation per annotator and task.
        Index(
            "uq_annotations_task_user_live",
            "task_id",
            "user_id",
            unique=True,
            sqlite_where=text("deleted_at IS NULL"),
            postgresql_where=text("deleted_at IS NULL"),
        ),
        Index("ix_annotations_project_id_id", "project_id", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64))
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    result: Mapped[list[Any]] = mapped_column(Json)
    origin: Mapped[str] = mapped_column(String(20), default=AnnotationOrigin.HUMAN)
    lead_time: Mapped[float | None] = mapped_column(Float)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AnnotationRevision(Base):
    __tablename__ = "annotation_revisions"
    __table_args__ = (Index("ix_annotation_revisions_annotation", "annotation_id", "revision"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    annotation_id: Mapped[int] = mapped_column(ForeignKey("annotations.id", ondelete="CASCADE"))
    revision: Mapped[int] = mapped_column(Integer)
    result: Mapped[list[Any]] = mapped_column(Json)
    lead_time: Mapped[float | None] = mapped_column(Float)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
