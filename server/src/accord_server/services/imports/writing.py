"""Phase 2 of an import: insert every row, prediction and annotation of a plan, in bulk chunks,
inside the transaction the caller holds (so a failed, cancelled or killed import leaves no task
behind).

Imported annotations are written as submits are: a revision each, an assignment (finished, so
the queue never hands the task to their annotator again), the task's ``annotation_count`` and
``open_slots`` (set on the task's row as it is inserted), and one ``annotation.created`` event
each, which stats and task completion follow. They are credited by ``annotators.Crediting``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord_server.db.base import utcnow
from accord_server.db.bulk import bulk_insert, reserve_ids
from accord_server.db.models import (
    Annotation,
    AnnotationRevision,
    Assignment,
    ImportedFile,
    Project,
)
from accord_server.schemas.enums import AnnotationOrigin, EventKind, ImportScope
from accord_server.services import jobs as job_service
from accord_server.services.batches import get_or_create_batches
from accord_server.services.errors import Invalid
from accord_server.services.events import record_all
from accord_server.services.imports.annotators import Crediting
from accord_server.services.imports.reading import Plan, TaskItem, task_rows
from accord_server.services.projects import project_schema
from accord_server.services.tasks import insert_predictions, insert_tasks

_ANNOTATION_COLUMNS = (
    "id",
    "client_id",
    "task_id",
    "project_id",
    "user_id",
    "result",
    "origin",
    "lead_time",
    "revision",
    "created_at",
    "updated_at",
)
_REVISION_COLUMNS = ("annotation_id", "revision", "result", "lead_time", "user_id", "created_at")
_ASSIGNMENT_COLUMNS = (
    "task_id",
    "project_id",
    "user_id",
    "state",
    "leased_at",
    "lease_expires_at",
    "finished_at",
)


def credit_annotations(
    crediting: Crediting, row_annotations: Sequence[list[dict[str, Any]]]
) -> list[list[tuple[int, dict[str, Any]]]]:
    """Each row's annotations with the user credited (one query per chunk for the people not
    met before). Two source people credited to the same user on one task (an email and the
    member's Label Studio id, say) keep the first: a task has one annotation per annotator."""
    people = {a["person"].key: a["person"] for anns in row_annotations for a in anns}
    ids = crediting.user_ids(people.values())
    credited: list[list[tuple[int, dict[str, Any]]]] = []
    for anns in row_annotations:
        seen: set[int] = set()
        kept = []
        for ann in anns:
            user_id = ids[ann["person"].key]
            if user_id not in seen:
                seen.add(user_id)
                kept.append((user_id, ann))
        credited.append(kept)
    return credited


def insert_annotations(
    session: Session,
    *,
    project: Project,
    job_id: int | None,
    rows: Iterable[tuple[int, int, dict[str, Any]]],
) -> int:
    """Bulk-insert imported annotations ``(task id, user id, annotation)`` with their first
    revisions, finished assignments and ``annotation.created`` events; the tasks' counts are
    the caller's (``insert_tasks``' ``annotation_count``, or an update of existing tasks)."""
    rows = list(rows)
    if not rows:
        return 0
    ids = reserve_ids(session, Annotation, len(rows))
    now = utcnow()
    project_id = project.id
    annotations, revisions, assignments, events = [], [], [], []
    for annotation_id, (task_id, user_id, ann) in zip(ids, rows, strict=True):
        created = ann.get("created_at") or now
        result, lead_time = ann["result"], ann.get("lead_time")
        annotations.append(
            (
                annotation_id,
                f"import-{job_id or 0}-{annotation_id}",
                task_id,
                project_id,
                user_id,
                result,
                AnnotationOrigin.HUMAN.value,
                lead_time,
                1,
                created,
                created,
            )
        )
        revisions.append((annotation_id, 1, result, lead_time, user_id, created))
        assignments.append((task_id, project_id, user_id, "submitted", created, created, created))
        payload = {
            "annotation_id": annotation_id,
            "task_id": task_id,
            "user_id": user_id,
            "revision": 1,
        }
        events.append((EventKind.ANNOTATION_CREATED, project.organization_id, project_id, payload))
    bulk_insert(session, Annotation, _ANNOTATION_COLUMNS, annotations)
    bulk_insert(session, AnnotationRevision, _REVISION_COLUMNS, revisions)
    bulk_insert(session, Assignment, _ASSIGNMENT_COLUMNS, assignments)
    record_all(session, events)  # type: ignore[arg-type]
    return len(rows)


def file_digest(data: bytes) -> str:
    """A task file's SHA-256, by which a later import of it into the project is told."""
    return hashlib.sha256(data).hexdigest()


def note_imported_files(session: Session, *, job_id: int, project_id: int, plan: Plan) -> None:
    """Report the plan's task files that were imported into the project before (their tasks
    and annotations are written again, as new tasks: the report says so, and names the import
    that wrote them first), and remember this import's."""
    if not plan.task_files:
        return
    digests = {digest for _, digest, _ in plan.task_files}
    before = dict(
        session.execute(
            select(ImportedFile.sha256, ImportedFile.job_id)
            .where(ImportedFile.project_id == project_id, ImportedFile.sha256.in_(digests))
            .order_by(ImportedFile.id.desc())
        ).all()
    )
    for name, digest, count in plan.task_files:
        if digest in before:
            plan.tally.files_imported_before += 1
            what = "tasks and annotations" if count else "tasks"
            plan.report(
                name,
                None,
                None,
                f"imported into this project before (import {before[digest]}): its {what} are "
                "written again, as new tasks",
                ImportScope.DUPLICATE,
            )
        session.add(
            ImportedFile(
                project_id=project_id,
                job_id=job_id,
                name=name[:1024],
                sha256=digest,
                annotations=count,
            )
        )
    session.flush()


def write_plan(
    session: Session,
    *,
    job_id: int,
    project_id: int,
    plan: Plan,
    default_batch: str | None,
    batch_size: int,
    progress: job_service.Progress,
    checkpoint: job_service.Checkpoint,
) -> dict[str, Any]:
    """Phase 2: read the task files again (or take, and let go of, their kept rows) and insert
    every row, prediction and annotation in ``session``'s transaction, ``batch_size`` rows at
    a time; returns the counts.
    A file that reads differently now than in phase 1 (changed in between) raises ``Invalid``,
    which rolls everything back."""
    created = predictions = annotations = row_errors = 0
    project = session.get(Project, project_id)
    if project is None:
        raise Invalid(f"project {project_id} no longer exists")
    schema = project_schema(project)
    crediting = Crediting(session, project.organization_id)
    note_imported_files(session, job_id=job_id, project_id=project_id, plan=plan)
    names = plan.batches | ({default_batch} if default_batch else set())
    batch_ids = get_or_create_batches(session, project=project, names=names)
    rows: list[dict[str, Any]] = []
    row_predictions: list[list[dict[str, Any]]] = []
    row_annotations: list[list[dict[str, Any]]] = []

    def count_error(
        _row: int | None, _field: str | None, _message: str, _scope: ImportScope
    ) -> None:
        nonlocal row_errors
        row_errors += 1

    def write() -> None:
        nonlocal created, predictions, annotations
        credited = credit_annotations(crediting, row_annotations)
        for row, anns in zip(rows, credited, strict=True):
            name = row.pop("batch", None) or default_batch
            row["batch_id"] = batch_ids.get(name) if name else None
            row["annotation_count"] = len(anns)
        ids = insert_tasks(session, project=project, rows=rows, import_job_id=job_id)
        created += len(ids)
        pred_rows = [
            {**pred, "task_id": task_id}
            for task_id, preds in zip(ids, row_predictions, strict=True)
            for pred in preds
        ]
        predictions += insert_predictions(session, project=project, rows=pred_rows)
        annotations += insert_annotations(
            session,
            project=project,
            job_id=job_id,
            rows=(
                (task_id, user_id, ann)
                for task_id, anns in zip(ids, credited, strict=True)
                for user_id, ann in anns
            ),
        )
        rows.clear()
        row_predictions.clear()
        row_annotations.clear()
        checkpoint()
        progress(
            0.5 + 0.5 * created / max(1, plan.row_count),
            "writing",
            plan.counts(tasks=created),
        )

    for entry in plan.entries:
        items: Iterable[TaskItem]
        if isinstance(entry, list):
            items = entry  # rows kept from phase 1
        elif isinstance(entry, dict):
            items = [(entry, [], [])]
        else:
            items = task_rows(
                project, schema, entry.name, entry.read(), count_error, plan.url_sizes.found
            )
        for row, preds, anns in items:
            rows.append(row)
            row_predictions.append(preds)
            row_annotations.append(anns)
            if len(rows) >= batch_size:
                write()
        if isinstance(entry, list):
            entry.clear()  # written or in the chunk: hold them once, not twice
    if rows:
        write()
    if created != plan.row_count or row_errors != plan.row_errors:
        raise Invalid(
            "a source file changed while it was being imported "
            f"({plan.row_count} rows and {plan.row_errors} problems when read, "
            f"{created} and {row_errors} when written): nothing imported; import again"
        )
    return plan.counts(
        tasks=created,
        predictions=predictions,
        annotations=annotations,
        imported_annotators=crediting.created,
    )
