"""The outbox: every state change that other parts react to writes an event in its own
transaction (``record``); a job hands the events, in id order, to the subscribers
(``deliver_batch``). Subscribers are named functions ``(session, events) -> None`` registered in
a ``Subscribers`` built by the entry point (``jobs/events.py``), never at import.

Delivery runs in the subscribers' transaction: what a subscriber writes and the events' being
delivered commit together, so an in-process subscriber sees each event once. A subscriber that
raises is rolled back to before it (a savepoint) and keeps the events in its backlog, retried
with backoff, in order, while the others go on.

A subscriber whose reading is costly registers a ``prepare`` too: it reads what it needs in a
read transaction before the delivery's write transaction opens (``prepare_batch``), so SQLite's
one writer lock is held only for the writes. What it read may be a moment old by then; a
subscriber with a ``prepare`` must be right anyway (each change it reads records an event in the
same transaction, so a change it missed comes to it as a later event). When the batch in the
write transaction is not the one prepared, it prepares again there."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NamedTuple, TypedDict

from sqlalchemy import Insert, delete, exists, func, insert, or_, select, text, update
from sqlalchemy.orm import Session

from accord_server.db.base import utcnow
from accord_server.db.models import Event, EventBacklog
from accord_server.schemas.enums import EventKind

log = logging.getLogger(__name__)


# Payloads, one shape per kind. Ids are the database's; counts are plain integers.


class AnnotationPayload(TypedDict):
    """annotation.created / .updated / .deleted: the annotation as of ``revision``."""

    annotation_id: int
    task_id: int
    user_id: int | None
    revision: int


class TaskCreatedPayload(TypedDict):
    """task.created: one per bulk insert (an import writes one per chunk), never one per task:
    the tasks are ``first_task_id`` .. ``last_task_id`` (consecutive ids)."""

    first_task_id: int
    last_task_id: int
    count: int
    import_job_id: int | None


class TaskCompletedPayload(TypedDict):
    """task.completed: ``annotation_id`` brought the task to the project's overlap (derived by
    the ``task_completions`` subscriber from annotation.created, not on the submit's path)."""

    task_id: int
    annotation_id: int
    annotations: int


class TaskUpdatedPayload(TypedDict):
    """task.updated: fields of one task a manager changed (``changes``: their names, "data")."""

    task_id: int
    changes: list[str]


class TaskDeletedPayload(TypedDict):
    """task.deleted: tasks deleted together (with their annotations)."""

    task_ids: list[int]
    count: int


class TaskReportedPayload(TypedDict):
    """task.reported: ``user_id`` reported the task, which left the queue (reporting it again
    while that report is open records nothing more)."""

    task_id: int
    report_id: int
    user_id: int
    reason: str


class TaskReportResolvedPayload(TypedDict):
    """task.report_resolved: ``resolved_by`` resolved every open report of the task
    (``report_ids``), which is back in the queue."""

    task_id: int
    report_ids: list[int]
    count: int
    resolved_by: int


class ImportFinishedPayload(TypedDict):
    """import.finished: an import job ended (``state``: succeeded, failed or cancelled)."""

    job_id: int
    state: str
    message: str
    counts: dict[str, Any]


class ExportCompletedPayload(TypedDict):
    """export.completed: an export's file is written and stored (``dropped``: how many things
    its format could not hold, named in the export's report)."""

    export_id: int
    job_id: int
    format: str
    task_count: int
    size: int
    sha256: str
    dropped: int


class DatasetVersionCreatedPayload(TypedDict):
    """dataset_version.created: a dataset version's manifest is written and stored
    (``same_as``: the earlier version of the project with the same content hash, or None)."""

    version_id: int
    job_id: int
    number: int
    name: str
    task_count: int
    content_hash: str
    same_as: int | None


