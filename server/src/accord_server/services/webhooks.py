"""Webhooks: an organization's (or one project's) URL that hears of events, signed with the
Standard Webhooks scheme (https://www.standardwebhooks.com).

Two halves, so that no HTTP call ever runs inside the outbox's transaction:

- ``write_deliveries``, an outbox subscriber (``jobs/events.py``), writes one
  ``WebhookDelivery`` per event per webhook that hears of it, in the delivery's transaction
  (cheap: rows, no calls).
- the sender (``jobs/webhooks.py``) sends each webhook's oldest open delivery when it is due
  (``due_deliveries`` → ``claim_delivery`` → ``adapters.http.post`` → ``record_attempt``), in id
  order: a webhook's next delivery waits until the one before succeeded or is dead. A failed
  attempt is retried with exponential backoff up to the server's ``webhook_max_attempts``.
  So each event reaches a receiver at least once, in order per webhook; the ``webhook-id``
  header is the same on every attempt, for the receiver to drop repeats.

Each message is signed: ``webhook-signature: v1,<base64 HMAC-SHA256 of
"{webhook-id}.{webhook-timestamp}.{body}">`` with the webhook's secret (``whsec_`` + base64 of 32
random bytes), which is shown once, when made or rotated, and kept sealed (``SecretBox``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from accord_server.adapters import http
from accord_server.db.base import utcnow
from accord_server.db.models import Project, User, Webhook, WebhookDelivery
from accord_server.schemas.enums import DeliveryState, EventKind
from accord_server.services import accounts
from accord_server.services.errors import Invalid, NotFound
from accord_server.services.events import EventRecord
from accord_server.services.permissions import Action, authorize
from accord_server.services.secret_box import SecretBox, SecretUnreadable

ALL_EVENTS = "*"
PING = "webhook.ping"
SECRET_PREFIX = "whsec_"
SECRET_BYTES = 32
OPEN_STATES = (DeliveryState.PENDING.value, DeliveryState.FAILED.value)
EXCERPT_CHARS = 1000
"""Characters of a receiver's answer kept in the delivery log."""


# Signing (the Standard Webhooks scheme)


