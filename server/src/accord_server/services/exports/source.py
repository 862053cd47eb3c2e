"""Where an export's tasks come from, and the one way a task becomes what a writer gets.

A task is first a **record**: a plain JSON object with the task's id, data, meta, gold flag,
media key (the content-addressed storage key of its media file, which is the file's SHA-256),
its chosen results and its predictions, each result with its regions, annotator, origin,
score and times. Two sources give records a chunk at a time, in task id order:

- ``live_records``: the project as it is now (keyset reads of ``CHUNK`` tasks with their
  annotations and predictions, each chunk in a read session of its own), selected by the data
  manager's filter and the result choice;
- ``manifest_records``: a dataset version's manifest, read line by line from storage.

``item_from_record`` then makes the writer's ``ExportItem`` (label mapping, split, media name),
the same code for both: an export of a version is made exactly as the live export was, from
the same records. ``canonical_line`` is a record as one manifest line: keys sorted, fixed
separators, UTF-8, so the same content is always the same bytes.

Memory stays flat: one chunk of records at a time; nothing grows with the project."""

from __future__ import annotations

import mimetypes
import posixpath
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import asdict
from datetime import datetime
from typing import IO, Any
from urllib.parse import unquote, urlsplit

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord_server.adapters.storage import Storage
from accord_server.db.models import Annotation, Prediction, Project, Task, User
from accord_server.schemas.enums import ExportResultChoice
from accord_server.services.exports.options import (
    ExportPlan,
    map_regions,
    split_of,
    task_filters,
)
from accord_server.services.formats.export import ExportItem, ExportResult, Json, Report
from accord_server.services.imports.pipeline import SessionOpener
from accord_server.services.task_table import filter_conditions
from accord_server.services.tasks import MEDIA_DATA_KEY

CHUNK = 500
"""Tasks read (with their annotations and predictions) at a time."""
NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
MAX_NAME = 100

Record = dict[str, Any]


def canonical_line(record: Record) -> bytes:
    """A record as one manifest line: keys sorted, no spaces, UTF-8, ending in a newline."""
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)


def selected(
    session: Session, project: Project, raw_filter: dict[str, Any], choice: ExportResultChoice
) -> list[Any]:
    """The conditions that pick the tasks: the data manager's filter, gold tasks only for
    ``ground_truth``."""
    where = filter_conditions(session, project, task_filters(raw_filter))
    if choice == ExportResultChoice.GROUND_TRUTH:
        where.append(Task.is_gold.is_(True))
    return where


def count_live(
    session: Session, project: Project, raw_filter: dict[str, Any], choice: ExportResultChoice
) -> int:
    """How many tasks ``live_records`` gives."""
    where = selected(session, project, raw_filter, choice)
    return int(session.scalar(select(func.count()).select_from(Task).where(*where)) or 0)


def live_records(
    read: SessionOpener, project: Project, raw_filter: dict[str, Any], choice: ExportResultChoice
) -> Iterator[list[Record]]:
    """The selected tasks of the project as records, a chunk at a time, in task id order."""
    last = 0
    while True:
        with read() as session:
            where = selected(session, project, raw_filter, choice)
            tasks = list(
                session.scalars(
                    select(Task).where(*where, Task.id > last).order_by(Task.id).limit(CHUNK)
                )
            )
            if not tasks:
                return
            ids = [t.id for t in tasks]
            results = _results(session, ids, choice)
            predictions = _predictions(session, ids)
            records = [
                task_record(t, results.get(t.id, []), predictions.get(t.id, [])) for t in tasks
            ]
            session.expunge_all()
        last = ids[-1]
        yield records


def manifest_records(stream: IO[bytes]) -> Iterator[list[Record]]:
    """A manifest's records (one per line), a chunk at a time; closes the stream at the end."""
    try:
        chunk: list[Record] = []
        for line in _lines(stream):
            chunk.append(orjson.loads(line))
            if len(chunk) == CHUNK:
                yield chunk
                chunk = []
        if chunk:
            yield chunk
    finally:
        stream.close()


def iter_manifest(storage: Storage, key: str) -> Iterator[Record]:
    """A stored manifest's records one by one, streamed from storage."""
    for chunk in manifest_records(storage.open(key)):
        yield from chunk


def _lines(stream: IO[bytes]) -> Iterator[bytes]:
    """Lines of a binary stream without their newline, read 1 MiB at a time (storage streams
    need not be line-iterable)."""
    rest = b""
    while block := stream.read(1024 * 1024):
        rest += block
        *whole, rest = rest.split(b"\n")
        yield from (line for line in whole if line)
    if rest:
        yield rest


def _result_json(result: ExportResult) -> Json:
    return asdict(result)


def task_record(task: Task, results: list[ExportResult], predictions: list[ExportResult]) -> Record:
    """A task with its chosen results and its predictions, as a record."""
    return {
        "id": task.id,
        "data": dict(task.data),
        "meta": dict(task.meta or {}),
        "is_gold": bool(task.is_gold),
        "media_key": task.media_key,
        "results": [_result_json(r) for r in results],
        "predictions": [_result_json(p) for p in predictions],
    }


def _result_of(raw: Json) -> ExportResult:
    return ExportResult(
        regions=list(raw.get("regions") or []),
        source=str(raw.get("source") or "annotation"),
        annotation_id=raw.get("annotation_id"),
        annotator=raw.get("annotator"),
        origin=raw.get("origin"),
        score=raw.get("score"),
        created_at=raw.get("created_at"),
        updated_at=raw.get("updated_at"),
    )


def item_from_record(
    record: Record, media_kind: str, plan: ExportPlan, report: Report
) -> ExportItem:
    """The writer's item for a record: results with the label mapping applied, the split, a
    unique path-safe media name."""
    task_id = int(record["id"])
    meta = dict(record.get("meta") or {})
    data = dict(record.get("data") or {})
    width, height = meta.get("width"), meta.get("height")

    def mapped(found: list[Json]) -> tuple[ExportResult, ...]:
        out = [_result_of(r) for r in found]
        if not plan.label_map:
            return tuple(out)
        return tuple(
            _with_regions(r, map_regions(r.regions, plan.label_map, report, task_id)) for r in out
        )

    return ExportItem(
        task_id=task_id,
        data=data,
        media_name=media_name(task_id, data, meta, media_kind),
        width=width if isinstance(width, int) else None,
        height=height if isinstance(height, int) else None,
        results=mapped(record.get("results") or []),
        predictions=mapped(record.get("predictions") or []),
        split=split_of(plan.split, task_id) if plan.split else None,
        is_gold=bool(record.get("is_gold")),
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


def media_name(task_id: int, data: Json, meta: Json, media_kind: str) -> str | None:
    """``000123_cat.jpg``: the task id (unique in the export) and its file's name, with only
    letters, digits, ``.``, ``_`` and ``-`` (safe as a path component anywhere); None for a
    task without a media file (a text task)."""
    data_key = MEDIA_DATA_KEY.get(media_kind)
    if media_kind == "text" or data_key is None:
        return None
    source = data.get("filename") or meta.get("filename")
    if not isinstance(source, str) or not source:
        url = data.get(data_key)
        source = unquote(urlsplit(url).path) if isinstance(url, str) else ""
    base = posixpath.basename(str(source).replace("\\", "/"))
    base = NAME_CHARS.sub("_", base).lstrip(".")[-MAX_NAME:]
    if "." not in base:
        ext = mimetypes.guess_extension(str(meta.get("mime") or "")) or ""
        base = (base or "media") + ext
    return f"{task_id:06d}_{base}"
