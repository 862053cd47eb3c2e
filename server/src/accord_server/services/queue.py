"""The annotation queue: hand out the highest-priority eligible task under a lease.

Invariant kept by every writer: ``Task.open_slots = overlap - live annotations - live leases``.
A task is eligible for a user when it has an open slot, no open report (``Task.open_reports``,
kept by ``services/reports.py``) and the user has no assignment on it (so nobody gets a task
twice, skipped and expired ones included).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    Select,
    SQLColumnExpression,
    String,
    bindparam,
    delete,
    exists,
    func,
    insert,
    literal,
    null,
    select,
    true,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.sql.dml import ReturningInsert, ReturningUpdate
from sqlalchemy.sql.elements import BindParameter, ColumnElement

from accord_server.db.base import utcnow
from accord_server.db.direct import DirectStatement
from accord_server.db.engine import NeedsTransaction, in_statement_atomic
from accord_server.db.models import Annotation, Assignment, Project, Task, User
from accord_server.services.errors import Conflict, NotFound
from accord_server.services.permissions import Action, authorize
from accord_server.services.projects import ProjectAccess
from accord_server.services.tasks import Hold

RECLAIM_LIMIT = 500
AVAILABLE_COUNT_CAP = 10_000
"""``own_progress`` counts the tasks open to you up to this many (then says there are more)."""
_LEASE_COLUMNS = ("task_id", "project_id", "user_id", "state", "leased_at", "lease_expires_at")


@dataclass(frozen=True)
class Lease:
    """A task handed to a user until ``expires_at`` (a new lease's task and assignment are
    plain copies of the rows just written, not objects of the session)."""

    task: Task
    assignment: Assignment
    resumed: bool


@dataclass(frozen=True)
class _Queries:
    expired: Select[int, int]
    current: DirectStatement
    take: ReturningUpdate[Any]
    take_wait: ReturningUpdate[Any]
    lease: ReturningInsert[int]
    assignment: Select[Assignment]
    reclaim: DirectStatement | None
    """PostgreSQL: reclaim expired leases, slots and all, in one statement."""
    take_and_lease: DirectStatement | None
    """PostgreSQL: take a slot of the best eligible task and lease it, in one statement."""
    any_open: DirectStatement | None
    """PostgreSQL: whether any task has a slot for the caller, locked or not (no lock taken)."""


def _never_handed(
    task_id: SQLColumnExpression[int], user_id: SQLColumnExpression[int]
) -> ColumnElement[bool]:
    """The queue's rule of whom a task may go to: someone it was never handed to (a skipped or
    expired assignment counts too), so nobody gets a task twice. ``next`` and ``own_progress``
    both use it."""
    return ~exists().where(Assignment.task_id == task_id, Assignment.user_id == user_id)


@functools.cache
def _queries(postgres: bool) -> _Queries:
    """The queue's hot statements, built once (per dialect) with bound parameters; they run on
    the session's connection as Core statements (no ORM unit of work on the hot path)."""
    project_id: BindParameter[int] = bindparam("project_id")
    user_id: BindParameter[int] = bindparam("user_id")
    now: BindParameter[datetime] = bindparam("now")
    expired = (
        select(Assignment.id, Assignment.task_id)
        .where(
            Assignment.project_id == project_id,
            Assignment.state == "leased",
            Assignment.lease_expires_at <= now,
        )
        .limit(RECLAIM_LIMIT)
    )
    current = (
        select(Assignment.id, Assignment.task_id)
        .where(
            Assignment.user_id == user_id,
            Assignment.project_id == project_id,
            Assignment.state == "leased",
            Assignment.lease_expires_at > now,
        )
        .order_by(Assignment.id)
        .limit(1)
    )
    # The best open task the user has not had, as a subquery on its own alias of `tasks` (so it
    # is not correlated with the UPDATE around it).
    # (Parameters of an UPDATE may not be named like its table's columns.)
    candidate = Task.__table__.alias("candidate")
    # A task with an open report is out of the queue for everyone until a manager resolves it
    # (the partial index ``ix_tasks_queue`` holds only tasks with a slot and no open report).
    pick = (
        select(candidate.c.id)
        .where(
            candidate.c.project_id == bindparam("in_project"),
            candidate.c.open_slots > 0,
            candidate.c.open_reports == 0,
            _never_handed(candidate.c.id, bindparam("for_user")),
        )
        .order_by(candidate.c.priority.desc(), candidate.c.id)
        .limit(1)
    )
    pick_wait = pick
    any_open = select(exists(pick))
    if postgres:
        # (PostgreSQL reclaims with ``_reclaim_statement``; ``expired`` is SQLite's.)
        # Concurrent callers skip each other's candidate instead of queueing behind it...
        pick_wait = pick.with_for_update(of=candidate)
        pick = pick.with_for_update(skip_locked=True, of=candidate)

    def take(chosen: Select[int]) -> ReturningUpdate[Any]:
        # Pick and decrement in one statement; the slot is re-checked on the (locked) row.
        return (
            update(Task)
            .where(Task.id == chosen.scalar_subquery(), Task.open_slots > 0)
            .values(open_slots=Task.open_slots - 1)
            .returning(*Task.__table__.c)
        )

    lease = insert(Assignment).returning(Assignment.id)
    assignment = select(Assignment).where(
        Assignment.task_id == bindparam("task_id"), Assignment.user_id == user_id
    )
    return _Queries(
        expired=expired,
        current=DirectStatement(current),
        take=take(pick),
        take_wait=take(pick_wait),
        lease=lease,
        assignment=assignment,
        reclaim=DirectStatement(_reclaim_statement()) if postgres else None,
        take_and_lease=DirectStatement(_take_and_lease_statement(take(pick))) if postgres else None,
        any_open=DirectStatement(any_open) if postgres else None,
    )


