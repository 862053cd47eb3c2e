"""An import of existing labels (``labels_format``: COCO, YOLO, VOC, CVAT XML, Label Studio JSON)
from start to end, run by the import job in place of the task-file pipeline.

1. Unpack: the import's files (uploaded, or from a granted source) go into a folder of the job's
   own under ``limits.tmp_dir``: a ZIP archive unpacked (checked whole first, ``archives.py``),
   any other file at its relative name. The files and bytes together are bounded
   (``max_archive_files``, ``max_upload_bytes``).
2. Media: every file of the project's media kind in the folder is probed and stored as an
   upload's media are (a file that cannot be a task is reported, scope ``file``).
3. Read and write, in ONE transaction that also records the job's end: the format's reader
   (``labelsets.label_reader``) reads the folder; with ``schema_from_labels`` the project's
   schema is first replaced by one built from the labels found (only a project without
   annotations: its old labels could not be orphaned); ``labelsets.write_label_set`` matches
   items to media, names tools, credits annotators and writes. What the reader could not
   convert (scope ``annotations``: a region or an annotation left out) and what the writer
   left out land in the job's report. An item without media (scope ``row``) or a media file
   that cannot be a task fails an all-or-nothing import (the transaction rolls back and the
   job ends failed with the report); with ``skip_invalid`` the rest is written.

The folder is removed when the job ends, however it ends.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord_server import wording
from accord_server.adapters.media import MediaError, media_kind
from accord_server.adapters.storage import SourceFile, SourcePathError, Storage
from accord_server.db.models import Annotation, ImportSource, Project, Task
from accord_server.schemas.enums import ImportScope, JobState
from accord_server.services import jobs as job_service
from accord_server.services import projects
from accord_server.services.errors import Conflict, Invalid
from accord_server.services.formats.labels import LabelSet
from accord_server.services.imports import archives
from accord_server.services.imports.labelsets import (
    LabelReport,
    label_reader,
    schema_from_label_set,
    write_label_set,
)
from accord_server.services.imports.reading import (
    ImportLimits,
    Plan,
    add_media_file,
    import_sources_of,
)
from accord_server.services.imports.report import ERROR_SCOPES

SessionOpener = Callable[[], AbstractContextManager[Session]]
"""Opens a transaction that commits when its block ends (the job's)."""


class _RolledBack(Exception):
    """Ends the write transaction of an all-or-nothing import that met errors."""

    def __init__(self, report: LabelReport) -> None:
        super().__init__("rolled back")
        self.report = report


def unpack_sources(
    sources: Iterator[tuple[SourceFile, bool]], folder: Path, limits: ImportLimits
) -> int:
    """Put the import's files into ``folder`` (archives unpacked); returns how many files."""
    budget = archives.Budget(files=limits.max_archive_files, bytes=limits.max_upload_bytes)
    count = 0
    for src, _stored in sources:
        data = src.read()
        if archives.is_archive(src.name):
            with tempfile.NamedTemporaryFile(dir=folder.parent, suffix=".zip") as tmp:
                tmp.write(data)
                tmp.flush()
                del data
                count += len(archives.unpack_archive(Path(tmp.name), src.name, folder, budget))
        else:
            archives.place_file(data, src.name, folder, budget)
            count += 1
    return count


def _store_media(
    plan: Plan,
    folder: Path,
    project: Project,
    media: str,
    storage: Storage,
    limits: ImportLimits,
) -> None:
    """Probe and store the folder's media files of kind ``media`` (as uploads are)."""
    if media != project.media:
        # The project takes the labels' media (schema_from_labels; checked when it is set):
        # probe the files as that project's.
        project = Project(id=project.id, media=media)
    for name in archives.files_in(folder):
        if media_kind(name) != media:
            continue
        path = folder.joinpath(*name.split("/"))
        plan.files += 1
        try:
            add_media_file(
                plan,
                storage,
                limits,
                project,
                SourceFile(name=name, size=path.stat().st_size, read=path.read_bytes),
                path.read_bytes(),
            )
        except MediaError as exc:
            plan.skip_file(name, str(exc))


def _replace_schema(session: Session, project: Project, label_set_schema: dict[str, Any]) -> None:
    """Give a project without annotations the schema its labels make."""
    if session.scalar(select(Annotation.id).where(Annotation.project_id == project.id).limit(1)):
        raise Conflict(
            "schema_from_labels: the project has annotations: its schema is not replaced; "
            "import into a new project, or without schema_from_labels",
            details={"field": "schema_from_labels"},
        )
    if label_set_schema["media"] != project.media and session.scalar(
        select(Task.id).where(Task.project_id == project.id).limit(1)
    ):
        raise Conflict(
            f"schema_from_labels: the labels are of {label_set_schema['media']} but the project "
            f"has {project.media} tasks",
            details={"field": "schema_from_labels"},
        )
    projects.set_label_schema(session, project=project, raw=label_set_schema)


def _problems(reader: list[tuple[str, str]], plan: Plan, report: LabelReport) -> list[Any]:
    found = list(plan.errors)
    found += [
        {
            "file": where,
            "row": None,
            "field": None,
            "message": message,
            "scope": ImportScope.ANNOTATIONS.value,
        }
        for where, message in reader
    ]
    return found + report.problems


def _counts(plan: Plan, report: LabelReport, reader: int, unpacked: int) -> dict[str, Any]:
    errors = plan.tally.errors + sum(1 for p in report.problems if p["scope"] in ERROR_SCOPES)
    return {
        "files": unpacked,
        "errors": errors,
        "media_files": plan.row_count,
        "files_skipped": plan.tally.files_skipped,
        "reader_problems": reader,
        **report.counts(),
    }


def _message(report: LabelReport, plan: Plan, reader: int) -> str:
    parts = [
        f"imported {wording.count(report.tasks, 'task')} with "
        f"{wording.count(report.annotations, 'annotation')} and "
        f"{wording.count(report.predictions, 'prediction')}"
    ]
    if report.tasks_labelled:
        parts.append(f"labelled {wording.count(report.tasks_labelled, 'existing task')}")
    left = [
        wording.count(n, noun)
        for n, noun in (
            (report.items_skipped, "item"),
            (plan.tally.files_skipped, "file"),
            (report.annotations_dropped, "annotation"),
            (report.predictions_dropped, "prediction"),
        )
        if n
    ]
    if left:
        parts.append("left out " + ", ".join(left))
    if reader:
        parts.append(f"{wording.count(reader, 'thing')} the reader could not convert")
    return "; ".join(parts)


def run_label_import(
    *,
    job_id: int,
    project: Project,
    params: dict[str, Any],
    grant: ImportSource | None,
    attempt: int,
    write: SessionOpener,
    storage: Storage,
    limits: ImportLimits,
    progress: job_service.Progress,
    checkpoint: job_service.Checkpoint,
) -> None:
    """Run an import of existing labels (see the module docstring); ``project`` is detached."""
    reader = label_reader(str(params["labels_format"]))
    base = limits.tmp_dir or Path(tempfile.gettempdir())
    base.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f"labels-{job_id}-", dir=base))
    folder = work / "files"
    folder.mkdir()
    try:
        progress(0.0, "unpacking", {})
        try:
            unpacked = unpack_sources(
                import_sources_of(storage, limits, params, grant), folder, limits
            )
        except SourcePathError as exc:
            raise Invalid(f"{exc.path}: {exc.reason}", details={"field": "source"}) from None
        checkpoint()
        problems: list[tuple[str, str]] = []

        def problem(where: str, message: str) -> None:
            problems.append((where, message))

        # Read once: the tasks are read from the folder as they are written.
        label_set = reader(folder, problem)
        media = label_set.media if params.get("schema_from_labels") else project.media
        plan = Plan()
        progress(0.1, "storing media", {"files": unpacked})
        _store_media(plan, folder, project, media, storage, limits)
        checkpoint()
        progress(0.5, "writing", {"files": unpacked, "media_files": plan.row_count})

        try:
            with write() as session:
                report = _write(session, job_id, project.id, params, label_set, plan, limits)
                failed = plan.tally.errors or any(
                    p["scope"] in ERROR_SCOPES for p in report.problems
                )
                nothing = not report.tasks and not report.tasks_labelled
                if nothing or (failed and not params.get("skip_invalid")):
                    raise _RolledBack(report)
                job_service.finish_job(
                    session,
                    job_id=job_id,
                    state=JobState.SUCCEEDED,
                    counts=_counts(plan, report, len(problems), unpacked),
                    errors=_problems(problems, plan, report),
                    message=_message(report, plan, len(problems)),
                    attempt=attempt,
                )
        except _RolledBack as stop:
            _fail(write, job_id, plan, stop.report, problems, unpacked, attempt)
    finally:
        archives.remove_folder(work)


