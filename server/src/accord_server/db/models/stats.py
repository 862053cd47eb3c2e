"""Project statistics kept up to date from annotation events (``services/stats.py``)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord_server.db.base import Base, BigId, Json, UTCDateTime, utcnow


class ProjectStats(Base):
    """A project whose counters below are kept; without a row, they are not built yet."""

    __tablename__ = "project_stats"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    """When the last event was applied: the counters are as fresh as this."""


class StatsAnnotation(Base):
    """What one annotation adds to the counters, as counted: an event about it is applied by
    comparing this with the annotation as it is now (so applying one twice changes nothing).
    Not a foreign key to the annotation: a row must outlive it (deleted with its task) to be
    taken off the counters."""

    __tablename__ = "stats_annotations"
    __table_args__ = (Index("ix_stats_annotations_project_id", "project_id"),)

    annotation_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(BigId)
    day: Mapped[date] = mapped_column(Date)
    lead_time: Mapped[float | None] = mapped_column(Float)
    labels: Mapped[list[Any]] = mapped_column(Json)
    """[[tool, label], ...], once per region (or choice) that names it."""


class StatsLabel(Base):
    __tablename__ = "stats_labels"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    tool: Mapped[str] = mapped_column(Text, primary_key=True)
    label: Mapped[str] = mapped_column(Text, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class StatsDay(Base):
    __tablename__ = "stats_days"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer)


class StatsAnnotator(Base):
    __tablename__ = "stats_annotators"

    project_id: Mapped[int] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(BigId, primary_key=True)
    annotations: Mapped[int] = mapped_column(Integer)
    lead_time_sum: Mapped[float] = mapped_column(Float)
    lead_time_n: Mapped[int] = mapped_column(Integer)
    """How many of them have a lead time (the mean is over those, as SQL's AVG)."""
