"""The import job: read every source file, validate everything, then write all or nothing.

Phase 1 (reading, progress 0-50 %) parses task files and probes media, collecting a per-row
error report; nothing is written but media blobs. Phase 2 (writing, 50-100 %) reads the task
files again and inserts tasks and predictions in bulk chunks inside one transaction, so a
failed, cancelled or killed import leaves no task behind. Neither phase keeps more than a chunk
of task rows in memory (a JSON array file is decoded whole; JSON lines and CSV row by row): the
worker's memory does not grow with the size of the import.
"""

from __future__ import annotations

import functools
import gc
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from accord_server import wording
from accord_server.adapters.media import MediaError, probe_media
from accord_server.adapters.storage import (
    SourceFile,
    SourcePathError,
    iter_local_source,
)
from accord_server.db.models import Job, Project
from accord_server.jobs.runner import Cancelled
from accord_server.runtime import Runtime
from accord_server.schemas.label_schema import LabelSchema
from accord_server.services import jobs as job_service
from accord_server.services.batches import get_or_create_batches
from accord_server.services.errors import Invalid
from accord_server.services.imports.parsers import RowError, TaskIn, iter_tasks
from accord_server.services.projects import project_schema
from accord_server.services.results import MediaInfo, validate_result
from accord_server.services.tasks import insert_predictions, insert_tasks

TASK_FILE_EXTENSIONS = {".json", ".jsonl", ".ndjson", ".csv", ".tsv"}
MEDIA_DATA_KEY = {"image": "image", "video": "video", "audio": "audio", "text": "text"}
PROGRESS_EVERY = 50


@dataclass
class Plan:
    """What phase 1 found: the sources in order (a task file to read again in phase 2, or the
    row of a media file, ready), how many rows they make, the batches they name, the errors."""

    entries: list[SourceFile | dict[str, Any]] = field(default_factory=list)
    row_count: int = 0
    batches: set[str] = field(default_factory=set)
    errors: list[dict[str, Any]] = field(default_factory=list)
    error_count: int = 0
    row_errors: int = 0
    """Errors of rows inside the task files: phase 2 must meet exactly as many."""
    files: int = 0

    def error(self, file: str, row: int | None, fld: str | None, message: str) -> None:
        self.error_count += 1
        if len(self.errors) < job_service.MAX_ERRORS_KEPT:
            self.errors.append({"file": file, "row": row, "field": fld, "message": message})


def media_url(project_id: int, key: str) -> str:
    """Where the web app and exports fetch a stored media file."""
    return f"/api/v1/projects/{project_id}/media/{key}"


def _sources(runtime: Runtime, params: dict[str, Any]) -> Iterator[SourceFile]:
    storage = runtime.storage
    for item in params.get("files", []):
        read = functools.partial(storage.read, item["key"])
        yield SourceFile(name=item["name"], size=int(item["size"]), read=read)
    source = params.get("source")
    if not source:
        return
    if source["type"] == "folder":
        root = runtime.settings.import_roots[int(source.get("root", 0))]
        yield from iter_local_source(root, source["path"])
    elif source["type"] == "s3":
        import boto3

        from accord_server.adapters.storage import iter_s3_source

        client = boto3.client(
            "s3",
            endpoint_url=runtime.settings.s3_endpoint_url,
            region_name=runtime.settings.s3_region,
        )
        yield from iter_s3_source(client, source["bucket"], source.get("prefix", ""))


def _task_row(task: TaskIn, is_text: bool) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    if is_text:
        text = task.data.get("text")
        if isinstance(text, str):
            meta["text_length"] = len(text)
    return {
        "data": task.data,
        "meta": meta,
        "priority": task.priority,
        "is_gold": task.is_gold,
        "batch": task.batch,
    }


ErrorSink = Callable[[int | None, str | None, str], None]