def _reclaim_statement() -> Select[int]:
    """PostgreSQL: end expired leases and give their tasks the slots back (data-modifying
    CTEs); the count reclaimed. (Its parameters are not named like a column: see
    ``services.submit_statements._annotation_with_effects``.)"""
    found = (
        select(Assignment.id)
        .where(
            Assignment.project_id == bindparam("in_project"),
            Assignment.state == "leased",
            Assignment.lease_expires_at <= bindparam("now"),
        )
        .limit(RECLAIM_LIMIT)
        .with_for_update(skip_locked=True)
        .cte("found")
    )
    ended = (
        update(Assignment)
        .where(Assignment.id == found.c.id, Assignment.state == "leased")
        .values(state="expired", finished_at=bindparam("now"))
        .returning(Assignment.task_id)
        .cte("ended")
    )
    per_task = select(ended.c.task_id, func.count().label("n")).group_by(ended.c.task_id).subquery()
    returned = (
        update(Task)
        .where(Task.id == per_task.c.task_id)
        .values(open_slots=Task.open_slots + per_task.c.n)
        .cte("returned")
    )
    return select(func.count()).select_from(ended).add_cte(returned)


def _take_and_lease_statement(take: ReturningUpdate[Any]) -> Select[Any]:
    """PostgreSQL: ``take`` and the lease's insert as one statement: the task's columns and
    ``assignment_id``, or no row when no unlocked task has a slot for the caller."""
    taken = take.cte("taken")
    leased = (
        insert(Assignment)
        .from_select(
            list(_LEASE_COLUMNS),
            select(
                taken.c.id,
                taken.c.project_id,
                bindparam("for_user", type_=Assignment.user_id.type),
                literal("leased", String),
                bindparam("now", type_=Assignment.leased_at.type),
                bindparam("expires", type_=Assignment.lease_expires_at.type),
            ),
        )
        .returning(Assignment.id)
        .cte("leased")
    )
    return select(taken, leased.c.id.label("assignment_id")).select_from(taken.join(leased, true()))


def reclaim_expired_leases(session: Session, *, project_id: int, now: datetime) -> int:
    """Return expired leases' slots to the pool; returns how many were reclaimed."""
    conn = session.connection()
    queries = _queries(conn.dialect.name == "postgresql")
    if queries.reclaim is not None:
        params = {"in_project": project_id, "now": now}
        return int(queries.reclaim.scalar(conn, params))
    query = queries.expired
    rows = conn.execute(query, {"project_id": project_id, "now": now}).all()
    if not rows:
        return 0
    conn.execute(
        update(Assignment)
        .where(Assignment.id.in_([r.id for r in rows]), Assignment.state == "leased")
        .values(state="expired", finished_at=now)
    )
    for task_id, n in Counter(r.task_id for r in rows).items():
        conn.execute(update(Task).where(Task.id == task_id).values(open_slots=Task.open_slots + n))
    return len(rows)


def release_leases_of_member(session: Session, *, organization_id: int, user_id: int) -> int:
    """End a user's leases in an organization's projects, expired ones included, and give their
    tasks the slots back at once (the user leaves the organization: their leases would
    otherwise keep the slots until they expire). Each ends ``expired``, as a lease that ran
    out; its draft stays with it. Returns how many ended."""
    now = utcnow()
    ended = session.scalars(
        update(Assignment)
        .where(
            Assignment.user_id == user_id,
            Assignment.state == "leased",
            Assignment.project_id.in_(
                select(Project.id).where(Project.organization_id == organization_id)
            ),
        )
        .values(state="expired", finished_at=now)
        .returning(Assignment.task_id)
        .execution_options(synchronize_session=False)
    ).all()
    for task_id, n in sorted(Counter(ended).items()):  # in id order: no deadlock with another
        session.execute(
            update(Task).where(Task.id == task_id).values(open_slots=Task.open_slots + n)
        )
    return len(ended)