class ProjectPayload(TypedDict):
    """project.created / .updated / .deleted; ``changes`` names the fields an update set.
    A deleted project's event has no ``project_id`` column (it would go with the project)."""

    project_id: int
    name: str
    changes: list[str]


class BatchCompletedPayload(TypedDict):
    """batch.completed: every task of the batch reached its project's overlap (derived by the
    ``batch_completions`` subscriber from task.completed). A batch completes again when one of
    its tasks loses an annotation and gets another; two completions found close together may
    each record it, so a receiver may see it more than once."""

    batch_id: int
    name: str
    tasks: int


Payload = (
    AnnotationPayload
    | TaskCreatedPayload
    | TaskCompletedPayload
    | TaskUpdatedPayload
    | TaskDeletedPayload
    | TaskReportedPayload
    | TaskReportResolvedPayload
    | ImportFinishedPayload
    | ExportCompletedPayload
    | DatasetVersionCreatedPayload
    | ProjectPayload
    | BatchCompletedPayload
)

PAYLOADS: dict[EventKind, type[Any]] = {
    EventKind.ANNOTATION_CREATED: AnnotationPayload,
    EventKind.ANNOTATION_UPDATED: AnnotationPayload,
    EventKind.ANNOTATION_DELETED: AnnotationPayload,
    EventKind.TASK_CREATED: TaskCreatedPayload,
    EventKind.TASK_COMPLETED: TaskCompletedPayload,
    EventKind.TASK_UPDATED: TaskUpdatedPayload,
    EventKind.TASK_DELETED: TaskDeletedPayload,
    EventKind.TASK_REPORTED: TaskReportedPayload,
    EventKind.TASK_REPORT_RESOLVED: TaskReportResolvedPayload,
    EventKind.IMPORT_FINISHED: ImportFinishedPayload,
    EventKind.EXPORT_COMPLETED: ExportCompletedPayload,
    EventKind.DATASET_VERSION_CREATED: DatasetVersionCreatedPayload,
    EventKind.PROJECT_CREATED: ProjectPayload,
    EventKind.PROJECT_UPDATED: ProjectPayload,
    EventKind.PROJECT_DELETED: ProjectPayload,
    EventKind.BATCH_COMPLETED: BatchCompletedPayload,
}
"""The payload shape of each kind."""


def event_values(
    kind: EventKind,
    *,
    organization_id: int,
    project_id: int | None,
    payload: Payload,
    now: datetime,
) -> dict[str, Any]:
    """An event row's values (for a Core insert of ``Event``)."""
    return {
        "organization_id": organization_id,
        "project_id": project_id,
        "kind": kind.value,
        "payload": payload,
        "created_at": now,
    }


def record(
    session: Session,
    kind: EventKind,
    *,
    organization_id: int,
    project_id: int | None,
    payload: Payload,
) -> None:
    """Write an event in the session's transaction: it is delivered once that commits, and
    never if it rolls back."""
    record_all(session, [(kind, organization_id, project_id, payload)])


def record_all(
    session: Session, events: Sequence[tuple[EventKind, int, int | None, Payload]]
) -> None:
    """``record`` for several events (kind, organization id, project id, payload) at once, in
    this order."""
    if not events:
        return
    now = utcnow()
    rows = [
        event_values(kind, organization_id=org, project_id=project, payload=payload, now=now)
        for kind, org, project, payload in events
    ]
    # A Core insert of the table: the ORM's bulk insert cost ten times as much per event.
    session.execute(_insert_event(), rows)


@functools.cache
def _insert_event() -> Insert:
    return insert(Event.__table__)  # type: ignore[arg-type]


# Subscribers


class EventRecord(NamedTuple):
    """An event as subscribers get it (plain values, not an object of the session)."""

    id: int
    kind: EventKind
    organization_id: int
    project_id: int | None
    payload: dict[str, Any]
    created_at: datetime


