"""Assignments: a task handed to one annotator, with a lease."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord_server.db.base import Base, BigId, Json, UTCDateTime, one_of, utcnow
from accord_server.schemas.enums import AssignmentState


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (
        UniqueConstraint("task_id", "user_id"),
        one_of("state", AssignmentState, name="state"),
        Index("ix_assignments_project_state_expiry", "project_id", "state", "lease_expires_at"),
        Index("ix_assignments_user_project_state", "user_id", "project_id", "state"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    state: Mapped[str] = mapped_column(String(20))
    leased_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    draft: Mapped[Any | None] = mapped_column(Json)
    draft_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
