"""Project statistics for the dashboard: label distribution, throughput, annotators.

Kept in tables from annotation events (``apply_events``, an event subscriber) rather than
counted over every annotation on each request. Each annotation's share of the counters is kept
as counted (``StatsAnnotation``); an event about an annotation compares that with the annotation
as it is now and applies the difference, so an event applied twice, late or out of order
changes nothing more. A project's counters are built from its annotations when its first event
arrives (``rebuild_project_stats``): projects older than these tables, or a lost row."""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlalchemy import Insert, delete, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accord_server.db.base import utcnow
from accord_server.db.models import (
    Annotation,
    Event,
    EventBacklog,
    Project,
    ProjectStats,
    StatsAnnotation,
    StatsAnnotator,
    StatsDay,
    StatsLabel,
    User,
)
from accord_server.schemas.enums import EventKind
from accord_server.services.events import EventRecord

SUBSCRIBER = "stats"
ANNOTATION_KINDS = frozenset(
    {EventKind.ANNOTATION_CREATED, EventKind.ANNOTATION_UPDATED, EventKind.ANNOTATION_DELETED}
)
STATS_KINDS = ANNOTATION_KINDS | {EventKind.TASK_DELETED}
"""The events the statistics follow (deleting tasks deletes their annotations)."""
_CHUNK = 2000


def result_labels(result: Any) -> list[tuple[str, str]]:
    """The (tool, label) pairs an annotation's result counts: a region's label, or each of its
    choices."""
    labels: list[tuple[str, str]] = []
    for region in result or []:
        if not isinstance(region, dict):
            continue
        tool = str(region.get("tool", ""))
        value = region.get("value")
        if isinstance(value, dict) and isinstance(value.get("choices"), list):
            labels.extend((tool, str(choice)) for choice in value["choices"])
        elif region.get("label") is not None:
            labels.append((tool, str(region["label"])))
    return labels


class Share(NamedTuple):
    """What one live annotation adds to its project's counters."""

    project_id: int
    user_id: int | None
    day: date
    lead_time: float | None
    labels: tuple[tuple[str, str], ...]


def _share(
    project_id: int, user_id: int | None, created_at: datetime, lead: Any, result: Any
) -> Share:
    labels = tuple(result_labels(result))
    return Share(project_id, user_id, created_at.date(), lead, labels)


_KEPT = (
    StatsAnnotation.annotation_id,
    StatsAnnotation.project_id,
    StatsAnnotation.user_id,
    StatsAnnotation.day,
    StatsAnnotation.lead_time,
    StatsAnnotation.labels,
)


def _kept(row: Any) -> Share:
    labels = tuple((str(t), str(label)) for t, label in row.labels)
    return Share(row.project_id, row.user_id, row.day, row.lead_time, labels)


def _row(annotation_id: int, share: Share) -> dict[str, Any]:
    return {
        "annotation_id": annotation_id,
        "project_id": share.project_id,
        "user_id": share.user_id,
        "day": share.day,
        "lead_time": share.lead_time,
        "labels": [list(pair) for pair in share.labels],
    }


@dataclass
class _Delta:
    """Changes to the counters, summed before they are written."""

    labels: Counter[tuple[int, str, str]] = field(default_factory=Counter)
    days: Counter[tuple[int, date]] = field(default_factory=Counter)
    annotators: dict[tuple[int, int], list[float]] = field(default_factory=dict)

    def add(self, share: Share, sign: int) -> None:
        pid = share.project_id
        for tool, label in share.labels:
            self.labels[(pid, tool, label)] += sign
        self.days[(pid, share.day)] += sign
        if share.user_id is not None:
            totals = self.annotators.setdefault((pid, share.user_id), [0, 0.0, 0])
            totals[0] += sign
            if share.lead_time is not None:
                totals[1] += sign * share.lead_time
                totals[2] += sign

    def write(self, session: Session) -> None:
        labels = [
            {"project_id": p, "tool": t, "label": lb, "count": n}
            for (p, t, lb), n in self.labels.items()
            if n
        ]
        days = [{"project_id": p, "day": d, "count": n} for (p, d), n in self.days.items() if n]
        people = [
            {"project_id": p, "user_id": u, "annotations": n, "lead_time_sum": s, "lead_time_n": k}
            for (p, u), (n, s, k) in self.annotators.items()
            if n or k
        ]
        _add_to(session, StatsLabel, labels, ["count"])
        _add_to(session, StatsDay, days, ["count"])
        _add_to(session, StatsAnnotator, people, ["annotations", "lead_time_sum", "lead_time_n"])
        projects = {p for p, *_ in self.labels} | {p for p, _ in self.days}
        if projects:
            for model, column in (
                (StatsLabel, StatsLabel.count),
                (StatsDay, StatsDay.count),
                (StatsAnnotator, StatsAnnotator.annotations),
            ):
                session.execute(delete(model).where(model.project_id.in_(projects), column <= 0))


