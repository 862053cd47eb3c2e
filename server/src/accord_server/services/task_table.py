"""The data manager's view of tasks: filters, sort, offset windows, totals."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, select, text
from sqlalchemy.orm import Session

from accord_server.db.models import Annotation, Batch, Prediction, Project, Task, User
from accord_server.services.accounts import Person
from accord_server.services.errors import Invalid
from accord_server.services.permissions import Action, can
from accord_server.services.reports import ReportEntry, open_reports_of
from accord_server.services.tasks import reported_filter, state_filter

SORTS: dict[str, ColumnElement[Any]] = {
    "id": Task.id.asc(),
    "-id": Task.id.desc(),
    "priority": Task.priority.asc(),
    "-priority": Task.priority.desc(),
    "created_at": Task.created_at.asc(),
    "-created_at": Task.created_at.desc(),
    "annotations": Task.annotation_count.asc(),
    "-annotations": Task.annotation_count.desc(),
}

# Tasks with a live annotation that uses a label (a region's label or a chosen class).
_LABEL_SQL = {
    "postgresql": (
        "EXISTS (SELECT 1 FROM annotations a, jsonb_array_elements(a.result) r "
        "WHERE a.task_id = tasks.id AND a.deleted_at IS NULL AND (r->>'label' = :label "
        "OR jsonb_exists(coalesce(r->'value'->'choices', '[]'::jsonb), :label)))"
    ),
    "sqlite": (
        "EXISTS (SELECT 1 FROM annotations a, json_each(a.result) r "
        "WHERE a.task_id = tasks.id AND a.deleted_at IS NULL AND "
        "(json_extract(r.value, '$.label') = :label OR EXISTS (SELECT 1 FROM "
        "json_each(coalesce(json_extract(r.value, '$.value.choices'), '[]')) c "
        "WHERE c.value = :label)))"
    ),
}


@dataclass(frozen=True)
class TaskFilters:
    """What the data manager asks for."""

    state: str | None = None
    annotator_id: int | None = None
    annotator: str | None = None
    label: str | None = None
    min_score: float | None = None
    max_score: float | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    batch_id: int | None = None
    reported: bool | None = None
    sort: str = "id"


@dataclass(frozen=True)
class TaskRow:
    """A task with what the table shows beside it."""

    task: Task
    annotators: list[Person]
    max_score: float | None
    batch_name: str | None
    reports: list[ReportEntry] | None
    """Its open reports, for callers who may read them (None for the others)."""


def filter_conditions(session: Session, project: Project, f: TaskFilters) -> list[Any]:
    """The SQL conditions on ``Task`` that select a project's tasks matching ``f`` (the data
    manager's filter; exports of a filter use the same)."""
    where: list[Any] = [Task.project_id == project.id]
    if f.state:
        where.append(state_filter(f.state, project.overlap))
    if f.annotator_id is not None:
        where.append(
            exists().where(
                Annotation.task_id == Task.id,
                Annotation.user_id == f.annotator_id,
                Annotation.deleted_at.is_(None),
            )
        )
    if f.annotator:
        # A part of a name or an email, case-insensitive: people filter by who, not by id.
        needle = "%" + f.annotator.lower().replace("%", r"\%").replace("_", r"\_") + "%"
        where.append(
            exists().where(
                Annotation.task_id == Task.id,
                Annotation.deleted_at.is_(None),
                Annotation.user_id == User.id,
                func.lower(User.email).like(needle, escape="\\")
                | func.lower(User.name).like(needle, escape="\\"),
            )
        )
    if f.label:
        dialect = session.get_bind().dialect.name
        where.append(text(_LABEL_SQL[dialect]).bindparams(label=f.label))
    if f.min_score is not None or f.max_score is not None:
        scored: list[ColumnElement[bool]] = [Prediction.task_id == Task.id]
        if f.min_score is not None:
            scored.append(Prediction.score >= f.min_score)
        if f.max_score is not None:
            scored.append(Prediction.score <= f.max_score)
        where.append(exists().where(and_(*scored)))
    if f.created_after is not None:
        where.append(Task.created_at >= f.created_after)
    if f.created_before is not None:
        where.append(Task.created_at < f.created_before)
    if f.batch_id is not None:
        where.append(Task.batch_id == f.batch_id)
    if f.reported is not None:
        where.append(reported_filter(f.reported))
    return where


def query_task_table(
    session: Session,
    *,
    project: Project,
    role: str,
    filters: TaskFilters,
    offset: int,
    limit: int,
) -> tuple[list[TaskRow], int]:
    """One window of the filtered, sorted tasks, and how many match in all; the rows carry
    their open reports when ``role`` may read reports."""
    if filters.sort not in SORTS:
        raise Invalid(
            f"sort: {filters.sort!r} is not a sort; expected one of: " + ", ".join(SORTS),
            details={"field": "sort"},
        )
    where = filter_conditions(session, project, filters)
    total = session.scalar(select(func.count()).select_from(Task).where(*where)) or 0
    order: list[ColumnElement[Any]] = [SORTS[filters.sort]]
    if filters.sort not in ("id", "-id"):
        order.append(Task.id.asc())
    page: Select[Task] = select(Task).where(*where).order_by(*order).offset(offset).limit(limit)
    tasks = list(session.scalars(page))
    ids = [t.id for t in tasks]
    annotators: dict[int, list[Person]] = defaultdict(list)
    scores: dict[int, float | None] = {}
    batch_names: dict[int, str] = {}
    # Who reported and why are for managers and up; the others see only the count.
    show_reports = can(role, Action.REPORT_MANAGE)
    reported = [t.id for t in tasks if t.open_reports] if show_reports else []
    reports = open_reports_of(session, task_ids=reported)
    if ids:
        for task_id, user_id, name, email in session.execute(
            select(Annotation.task_id, User.id, User.name, User.email)
            .join(User, User.id == Annotation.user_id)
            .where(Annotation.task_id.in_(ids), Annotation.deleted_at.is_(None))
            .order_by(Annotation.id)
        ):
            annotators[task_id].append(Person(user_id, name, email))
        batch_ids = {t.batch_id for t in tasks if t.batch_id is not None}
        if batch_ids:
            batch_names = dict(
                session.execute(select(Batch.id, Batch.name).where(Batch.id.in_(batch_ids))).all()
            )
        scores = {
            task_id: score
            for task_id, score in session.execute(
                select(Prediction.task_id, func.max(Prediction.score))
                .where(Prediction.task_id.in_(ids))
                .group_by(Prediction.task_id)
            )
        }
    rows = [
        TaskRow(
            task=t,
            annotators=annotators.get(t.id, []),
            max_score=scores.get(t.id),
            batch_name=batch_names.get(t.batch_id) if t.batch_id is not None else None,
            reports=reports.get(t.id, []) if show_reports else None,
        )
        for t in tasks
    ]
    return rows, int(total)
