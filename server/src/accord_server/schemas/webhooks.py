"""Wire models for webhooks and their delivery log."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from accord_server.schemas.common import Id, InputModel, ReadModel
from accord_server.schemas.enums import DeliveryState

EventNames = list[str]

_EVENTS = (
    "Event kinds it hears of (`task.created`, `task.completed`, `annotation.created`, "
    '`batch.completed`, `import.finished`, ...), or `["*"]` for all of them.'
)


class WebhookCreate(InputModel):
    url: str = Field(
        min_length=1,
        max_length=2000,
        description="http(s) URL the events are POSTed to. Private, loopback and other "
        "non-public addresses are refused unless the server allows them "
        "(ACCORD_WEBHOOK_ALLOW_PRIVATE).",
    )
    events: EventNames = Field(default_factory=lambda: ["*"], max_length=100, description=_EVENTS)
    project_id: Id | None = Field(
        None, description="Only this project's events; none: the whole organization's."
    )
    description: str = Field("", max_length=1000)
    active: bool = True


class WebhookUpdate(InputModel):
    url: str | None = Field(None, min_length=1, max_length=2000)
    events: EventNames | None = Field(None, max_length=100, description=_EVENTS)
    project_id: Id | None = Field(
        None, description="Only this project's events; null: the whole organization's."
    )
    description: str | None = Field(None, max_length=1000)
    active: bool | None = None


class WebhookRead(ReadModel):
    """A webhook; its secret is never sent back (only when made or rotated)."""

    id: int
    organization_id: int
    project_id: int | None
    url: str
    events: list[str]
    active: bool
    description: str
    created_by_id: int | None
    created_at: datetime
    updated_at: datetime


class WebhookSecretRead(WebhookRead):
    """A webhook with its signing secret, shown this once: keep it where the receiver can read
    it, to verify the ``webhook-signature`` header."""

    secret: str = Field(description="`whsec_` and the base64 of the signing key.")


class DeliveryRead(ReadModel):
    """One message to a webhook and how sending it went."""

    id: int
    webhook_id: int
    event_id: int | None
    kind: str
    message_id: str = Field(description="The `webhook-id` header: the same on every attempt.")
    redelivery_of: int | None
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None = Field(description="When an open delivery is tried next.")
    last_status: int | None = Field(description="The receiver's last HTTP status, if any.")
    last_error: str | None
    response_excerpt: str | None = Field(description="The start of the receiver's last answer.")
    duration_ms: float | None
    payload: dict[str, Any] = Field(description="The body sent (type, timestamp, data).")
    created_at: datetime
    updated_at: datetime


class DeliveryList(ReadModel):
    items: list[DeliveryRead]
    next_cursor: int | None = None
