"""Reports: an annotator's word that a task cannot be annotated as it is (broken media, wrong
data, something else), and a manager's resolution of it.

A task with an open report is out of the queue for everyone (``Task.open_reports`` > 0, which
the queue's pick leaves out) until a manager resolves its reports. Reporting ends the reporter's
lease as a skip; reporting a task again while one's report on it is open is that same report
(a partial unique index holds it under concurrency). Resolving records who and when on every
open report of the task, puts the task back in the queue and lets its reporters be handed it
again (their ended assignment on it goes: they never annotated it).

``Task.open_reports`` counts the open reports: a report adds one, a resolution takes off as many
as it resolved. Increments, not a recount, so a report racing a resolution keeps it exact."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from accord_server.db.base import utcnow
from accord_server.db.models import Task, TaskReport, User
from accord_server.schemas.enums import EventKind, ReportReason
from accord_server.services import queue
from accord_server.services.accounts import Person
from accord_server.services.events import record
from accord_server.services.permissions import Action, authorize
from accord_server.services.tasks import get_task_or_raise


@dataclass(frozen=True)
class ReportEntry:
    """A report with the people it names (None: the account is gone)."""

    report: TaskReport
    reporter: Person | None
    resolver: Person | None


def report_task(
    session: Session, *, task_id: int, user: User, reason: ReportReason, note: str
) -> tuple[ReportEntry, bool]:
    """Report a task the caller may see (annotators: one handed to them), taking it out of the
    queue and ending their lease on it; the report and whether it is new (False: their open
    report on it, unchanged)."""
    task, project, membership = get_task_or_raise(session, task_id=task_id, user=user)
    authorize(membership.role, Action.REPORT_CREATE)
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    new_id = session.execute(
        dialect.insert(TaskReport)
        .values(
            task_id=task.id,
            project_id=project.id,
            user_id=user.id,
            reason=reason.value,
            note=note,
            created_at=utcnow(),
            resolution_note="",
        )
        .on_conflict_do_nothing(
            index_elements=["task_id", "user_id"], index_where=TaskReport.resolved_at.is_(None)
        )
        .returning(TaskReport.id)
    ).scalar_one_or_none()
    if new_id is not None:
        session.execute(
            update(Task).where(Task.id == task.id).values(open_reports=Task.open_reports + 1)
        )
        record(
            session,
            EventKind.TASK_REPORTED,
            organization_id=project.organization_id,
            project_id=project.id,
            payload={
                "task_id": task.id,
                "report_id": new_id,
                "user_id": user.id,
                "reason": reason.value,
            },
        )
    queue.release_lease(session, task_id=task.id, user=user)
    report = session.scalars(
        select(TaskReport).where(
            TaskReport.task_id == task.id,
            TaskReport.user_id == user.id,
            TaskReport.resolved_at.is_(None),
        )
    ).one()
    return _entries(session, [report])[0], new_id is not None


def list_reports(session: Session, *, task_id: int, user: User) -> list[ReportEntry]:
    """Every report of a task, open and resolved, newest first (managers and up)."""
    task, _, membership = get_task_or_raise(session, task_id=task_id, user=user)
    authorize(membership.role, Action.REPORT_MANAGE)
    reports = session.scalars(
        select(TaskReport).where(TaskReport.task_id == task.id).order_by(TaskReport.id.desc())
    )
    return _entries(session, list(reports))


def resolve_reports(session: Session, *, task_id: int, user: User, note: str) -> list[ReportEntry]:
    """Resolve every open report of a task (managers and up): the task is back in the queue and
    its reporters may be handed it again. The reports resolved now (none: none was open)."""
    task, project, membership = get_task_or_raise(session, task_id=task_id, user=user)
    authorize(membership.role, Action.REPORT_MANAGE)
    resolved = session.execute(
        update(TaskReport)
        .where(TaskReport.task_id == task.id, TaskReport.resolved_at.is_(None))
        .values(resolved_at=utcnow(), resolved_by=user.id, resolution_note=note)
        .returning(TaskReport.id, TaskReport.user_id)
        .execution_options(synchronize_session=False)
    ).all()
    if not resolved:
        return []
    ids = sorted(report_id for report_id, _ in resolved)
    session.execute(
        update(Task).where(Task.id == task.id).values(open_reports=Task.open_reports - len(ids))
    )
    reporters = sorted({uid for _, uid in resolved if uid is not None})
    queue.forget_ended_assignments(session, task_id=task.id, user_ids=reporters)
    record(
        session,
        EventKind.TASK_REPORT_RESOLVED,
        organization_id=project.organization_id,
        project_id=project.id,
        payload={"task_id": task.id, "report_ids": ids, "count": len(ids), "resolved_by": user.id},
    )
    session.flush()
    reports = session.scalars(
        select(TaskReport)
        .where(TaskReport.id.in_(ids))
        .order_by(TaskReport.id)
        .execution_options(populate_existing=True)
    )
    return _entries(session, list(reports))


def open_reports_of(session: Session, *, task_ids: Sequence[int]) -> dict[int, list[ReportEntry]]:
    """The open reports of these tasks, oldest first, by task id (for the data manager, which
    shows them to managers and up only: its caller decides)."""
    if not task_ids:
        return {}
    reports = session.scalars(
        select(TaskReport)
        .where(TaskReport.task_id.in_(list(task_ids)), TaskReport.resolved_at.is_(None))
        .order_by(TaskReport.id)
    )
    by_task: dict[int, list[ReportEntry]] = defaultdict(list)
    for entry in _entries(session, list(reports)):
        by_task[entry.report.task_id].append(entry)
    return dict(by_task)


def _entries(session: Session, reports: list[TaskReport]) -> list[ReportEntry]:
    """The reports with their reporters and resolvers, named in one query."""
    ids = {r.user_id for r in reports} | {r.resolved_by for r in reports}
    ids.discard(None)
    people: dict[int, Person] = {}
    if ids:
        people = {
            uid: Person(uid, name, email)
            for uid, name, email in session.execute(
                select(User.id, User.name, User.email).where(User.id.in_(ids))
            )
        }
    return [
        ReportEntry(
            report=r,
            reporter=None if r.user_id is None else people.get(r.user_id),
            resolver=None if r.resolved_by is None else people.get(r.resolved_by),
        )
        for r in reports
    ]