def _write(
    session: Session,
    job_id: int,
    project_id: int,
    params: dict[str, Any],
    label_set: LabelSet,
    plan: Plan,
    limits: ImportLimits,
) -> LabelReport:
    project = session.get(Project, project_id)
    if project is None:
        raise Invalid(f"project {project_id} no longer exists")
    if params.get("schema_from_labels"):
        _replace_schema(session, project, schema_from_label_set(label_set))
    rows = [e for e in plan.entries if isinstance(e, dict)]
    return write_label_set(
        session,
        job_id=job_id,
        project=project,
        label_set=label_set,
        media=rows,
        batch_size=limits.batch_size,
    )


def _fail(
    write: SessionOpener,
    job_id: int,
    plan: Plan,
    report: LabelReport,
    problems: list[tuple[str, str]],
    unpacked: int,
    attempt: int,
) -> None:
    """End a label import that wrote nothing, with its report, in a transaction of its own."""
    errors = _problems(problems, plan, report)
    first = next((e for e in errors if e["scope"] in ERROR_SCOPES), errors[0] if errors else None)
    if first is None:
        message = "nothing to import: no labelled items or media files found"
    else:
        n = plan.tally.errors + sum(1 for p in report.problems if p["scope"] in ERROR_SCOPES)
        what = f"{wording.count(n, 'error')}; first" if n else "first problem"
        message = f"nothing imported: {what}: {first['file']}: {first['message']}"
    counts = _counts(plan, report, len(problems), unpacked)
    counts.update(tasks=0, tasks_labelled=0, annotations=0, predictions=0, imported_annotators=0)
    with write() as session:
        job_service.finish_job(
            session,
            job_id=job_id,
            state=JobState.FAILED,
            counts=counts,
            errors=errors,
            message=message,
            attempt=attempt,
        )
