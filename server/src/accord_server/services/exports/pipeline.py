"""An export from start to end, as its job runs it: read the tasks in id order a chunk at a
time, build each task's ``ExportItem`` (its chosen results with the label mapping applied, its
predictions, its split, a unique and path-safe media file name), hand it to the format's writer,
pack what the writer wrote into one download, store it and record the end.

Memory stays flat whatever the project's size: a chunk of ``CHUNK`` tasks (with their
annotations and predictions) is in memory at a time, read by keyset (``id > last``) in a read
session of its own (so a long export does not pin one snapshot of the database; a task changed
meanwhile is exported as it is when its chunk is read), and the writers stream to disk.

The job (``jobs/exports.py``) owns the transactions: it hands in how to open a read session
and the write transaction, the storage, a scratch folder, and how to report progress and check
for a cancel request (a checkpoint between chunks: a cancelled export stores nothing)."""

from __future__ import annotations

import mimetypes
import posixpath
import re
import shutil
import tempfile
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord_server.adapters.storage import KeyNotFoundError, Storage, safe_relative_path
from accord_server.db.models import Annotation, Export, Job, Prediction, Project, Task, User
from accord_server.schemas.enums import ExportResultChoice
from accord_server.schemas.label_schema import LabelSchema
from accord_server.services import jobs as job_service
from accord_server.services import projects
from accord_server.services.errors import Invalid, NotFound
from accord_server.services.exports import packing
from accord_server.services.exports.options import (
    ExportPlan,
    get_format_or_raise,
    map_regions,
    map_schema,
    split_of,
    task_filters,
)
from accord_server.services.exports.service import finish_export
from accord_server.services.formats.export import Context, ExportItem, ExportResult, Report
from accord_server.services.imports.pipeline import SessionOpener
from accord_server.services.task_table import filter_conditions
from accord_server.services.tasks import MEDIA_DATA_KEY

CHUNK = 500
"""Tasks read (with their annotations and predictions) at a time."""
NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 100
MEDIA_BY_URL = "media given by URL, not stored by Accord: not in the export's files"
MEDIA_MISSING = "media files missing from storage"


def run_export(
    *,
    job_id: int,
    read: SessionOpener,
    write: SessionOpener,
    storage: Storage,
    scratch: Path,
    progress: job_service.Progress,
    checkpoint: job_service.Checkpoint,
) -> None:
    """Run the export job ``job_id`` end to end (see the module docstring)."""
    with read() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound(f"job {job_id} not found")
        export = session.get(Export, int(job.params["export_id"]))
        if export is None:
            raise Invalid(f"export of job {job_id} no longer exists")
        project = session.get(Project, export.project_id)
        if project is None:
            raise Invalid(f"project {export.project_id} no longer exists")
        attempt = job.attempts
        session.expunge_all()
    scratch.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=scratch, prefix=f"export-{export.id}-") as tmp:
        root = Path(tmp)
        out, staging = root / "out", root / "staging"
        out.mkdir()
        staging.mkdir()
        count, report = _write(export, project, out, staging, read, storage, progress, checkpoint)
        progress(0.9, "packing", {"tasks": count})
        checkpoint()
        packed = packing.pack(out, root, stem=f"project-{project.id}-export-{export.id}")
        progress(0.95, "storing", {"tasks": count})
        stored = packing.store(storage, packed, export_id=export.id)
        stored["file_name"] = _download_name(project.id, export, packed)
    with write() as session:
        finish_export(
            session,
            export_id=export.id,
            job_id=job_id,
            attempt=attempt,
            stored=stored,
            task_count=count,
            report=report.as_dict(),
        )


def _download_name(project_id: int, export: Export, packed: packing.Packed) -> str:
    if packed.content_type == packing.ZIP_TYPE:
        return packed.name
    return f"project-{project_id}-export-{export.id}-{packed.name}"


def _write(
    export: Export,
    project: Project,
    out: Path,
    staging: Path,
    read: SessionOpener,
    storage: Storage,
    progress: job_service.Progress,
    checkpoint: job_service.Checkpoint,
) -> tuple[int, Report]:
    """Hand every selected task to the format's writer; how many, and the report."""
    plan = ExportPlan.from_options(export.options)
    fmt = get_format_or_raise(export.format, project.media)
    schema = map_schema(projects.project_schema(project), plan.label_map)
    report = Report()
    media = _MediaPlacer(storage, out, report)
    ctx = Context(
        out=out,
        staging=staging,
        report=report,
        options=plan.format_options,
        place_media=media.place if plan.include_media else (lambda item, path: None),
        include_media=plan.include_media,
    )
    writer = fmt.make(schema, ctx)
    with read() as session:
        total = _count(session, project, export)
    progress(0.0, "writing", {"tasks": 0, "total": total})
    done = 0
    for chunk in _chunks(read, project, export, plan, schema, report, media):
        checkpoint()
        for item in chunk:
            writer.write(item)
        done += len(chunk)
        progress(0.9 * done / max(total, 1), "writing", {"tasks": done, "total": total})
    checkpoint()
    writer.finish()
    return done, report


def _selected(session: Session, project: Project, export: Export) -> list[Any]:
    where = filter_conditions(session, project, task_filters(export.filter))
    if ExportPlan.from_options(export.options).result == ExportResultChoice.GROUND_TRUTH:
        where.append(Task.is_gold.is_(True))
    return where


def _count(session: Session, project: Project, export: Export) -> int:
    where = _selected(session, project, export)
    return int(session.scalar(select(func.count()).select_from(Task).where(*where)) or 0)