def new_secret() -> str:
    """A fresh signing secret: ``whsec_`` and the base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode()


def secret_bytes(secret: str) -> bytes:
    """The key bytes of a ``whsec_`` secret."""
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header of one message: ``v1,`` and the base64 HMAC-SHA256 of
    ``{message_id}.{timestamp}.{body}`` under the secret's key."""
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_bytes(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def message_headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    """The three Standard Webhooks headers of a message."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
    }


def body_bytes(payload: dict[str, Any]) -> bytes:
    """A delivery's body as sent (compact JSON; the signature covers exactly these bytes)."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()


# Webhooks


def check_events(events: Sequence[str]) -> list[str]:
    """The event kinds a webhook hears of, as stored (``["*"]`` for all); ``Invalid`` naming
    an unknown one."""
    known = {k.value for k in EventKind}
    unknown = [e for e in events if e != ALL_EVENTS and e not in known]
    if unknown:
        raise Invalid(
            f"events: unknown event kind {unknown[0]!r}; known: *, {', '.join(sorted(known))}",
            details={"field": "events", "known": sorted(known)},
        )
    if not events:
        raise Invalid("events: name at least one event kind, or *", details={"field": "events"})
    if ALL_EVENTS in events:
        return [ALL_EVENTS]
    return sorted(set(events))


def check_url(url: str, *, allow_private: bool) -> str:
    """A webhook URL as stored, or ``Invalid`` saying why the server will not call it (see
    ``adapters/http.py``: non-public addresses are refused unless ``allow_private``)."""
    clean = url.strip()
    try:
        http.check_url(clean, allow_private=allow_private)
    except http.RefusedURL as exc:
        raise Invalid(f"url: {exc}", details={"field": "url"}) from None
    return clean


def _authorize(session: Session, organization_id: int, user: User) -> None:
    membership = accounts.get_membership_or_raise(
        session, organization_id=organization_id, user=user
    )
    authorize(membership.role, Action.WEBHOOK_MANAGE)


def list_webhooks(session: Session, *, organization_id: int, user: User) -> list[Webhook]:
    """An organization's webhooks (admins and owners)."""
    _authorize(session, organization_id, user)
    return list(
        session.scalars(
            select(Webhook).where(Webhook.organization_id == organization_id).order_by(Webhook.id)
        )
    )


def get_webhook_or_raise(session: Session, *, webhook_id: int, user: User) -> Webhook:
    """A webhook the caller may manage; NotFound for another organization's."""
    webhook = session.get(Webhook, webhook_id)
    if webhook is None:
        raise NotFound(f"webhook {webhook_id} not found")
    try:
        _authorize(session, webhook.organization_id, user)
    except NotFound:
        raise NotFound(f"webhook {webhook_id} not found") from None
    return webhook


def _check_project(session: Session, organization_id: int, project_id: int | None) -> None:
    if project_id is None:
        return
    owner = session.scalar(select(Project.organization_id).where(Project.id == project_id))
    if owner != organization_id:
        raise Invalid(
            f"project_id: no project {project_id} in this organization",
            details={"field": "project_id"},
        )


def create_webhook(
    session: Session,
    *,
    organization_id: int,
    user: User,
    url: str,
    events: Sequence[str],
    project_id: int | None,
    description: str,
    active: bool,
    box: SecretBox,
    allow_private: bool,
) -> tuple[Webhook, str]:
    """A new webhook and its signing secret (shown this once; stored sealed)."""
    _authorize(session, organization_id, user)
    _check_project(session, organization_id, project_id)
    secret = new_secret()
    now = utcnow()
    webhook = Webhook(
        organization_id=organization_id,
        project_id=project_id,
        url=check_url(url, allow_private=allow_private),
        events=check_events(events),
        secret_encrypted=box.seal(secret),
        active=active,
        description=description,
        created_by_id=user.id,
        created_at=now,
        updated_at=now,
    )
    session.add(webhook)
    session.flush()
    return webhook, secret


def update_webhook(
    session: Session,
    *,
    webhook: Webhook,
    changes: dict[str, Any],
    allow_private: bool,
) -> Webhook:
    """Set the fields in ``changes`` (url, events, project_id, description, active)."""
    if "url" in changes:
        webhook.url = check_url(changes["url"], allow_private=allow_private)
    if "events" in changes:
        webhook.events = check_events(changes["events"])
    if "project_id" in changes:
        _check_project(session, webhook.organization_id, changes["project_id"])
        webhook.project_id = changes["project_id"]
    if "description" in changes:
        webhook.description = changes["description"]
    if "active" in changes:
        webhook.active = changes["active"]
    webhook.updated_at = utcnow()
    session.flush()
    return webhook


def delete_webhook(session: Session, *, webhook: Webhook) -> None:
    """Delete a webhook with its delivery log (open deliveries are never sent)."""
    session.delete(webhook)
    session.flush()


def rotate_secret(session: Session, *, webhook: Webhook, box: SecretBox) -> str:
    """A new signing secret (shown this once); the old one signs nothing from now on, retries
    of earlier deliveries included."""
    secret = new_secret()
    webhook.secret_encrypted = box.seal(secret)
    webhook.updated_at = utcnow()
    session.flush()
    return secret


# Deliveries


def _message_id() -> str:
    return f"msg_{uuid.uuid4().hex}"


def _delivery_values(
    webhook_id: int, kind: str, payload: dict[str, Any], event_id: int | None, now: datetime
) -> dict[str, Any]:
    return {
        "webhook_id": webhook_id,
        "event_id": event_id,
        "kind": kind,
        "message_id": _message_id(),
        "redelivery_of": None,
        "payload": payload,
        "state": DeliveryState.PENDING.value,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


def event_body(event: EventRecord) -> dict[str, Any]:
    """What a receiver gets for an event: its kind, when it happened, and its payload with the
    organization's and project's ids."""
    project_id = event.project_id
    if project_id is None:
        project_id = event.payload.get("project_id")
    data = {**event.payload, "organization_id": event.organization_id, "project_id": project_id}
    return {"type": event.kind.value, "timestamp": event.created_at.isoformat(), "data": data}


def _hears(webhook: Webhook, event: EventRecord) -> bool:
    if webhook.organization_id != event.organization_id:
        return False
    if webhook.project_id is not None and webhook.project_id != event.project_id:
        return False
    if event.created_at < webhook.created_at:
        return False  # it happened before the webhook existed
    return ALL_EVENTS in webhook.events or event.kind.value in webhook.events


def write_deliveries(session: Session, events: Sequence[EventRecord]) -> None:
    """Event subscriber (every kind): a pending delivery per event for each active webhook of
    its organization (or project) that hears of its kind, in event order."""
    organizations = {e.organization_id for e in events}
    webhooks = list(
        session.scalars(
            select(Webhook)
            .where(Webhook.organization_id.in_(organizations), Webhook.active)
            .order_by(Webhook.id)
        )
    )
    if not webhooks:
        return
    now = utcnow()
    rows = [
        _delivery_values(webhook.id, event.kind.value, event_body(event), event.id, now)
        for event in events
        for webhook in webhooks
        if _hears(webhook, event)
    ]
    if rows:
        session.execute(insert(WebhookDelivery), rows)


def ping(session: Session, *, webhook: Webhook) -> WebhookDelivery:
    """Queue a ``webhook.ping`` message to the webhook (sent by the same sender, after the
    webhook's open deliveries)."""
    now = utcnow()
    body = {
        "type": PING,
        "timestamp": now.isoformat(),
        "data": {
            "webhook_id": webhook.id,
            "organization_id": webhook.organization_id,
            "project_id": webhook.project_id,
        },
    }
    delivery = WebhookDelivery(**_delivery_values(webhook.id, PING, body, None, now))
    session.add(delivery)
    session.flush()
    return delivery


def list_deliveries(
    session: Session, *, webhook: Webhook, cursor: int | None, limit: int
) -> list[WebhookDelivery]:
    """A page of a webhook's delivery log, newest first (``cursor``: the last id seen)."""
    query = select(WebhookDelivery).where(WebhookDelivery.webhook_id == webhook.id)
    if cursor is not None:
        query = query.where(WebhookDelivery.id < cursor)
    return list(session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(limit)))


def get_delivery_or_raise(session: Session, *, delivery_id: int, user: User) -> WebhookDelivery:
    """A delivery of a webhook the caller may manage; NotFound for another organization's."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise NotFound(f"delivery {delivery_id} not found")
    try:
        get_webhook_or_raise(session, webhook_id=delivery.webhook_id, user=user)
    except NotFound:
        raise NotFound(f"delivery {delivery_id} not found") from None
    return delivery


def redeliver(session: Session, *, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue a delivery's message again (a new entry in the log, after the webhook's open
    deliveries), with the same ``webhook-id``, so a receiver that has it can tell."""
    now = utcnow()
    again = WebhookDelivery(
        **{
            **_delivery_values(delivery.webhook_id, delivery.kind, delivery.payload, None, now),
            "event_id": delivery.event_id,
            "message_id": delivery.message_id,
            "redelivery_of": delivery.id,
        }
    )
    session.add(again)
    session.flush()
    return again


# The sender's steps (each in a short transaction of its own; the call runs between them)


@dataclass(frozen=True)
class Outgoing:
    """A claimed delivery, with what sending it needs."""

    delivery_id: int
    webhook_id: int
    url: str
    secret_encrypted: str
    message_id: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how soon a failed delivery is tried again."""

    max_attempts: int
    first_backoff: timedelta
    max_backoff: timedelta

    def backoff(self, attempts: int) -> timedelta:
        """The wait after the ``attempts``-th failed attempt: doubling, capped."""
        wait: timedelta = self.first_backoff * 2 ** min(attempts - 1, 30)
        return min(wait, self.max_backoff)


def due_deliveries(session: Session, *, now: datetime, limit: int) -> list[int]:
    """The deliveries to send now: each active webhook's oldest open delivery, if it is due."""
    heads = (
        select(
            WebhookDelivery.webhook_id.label("webhook_id"),
            func.min(WebhookDelivery.id).label("head"),
        )
        .where(WebhookDelivery.state.in_(OPEN_STATES))
        .group_by(WebhookDelivery.webhook_id)
        .subquery()
    )
    return list(
        session.scalars(
            select(WebhookDelivery.id)
            .join(heads, WebhookDelivery.id == heads.c.head)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(Webhook.active, WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
    )


def claim_delivery(
    session: Session, *, delivery_id: int, now: datetime, lease: timedelta
) -> Outgoing | None:
    """Take a due delivery for one attempt: its next attempt moves ``lease`` ahead, so another
    sender leaves it alone meanwhile (and takes it again then, should this one die). None when
    another sender took it first, or it is no longer open and due."""
    claimed = session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery_id,
            WebhookDelivery.state.in_(OPEN_STATES),
            WebhookDelivery.next_attempt_at <= now,
        )
        .values(next_attempt_at=now + lease)
    )
    if not claimed.rowcount:  # type: ignore[attr-defined]
        return None
    row = session.execute(
        select(
            WebhookDelivery.webhook_id,
            Webhook.url,
            Webhook.secret_encrypted,
            WebhookDelivery.message_id,
            WebhookDelivery.payload,
            WebhookDelivery.attempts,
        )
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(WebhookDelivery.id == delivery_id)
    ).one()
    return Outgoing(delivery_id, *row)


def not_sent(reason: str) -> http.Answer:
    """An attempt that made no call, and why (it counts as a failed attempt)."""
    return http.Answer(None, b"", f"not sent: {reason}", 0.0)


def send(outgoing: Outgoing, *, box: SecretBox, timeout: float, allow_private: bool) -> http.Answer:
    """One attempt at the call itself, signed now (run it outside any transaction): the
    receiver's answer, or why there was none (a network error, a refused address, a secret this
    server cannot open)."""
    body = body_bytes(outgoing.payload)
    try:
        secret = box.open(outgoing.secret_encrypted)
    except SecretUnreadable as exc:
        return not_sent(str(exc))
    headers = message_headers(secret, outgoing.message_id, int(time.time()), body)
    return http.post(outgoing.url, body, headers, timeout=timeout, allow_private=allow_private)


def record_attempt(
    session: Session,
    *,
    outgoing: Outgoing,
    status: int | None,
    error: str | None,
    response: bytes,
    seconds: float,
    policy: RetryPolicy,
    now: datetime,
) -> DeliveryState:
    """Write how an attempt went: succeeded (a 2xx), failed with a retry due after the backoff,
    or dead once the attempts run out. Returns the delivery's new state."""
    attempts = outgoing.attempts + 1
    if error is None:
        state, next_at = DeliveryState.SUCCEEDED, now
    elif attempts >= policy.max_attempts:
        state, next_at = DeliveryState.DEAD, now
    else:
        state, next_at = DeliveryState.FAILED, now + policy.backoff(attempts)
    session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == outgoing.delivery_id)
        .values(
            state=state.value,
            attempts=attempts,
            next_attempt_at=next_at,
            last_status=status,
            last_error=None if error is None else error[:2000],
            response_excerpt=response[: EXCERPT_CHARS * 4].decode("utf-8", "replace")[
                :EXCERPT_CHARS
            ],
            duration_ms=round(seconds * 1000, 1),
            updated_at=now,
        )
    )
    return state