Handler = Callable[[Session, Sequence[EventRecord]], None]
UNREAD: Any = object()
"""What a subscriber is handed when nothing was prepared for its events (it prepares now)."""
Prepare = Callable[[Session, Sequence[EventRecord]], Any]
"""Reads what a subscriber needs for ``events`` (in a read transaction, no writer lock)."""
PreparedHandler = Callable[[Session, Sequence[EventRecord], Any], None]
"""Writes what a subscriber does for ``events``, given what its ``Prepare`` read."""


@dataclass(frozen=True)
class Subscriber:
    name: str
    handle: Handler | PreparedHandler
    kinds: frozenset[EventKind]
    prepare: Prepare | None = None

    def run(self, session: Session, events: Sequence[EventRecord], prepared: Any = UNREAD) -> None:
        """Hand ``events`` over; ``prepared`` is what ``prepare`` read for exactly these
        events, or ``UNREAD`` to read it now, in ``session``."""
        if self.prepare is None:
            self.handle(session, events)  # type: ignore[call-arg]
            return
        if prepared is UNREAD:
            prepared = self.prepare(session, events)
        self.handle(session, events, prepared)  # type: ignore[call-arg]


class Subscribers:
    """The subscribers of a process, in the order they are called; built explicitly."""

    def __init__(self) -> None:
        self._by_name: dict[str, Subscriber] = {}

    def register(
        self,
        name: str,
        handle: Handler | PreparedHandler,
        *,
        kinds: Iterable[EventKind],
        prepare: Prepare | None = None,
    ) -> None:
        """Add ``handle`` under ``name`` (the key of its backlog: keep it stable), for
        events of ``kinds``. With ``prepare``, ``handle`` takes a third argument: what
        ``prepare`` read (see the module's docstring)."""
        if name in self._by_name:
            raise ValueError(f"subscriber {name!r} is registered already")
        if len(name) > 100:
            raise ValueError("a subscriber's name has at most 100 characters")
        self._by_name[name] = Subscriber(name, handle, frozenset(kinds), prepare)

    def __iter__(self) -> Iterator[Subscriber]:
        return iter(list(self._by_name.values()))


# Delivery

MAX_ATTEMPTS = 10
"""Tries of one event by one subscriber before it is set aside (``dead``) with its error."""
MAX_BACKOFF = timedelta(minutes=10)
_LOCK_KEY = 0x61636F7264  # "acord": PostgreSQL advisory lock of the one deliverer


def backoff(attempts: int) -> timedelta:
    """How long a subscriber waits after its ``attempts``-th failure on an event."""
    return min(timedelta(seconds=2 ** min(attempts, 20)), MAX_BACKOFF)


def _take_delivery_lock(session: Session) -> bool:
    """One deliverer at a time, so the order holds. PostgreSQL: a transaction-scoped advisory
    lock, tried without waiting (another process is delivering: nothing to do). SQLite: the
    write transaction already holds the database's only writer lock."""
    if session.get_bind().dialect.name != "postgresql":
        return True
    taken = session.execute(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})
    return bool(taken.scalar())


def has_pending(session: Session) -> bool:
    """Whether a delivery would find anything to do (a read: no writer lock is taken)."""
    undelivered = exists().where(Event.delivered_at.is_(None))
    due = exists().where(~EventBacklog.dead, EventBacklog.next_attempt_at <= utcnow())
    return bool(session.scalar(select(or_(undelivered, due))))


_COLUMNS = (
    Event.id,
    Event.kind,
    Event.organization_id,
    Event.project_id,
    Event.payload,
    Event.created_at,
)


def event_records(rows: Iterable[Any]) -> list[EventRecord]:
    """Rows of ``Event`` columns (id, kind, organization_id, project_id, payload, created_at)
    as subscribers get them; a kind this version does not know is left out."""
    out = []
    for row in rows:
        try:
            kind = EventKind(row.kind)
        except ValueError:
            # Written by a newer version (a rolling upgrade): nothing here can handle it.
            log.warning("event %s: unknown kind %r, not delivered", row.id, row.kind)
            continue
        out.append(EventRecord(row.id, kind, *row[2:6]))
    return out


