"""The outbox: record() in the caller's transaction; delivery in order, once, past a failing
subscriber, with one deliverer at a time."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord_server.db.base import utcnow
from accord_server.db.models import Event, EventBacklog
from accord_server.jobs.events import deliver_events
from accord_server.runtime import Runtime
from accord_server.schemas.enums import EventKind
from accord_server.services import events
from accord_server.services.events import EventRecord, Subscribers
from support import Factory, Stack

KIND = EventKind.PROJECT_UPDATED


def _record(stack: Stack, org: int, count: int, kind: EventKind = KIND) -> list[int]:
    """``count`` events, each in a transaction of its own; their ids."""
    for n in range(count):
        with stack.runtime.db.transaction() as session:
            events.record(
                session,
                kind,
                organization_id=org,
                project_id=None,
                payload={"project_id": n, "name": f"p{n}", "changes": []},
            )
    with stack.runtime.db.session() as session:
        return list(session.scalars(select(Event.id).where(Event.kind == kind).order_by(Event.id)))


class Probe:
    """A subscriber that notes what it was handed (and can be told to fail)."""

    def __init__(self, fail: int = 0, poison: int | None = None, pause: float = 0) -> None:
        self.calls: list[list[int]] = []
        self.fail = fail
        self.poison = poison
        self.pause = pause
        self.lock = threading.Lock()

    def __call__(self, session: Session, batch: Sequence[EventRecord]) -> None:
        ids = [e.id for e in batch]
        if self.fail or self.poison in ids:
            self.fail = max(0, self.fail - 1)
            # What it wrote before failing must go (rolled back to before the subscriber).
            events.record(
                session,
                EventKind.TASK_DELETED,
                organization_id=batch[0].organization_id,
                project_id=None,
                payload={"task_ids": [], "count": 0},
            )
            raise RuntimeError(f"cannot take {ids}")
        time.sleep(self.pause)
        with self.lock:
            self.calls.append(ids)

    @property
    def seen(self) -> list[int]:
        return [i for call in self.calls for i in call]


def _subscribers(**probes: Probe) -> Subscribers:
    subscribers = Subscribers()
    for name, probe in probes.items():
        subscribers.register(name, probe, kinds={KIND})
    return subscribers


def _make_due(stack: Stack) -> None:
    with stack.runtime.db.transaction() as session:
        past = utcnow() - timedelta(seconds=1)
        session.execute(update(EventBacklog).values(next_attempt_at=past))


def test_record_is_part_of_the_callers_transaction(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    with pytest.raises(RuntimeError), stack.runtime.db.transaction() as session:
        events.record(
            session,
            KIND,
            organization_id=owner.organization_id,
            project_id=None,
            payload={"project_id": 1, "name": "gone", "changes": []},
        )
        raise RuntimeError("the change failed")
    with stack.runtime.db.session() as session:
        assert session.scalar(select(Event.id).where(Event.kind == KIND)) is None
    assert len(_record(stack, owner.organization_id, 1)) == 1
    with stack.runtime.db.session() as session:
        event = session.scalars(select(Event).where(Event.kind == KIND)).one()
    assert (event.kind, event.payload, event.delivered_at) == (
        "project.updated",
        {"project_id": 0, "name": "p0", "changes": []},
        None,
    )


def test_delivery_hands_each_subscriber_its_kinds_in_order_once(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    ids = _record(stack, owner.organization_id, 12)
    other = _record(stack, owner.organization_id, 2, EventKind.TASK_DELETED)
    probe, deaf = Probe(), Probe()
    subscribers = _subscribers(probe=probe)
    subscribers.register("deaf", deaf, kinds={EventKind.IMPORT_FINISHED})
    with pytest.raises(ValueError, match="registered already"):
        subscribers.register("probe", probe, kinds={KIND})
    handed = deliver_events(stack.runtime, subscribers=subscribers, batch_size=5)
    assert handed >= len(ids) + len(other)
    assert probe.seen == ids and all(len(call) <= 5 for call in probe.calls)
    assert deaf.calls == []
    with stack.runtime.db.session() as session:
        assert session.scalar(select(Event.id).where(Event.delivered_at.is_(None))) is None
    assert deliver_events(stack.runtime, subscribers=subscribers) == 0
    assert probe.seen == ids


def test_a_failing_subscriber_keeps_its_events_in_order_and_holds_up_no_other(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    first = _record(stack, owner.organization_id, 3)
    flaky, steady = Probe(fail=1), Probe()
    subscribers = _subscribers(flaky=flaky, steady=steady)
    deliver_events(stack.runtime, subscribers=subscribers)
    assert steady.seen == first and flaky.seen == []
    with stack.runtime.db.session() as session:
        kept = events.backlog(session, subscriber="flaky")
        # Its write before failing was rolled back with it.
        assert session.scalar(select(Event.id).where(Event.kind == "task.deleted")) is None
    assert [row.event_id for row in kept] == first
    assert kept[0].attempts == 1 and "cannot take" in (kept[0].error or "")
    assert kept[0].next_attempt_at > utcnow()

    # Not due yet: new events reach the others, and wait behind the backlog for it.
    later = _record(stack, owner.organization_id, 5)[3:]
    deliver_events(stack.runtime, subscribers=subscribers)
    assert steady.seen == first + later and flaky.seen == []
    _make_due(stack)
    deliver_events(stack.runtime, subscribers=subscribers)
    assert flaky.seen == first + later and steady.seen == first + later
    with stack.runtime.db.session() as session:
        assert events.backlog(session, subscriber="flaky") == []


def test_an_event_that_always_fails_is_set_aside_then_the_rest_go_on(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    ids = _record(stack, owner.organization_id, 3)
    picky = Probe(poison=ids[1])
    subscribers = _subscribers(picky=picky)
    deliver_events(stack.runtime, subscribers=subscribers)
    assert picky.seen == []
    for _ in range(events.MAX_ATTEMPTS - 1):
        _make_due(stack)
        deliver_events(stack.runtime, subscribers=subscribers)
        assert picky.seen == [ids[0]]  # one at a time up to the one that fails; none after it
    deliver_events(stack.runtime, subscribers=subscribers)  # the rest are due at once
    assert picky.seen == [ids[0], ids[2]]
    with stack.runtime.db.transaction() as session:
        (dead,) = events.backlog(session, subscriber="picky")
        assert (dead.event_id, dead.dead, dead.attempts) == (ids[1], True, events.MAX_ATTEMPTS)
        assert events.retry_set_aside(session, subscriber="picky") == 1
    picky.poison = None
    deliver_events(stack.runtime, subscribers=subscribers)
    assert picky.seen == [ids[0], ids[2], ids[1]]


def test_two_deliverers_take_turns_without_repeating_or_reordering(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    ids = _record(stack, owner.organization_id, 40)
    probe = Probe(pause=0.01)
    subscribers = _subscribers(probe=probe)
    # Each thread has its own engines and (SQLite) writer lock, as two worker processes would.
    runtimes = [Runtime(settings=stack.settings) for _ in range(2)]
    errors: list[BaseException] = []

    def deliver(runtime: Runtime) -> None:
        try:
            deadline = time.monotonic() + 60
            while len(probe.seen) < len(ids) and time.monotonic() < deadline:
                deliver_events(runtime, subscribers=subscribers, batch_size=3)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=deliver, args=(r,)) for r in runtimes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for runtime in runtimes:
        runtime.close()
    assert errors == []
    assert probe.seen == ids


def test_an_event_committed_late_is_delivered_not_skipped(
    stack: Stack, factory: Factory, database_url: str
) -> None:
    if database_url.startswith("sqlite"):
        pytest.skip("SQLite has one writer: events commit in id order")
    owner = factory.owner()
    probe = Probe()
    subscribers = _subscribers(probe=probe)
    with stack.runtime.db.transaction() as slow:
        events.record(
            slow,
            KIND,
            organization_id=owner.organization_id,
            project_id=None,
            payload={"project_id": 0, "name": "slow", "changes": []},
        )
        (late,) = slow.scalars(select(Event.id).where(Event.kind == KIND))
        quick = _record(stack, owner.organization_id, 1)
        assert quick[0] > late
        deliver_events(stack.runtime, subscribers=subscribers)
        assert probe.seen == quick
    deliver_events(stack.runtime, subscribers=subscribers)
    assert probe.seen == [*quick, late]


class Reader:
    """A subscriber with a ``prepare``: notes what each phase was given, in which transaction."""

    def __init__(self, fail_reading: int = 0) -> None:
        self.read: list[list[int]] = []
        self.handed: list[tuple[list[int], list[int]]] = []
        self.fail_reading = fail_reading

    def prepare(self, session: Session, batch: Sequence[EventRecord]) -> list[int]:
        if self.fail_reading:
            self.fail_reading -= 1
            raise RuntimeError("cannot read")
        ids = [e.id for e in batch]
        self.read.append(ids)
        return ids

    def handle(self, session: Session, batch: Sequence[EventRecord], read: list[int]) -> None:
        self.handed.append(([e.id for e in batch], read))


def _readers(reader: Reader) -> Subscribers:
    subscribers = Subscribers()
    subscribers.register("reader", reader.handle, kinds={KIND}, prepare=reader.prepare)
    return subscribers


def test_a_prepared_batch_is_read_before_the_write_and_handed_what_was_read(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    ids = _record(stack, owner.organization_id, 4)
    reader = Reader()
    subscribers = _readers(reader)
    with stack.runtime.db.transaction(write=False) as session:
        prepared = events.prepare_batch(session, subscribers, limit=10)
    assert reader.read == [ids]
    with stack.runtime.db.transaction() as session:
        assert events.deliver_batch(session, subscribers, limit=10, prepared=prepared) == 4
    # Handed what the read phase read, and not read a second time.
    assert reader.handed == [(ids, ids)] and reader.read == [ids]


def test_a_batch_that_changed_since_it_was_prepared_is_read_again_in_the_write(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    first = _record(stack, owner.organization_id, 2)
    reader = Reader()
    subscribers = _readers(reader)
    with stack.runtime.db.transaction(write=False) as session:
        prepared = events.prepare_batch(session, subscribers, limit=10)
    later = _record(stack, owner.organization_id, 3)[len(first) :]  # came in meanwhile
    with stack.runtime.db.transaction() as session:
        assert events.deliver_batch(session, subscribers, limit=10, prepared=prepared) == 5
    # What was read for two events is not handed over with five: read again, in the write.
    assert reader.handed == [([*first, *later], [*first, *later])]
    assert reader.read == [first, [*first, *later]]


def test_a_prepare_that_fails_is_tried_again_in_the_write_and_its_failure_kept(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    ids = _record(stack, owner.organization_id, 2)
    reader = Reader(fail_reading=2)  # in the read phase, then in the write
    subscribers = _readers(reader)
    deliver_events(stack.runtime, subscribers=subscribers)
    assert reader.handed == []
    with stack.runtime.db.session() as session:
        kept = session.scalars(select(EventBacklog).order_by(EventBacklog.event_id)).all()
        assert [(b.subscriber, b.event_id) for b in kept] == [("reader", i) for i in ids]
        assert "cannot read" in (kept[0].error or "")
    _make_due(stack)
    deliver_events(stack.runtime, subscribers=subscribers)
    assert reader.handed == [(ids, ids)]


def test_a_round_of_the_loop_stops_after_a_batch_that_was_not_full(
    stack: Stack, factory: Factory
) -> None:
    """The loop does not chase events that arrive while it delivers: a steady stream of
    submits would otherwise be delivered a few at a time, each batch a write transaction."""
    owner = factory.owner()
    org = owner.organization_id
    ids = _record(stack, org, 2)
    seen: list[int] = []

    def recording(session: Session, batch: Sequence[EventRecord]) -> None:
        seen.extend(e.id for e in batch)
        events.record(  # a new event, as a submit landing meanwhile would write
            session,
            KIND,
            organization_id=org,
            project_id=None,
            payload={"project_id": 0, "name": "new", "changes": []},
        )

    subscribers = Subscribers()
    subscribers.register("recording", recording, kinds={KIND})
    # One batch of 2 (not full, of 5): the round ends; the event it recorded waits.
    assert deliver_events(stack.runtime, subscribers=subscribers, batch_size=5, drain=False) == 2
    assert seen == ids
    with stack.runtime.db.session() as session:
        waiting = session.scalars(select(Event.id).where(Event.delivered_at.is_(None))).all()
    assert len(waiting) == 1
    # The next round takes it (and leaves the one that records).
    assert deliver_events(stack.runtime, subscribers=subscribers, batch_size=5, drain=False) == 1
    assert seen == [*ids, waiting[0]]