def _task_rows(
    project: Project, schema: LabelSchema, name: str, data: bytes, error: ErrorSink
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """A task file's valid rows in order, each with its valid predictions; ``error`` hears of
    every row skipped and every prediction dropped."""
    relation_tool = next((t.name for t in schema.tools if t.type == "relation"), None)
    is_text = project.media == "text"
    for task in iter_tasks(data, name):
        if type(task) is RowError:
            error(task.row, task.field, task.message)
            continue
        assert type(task) is TaskIn
        row = _task_row(task, is_text)
        preds: list[dict[str, Any]] = []
        for i, pred in enumerate(task.predictions):
            for region in pred.result:
                # Label Studio relations name no tool: they belong to the schema's relation tool.
                if isinstance(region, dict) and region.get("type") == "relation":
                    region.setdefault("tool", relation_tool)
            try:
                media = MediaInfo(
                    kind=project.media,
                    width=None,
                    height=None,
                    text_length=row["meta"].get("text_length"),
                    frame_count=None,
                )
                result = validate_result(schema, pred.result, media, require_complete=False)
            except Invalid as exc:
                error(task.source_row, f"predictions[{i}].result", exc.message)
                continue
            preds.append(
                {"result": result, "score": pred.score, "model_version": pred.model_version}
            )
        yield row, preds


def _add_task_file(plan: Plan, project: Project, src: SourceFile, data: bytes) -> None:
    name = src.name
    kept: list[tuple[int | None, str | None, str]] = []  # the first ones, for the report
    count = 0
    unusable = False

    def error(row_no: int | None, fld: str | None, message: str) -> None:
        nonlocal count, unusable
        count += 1
        unusable = unusable or row_no == 0
        if len(kept) < job_service.MAX_ERRORS_KEPT or row_no == 0:
            kept.append((row_no, fld, message))

    rows = 0
    batches: set[str] = set()
    for row, _preds in _task_rows(project, project_schema(project), name, data, error):
        rows += 1
        if row["batch"]:
            batches.add(row["batch"])
    for row_no, fld, message in kept:
        plan.error(name, row_no, fld, message)
    plan.error_count += count - len(kept)
    if unusable:
        return  # the file as a whole is unusable (see iter_tasks): nothing of it is written
    plan.row_errors += count
    plan.row_count += rows
    plan.batches |= batches
    plan.entries.append(src)


def _add_media_file(
    plan: Plan, runtime: Runtime, project: Project, src: SourceFile, data: bytes
) -> None:
    probe = probe_media(
        data,
        src.name,
        max_image_pixels=runtime.settings.max_image_pixels,
        max_bytes=runtime.settings.max_upload_bytes,
    )
    if probe.kind != project.media:
        raise MediaError(
            src.name,
            f"{wording.with_article(probe.kind)} file cannot be a task of "
            f"{wording.with_article(project.media)} project",
        )
    base = posixpath.basename(src.name)
    meta: dict[str, Any] = {"filename": src.name, "mime": probe.mime, "size": probe.size}
    if probe.kind == "text":
        text = data.decode("utf-8-sig")
        meta["text_length"] = probe.text_length
        plan.entries.append({"data": {"text": text, "filename": base}, "meta": meta})
        plan.row_count += 1
        return
    key = runtime.storage.put_bytes(data, content_type=probe.mime)
    if probe.width is not None:
        meta.update(width=probe.width, height=probe.height)
    plan.entries.append(
        {
            "data": {MEDIA_DATA_KEY[probe.kind]: media_url(project.id, key), "filename": base},
            "meta": meta,
            "media_key": key,
        }
    )
    plan.row_count += 1


def _check_cancel(runtime: Runtime, job_id: int) -> None:
    with runtime.db.session(write=False) as session:
        if job_service.cancel_requested(session, job_id=job_id):
            raise Cancelled


def _report(
    runtime: Runtime, job_id: int, progress: float, phase: str, counts: dict[str, Any]
) -> None:
    with runtime.db.transaction() as session:
        job_service.report_progress(
            session, job_id=job_id, progress=progress, phase=phase, counts=counts
        )


def _counts(plan: Plan, **extra: Any) -> dict[str, Any]:
    return {"files": plan.files, "rows": plan.row_count, "errors": plan.error_count, **extra}


def read_sources(runtime: Runtime, job: Job, project: Project) -> Plan:
    """Phase 1: parse and probe every source file into a plan (writes media blobs only)."""
    plan = Plan()
    sources = _sources(runtime, job.params)
    total = int(job.params.get("total_files") or 0)
    while True:
        try:
            src = next(sources)
        except StopIteration:
            break
        except SourcePathError as exc:
            plan.error(exc.path, None, None, str(exc))
            break
        plan.files += 1
        try:
            data = src.read()
            if posixpath.splitext(src.name.lower())[1] in TASK_FILE_EXTENSIONS:
                _add_task_file(plan, project, src, data)
            else:
                _add_media_file(plan, runtime, project, src, data)
        except MediaError as exc:
            plan.error(src.name, None, None, str(exc))
        except Invalid as exc:
            plan.error(src.name, None, None, exc.message)
        if plan.files % PROGRESS_EVERY == 0:
            _check_cancel(runtime, job.id)
            done = plan.files / total if total else 0.0
            _report(runtime, job.id, 0.5 * min(done, 1.0), "reading", _counts(plan))
    return plan


def write_plan(runtime: Runtime, job: Job, plan: Plan) -> dict[str, Any]:
    """Phase 2: read the task files again and insert every row and prediction in one
    transaction, in bulk chunks. A file that reads differently now than in phase 1 (changed in
    between) raises ``Invalid``, which rolls everything back."""
    chunk = runtime.settings.import_batch_size
    default_batch = job.params.get("batch")
    created = predictions = row_errors = 0
    with runtime.db.transaction() as session:
        project = session.get(Project, job.project_id)
        if project is None:
            raise Invalid(f"project {job.project_id} no longer exists")
        schema = project_schema(project)
        names = plan.batches | ({default_batch} if default_batch else set())
        batch_ids = get_or_create_batches(session, project=project, names=names)
        rows: list[dict[str, Any]] = []
        row_predictions: list[list[dict[str, Any]]] = []

        def count_error(_row: int | None, _field: str | None, _message: str) -> None:
            nonlocal row_errors
            row_errors += 1

        def write() -> None:
            nonlocal created, predictions
            for row in rows:
                name = row.pop("batch", None) or default_batch
                row["batch_id"] = batch_ids.get(name) if name else None
            ids = insert_tasks(session, project=project, rows=rows, import_job_id=job.id)
            created += len(ids)
            pred_rows = [
                {**pred, "task_id": task_id}
                for task_id, preds in zip(ids, row_predictions, strict=True)
                for pred in preds
            ]
            predictions += insert_predictions(session, project=project, rows=pred_rows)
            rows.clear()
            row_predictions.clear()
            _check_cancel(runtime, job.id)
            if not runtime.db.is_sqlite:
                # SQLite has one writer: this transaction holds it, so progress waits.
                _report(
                    runtime,
                    job.id,
                    0.5 + 0.5 * created / max(1, plan.row_count),
                    "writing",
                    _counts(plan, tasks=created),
                )

        for entry in plan.entries:
            if isinstance(entry, dict):
                pairs: Iterator[tuple[dict[str, Any], list[dict[str, Any]]]] = iter([(entry, [])])
            else:
                pairs = _task_rows(project, schema, entry.name, entry.read(), count_error)
            for row, preds in pairs:
                rows.append(row)
                row_predictions.append(preds)
                if len(rows) >= chunk:
                    write()
        if rows:
            write()
        if created != plan.row_count or row_errors != plan.row_errors:
            raise Invalid(
                "a source file changed while it was being imported "
                f"({plan.row_count} rows and {plan.row_errors} bad ones when read, "
                f"{created} and {row_errors} when written): nothing imported; import again"
            )
    return _counts(plan, tasks=created, predictions=predictions)


def run_import(runtime: Runtime, job_id: int) -> None:
    """Run an import job end to end (see the module docstring)."""
    # Millions of small row objects make the cyclic collector rescan them again and again;
    # they hold no cycles, so pause it for the job.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        _run_import(runtime, job_id)
    finally:
        if was_enabled:
            gc.enable()


def _run_import(runtime: Runtime, job_id: int) -> None:
    with runtime.db.session(write=False) as session:
        job = session.get(Job, job_id)
        assert job is not None
        project = session.get(Project, job.project_id) if job.project_id else None
        if project is None:
            raise Invalid(f"project {job.project_id} no longer exists")
        session.expunge_all()
    plan = read_sources(runtime, job, project)
    skip_invalid = bool(job.params.get("skip_invalid"))
    if plan.error_count and not skip_invalid:
        with runtime.db.transaction() as session:
            job_service.finish_job(
                session,
                job_id=job_id,
                state="failed",
                counts=_counts(plan, tasks=0),
                errors=plan.errors,
                message=f"nothing imported: {wording.count(plan.error_count, 'error')}; first: "
                f"{_first(plan.errors)}",
            )
        return
    if not plan.row_count and not plan.error_count:
        with runtime.db.transaction() as session:
            job_service.finish_job(
                session,
                job_id=job_id,
                state="failed",
                counts=_counts(plan, tasks=0),
                message="nothing to import: no tasks or media files found",
            )
        return
    _report(runtime, job_id, 0.5, "writing", _counts(plan))
    counts = write_plan(runtime, job, plan)
    with runtime.db.transaction() as session:
        message = f"imported {wording.count(counts['tasks'], 'task')}"
        if plan.error_count:
            message += "; skipped " + wording.count(
                plan.error_count, "invalid row or file", "invalid rows or files"
            )
        job_service.finish_job(
            session,
            job_id=job_id,
            state="succeeded",
            counts=counts,
            errors=plan.errors,
            message=message,
        )


def _first(errors: list[dict[str, Any]]) -> str:
    e = errors[0]
    where = e["file"] + (f" row {e['row']}" if e.get("row") else "")
    where += f" {e['field']}" if e.get("field") else ""
    msg = e["message"]
    return msg if msg.startswith(e["file"]) else f"{where}: {msg}"
