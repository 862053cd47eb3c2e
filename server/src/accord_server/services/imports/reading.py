"""Phase 1 of an import: read every source file, check every row, write nothing but media blobs.

The result is a ``Plan``: the sources in order, how many rows they make, the batches they name
and a report of what is left out and why (``report.py``: a whole file, a row, one prediction
of an imported row, the annotations of an imported row). Task files are checked a row at a time
and, in general, read again in phase 2 (``writing.py``), so memory does not grow with the
import. Files the request stored (content-addressed, so they cannot change in between) keep their
checked rows instead, as long as all the rows kept fit in one write chunk: phase 2 would hold that
many anyway, and a small import is not parsed twice.
"""

from __future__ import annotations

import functools
import hashlib
import posixpath
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from accord_server import wording
from accord_server.adapters.media import MediaError, probe_media
from accord_server.adapters.storage import (
    SourceFile,
    SourcePathError,
    Storage,
    StorageError,
    iter_local_source,
    iter_s3_source,
    s3_source_client,
)
from accord_server.adapters.url_probe import probe_image_size
from accord_server.db.models import ImportSource, Project
from accord_server.schemas.enums import MediaKind, SourceKind
from accord_server.schemas.label_schema import LabelSchema
from accord_server.services import jobs as job_service
from accord_server.services.errors import Invalid
from accord_server.services.import_sources import SourceBounds
from accord_server.services.imports.parsers import AnnotationIn, RowError, TaskIn, iter_tasks
from accord_server.services.imports.people import SourcePerson, anonymous
from accord_server.services.imports.report import (
    ERROR_SCOPES,
    ErrorSink,
    FileReport,
    Scope,
    Tally,
    prediction_problem,
    result_problem,
)
from accord_server.services.imports.url_sizes import UrlSizes, set_url_size
from accord_server.services.projects import project_schema
from accord_server.services.results import MediaInfo, validate_result
from accord_server.services.tasks import MEDIA_DATA_KEY, media_url
from accord_server.settings import Settings

TASK_FILE_EXTENSIONS = {".json", ".jsonl", ".ndjson", ".csv", ".tsv"}
PROGRESS_EVERY = 50
"""Files between two progress reports (and cancel checks) while reading."""

Row = dict[str, Any]
TaskItem = tuple[Row, list[dict[str, Any]], list[dict[str, Any]]]
"""A task row ready to insert, with its predictions and its annotations (``annotation_row``)."""


@dataclass(frozen=True)
class ImportLimits:
    """What an import may read and how it writes, from the settings in force."""

    batch_size: int
    max_image_pixels: int
    max_upload_bytes: int
    max_decode_pixels: int
    sources: SourceBounds
    s3_endpoint_url: str | None = None
    s3_region: str | None = None
    probe_urls: bool = False
    probe_bytes: int = 1024 * 1024
    probe_timeout: float = 5.0
    probe_max: int = 0
    max_archive_files: int = 100_000
    tmp_dir: Path | None = None
    """Where an import of existing labels unpacks its files (a folder of its own in it)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> ImportLimits:
        """The limits of these settings."""
        return cls(
            batch_size=settings.import_batch_size,
            max_image_pixels=settings.max_image_pixels,
            max_upload_bytes=settings.max_upload_bytes,
            max_decode_pixels=settings.max_decode_pixels,
            sources=SourceBounds.from_settings(settings),
            s3_endpoint_url=settings.s3_endpoint_url,
            s3_region=settings.s3_region,
            probe_urls=settings.import_probe_urls,
            probe_bytes=settings.import_probe_bytes,
            probe_timeout=settings.import_probe_timeout,
            probe_max=settings.import_probe_max,
            max_archive_files=settings.max_archive_files,
            tmp_dir=settings.upload_tmp_dir,
        )

    def url_sizes(self, media: str) -> UrlSizes:
        """What reads the sizes of an import's image URLs (nothing, unless it is on and the
        project's media are images)."""
        if not self.probe_urls or media != MediaKind.IMAGE:
            return UrlSizes()
        probe = functools.partial(
            probe_image_size, max_bytes=self.probe_bytes, timeout=self.probe_timeout
        )
        return UrlSizes(probe, self.probe_max)


