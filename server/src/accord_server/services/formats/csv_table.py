"""CSV: a table of the answers, one row per task and result, for spreadsheets and pandas.

Columns, in this order: ``task_id``; ``split`` when the export is split; the task's media or
text (``image``, ``text``, ... as in its data); ``data`` (the whole data object as JSON);
``annotator``; then per tool of the schema:

- classification: the chosen choices, joined by ``|`` (in the order chosen);
- text: the answer;
- tools that make regions (boxes, polygons, keypoints, masks, spans, relations): one column per
  label, ``<tool>.<label>``, holding how many regions of that label the result has. Geometry
  is not in a CSV: export JSON, COCO or YOLO for it.

A task has one row per chosen result: one with ``result: latest``, one per annotator with
``result: all``, and one row with empty answers when it has no result yet. Predictions are not
in the CSV (Accord JSON holds them). Written with Python's csv module (``\\n`` line ends,
minimal quoting), a row as it comes."""

from __future__ import annotations

import csv
from collections import Counter
from typing import IO, Any

import orjson

from accord_server.schemas.enums import MediaKind
from accord_server.schemas.label_schema import (
    ClassificationTool,
    LabelSchema,
    TextTool,
)
from accord_server.services.formats.export import Context, ExportItem, ExportResult, Format

FILE_NAME = "tasks.csv"
CHOICE_SEPARATOR = "|"


class _Column:
    """One answer column: its header and how to read it from a result's regions."""

    def __init__(self, header: str, tool: str, kind: str, label: str | None = None) -> None:
        self.header = header
        self.tool = tool
        self.kind = kind
        self.label = label


def _columns(schema: LabelSchema) -> list[_Column]:
    columns: list[_Column] = []
    for tool in schema.tools:
        if isinstance(tool, ClassificationTool):
            columns.append(_Column(tool.name, tool.name, "choices"))
        elif isinstance(tool, TextTool):
            columns.append(_Column(tool.name, tool.name, "text"))
        else:
            for label in tool.labels:
                columns.append(_Column(f"{tool.name}.{label.name}", tool.name, "count", label.name))
    return columns


class _CsvWriter:
    def __init__(self, schema: LabelSchema, ctx: Context) -> None:
        self._ctx = ctx
        self._media_key = str(schema.media)
        self._columns = _columns(schema)
        self._split: bool | None = None
        self._file: IO[str] = (ctx.out / FILE_NAME).open("w", encoding="utf-8", newline="")
        self._csv = csv.writer(self._file, lineterminator="\n")

    def _header(self, split: bool) -> None:
        self._split = split
        head = ["task_id", *(["split"] if split else []), self._media_key, "data", "annotator"]
        self._csv.writerow(head + [c.header for c in self._columns])

    def write(self, item: ExportItem) -> None:
        if self._split is None:
            self._header(item.split is not None)
        media = item.data.get(self._media_key)
        first = [
            str(item.task_id),
            *([item.split or ""] if self._split else []),
            "" if media is None else media if isinstance(media, str) else _json(media),
            _json(item.data),
        ]
        results: tuple[ExportResult | None, ...] = item.results or (None,)
        for result in results:
            annotator = (result.annotator or "") if result else ""
            self._csv.writerow([*first, annotator, *self._answers(result)])

    def _answers(self, result: ExportResult | None) -> list[str]:
        if result is None:
            return ["" for _ in self._columns]
        counts: Counter[tuple[str, str]] = Counter()
        choices: dict[str, list[str]] = {}
        texts: dict[str, str] = {}
        for region in result.regions:
            tool = str(region.get("tool", ""))
            value = region.get("value") if isinstance(region.get("value"), dict) else {}
            assert isinstance(value, dict)
            if isinstance(value.get("choices"), list):
                choices.setdefault(tool, []).extend(str(c) for c in value["choices"])
            elif isinstance(value.get("text"), str):
                texts[tool] = value["text"]
            elif region.get("label") is not None:
                counts[(tool, str(region["label"]))] += 1
        row: list[str] = []
        for c in self._columns:
            if c.kind == "choices":
                row.append(CHOICE_SEPARATOR.join(choices.get(c.tool, [])))
            elif c.kind == "text":
                row.append(texts.get(c.tool, ""))
            else:
                row.append(str(counts[(c.tool, c.label or "")]))
        return row

    def finish(self) -> None:
        if self._split is None:
            self._header(False)
        self._file.close()


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


CSV_FORMAT = Format(
    name="csv",
    title="CSV",
    media=frozenset(MediaKind),
    make=_CsvWriter,
    description="One row per task and result: the task's id, its media or text, its data as "
    "JSON, the annotator, each classification's choices and each text answer, and per label "
    "of the region tools how many regions it has (no geometry).",
)