def _call(
    session: Session,
    subscriber: Subscriber,
    events: Sequence[EventRecord],
    prepared: Any = UNREAD,
) -> str | None:
    """Hand ``events`` to a subscriber inside a savepoint; its error, or None."""
    try:
        with session.begin_nested():
            subscriber.run(session, events, prepared)
    except Exception as exc:  # any failure of a subscriber is kept, not raised
        first, last = events[0].id, events[-1].id
        log.exception("subscriber %s failed on events %s..%s", subscriber.name, first, last)
        return f"{type(exc).__name__}: {exc}"[:2000]
    return None


def _behind(session: Session) -> dict[str, datetime]:
    """Subscribers with a backlog, and when they try it next."""
    rows = session.execute(
        select(EventBacklog.subscriber, func.min(EventBacklog.next_attempt_at))
        .where(~EventBacklog.dead)
        .group_by(EventBacklog.subscriber)
    )
    return {name: when for name, when in rows}


def _to_backlog(
    session: Session, name: str, events: Sequence[EventRecord], when: datetime, error: str | None
) -> None:
    session.execute(
        insert(EventBacklog),
        [
            {
                "subscriber": name,
                "event_id": e.id,
                "attempts": 0 if error is None else 1,
                "next_attempt_at": when,
                "error": error,
                "dead": False,
            }
            for e in events
        ],
    )


def _retry_backlog(session: Session, subscriber: Subscriber, limit: int, now: datetime) -> int:
    """Hand a subscriber its backlog again, in order: the whole of it at once, or, when that
    fails, one event at a time up to the one that fails. Returns how many it took."""
    name = subscriber.name
    rows = session.execute(
        select(*_COLUMNS, EventBacklog.attempts)
        .join(EventBacklog, EventBacklog.event_id == Event.id)
        .where(EventBacklog.subscriber == name, ~EventBacklog.dead)
        .order_by(Event.id)
        .limit(limit)
    ).all()
    attempts = {row.id: row.attempts for row in rows}
    events = event_records(rows)
    done: list[int] = []
    if _call(session, subscriber, events) is None:
        done = [e.id for e in events]
    else:
        for event in events:
            error = _call(session, subscriber, [event])
            if error is None:
                done.append(event.id)
                continue
            tries = attempts[event.id] + 1
            dead = tries >= MAX_ATTEMPTS
            head = (EventBacklog.subscriber == name) & (EventBacklog.event_id == event.id)
            session.execute(
                update(EventBacklog).where(head).values(attempts=tries, error=error, dead=dead)
            )
            if dead:
                log.error("subscriber %s: event %s set aside after %s tries", name, event.id, tries)
            later = now if dead else now + backoff(tries)
            session.execute(
                update(EventBacklog)
                .where(EventBacklog.subscriber == name, ~EventBacklog.dead)
                .values(next_attempt_at=later)
            )
            break
    gone = set(attempts) - {e.id for e in events}  # unknown kinds: nothing to hand over
    if done or gone:
        session.execute(
            delete(EventBacklog).where(
                EventBacklog.subscriber == name, EventBacklog.event_id.in_([*done, *gone])
            )
        )
    return len(done)


class Prepared(NamedTuple):
    """A batch read before its write transaction: the ids of its rows, its events, and what the
    subscribers with a ``prepare`` read for them (by subscriber: the ids of its events and what
    it read)."""

    row_ids: tuple[int, ...]
    batch: list[EventRecord]
    by_subscriber: dict[str, tuple[tuple[int, ...], Any]]

    def get(self, name: str, events: Sequence[EventRecord]) -> Any:
        """What ``name`` read, if it read it for exactly ``events``; else ``UNREAD``."""
        ids, value = self.by_subscriber.get(name, ((), UNREAD))
        return value if ids == tuple(e.id for e in events) else UNREAD


