"""``client.webhooks``: an organization's webhooks, their delivery log, pings, redelivery."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from typing import Any

from accord._http import HTTP
from accord._models import Webhook, WebhookCreated, WebhookDelivery

_UNSET: Any = object()


class Webhooks:
    """Webhooks (for the organization's admins and owners)."""

    def __init__(self, http: HTTP) -> None:
        self._http = http

    def list(self, organization_id: int) -> builtins.list[Webhook]:
        """An organization's webhooks."""
        return self._http.get_models(Webhook, f"/organizations/{organization_id}/webhooks")

    def create(
        self,
        organization_id: int,
        url: str,
        *,
        events: Sequence[str] = ("*",),
        project_id: int | None = None,
        description: str = "",
        active: bool = True,
    ) -> WebhookCreated:
        """A new webhook; its signing secret (``.secret``) is shown only this once. ``events``:
        the kinds it hears of (``"task.completed"``, ``"batch.completed"``, ...; ``"*"``: all);
        ``project_id``: only that project's events."""
        body = {
            "url": url,
            "events": list(events),
            "project_id": project_id,
            "description": description,
            "active": active,
        }
        return self._http.send_model(
            WebhookCreated, "POST", f"/organizations/{organization_id}/webhooks", body
        )

    def get(self, webhook_id: int) -> Webhook:
        """One webhook (without its secret)."""
        return self._http.get_model(Webhook, f"/webhooks/{webhook_id}")

    def update(
        self,
        webhook_id: int,
        *,
        url: str | None = None,
        events: Sequence[str] | None = None,
        project_id: int | None = _UNSET,
        description: str | None = None,
        active: bool | None = None,
    ) -> Webhook:
        """Change the fields given (``project_id=None``: the whole organization's events)."""
        body: dict[str, Any] = {}
        if url is not None:
            body["url"] = url
        if events is not None:
            body["events"] = list(events)
        if project_id is not _UNSET:
            body["project_id"] = project_id
        if description is not None:
            body["description"] = description
        if active is not None:
            body["active"] = active
        return self._http.send_model(Webhook, "PATCH", f"/webhooks/{webhook_id}", body)

    def delete(self, webhook_id: int) -> None:
        """Delete a webhook and its delivery log."""
        self._http.request("DELETE", f"/webhooks/{webhook_id}")

    def rotate_secret(self, webhook_id: int) -> WebhookCreated:
        """A new signing secret (``.secret``, shown this once); the old one stops at once."""
        path = f"/webhooks/{webhook_id}/rotate-secret"
        return self._http.send_model(WebhookCreated, "POST", path)

    def ping(self, webhook_id: int) -> WebhookDelivery:
        """Queue a ``webhook.ping`` message; follow it in ``deliveries()``."""
        return self._http.send_model(WebhookDelivery, "POST", f"/webhooks/{webhook_id}/ping")

    def deliveries(self, webhook_id: int, *, page_size: int = 100) -> Iterator[WebhookDelivery]:
        """The webhook's delivery log, newest first (pages fetched as you iterate)."""
        return self._http.paginate(
            WebhookDelivery, f"/webhooks/{webhook_id}/deliveries", page_size=page_size
        )

    def redeliver(self, delivery_id: int) -> WebhookDelivery:
        """Send a delivery's message again (same ``webhook-id``); the new log entry."""
        return self._http.send_model(
            WebhookDelivery, "POST", f"/deliveries/{delivery_id}/redeliver"
        )
