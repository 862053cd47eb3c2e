"""Webhooks (an organization's or a project's URL that hears of events) and their deliveries
(one row per event per webhook: the outbox's subscriber writes them, the sender sends them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from accord_server.db.base import Base, BigId, Json, UTCDateTime, one_of, utcnow
from accord_server.schemas.enums import DeliveryState


class Webhook(Base):
    __tablename__ = "webhooks"
    __table_args__ = (Index("ix_webhooks_organization_id", "organization_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    # None: every project of the organization (and the organization's own events).
    project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id", ondelete="CASCADE"), index=True
    )
    url: Mapped[str] = mapped_column(String(2000))
    # Event kinds it hears of; ["*"]: all of them.
    events: Mapped[list[str]] = mapped_column(Json)
    # The signing secret (whsec_...), encrypted with the server's key; never sent back.
    secret_encrypted: Mapped[str] = mapped_column(Text)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    description: Mapped[str] = mapped_column(String(1000), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WebhookDelivery(Base):
    """One message to one webhook and how sending it went. A webhook's deliveries are sent in
    id order, the next only once the one before succeeded or is dead."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        one_of("state", DeliveryState, name="state"),
        # The sender's question: each webhook's oldest pending delivery.
        Index("ix_webhook_deliveries_pending", "webhook_id", "state", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("webhooks.id", ondelete="CASCADE"))
    # The outbox event it carries (none for a ping); a plain id: events may be pruned.
    event_id: Mapped[int | None] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(100))
    # The webhook-id header: the same on every attempt and on a manual redelivery.
    message_id: Mapped[str] = mapped_column(String(100))
    redelivery_of: Mapped[int | None] = mapped_column(BigId)
    payload: Mapped[dict[str, Any]] = mapped_column(Json)
    state: Mapped[str] = mapped_column(String(20), default=DeliveryState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_status: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