def _undelivered(session: Session, limit: int) -> list[Any]:
    return list(
        session.execute(
            select(*_COLUMNS).where(Event.delivered_at.is_(None)).order_by(Event.id).limit(limit)
        ).all()
    )


def prepare_batch(session: Session, subscribers: Subscribers, *, limit: int = 500) -> Prepared:
    """Read, for the next batch ``deliver_batch`` would deliver, what the subscribers with a
    ``prepare`` need; run it in a read transaction just before that delivery. A ``prepare``
    that fails is left out here: the delivery prepares again and keeps the failure."""
    prepared: dict[str, tuple[tuple[int, ...], Any]] = {}
    rows = _undelivered(session, limit)
    batch = event_records(rows)
    for subscriber in subscribers:
        events = [e for e in batch if e.kind in subscriber.kinds]
        if subscriber.prepare is None or not events:
            continue
        try:
            value = subscriber.prepare(session, events)
        except Exception:  # told again, and kept, when the delivery itself prepares
            log.warning("subscriber %s: preparing failed", subscriber.name, exc_info=True)
            continue
        prepared[subscriber.name] = (tuple(e.id for e in events), value)
    return Prepared(tuple(row.id for row in rows), batch, prepared)


def deliver_batch(
    session: Session,
    subscribers: Subscribers,
    *,
    limit: int = 500,
    prepared: Prepared | None = None,
) -> int:
    """Deliver up to ``limit`` undelivered events, in id order, to every subscriber of their
    kinds (and retry the backlogs that are due); returns how many were handed over (0 when
    there was nothing to do or another deliverer is at work). ``prepared``: what
    ``prepare_batch`` read, used for a subscriber whose events are the ones it read for. The
    caller commits."""
    if not _take_delivery_lock(session):
        return 0
    now = utcnow()
    handed = 0
    behind = _behind(session)
    due = [s for s in subscribers if s.name in behind and behind[s.name] <= now]
    for subscriber in due:
        handed += _retry_backlog(session, subscriber, limit, now)
    if due:
        behind = _behind(session)
    ids = list(
        session.scalars(
            select(Event.id).where(Event.delivered_at.is_(None)).order_by(Event.id).limit(limit)
        )
    )
    if not ids:
        return handed
    if prepared and prepared.row_ids == tuple(ids):
        batch = prepared.batch  # read a moment ago; the events themselves never change
    else:
        prepared = None
        rows = _undelivered(session, limit)
        ids = [row.id for row in rows]
        batch = event_records(rows)
    for subscriber in subscribers:
        events = [e for e in batch if e.kind in subscriber.kinds]
        if not events:
            continue
        if subscriber.name in behind:
            # Its backlog comes first: these wait behind it, so it sees them in order.
            _to_backlog(session, subscriber.name, events, behind[subscriber.name], None)
            continue
        ready = prepared.get(subscriber.name, events) if prepared else UNREAD
        error = _call(session, subscriber, events, ready)
        if error is not None:
            _to_backlog(session, subscriber.name, events, now + backoff(1), error)
    session.execute(update(Event).where(Event.id.in_(ids)).values(delivered_at=now))
    return handed + len(ids)


def retry_set_aside(session: Session, *, subscriber: str) -> int:
    """Put a subscriber's set-aside (dead) events back in its backlog, due now; how many."""
    result = session.execute(
        update(EventBacklog)
        .where(EventBacklog.subscriber == subscriber, EventBacklog.dead)
        .values(dead=False, attempts=0, next_attempt_at=utcnow())
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def backlog(session: Session, *, subscriber: str) -> list[EventBacklog]:
    """A subscriber's backlog in event order (what it failed on, and why)."""
    return list(
        session.scalars(
            select(EventBacklog)
            .where(EventBacklog.subscriber == subscriber)
            .order_by(EventBacklog.event_id)
        )
    )