def _take_task(session: Session, project: ProjectAccess, user: User) -> Task | None:
    """Take a slot of the best eligible task; the task as it is now (not in the session)."""
    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    params = {"in_project": project.id, "for_user": user.id}
    row = conn.execute(_queries(postgres).take, params).first()
    if row is None and postgres:
        # ... but "nothing unlocked" is not "nothing left": a task another caller is leasing
        # right now may still have a slot for this one. Wait for those locks and look again.
        row = conn.execute(_queries(postgres).take_wait, params).first()
    return None if row is None else Task(**row._asdict())


def next_task(session: Session, *, project: ProjectAccess, user: User) -> Lease | None:
    """The caller's current lease, or a new lease on the best eligible task, or None."""
    authorize(project.role, Action.QUEUE_NEXT)
    now = utcnow()
    conn = session.connection()
    current = _queries(False).current.first(
        conn, {"user_id": user.id, "project_id": project.id, "now": now}
    )
    if current is not None:
        assignment_id, task_id = current
        assignment = session.get(Assignment, assignment_id)
        task = session.get(Task, task_id)
        assert task is not None and assignment is not None
        return Lease(task=task, assignment=assignment, resumed=True)
    reclaim_expired_leases(session, project_id=project.id, now=now)
    if in_statement_atomic(session):
        return _lease_in_one_statement(session, project, user, now)
    task = _take_task(session, project, user)
    if task is None:
        return None
    # The row is locked (PostgreSQL) or the database is (SQLite) until commit.
    assignment = _new_lease(project, user, now)
    assignment.task_id = task.id
    values = {k: getattr(assignment, k) for k in _LEASE_COLUMNS}
    assignment.id = conn.execute(_queries(False).lease, values).scalar_one()
    return Lease(task=task, assignment=assignment, resumed=False)


def _new_lease(project: ProjectAccess, user: User, now: datetime) -> Assignment:
    """A lease about to be written, on a task yet to be set (not an object of the session)."""
    return Assignment(
        project_id=project.id,
        user_id=user.id,
        state="leased",
        leased_at=now,
        lease_expires_at=now + timedelta(minutes=project.lease_minutes),
    )


def _lease_in_one_statement(
    session: Session, project: ProjectAccess, user: User, now: datetime
) -> Lease | None:
    """PostgreSQL, statement-atomic: take and lease the best unlocked task in one statement;
    None when no task has a slot for the caller; when only locked ones do, a transaction looks
    again, waiting for them (``NeedsTransaction``)."""
    lease = _new_lease(project, user, now)
    params = {
        "in_project": project.id,
        "for_user": user.id,
        "now": lease.leased_at,
        "expires": lease.lease_expires_at,
    }
    queries = _queries(True)
    assert queries.take_and_lease is not None and queries.any_open is not None
    try:
        values = queries.take_and_lease.first_mapping(session.connection(), params)
    except IntegrityError as error:
        raise NeedsTransaction() from error  # the same caller, twice at once
    if values is None:
        # Nothing unlocked. An empty queue is answered at once; a task that others are leasing
        # right now may still have a slot for this caller: a transaction waits for them.
        lookup = {"in_project": project.id, "for_user": user.id}
        if not queries.any_open.scalar(session.connection(), lookup):
            return None
        raise NeedsTransaction()
    lease.id = values.pop("assignment_id")
    lease.task_id = values["id"]
    return Lease(task=Task(**values), assignment=lease, resumed=False)


def get_assignment(session: Session, *, task_id: int, user: User) -> Assignment | None:
    """The user's assignment on a task, if any."""
    return session.scalar(_queries(False).assignment, {"task_id": task_id, "user_id": user.id})


