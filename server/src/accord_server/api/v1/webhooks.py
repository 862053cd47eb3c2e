"""Webhooks of an organization (or one of its projects), their delivery log, test pings and
manual redelivery (admins and owners: ``Action.WEBHOOK_MANAGE``)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Response

from accord_server.api.deps import CurrentUser, RuntimeDep, SessionDep, api_router
from accord_server.db.models import Webhook, WebhookDelivery
from accord_server.schemas.common import Id
from accord_server.schemas.enums import DeliveryState
from accord_server.schemas.webhooks import (
    DeliveryList,
    DeliveryRead,
    WebhookCreate,
    WebhookRead,
    WebhookSecretRead,
    WebhookUpdate,
)
from accord_server.services import webhooks

router = api_router(prefix="/api/v1", tags=["webhooks"])


def _with_secret(webhook: Webhook, secret: str) -> WebhookSecretRead:
    return WebhookSecretRead(**WebhookRead.model_validate(webhook).model_dump(), secret=secret)


def _delivery(delivery: WebhookDelivery) -> DeliveryRead:
    read = DeliveryRead.model_validate(delivery)
    if read.state not in (DeliveryState.PENDING, DeliveryState.FAILED):
        read.next_attempt_at = None
    return read


@router.get("/organizations/{organization_id}/webhooks", response_model=list[WebhookRead])
def list_webhooks(organization_id: Id, session: SessionDep, user: CurrentUser) -> list[WebhookRead]:
    """The organization's webhooks, without their secrets."""
    found = webhooks.list_webhooks(session, organization_id=organization_id, user=user)
    return [WebhookRead.model_validate(w) for w in found]


@router.post(
    "/organizations/{organization_id}/webhooks",
    response_model=WebhookSecretRead,
    status_code=201,
)
def create_webhook(
    organization_id: Id,
    body: WebhookCreate,
    session: SessionDep,
    user: CurrentUser,
    runtime: RuntimeDep,
) -> WebhookSecretRead:
    """A new webhook, with its signing secret (shown this once)."""
    webhook, secret = webhooks.create_webhook(
        session,
        organization_id=organization_id,
        user=user,
        url=body.url,
        events=body.events,
        project_id=body.project_id,
        description=body.description,
        active=body.active,
        box=runtime.secret_box,
        allow_private=runtime.settings.webhook_allow_private,
    )
    return _with_secret(webhook, secret)


@router.get("/webhooks/{webhook_id}", response_model=WebhookRead)
def get_webhook(webhook_id: Id, session: SessionDep, user: CurrentUser) -> WebhookRead:
    """One webhook, without its secret."""
    return WebhookRead.model_validate(
        webhooks.get_webhook_or_raise(session, webhook_id=webhook_id, user=user)
    )


@router.patch("/webhooks/{webhook_id}", response_model=WebhookRead)
def update_webhook(
    webhook_id: Id,
    body: WebhookUpdate,
    session: SessionDep,
    user: CurrentUser,
    runtime: RuntimeDep,
) -> WebhookRead:
    """Change a webhook's URL, events, project, description or whether it is active (an
    inactive webhook gets no new deliveries, and its open ones wait)."""
    webhook = webhooks.get_webhook_or_raise(session, webhook_id=webhook_id, user=user)
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    for name in ("url", "events", "description", "active"):
        if name in changes and changes[name] is None:
            del changes[name]  # null for these means "unchanged"; project_id: null is "all"
    webhooks.update_webhook(
        session,
        webhook=webhook,
        changes=changes,
        allow_private=runtime.settings.webhook_allow_private,
    )
    return WebhookRead.model_validate(webhook)


@router.delete("/webhooks/{webhook_id}", status_code=204)
def delete_webhook(webhook_id: Id, session: SessionDep, user: CurrentUser) -> Response:
    """Delete a webhook and its delivery log."""
    webhook = webhooks.get_webhook_or_raise(session, webhook_id=webhook_id, user=user)
    webhooks.delete_webhook(session, webhook=webhook)
    return Response(status_code=204)


@router.post("/webhooks/{webhook_id}/rotate-secret", response_model=WebhookSecretRead)
def rotate_secret(
    webhook_id: Id, session: SessionDep, user: CurrentUser, runtime: RuntimeDep
) -> WebhookSecretRead:
    """A new signing secret (shown this once); the old one signs nothing from now on."""
    webhook = webhooks.get_webhook_or_raise(session, webhook_id=webhook_id, user=user)
    secret = webhooks.rotate_secret(session, webhook=webhook, box=runtime.secret_box)
    return _with_secret(webhook, secret)


@router.post("/webhooks/{webhook_id}/ping", response_model=DeliveryRead, status_code=202)
def ping_webhook(webhook_id: Id, session: SessionDep, user: CurrentUser) -> DeliveryRead:
    """Queue a `webhook.ping` message (sent like any event, after the open deliveries); follow
    it in the delivery log."""
    webhook = webhooks.get_webhook_or_raise(session, webhook_id=webhook_id, user=user)
    return _delivery(webhooks.ping(session, webhook=webhook))


@router.get("/webhooks/{webhook_id}/deliveries", response_model=DeliveryList)
def list_deliveries(
    webhook_id: Id,
    session: SessionDep,
    user: CurrentUser,
    cursor: Annotated[
        Id | None, Query(description="`next_cursor` of the previous page (newest first).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> DeliveryList:
    """A page of the webhook's delivery log, newest first."""
    webhook = webhooks.get_webhook_or_raise(session, webhook_id=webhook_id, user=user)
    page = webhooks.list_deliveries(session, webhook=webhook, cursor=cursor, limit=limit)
    return DeliveryList(
        items=[_delivery(d) for d in page],
        next_cursor=page[-1].id if len(page) == limit else None,
    )


@router.post("/deliveries/{delivery_id}/redeliver", response_model=DeliveryRead, status_code=202)
def redeliver(delivery_id: Id, session: SessionDep, user: CurrentUser) -> DeliveryRead:
    """Send a delivery's message again (a new entry in the log, same `webhook-id`)."""
    delivery = webhooks.get_delivery_or_raise(session, delivery_id=delivery_id, user=user)
    return _delivery(webhooks.redeliver(session, delivery=delivery))
