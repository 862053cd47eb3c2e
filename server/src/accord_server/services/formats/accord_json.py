"""Accord JSON and Accord JSON lines: the canonical shape, lossless.

One record per task: ``id``, ``data`` (as imported), ``meta``, ``is_gold``, the image size when
known, ``split`` when the export is split, ``media`` (the file's path in the export) when it
holds media, ``annotations`` (the chosen results: ``id``, ``completed_by``, ``origin``,
``source``, ``created_at``, ``updated_at``, ``result`` in Accord's region shape) and
``predictions`` (``model_version``, ``score``, ``created_at``, ``result``). The same records
import back into a project (``annotations[].completed_by`` names the annotator by email).

``json`` writes ``tasks.json``, one JSON array with a task per line; ``jsonl`` writes
``tasks.jsonl``, a task per line. Both stream: a task is written as it comes. Keys are sorted and
orjson formats numbers one way, so the same tasks give the same bytes."""

from __future__ import annotations

from typing import IO, Any

import orjson

from accord_server.schemas.enums import MediaKind
from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.formats.export import Context, ExportItem, ExportResult, Format

ALL_MEDIA = frozenset(MediaKind)
MEDIA_FOLDER = "media"


def task_record(item: ExportItem, *, include_media: bool) -> dict[str, Any]:
    """The canonical record of one task (see the module docstring)."""
    record: dict[str, Any] = {
        "id": item.task_id,
        "data": item.data,
        "meta": item.meta,
        "is_gold": item.is_gold,
        "annotations": [_annotation(r) for r in item.results],
        "predictions": [_prediction(p) for p in item.predictions],
    }
    if item.width is not None and item.height is not None:
        record["width"], record["height"] = item.width, item.height
    if item.split is not None:
        record["split"] = item.split
    if include_media and item.media_name:
        record["media"] = f"{MEDIA_FOLDER}/{item.media_name}"
    return record


def _annotation(r: ExportResult) -> dict[str, Any]:
    return {
        "id": r.annotation_id,
        "completed_by": r.annotator,
        "origin": r.origin,
        "source": r.source,
        "created_at": r.created_at,
        "updated_at": r.updated_at,
        "result": r.regions,
    }


def _prediction(p: ExportResult) -> dict[str, Any]:
    return {
        "model_version": p.annotator,
        "score": p.score,
        "created_at": p.created_at,
        "result": p.regions,
    }


def dumps(record: dict[str, Any]) -> bytes:
    """One record as compact JSON with sorted keys (the same record, the same bytes)."""
    return orjson.dumps(record, option=orjson.OPT_SORT_KEYS)


class _Writer:
    """Writes one record per task into ``name``: JSON lines, or one JSON array."""

    def __init__(self, ctx: Context, name: str, *, array: bool) -> None:
        self._ctx = ctx
        self._array = array
        self._count = 0
        self._out: IO[bytes] = (ctx.out / name).open("wb")
        if array:
            self._out.write(b"[")

    def write(self, item: ExportItem) -> None:
        if self._ctx.include_media and item.media_name:
            self._ctx.place_media(item, f"{MEDIA_FOLDER}/{item.media_name}")
        line = dumps(task_record(item, include_media=self._ctx.include_media))
        if self._array:
            self._out.write(b",\n" if self._count else b"\n")
        self._out.write(line)
        if not self._array:
            self._out.write(b"\n")
        self._count += 1

    def finish(self) -> None:
        if self._array:
            self._out.write(b"\n]\n" if self._count else b"]\n")
        self._out.close()


def _json(schema: LabelSchema, ctx: Context) -> _Writer:
    return _Writer(ctx, "tasks.json", array=True)


def _jsonl(schema: LabelSchema, ctx: Context) -> _Writer:
    return _Writer(ctx, "tasks.jsonl", array=False)


JSON_FORMAT = Format(
    name="json",
    title="Accord JSON",
    media=ALL_MEDIA,
    make=_json,
    description="Every task with its data, meta, chosen annotations (annotator, origin, times) "
    "and predictions, in Accord's canonical region shape: one JSON array (tasks.json). "
    "Lossless; imports back into Accord.",
)
JSONL_FORMAT = Format(
    name="jsonl",
    title="Accord JSON lines",
    media=ALL_MEDIA,
    make=_jsonl,
    description="The records of Accord JSON, one task per line (tasks.jsonl): readable a line "
    "at a time however large the project.",
)
