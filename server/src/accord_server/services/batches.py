"""Batches: named groups of a project's tasks (with a priority for the queue)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import exists, func, select, update
from sqlalchemy.orm import Session

from accord_server.db.models import Batch, Membership, Project, Task
from accord_server.schemas.enums import EventKind
from accord_server.services.errors import Invalid
from accord_server.services.events import EventRecord, Payload, record_all
from accord_server.services.permissions import Action, authorize


def check_batch_name(name: str) -> str:
    """A batch name as stored (stripped), or ``Invalid`` naming what is wrong with it."""
    clean = name.strip()
    if not clean or len(clean) > 200:
        raise Invalid(f"batch: {name!r} must be 1 to 200 characters", details={"field": "batch"})
    if "\x00" in clean:  # PostgreSQL stores none; refused on SQLite too
        raise Invalid(
            f"batch: {name!r} contains a NUL character (U+0000), which cannot be stored",
            details={"field": "batch"},
        )
    return clean


def get_or_create_batches(
    session: Session, *, project: Project, names: Iterable[str]
) -> dict[str, int]:
    """Ids of the named batches of a project, creating the missing ones."""
    ids: dict[str, int] = {}
    for name in sorted(set(names)):
        clean = check_batch_name(name)
        batch = session.scalar(
            select(Batch).where(Batch.project_id == project.id, Batch.name == clean)
        )
        if batch is None:
            batch = Batch(project_id=project.id, name=clean)
            session.add(batch)
            session.flush()
        ids[name] = batch.id
    return ids


def list_batches(session: Session, *, project: Project) -> list[tuple[Batch, int]]:
    """A project's batches with their task counts."""
    counts = (
        select(Task.batch_id, func.count().label("n"))
        .where(Task.project_id == project.id, Task.batch_id.is_not(None))
        .group_by(Task.batch_id)
        .subquery()
    )
    rows = session.execute(
        select(Batch, func.coalesce(counts.c.n, 0))
        .outerjoin(counts, counts.c.batch_id == Batch.id)
        .where(Batch.project_id == project.id)
        .order_by(Batch.id)
    ).all()
    return [(b, int(n)) for b, n in rows]


def move_to_batch(
    session: Session,
    *,
    project: Project,
    membership: Membership,
    task_ids: Sequence[int],
    batch: str,
) -> int:
    """Put tasks of a project into a batch (created when new); returns how many moved."""
    authorize(membership.role, Action.TASK_UPDATE)
    batch_id = get_or_create_batches(session, project=project, names=[batch])[batch]
    result = session.execute(
        update(Task)
        .where(Task.project_id == project.id, Task.id.in_(list(task_ids)))
        .values(batch_id=batch_id)
    )
    session.flush()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def record_batch_completions(session: Session, events: Sequence[EventRecord]) -> None:
    """Event subscriber (task.completed): record batch.completed for each batch of these tasks
    whose every task has reached its project's overlap (read after the fact, like
    task.completed itself: the submit that completed it writes nothing more)."""
    task_ids = [int(e.payload["task_id"]) for e in events]
    batch_ids = select(Task.batch_id).where(Task.id.in_(task_ids), Task.batch_id.is_not(None))
    open_task = exists().where(Task.batch_id == Batch.id, Task.annotation_count < Project.overlap)
    sizes = select(func.count()).where(Task.batch_id == Batch.id).scalar_subquery()
    rows = session.execute(
        select(Batch.id, Batch.name, Project.id, Project.organization_id, sizes)
        .join(Project, Project.id == Batch.project_id)
        .where(Batch.id.in_(batch_ids), ~open_task)
        .order_by(Batch.id)
    ).all()
    completed: list[tuple[EventKind, int, int | None, Payload]] = [
        (
            EventKind.BATCH_COMPLETED,
            organization_id,
            project_id,
            {"batch_id": batch_id, "name": name, "tasks": int(tasks)},
        )
        for batch_id, name, project_id, organization_id, tasks in rows
    ]
    record_all(session, completed)