def transition(session: Session, assignment: Assignment, from_state: str, to_state: str) -> bool:
    """Move an assignment between states only if it is still in ``from_state`` (race-safe)."""
    now = utcnow()
    result = session.execute(
        update(Assignment)
        .where(Assignment.id == assignment.id, Assignment.state == from_state)
        .values(state=to_state, finished_at=now)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        session.refresh(assignment)
        return False
    set_committed_value(assignment, "state", to_state)
    set_committed_value(assignment, "finished_at", now)
    return True


def skip_task(session: Session, *, project: Project, task_id: int, user: User) -> Assignment:
    """Give a leased task back; the user will not get it again."""
    assignment = get_assignment(session, task_id=task_id, user=user)
    if assignment is None or assignment.project_id != project.id:
        raise NotFound(f"task {task_id} is not assigned to you")
    if assignment.state == "skipped":
        return assignment
    if assignment.state != "leased":
        raise Conflict(f"task {task_id} cannot be skipped: it is {assignment.state}")
    if not transition(session, assignment, "leased", "skipped"):
        raise Conflict(f"task {task_id} cannot be skipped now; try again")
    session.execute(update(Task).where(Task.id == task_id).values(open_slots=Task.open_slots + 1))
    session.flush()
    return assignment


def release_lease(session: Session, *, task_id: int, user: User) -> bool:
    """End the user's live lease on a task as a skip and give its slot back (a report does
    this); False when they hold none. Safe to repeat."""
    assignment = get_assignment(session, task_id=task_id, user=user)
    if assignment is None or assignment.state != "leased":
        return False
    if not transition(session, assignment, "leased", "skipped"):
        return False  # ended meanwhile (submitted, skipped or reclaimed): its slot is settled
    session.execute(update(Task).where(Task.id == task_id).values(open_slots=Task.open_slots + 1))
    session.flush()
    return True


def forget_ended_assignments(session: Session, *, task_id: int, user_ids: Sequence[int]) -> int:
    """Delete these users' skipped and expired assignments on a task, so that the queue may hand
    it to them again (a resolved report: the reporter never annotated it). Leases and submitted
    work stay; slots are not touched (an ended assignment holds none). Returns how many went."""
    if not user_ids:
        return 0
    result = session.execute(
        delete(Assignment)
        .where(
            Assignment.task_id == task_id,
            Assignment.user_id.in_(list(user_ids)),
            Assignment.state.in_(["skipped", "expired"]),
        )
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def save_draft(session: Session, *, task_id: int, hold: Hold | None, draft: object) -> None:
    """Keep the user's work in progress on a task they hold (``hold``: their assignment on it,
    as read with the task by ``tasks.get_task_access_or_raise``). One statement."""
    if hold is None:
        raise NotFound(f"task {task_id} is not assigned to you")
    session.execute(
        update(Assignment)
        .where(Assignment.id == hold.id)
        # (A draft of JSON null is no draft: stored as SQL NULL, as ``own_progress`` counts it.)
        .values(draft=null() if draft is None else draft, draft_updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def own_progress(session: Session, *, project_id: int, user: User) -> dict[str, int | bool]:
    """The caller's own work in a project (``OwnProgressRead``): only rows of theirs are counted,
    and the tasks still open to them by the queue's own rules, so nothing tells whose work fills
    the other slots. Read only: expired leases are counted as the slots they free, not reclaimed."""
    now = utcnow()
    submitted = session.scalar(
        select(func.count()).where(
            Annotation.project_id == project_id,
            Annotation.user_id == user.id,
            Annotation.deleted_at.is_(None),
        )
    )
    live = (Assignment.state == "leased") & (Assignment.lease_expires_at > now)
    leased, drafts, skipped = session.execute(
        select(
            func.count().filter(live),
            func.count().filter(live & Assignment.draft.is_not(None)),
            func.count().filter(Assignment.state == "skipped"),
        ).where(Assignment.user_id == user.id, Assignment.project_id == project_id)
    ).one()
    # Two counts, each served by an index: tasks with a free slot now (``ix_tasks_queue``), and
    # full tasks whose slot an expired lease will free at the next ``next`` (no other lease
    # state holds a slot, so each such task has room again).
    # Counting stops past AVAILABLE_COUNT_CAP: a count costs about 1 µs per open task, so an
    # exact one would cost a project of a million tasks a second on every look at the list.
    open_to_you = (
        select(Task.id)
        .where(
            Task.project_id == project_id,
            Task.open_slots > 0,
            Task.open_reports == 0,  # reported tasks are out of the queue (as in ``next``)
            _never_handed(Task.id, literal(user.id)),
        )
        .limit(AVAILABLE_COUNT_CAP + 1)
        .subquery()
    )
    with_room = session.scalar(select(func.count()).select_from(open_to_you))
    expired = (
        select(Assignment.task_id)
        .where(
            Assignment.project_id == project_id,
            Assignment.state == "leased",
            Assignment.lease_expires_at <= now,
        )
        .distinct()
        .subquery()
    )
    freed = session.scalar(
        select(func.count())
        .select_from(expired.join(Task, Task.id == expired.c.task_id))
        .where(
            Task.open_slots == 0, Task.open_reports == 0, _never_handed(Task.id, literal(user.id))
        )
    )
    available = int(with_room or 0) + int(freed or 0)
    return {
        "submitted": int(submitted or 0),
        "leased": int(leased),
        "drafts": int(drafts),
        "skipped": int(skipped),
        "available": min(available, AVAILABLE_COUNT_CAP),
        "more_available": available > AVAILABLE_COUNT_CAP,
    }
