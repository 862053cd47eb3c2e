"""Phase 2 of an import: insert every row and prediction of a plan, in bulk chunks, inside the
transaction the caller holds (so a failed, cancelled or killed import leaves no task behind)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy.orm import Session

from accord_server.db.models import Project
from accord_server.schemas.enums import ImportScope
from accord_server.services import jobs as job_service
from accord_server.services.batches import get_or_create_batches
from accord_server.services.errors import Invalid
from accord_server.services.imports.reading import Pair, Plan, task_rows
from accord_server.services.projects import project_schema
from accord_server.services.tasks import insert_predictions, insert_tasks


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
    every row and prediction in ``session``'s transaction, ``batch_size`` rows at a time;
    returns the counts.
    A file that reads differently now than in phase 1 (changed in between) raises ``Invalid``,
    which rolls everything back."""
    created = predictions = row_errors = 0
    project = session.get(Project, project_id)
    if project is None:
        raise Invalid(f"project {project_id} no longer exists")
    schema = project_schema(project)
    names = plan.batches | ({default_batch} if default_batch else set())
    batch_ids = get_or_create_batches(session, project=project, names=names)
    rows: list[dict[str, Any]] = []
    row_predictions: list[list[dict[str, Any]]] = []

    def count_error(
        _row: int | None, _field: str | None, _message: str, _scope: ImportScope
    ) -> None:
        nonlocal row_errors
        row_errors += 1

    def write() -> None:
        nonlocal created, predictions
        for row in rows:
            name = row.pop("batch", None) or default_batch
            row["batch_id"] = batch_ids.get(name) if name else None
        ids = insert_tasks(session, project=project, rows=rows, import_job_id=job_id)
        created += len(ids)
        pred_rows = [
            {**pred, "task_id": task_id}
            for task_id, preds in zip(ids, row_predictions, strict=True)
            for pred in preds
        ]
        predictions += insert_predictions(session, project=project, rows=pred_rows)
        rows.clear()
        row_predictions.clear()
        checkpoint()
        progress(
            0.5 + 0.5 * created / max(1, plan.row_count),
            "writing",
            plan.counts(tasks=created),
        )

    for entry in plan.entries:
        pairs: Iterable[Pair]
        if isinstance(entry, list):
            pairs = entry  # rows kept from phase 1
        elif isinstance(entry, dict):
            pairs = [(entry, [])]
        else:
            pairs = task_rows(
                project, schema, entry.name, entry.read(), count_error, plan.url_sizes.found
            )
        for row, preds in pairs:
            rows.append(row)
            row_predictions.append(preds)
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
    return plan.counts(tasks=created, predictions=predictions)
