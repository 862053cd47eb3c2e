"""An export from start to end, as its job runs it: read the tasks in id order a chunk at a
time, build each task's ``ExportItem`` (its chosen results with the label mapping applied, its
predictions, its split, a unique and path-safe media file name), hand it to the format's writer,
pack what the writer wrote into one download, store it and record the end.

The tasks come from a source (``source.py``): the live project, or a dataset version's manifest
when the export names one (``options["version"]``), made into items by the same code.

Memory stays flat whatever the project's size: a chunk of ``CHUNK`` tasks (with their
annotations and predictions) is in memory at a time, read by keyset (``id > last``) in a read
session of its own (so a long export does not pin one snapshot of the database; a task changed
meanwhile is exported as it is when its chunk is read), or a chunk of manifest lines streamed
from storage; the writers stream to disk.

The job (``jobs/exports.py``) owns the transactions: it hands in how to open a read session
and the write transaction, the storage, a scratch folder, and how to report progress and check
for a cancel request (a checkpoint between chunks: a cancelled export stores nothing)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from accord_server.adapters.storage import KeyNotFoundError, Storage, safe_relative_path
from accord_server.db.models import DatasetVersion, Export, Job, Project
from accord_server.schemas.label_schema import LabelSchema
from accord_server.services import jobs as job_service
from accord_server.services import projects
from accord_server.services.errors import Invalid, NotFound
from accord_server.services.exports import packing
from accord_server.services.exports.options import ExportPlan, get_format_or_raise, map_schema
from accord_server.services.exports.service import finish_export
from accord_server.services.exports.source import (
    Record,
    count_live,
    item_from_record,
    live_records,
    manifest_records,
)
from accord_server.services.formats.export import Context, ExportItem, Report
from accord_server.services.imports.pipeline import SessionOpener

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
    origin = _source(export, project, read, storage, plan)
    schema = map_schema(origin.schema, plan.label_map)
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
    media_kind = str(schema.media)
    total = origin.total
    progress(0.0, "writing", {"tasks": 0, "total": total})
    done = 0
    for chunk in origin.chunks:
        checkpoint()
        for record in chunk:
            media.keys[int(record["id"])] = record.get("media_key")
            writer.write(item_from_record(record, media_kind, plan, report))
        media.keys.clear()
        done += len(chunk)
        progress(0.9 * done / max(total, 1), "writing", {"tasks": done, "total": total})
    checkpoint()
    writer.finish()
    return done, report


@dataclass
class _Source:
    """Where an export's records come from: the schema the writer is given, how many tasks
    there are, and the records a chunk at a time."""

    schema: LabelSchema
    total: int
    chunks: Iterator[list[Record]]


def _source(
    export: Export, project: Project, read: SessionOpener, storage: Storage, plan: ExportPlan
) -> _Source:
    """The live project (its schema now, the filter and result choice), or the dataset
    version the export names (its frozen schema and its manifest)."""
    version_id = export.options.get("version")
    if version_id is None:
        with read() as session:
            total = count_live(session, project, export.filter, plan.result)
        return _Source(
            schema=projects.project_schema(project),
            total=total,
            chunks=live_records(read, project, export.filter, plan.result),
        )
    with read() as session:
        version = session.get(DatasetVersion, int(version_id))
        if version is None or version.manifest_key is None:
            raise Invalid(f"dataset version {version_id} of export {export.id} no longer exists")
        session.expunge(version)
    return _Source(
        schema=LabelSchema.model_validate(version.label_schema),
        total=version.task_count,
        chunks=manifest_records(storage.open(version.manifest_key)),
    )


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