@dataclass
class Plan:
    """What phase 1 found: the sources in order (a task file to read again in phase 2, the
    checked rows of a stored one, or the row of a media file, ready), how many rows they make,
    the batches they name, the report of what is left out."""

    entries: list[SourceFile | Row | list[TaskItem]] = field(default_factory=list)
    row_count: int = 0
    batches: set[str] = field(default_factory=set)
    errors: list[dict[str, Any]] = field(default_factory=list)
    """The report's first ``MAX_ERRORS_KEPT`` problems: file, row, field, message, scope."""
    tally: Tally = field(default_factory=Tally)
    row_errors: int = 0
    """Problems of rows inside the task files that phase 2 reads again: it must meet as many."""
    kept_rows: int = 0
    """Rows kept from phase 1 (of stored files), at most one write chunk."""
    files: int = 0
    task_files: list[tuple[str, str, int]] = field(default_factory=list)
    """The task files whose rows are written: name, SHA-256 and how many annotations (for
    the report of files imported before, ``writing.note_imported_files``)."""
    url_sizes: UrlSizes = field(default_factory=UrlSizes)
    """Sizes read from image URLs, for phase 2 to give the same rows."""

    @property
    def error_count(self) -> int:
        """Problems that fail an all-or-nothing import."""
        return self.tally.errors

    def report(
        self, file: str, row: int | None, fld: str | None, message: str, scope: Scope
    ) -> None:
        """Keep a problem for the report while there is room (the caller counts it)."""
        if len(self.errors) < job_service.MAX_ERRORS_KEPT:
            self.errors.append(
                {"file": file, "row": row, "field": fld, "message": message, "scope": scope}
            )

    def skip_file(self, file: str, message: str) -> None:
        """A file none of whose rows is imported."""
        self.tally.errors += 1
        self.tally.files_skipped += 1
        self.report(file, None, None, message, Scope.FILE)

    def counts(self, **extra: Any) -> dict[str, Any]:
        """The job's counts so far."""
        counts = {"files": self.files, "rows": self.row_count, **self.tally.counts()}
        return {**counts, **self.url_sizes.counts(), **extra}


def import_sources_of(
    storage: Storage, limits: ImportLimits, params: dict[str, Any], grant: ImportSource | None
) -> Iterator[tuple[SourceFile, bool]]:
    """The import's files in order, each with whether it is a stored (unchanging) one; then
    those of the granted source ``grant`` (checked by the caller), under ``params.source.path``."""
    for item in params.get("files", []):
        read = functools.partial(storage.read, item["key"])
        yield SourceFile(name=item["name"], size=int(item["size"]), read=read), True
    if grant is None:
        return
    path = str(params["source"].get("path") or "")
    if grant.kind == SourceKind.FOLDER:
        for src in iter_local_source(Path(grant.location), path or "."):
            yield src, False
    else:
        try:
            client = s3_source_client(
                profile=grant.profile,
                endpoint_url=grant.endpoint_url or limits.s3_endpoint_url,
                region=grant.region or limits.s3_region,
            )
        except StorageError as exc:
            raise Invalid(f"source: import source {grant.name!r}: {exc}") from None
        for src in iter_s3_source(client, grant.location, grant.prefix + path):
            yield src, False


def _task_row(task: TaskIn, is_text: bool) -> Row:
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


def fill_relation_tool(regions: list[Any], relation_tool: str | None) -> None:
    """Label Studio relations name no tool: they belong to the schema's relation tool."""
    for region in regions:
        if isinstance(region, dict) and region.get("type") == "relation":
            region.setdefault("tool", relation_tool)


