"""Webhook sending: the deliveries the outbox's ``webhooks`` subscriber wrote go out here, each
webhook's in order, a few webhooks at a time, every call outside any transaction.

``send_webhooks`` runs rounds: it reads which deliveries are due (each active webhook's oldest
open one), sends them (a thread per webhook, up to ``PARALLEL``), and goes on while a round
sent anything (a webhook whose delivery succeeded has its next one due at once). Tests and
``worker --once`` call it; each worker process runs it every ``webhook_send_seconds`` in a
``WebhookLoop``. Several workers can run it together: a delivery is claimed before its call
(``services.webhooks.claim_delivery``), so only one of them sends it.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from accord_server.db.base import utcnow
from accord_server.jobs.base import Periodic
from accord_server.runtime import Runtime
from accord_server.services import webhooks
from accord_server.services.errors import AccordError

log = logging.getLogger(__name__)

PARALLEL = 4
"""Webhooks sent to at once by one process (a slow receiver holds up only its own)."""
ROUND_LIMIT = 100
"""Deliveries read per round."""


def _policy(runtime: Runtime) -> webhooks.RetryPolicy:
    settings = runtime.settings
    return webhooks.RetryPolicy(
        max_attempts=settings.webhook_max_attempts,
        first_backoff=timedelta(seconds=settings.webhook_first_backoff_seconds),
        max_backoff=timedelta(seconds=settings.webhook_max_backoff_seconds),
    )


def send_one(runtime: Runtime, delivery_id: int) -> bool:
    """One attempt of a due delivery: claim it, sign and send it, record how it went. False
    when another sender had claimed it."""
    settings = runtime.settings
    db = runtime.db
    lease = timedelta(seconds=3 * settings.webhook_timeout_seconds + 30)
    with db.transaction() as session:
        outgoing = webhooks.claim_delivery(
            session, delivery_id=delivery_id, now=utcnow(), lease=lease
        )
    if outgoing is None:
        return False
    try:
        box = runtime.secret_box
    except AccordError as exc:  # no ACCORD_SECRET_KEY on this server
        answer = webhooks.not_sent(str(exc))
    else:
        answer = webhooks.send(
            outgoing,
            box=box,
            timeout=settings.webhook_timeout_seconds,
            allow_private=settings.webhook_allow_private,
        )
    with db.transaction() as session:
        state = webhooks.record_attempt(
            session,
            outgoing=outgoing,
            status=answer.status,
            error=answer.error,
            response=answer.body,
            seconds=answer.seconds,
            policy=_policy(runtime),
            now=utcnow(),
        )
    if answer.error is not None:
        log.info(
            "webhook %s: delivery %s attempt %s: %s (now %s)",
            outgoing.webhook_id,
            delivery_id,
            outgoing.attempts + 1,
            answer.error,
            state,
        )
    return True


def send_webhooks(runtime: Runtime, *, max_rounds: int = 1000) -> int:
    """Send the due deliveries, round after round while any went out; how many attempts were
    made."""
    total = 0
    with ThreadPoolExecutor(PARALLEL, thread_name_prefix="webhook-send") as pool:
        for _ in range(max_rounds):
            with runtime.db.transaction(write=False) as session:
                due = webhooks.due_deliveries(session, now=utcnow(), limit=ROUND_LIMIT)
            if not due:
                break
            sent = sum(pool.map(lambda d: send_one(runtime, d), due))
            total += sent
            if not sent:
                break
    return total


class WebhookLoop(Periodic):
    """Sends due webhook deliveries every ``interval`` seconds in a thread of this process."""

    def __init__(self, runtime: Runtime, interval: float) -> None:
        super().__init__(
            "webhook-send",
            interval,
            lambda: send_webhooks(runtime),
            "sending webhooks failed",
        )