def _add_to(session: Session, model: Any, rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Add ``rows``' values to the counters of the same key (an upsert; both databases)."""
    if not rows:
        return
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = model.__table__
    statement = dialect.insert(table)
    statement = statement.on_conflict_do_update(
        index_elements=[c.name for c in table.primary_key],
        set_={c: table.c[c] + statement.excluded[c] for c in columns},
    )
    for start in range(0, len(rows), _CHUNK):
        session.execute(statement, rows[start : start + _CHUNK])


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def read_shares(session: Session, events: Sequence[EventRecord]) -> dict[int, Share]:
    """The share of each live annotation the events name, as it is now (the ``prepare`` of the
    statistics subscriber: the costly reading, done before the writer lock is taken)."""
    annotation_ids = sorted(
        {int(e.payload["annotation_id"]) for e in events if e.kind in ANNOTATION_KINDS}
    )
    current: dict[int, Share] = {}
    for chunk in _chunks(annotation_ids):
        rows = session.execute(
            select(
                Annotation.id,
                Annotation.project_id,
                Annotation.user_id,
                Annotation.created_at,
                Annotation.lead_time,
                Annotation.result,
            ).where(Annotation.id.in_(chunk), Annotation.deleted_at.is_(None))
        )
        current.update((row.id, _share(*row[1:])) for row in rows)
    return current


def _reconcile(
    session: Session, current: dict[int, Share], gone: Iterable[int], delta: _Delta
) -> None:
    """Bring the counted share of each annotation to what it is now: ``current`` for the live
    ones, nothing for those in ``gone``."""
    annotation_ids = sorted({*current, *gone})
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    deletes: list[int] = []
    for chunk in _chunks(annotation_ids):
        kept = {
            row.annotation_id: _kept(row)
            for row in session.execute(
                select(*_KEPT).where(StatsAnnotation.annotation_id.in_(chunk))
            )
        }
        for annotation_id in chunk:
            old, new = kept.get(annotation_id), current.get(annotation_id)
            if old == new:
                continue
            if old is not None:
                delta.add(old, -1)
            if new is not None:
                delta.add(new, +1)
                (updates if old is not None else inserts).append(_row(annotation_id, new))
            else:
                deletes.append(annotation_id)
    if inserts:
        session.execute(_insert_share(), inserts)
    if updates:
        session.execute(update(StatsAnnotation), updates)
    for chunk in _chunks(deletes):
        session.execute(delete(StatsAnnotation).where(StatsAnnotation.annotation_id.in_(chunk)))


@functools.cache
def _insert_share() -> Insert:
    # A Core insert of the table: the ORM's bulk insert costs several times as much per row.
    return insert(StatsAnnotation.__table__)  # type: ignore[arg-type]


def _drop_gone(session: Session, project_id: int, delta: _Delta) -> None:
    """Take off the counters the annotations that no longer exist (their tasks were deleted)."""
    gone = session.execute(
        select(*_KEPT)
        .outerjoin(Annotation, Annotation.id == StatsAnnotation.annotation_id)
        .where(StatsAnnotation.project_id == project_id, Annotation.id.is_(None))
    ).all()
    for row in gone:
        delta.add(_kept(row), -1)
    ids = [row.annotation_id for row in gone]
    for chunk in _chunks(ids):
        session.execute(delete(StatsAnnotation).where(StatsAnnotation.annotation_id.in_(chunk)))


def rebuild_project_stats(session: Session, *, project_id: int) -> bool:
    """Count a project's statistics afresh from its live annotations; False when the project
    is gone."""
    if session.scalar(select(Project.id).where(Project.id == project_id)) is None:
        return False
    for model in (StatsLabel, StatsDay, StatsAnnotator, StatsAnnotation, ProjectStats):
        session.execute(delete(model).where(model.project_id == project_id))
    delta = _Delta()
    rows = session.execute(
        select(
            Annotation.id,
            Annotation.user_id,
            Annotation.created_at,
            Annotation.lead_time,
            Annotation.result,
        )
        .where(Annotation.project_id == project_id, Annotation.deleted_at.is_(None))
        .execution_options(yield_per=_CHUNK)
    )
    shares: list[dict[str, Any]] = []
    for annotation_id, user_id, created_at, lead, result in rows:
        share = _share(project_id, user_id, created_at, lead, result)
        delta.add(share, +1)
        shares.append(_row(annotation_id, share))
        if len(shares) >= _CHUNK:
            session.execute(insert(StatsAnnotation), shares)
            shares = []
    if shares:
        session.execute(insert(StatsAnnotation), shares)
    delta.write(session)
    now = utcnow()
    session.execute(
        insert(ProjectStats).values(project_id=project_id, built_at=now, updated_at=now)
    )
    return True


def apply_events(
    session: Session, events: Sequence[EventRecord], current: dict[int, Share]
) -> None:
    """Event subscriber: keep the statistics of the events' projects. ``current``: what
    ``read_shares`` read for these events (a moment ago: a change since then is an event still
    to come, which corrects it)."""
    projects = {e.project_id for e in events if e.project_id is not None}
    built = set(
        session.scalars(
            select(ProjectStats.project_id).where(ProjectStats.project_id.in_(projects))
        )
    )
    counted = set(built)
    for project_id in sorted(projects - built):
        if rebuild_project_stats(session, project_id=project_id):
            counted.add(project_id)
    delta = _Delta()
    named = {int(e.payload["annotation_id"]) for e in events if e.kind in ANNOTATION_KINDS}
    live = {a: share for a, share in current.items() if share.project_id in counted}
    _reconcile(session, live, named - set(current), delta)
    emptied = {e.project_id for e in events if e.kind == EventKind.TASK_DELETED}
    for project_id in sorted(built & {p for p in emptied if p is not None}):
        _drop_gone(session, project_id, delta)
    delta.write(session)
    if built:
        session.execute(
            update(ProjectStats)
            .where(ProjectStats.project_id.in_(built))
            .values(updated_at=utcnow())
        )


def _as_of(session: Session, project_id: int) -> datetime:
    """Every change to the project made before this time is counted: the oldest of its events
    not yet applied, or now."""
    waiting = select(func.min(Event.created_at)).where(
        Event.delivered_at.is_(None), Event.project_id == project_id
    )
    failed = (
        select(func.min(Event.created_at))
        .join(EventBacklog, EventBacklog.event_id == Event.id)
        .where(EventBacklog.subscriber == SUBSCRIBER, Event.project_id == project_id)
    )
    oldest = [t for t in (session.scalar(waiting), session.scalar(failed)) if t is not None]
    return min([*oldest, utcnow()])


def project_stats(session: Session, *, project: Project, days: int = 30) -> dict[str, Any]:
    """Label counts over live annotations, annotations per day (the last ``days`` days that
    have any), per-annotator counts, and ``as_of``: how fresh they are."""
    if session.get(ProjectStats, project.id) is None:
        return {**count_project_stats(session, project=project, days=days), "as_of": utcnow()}
    pid = project.id
    labels = session.execute(
        select(StatsLabel.tool, StatsLabel.label, StatsLabel.count).where(
            StatsLabel.project_id == pid
        )
    ).all()
    recent = session.execute(
        select(StatsDay.day, StatsDay.count)
        .where(StatsDay.project_id == pid)
        .order_by(StatsDay.day.desc())
        .limit(days)
    ).all()
    people = session.execute(
        select(
            User.id,
            User.email,
            StatsAnnotator.annotations,
            StatsAnnotator.lead_time_sum,
            StatsAnnotator.lead_time_n,
        )
        .join(StatsAnnotator, StatsAnnotator.user_id == User.id)
        .where(StatsAnnotator.project_id == pid)
    ).all()
    return {
        "labels": _label_list(Counter({(t, lb): n for t, lb, n in labels})),
        "throughput": [{"date": d.isoformat(), "annotations": n} for d, n in reversed(recent)],
        "annotators": _annotator_list(
            (uid, email, n, s / k if k else None) for uid, email, n, s, k in people
        ),
        "as_of": _as_of(session, pid),
    }


def _label_list(labels: Counter[tuple[str, str]]) -> list[dict[str, Any]]:
    ordered = sorted(labels.items(), key=lambda kv: (-kv[1], kv[0]))
    return [{"tool": t, "label": label, "count": n} for (t, label), n in ordered]


def _annotator_list(rows: Iterable[tuple[int, str, int, float | None]]) -> list[dict[str, Any]]:
    ordered = sorted(rows, key=lambda r: (-r[2], r[0]))
    return [
        {
            "user_id": uid,
            "email": email,
            "annotations": int(n),
            "mean_lead_time": None if lead is None else float(lead),
        }
        for uid, email, n, lead in ordered
    ]


def count_project_stats(session: Session, *, project: Project, days: int = 30) -> dict[str, Any]:
    """``project_stats`` counted over every live annotation (the statistics' definition, and
    the answer for a project whose counters are not built yet)."""
    labels: Counter[tuple[str, str]] = Counter()
    per_day: Counter[date] = Counter()
    rows = session.execute(
        select(Annotation.result, Annotation.created_at)
        .where(Annotation.project_id == project.id, Annotation.deleted_at.is_(None))
        .execution_options(yield_per=2000)
    )
    for result, created_at in rows:
        per_day[created_at.date()] += 1
        labels.update(result_labels(result))
    recent = sorted(per_day.items())[-days:]
    annotators = session.execute(
        select(User.id, User.email, func.count(Annotation.id), func.avg(Annotation.lead_time))
        .join(Annotation, Annotation.user_id == User.id)
        .where(Annotation.project_id == project.id, Annotation.deleted_at.is_(None))
        .group_by(User.id, User.email)
    ).all()
    return {
        "labels": _label_list(labels),
        "throughput": [{"date": d.isoformat(), "annotations": n} for d, n in recent],
        "annotators": _annotator_list(
            (uid, email, n, None if lead is None else float(lead))
            for uid, email, n, lead in annotators
        ),
    }