def annotation_row(
    result: list[dict[str, Any]],
    person: SourcePerson,
    *,
    lead_time: float | None = None,
    created_at: Any = None,
) -> dict[str, Any]:
    """An imported annotation ready to write: its validated result and whom to credit."""
    return {"result": result, "person": person, "lead_time": lead_time, "created_at": created_at}


def checked_annotations(
    schema: LabelSchema,
    media: MediaInfo,
    annotations: list[AnnotationIn],
    drop: Callable[[str, str], None],
) -> list[dict[str, Any]]:
    """The annotations of one task that can be written, validated as a submit is (against
    the schema and the task's media, complete); ``drop`` hears of each one left out (its field
    and why): invalid, or a second one by the same person (Accord keeps one per annotator and
    task). People the source does not name are credited by position (``people.anonymous``)."""
    kept: list[dict[str, Any]] = []
    seen: set[str] = set()
    unnamed = 0
    relation_tool = next((t.name for t in schema.tools if t.type == "relation"), None)
    for ann in annotations:
        where = f"annotations[{ann.index}]"
        if ann.person is None:
            unnamed += 1
            person = anonymous(unnamed)
        else:
            person = ann.person
        if person.key in seen:
            drop(
                f"{where}.completed_by",
                f"a second annotation by {person.name}: a task keeps one per annotator",
            )
            continue
        fill_relation_tool(ann.result, relation_tool)
        try:
            result = validate_result(schema, ann.result, media, require_complete=True)
        except Invalid as exc:
            drop(*result_problem(f"{where}.result", exc))
            continue
        seen.add(person.key)
        kept.append(
            annotation_row(result, person, lead_time=ann.lead_time, created_at=ann.created_at)
        )
    return kept


def task_rows(
    project: Project,
    schema: LabelSchema,
    name: str,
    data: bytes,
    error: ErrorSink,
    sizes: Mapping[str, tuple[int, int]] | None = None,
) -> Iterator[TaskItem]:
    """A task file's valid rows in order, each with its valid predictions and annotations;
    ``error`` hears of every row skipped and every prediction or annotation dropped; rows
    whose image URL's size was read (``sizes``, phase 2) get it."""
    relation_tool = next((t.name for t in schema.tools if t.type == "relation"), None)
    is_text = project.media == "text"
    for task in iter_tasks(data, name):
        if type(task) is RowError:
            error(task.row, task.field, task.message, Scope.FILE if task.row == 0 else Scope.ROW)
            continue
        assert type(task) is TaskIn
        row = _task_row(task, is_text)
        if sizes:
            set_url_size(row, sizes)
        # Phase 1 does not know the sizes of image URLs yet: both phases check without them,
        # so that they keep the same predictions and annotations.
        media = MediaInfo(
            kind=project.media,
            width=None,
            height=None,
            text_length=row["meta"].get("text_length"),
            frame_count=None,
        )
        preds: list[dict[str, Any]] = []
        for i, pred in enumerate(task.predictions):
            fill_relation_tool(pred.result, relation_tool)
            try:
                result = validate_result(schema, pred.result, media, require_complete=False)
            except Invalid as exc:
                error(task.source_row, *prediction_problem(i, exc), Scope.PREDICTION)
                continue
            preds.append(
                {"result": result, "score": pred.score, "model_version": pred.model_version}
            )
        row_no = task.source_row

        def drop(fld: str, message: str, row_no: int = row_no) -> None:
            error(row_no, fld, message, Scope.ANNOTATIONS)

        for fld, message in task.dropped_annotations:
            drop(fld, message)
        anns = checked_annotations(schema, media, task.annotations, drop)
        yield row, preds, anns