def _chunks(
    read: SessionOpener,
    project: Project,
    export: Export,
    plan: ExportPlan,
    schema: LabelSchema,
    report: Report,
    media: _MediaPlacer,
) -> Iterator[list[ExportItem]]:
    """The selected tasks as items, a chunk at a time, in task id order (keyset reads)."""
    last = 0
    media_kind = str(schema.media)
    while True:
        with read() as session:
            where = _selected(session, project, export)
            tasks = list(
                session.scalars(
                    select(Task).where(*where, Task.id > last).order_by(Task.id).limit(CHUNK)
                )
            )
            if not tasks:
                return
            ids = [t.id for t in tasks]
            results = _results(session, ids, plan.result)
            predictions = _predictions(session, ids)
            items = []
            for task in tasks:
                items.append(_item(task, media_kind, plan, results, predictions, report))
                media.keys[task.id] = task.media_key
            session.expunge_all()
        last = ids[-1]
        yield items
        media.keys.clear()


def _item(
    task: Task,
    media_kind: str,
    plan: ExportPlan,
    results: dict[int, list[ExportResult]],
    predictions: dict[int, list[ExportResult]],
    report: Report,
) -> ExportItem:
    meta = dict(task.meta or {})
    width, height = meta.get("width"), meta.get("height")

    def mapped(found: list[ExportResult]) -> tuple[ExportResult, ...]:
        if not plan.label_map:
            return tuple(found)
        return tuple(
            _with_regions(r, map_regions(r.regions, plan.label_map, report, task.id)) for r in found
        )

    return ExportItem(
        task_id=task.id,
        data=dict(task.data),
        media_name=_media_name(task, media_kind),
        width=width if isinstance(width, int) else None,
        height=height if isinstance(height, int) else None,
        results=mapped(results.get(task.id, [])),
        predictions=mapped(predictions.get(task.id, [])),
        split=split_of(plan.split, task.id) if plan.split else None,
        is_gold=task.is_gold,
        meta=meta,
    )


def _with_regions(r: ExportResult, regions: list[dict[str, Any]]) -> ExportResult:
    return ExportResult(
        regions=regions,
        source=r.source,
        annotation_id=r.annotation_id,
        annotator=r.annotator,
        origin=r.origin,
        score=r.score,
        created_at=r.created_at,
        updated_at=r.updated_at,
    )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _results(
    session: Session, task_ids: list[int], choice: ExportResultChoice
) -> dict[int, list[ExportResult]]:
    """The chosen annotations of each task: every live one for ``all``, else the latest."""
    rows = session.execute(
        select(Annotation, User.email)
        .outerjoin(User, User.id == Annotation.user_id)
        .where(Annotation.task_id.in_(task_ids), Annotation.deleted_at.is_(None))
        .order_by(Annotation.task_id, Annotation.id)
    )
    found: dict[int, list[ExportResult]] = defaultdict(list)
    latest: dict[int, tuple[datetime, int]] = {}
    for annotation, email in rows:
        result = ExportResult(
            regions=list(annotation.result),
            source="annotation",
            annotation_id=annotation.id,
            annotator=email,
            origin=annotation.origin,
            created_at=_iso(annotation.created_at),
            updated_at=_iso(annotation.updated_at),
        )
        if choice == ExportResultChoice.ALL:
            found[annotation.task_id].append(result)
            continue
        rank = (annotation.updated_at, annotation.id)
        if annotation.task_id not in latest or rank > latest[annotation.task_id]:
            latest[annotation.task_id] = rank
            found[annotation.task_id] = [result]
    return found


def _predictions(session: Session, task_ids: list[int]) -> dict[int, list[ExportResult]]:
    found: dict[int, list[ExportResult]] = defaultdict(list)
    for p in session.scalars(
        select(Prediction).where(Prediction.task_id.in_(task_ids)).order_by(Prediction.id)
    ):
        found[p.task_id].append(
            ExportResult(
                regions=list(p.result),
                source="prediction",
                annotator=p.model_version,
                score=p.score,
                created_at=_iso(p.created_at),
            )
        )
    return found


def _media_name(task: Task, media_kind: str) -> str | None:
    """``000123_cat.jpg``: the task id (unique in the export) and its file's name, with only
    letters, digits, ``.``, ``_`` and ``-`` (safe as a path component anywhere); None for a
    task without a media file (a text task)."""
    data_key = MEDIA_DATA_KEY.get(media_kind)
    if media_kind == "text" or data_key is None:
        return None
    meta = task.meta or {}
    source = task.data.get("filename") or meta.get("filename")
    if not isinstance(source, str) or not source:
        url = task.data.get(data_key)
        source = unquote(urlsplit(url).path) if isinstance(url, str) else ""
    base = posixpath.basename(str(source).replace("\\", "/"))
    base = NAME_CHARS.sub("_", base).lstrip(".")[-MAX_NAME:]
    if "." not in base:
        ext = mimetypes.guess_extension(str(meta.get("mime") or "")) or ""
        base = (base or "media") + ext
    return f"{task.id:06d}_{base}"


@dataclass
class _MediaPlacer:
    """Copies a task's stored media file into the export (streamed), or reports why not."""

    storage: Storage
    out: Path
    report: Report

    def __post_init__(self) -> None:
        self.keys: dict[int, str | None] = {}

    def place(self, item: ExportItem, path: str) -> None:
        key = self.keys.get(item.task_id)
        if key is None:
            self.report.drop(MEDIA_BY_URL, task_id=item.task_id)
            return
        target = self.out / safe_relative_path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            with self.storage.open(key) as src, target.open("wb") as dst:
                shutil.copyfileobj(src, dst, 1024 * 1024)
        except KeyNotFoundError:
            target.unlink(missing_ok=True)
            self.report.drop(MEDIA_MISSING, task_id=item.task_id)
