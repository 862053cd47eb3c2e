"""Event delivery: the subscribers of this version, a function that delivers until nothing is
left (tests and ``worker --once`` call it), and the loop each worker process runs."""

from __future__ import annotations

import logging

from accord_server.jobs.base import Periodic
from accord_server.runtime import Runtime
from accord_server.schemas.enums import EventKind
from accord_server.services import batches, events, stats, tasks, webhooks

log = logging.getLogger(__name__)

BATCH_SIZE = 500


def default_subscribers() -> events.Subscribers:
    """Who hears of events, in the order they are told. Add one here (see server/README.md)."""
    subscribers = events.Subscribers()
    subscribers.register(
        "task_completions",
        tasks.record_completions,
        kinds={EventKind.ANNOTATION_CREATED},
        prepare=tasks.find_completions,
    )
    subscribers.register(
        "stats", stats.apply_events, kinds=stats.STATS_KINDS, prepare=stats.read_shares
    )
    subscribers.register(
        "batch_completions",
        batches.record_batch_completions,
        kinds={EventKind.TASK_COMPLETED},
    )
    # Writes delivery rows only; the HTTP calls are the sender's (jobs/webhooks.py), never
    # inside the delivery's transaction.
    subscribers.register("webhooks", webhooks.write_deliveries, kinds=set(EventKind))
    return subscribers


def deliver_events(
    runtime: Runtime,
    *,
    subscribers: events.Subscribers | None = None,
    batch_size: int = BATCH_SIZE,
    drain: bool = True,
) -> int:
    """Deliver the pending events, a batch per transaction; returns how many were handed over
    (0 too when another process is delivering them). With ``drain`` it goes on until none is
    left, those its subscribers record included; without, it stops after a batch that was not
    full: events that came in meanwhile wait for the next round (the loop's way: chasing a
    steady stream of submits would deliver a few events at a time, each batch paying the fixed
    cost of a write transaction, and on SQLite hold the writer lock most of the time)."""
    subscribers = subscribers or default_subscribers()
    db = runtime.db
    total = 0
    while True:
        # Look and read first without the writer lock: on SQLite an idle poll must not make
        # writers wait, and a batch holds the lock only while it writes.
        with db.transaction(write=False) as session:
            if not events.has_pending(session):
                return total
            prepared = events.prepare_batch(session, subscribers, limit=batch_size)
        with db.transaction() as session:
            handed = events.deliver_batch(session, subscribers, limit=batch_size, prepared=prepared)
        if not handed:
            return total
        total += handed
        if not drain and handed < batch_size:
            return total


class DeliveryLoop(Periodic):
    """Delivers events every ``interval`` seconds in a thread of this process (the worker);
    several worker processes take turns (one deliverer at a time)."""

    def __init__(self, runtime: Runtime, interval: float) -> None:
        subscribers = default_subscribers()
        super().__init__(
            "event-delivery",
            interval,
            lambda: deliver_events(runtime, subscribers=subscribers, drain=False),
            "event delivery failed",
        )