def _add_task_file(
    plan: Plan,
    project: Project,
    src: SourceFile,
    data: bytes,
    keep_room: int,
    checkpoint: job_service.Checkpoint,
) -> None:
    """Check a task file's rows into the plan; keep them if they fit in ``keep_room``; read
    the sizes of their image URLs when the import does."""
    name = src.name
    found = FileReport()
    rows = 0
    batches: set[str] = set()
    pairs: list[TaskItem] | None = [] if keep_room > 0 else None
    annotations = 0
    for pair in task_rows(project, project_schema(project), name, data, found):
        rows += 1
        annotations += len(pair[2])
        if pair[0]["batch"]:
            batches.add(pair[0]["batch"])
        plan.url_sizes.add(pair[0], checkpoint)
        if pairs is not None:
            if rows <= keep_room:
                pairs.append(pair)
            else:
                pairs = None  # too many to keep: phase 2 reads the file again
    plan.url_sizes.flush(checkpoint)
    for row_no, fld, message, scope in found.kept:
        if found.unusable:
            # Nothing of an unusable file is imported: its rows' errors leave out the file,
            # and there is no imported row whose annotations were left out.
            if scope in ERROR_SCOPES:
                plan.report(name, row_no, fld, message, Scope.FILE)
        else:
            plan.report(name, row_no, fld, message, scope)
    if found.unusable:
        # The file as a whole is unusable (see iter_tasks): nothing of it is written.
        plan.tally.errors += found.tally.errors
        plan.tally.files_skipped += 1
        return
    plan.tally.add(found.tally)
    plan.task_files.append((name, hashlib.sha256(data).hexdigest(), annotations))
    plan.row_count += rows
    plan.batches |= batches
    if pairs is None:
        plan.row_errors += found.count
        plan.entries.append(src)
    else:
        plan.kept_rows += len(pairs)
        plan.entries.append(pairs)


def add_media_file(
    plan: Plan,
    storage: Storage,
    limits: ImportLimits,
    project: Project,
    src: SourceFile,
    data: bytes,
) -> None:
    """Probe a media file, store it (a text file's text goes into its row) and add its task's
    row to the plan; ``MediaError`` when it cannot be a task of the project."""
    probe = probe_media(
        data,
        src.name,
        max_image_pixels=limits.max_image_pixels,
        max_decode_pixels=limits.max_decode_pixels,
        max_bytes=limits.max_upload_bytes,
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
    key = storage.put_bytes(data, content_type=probe.mime)
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


def read_sources(
    project: Project,
    *,
    params: dict[str, Any],
    grant: ImportSource | None = None,
    storage: Storage,
    limits: ImportLimits,
    progress: job_service.Progress,
    checkpoint: job_service.Checkpoint,
) -> Plan:
    """Phase 1: parse and probe every source file of an import into a plan (writes media
    blobs only). ``project`` and ``grant`` (the import source named by ``params``, checked) may
    be detached: only their columns are read."""
    plan = Plan(url_sizes=limits.url_sizes(project.media))
    try:
        _read(plan, project, params, grant, storage, limits, progress, checkpoint)
    finally:
        plan.url_sizes.close()
    return plan


def _read(
    plan: Plan,
    project: Project,
    params: dict[str, Any],
    grant: ImportSource | None,
    storage: Storage,
    limits: ImportLimits,
    progress: job_service.Progress,
    checkpoint: job_service.Checkpoint,
) -> None:
    sources = import_sources_of(storage, limits, params, grant)
    total = int(params.get("total_files") or 0)
    while True:
        try:
            src, stored = next(sources)
        except StopIteration:
            break
        except SourcePathError as exc:
            plan.skip_file(exc.path, str(exc))
            break
        plan.files += 1
        try:
            data = src.read()
            if posixpath.splitext(src.name.lower())[1] in TASK_FILE_EXTENSIONS:
                room = limits.batch_size - plan.kept_rows if stored else 0
                _add_task_file(plan, project, src, data, room, checkpoint)
            else:
                add_media_file(plan, storage, limits, project, src, data)
        except MediaError as exc:
            plan.skip_file(src.name, str(exc))
        except Invalid as exc:
            plan.skip_file(src.name, exc.message)
        if plan.files % PROGRESS_EVERY == 0:
            checkpoint()
            done = plan.files / total if total else 0.0
            progress(0.5 * min(done, 1.0), "reading", plan.counts())
