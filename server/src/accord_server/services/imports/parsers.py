"""Parse task files (JSON, JSON lines, CSV/TSV) into task rows plus a per-row error report.

Items follow Label Studio's task JSON: ``{"data": {...}, "predictions": [...], ...}`` or a bare
data object. A bad row never stops the parse; it becomes a ``RowError`` and the next row is read.
Problems with the file as a whole are reported as row 0. Row numbers are 1-based: the array
index + 1 (JSON), the physical line (JSON lines), the spreadsheet row with the header as row 1
(CSV). The per-row path builds plain dataclasses, no pydantic, so a million rows parse in seconds.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import ijson
import orjson

from accord_server import wording
from accord_server.schemas.common import INT32_MAX, INT32_MIN
from accord_server.schemas.storable import (
    dotted,
    find_unstorable,
    may_hold_lone_surrogates,
    text_problem,
)
from accord_server.services.errors import Invalid, TooLarge, field_error
from accord_server.services.formats.label_studio import (
    LabelStudioResultError,
    convert_label_studio_result,
)
from accord_server.services.formats.label_studio import json_type_name as _type_name
from accord_server.services.imports.people import PersonError, SourcePerson, source_person

_FORMATS = {
    "json": "json",
    "jsonl": "jsonl",
    "ndjson": "jsonl",
    "csv": "csv",
    "tsv": "tsv",
}
_RESERVED_COLUMNS = ("priority", "batch", "is_gold")
_TRUE = frozenset({"true", "1", "yes"})
_FALSE = frozenset({"false", "0", "no", ""})
# Larger .json files holding an array are read an element at a time (ijson), which is also
# faster; smaller ones are decoded whole, whose syntax errors give a line and a column.
JSON_WHOLE_MAX_BYTES = 1024 * 1024
_LEADING_SPACE = re.compile(rb"\s*")
# csv's default cap is 128 KiB per field, too small for long documents in a text project.
_CSV_FIELD_LIMIT = 64 * 1024 * 1024


@dataclass(slots=True)
class PredictionIn:
    """One model prediction attached to an imported task (result in Accord's region shape)."""

    result: list[Any]
    score: float | None = None
    model_version: str | None = None


@dataclass(slots=True, kw_only=True)
class AnnotationIn:
    """One annotation made in another tool, attached to an imported task (result in Accord's
    region shape, not yet validated against the schema: ``reading.task_rows`` does that).
    ``person`` None: the source names no one (credited by position, ``people.anonymous``)."""

    result: list[Any]
    person: SourcePerson | None
    lead_time: float | None = None
    created_at: datetime | None = None
    ground_truth: bool = False
    index: int = 0
    """Its place in the row's ``annotations``, for the report's field names."""


@dataclass(slots=True, kw_only=True)
class TaskIn:
    """One parsed task row, ready to be inserted."""

    data: dict[str, Any]
    priority: int = 0
    batch: str | None = None
    is_gold: bool = False
    predictions: list[PredictionIn] = field(default_factory=list)
    annotations: list[AnnotationIn] = field(default_factory=list)
    dropped_annotations: list[tuple[str, str]] = field(default_factory=list)
    """The row's annotations that cannot be read (field, message): reported and left out,
    the task imported."""
    source_row: int


@dataclass(frozen=True, slots=True)
class RowError:
    """A row that could not be imported: where (row, field) and why."""

    row: int
    field: str | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """The error as a JSON-ready dict."""
        return {"row": self.row, "field": self.field, "message": self.message}


@dataclass(slots=True)
class ParseResult:
    """Parsed tasks and the errors of the rows that were skipped."""

    tasks: list[TaskIn]
    errors: list[RowError]


class _RowProblem(Exception):
    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _priority(value: int) -> int:
    """A row's priority, refused past the 32-bit column that holds it."""
    if not INT32_MIN <= value <= INT32_MAX:
        raise _RowProblem(
            "priority",
            f"{value} is out of range: a priority is between {INT32_MIN} and {INT32_MAX}",
        )
    return value


def _parse_prediction(raw: Any, index: int, data: dict[str, Any]) -> PredictionIn:
    where = f"predictions[{index}]"
    if type(raw) is not dict:
        raise _RowProblem(where, f"expected an object, got {_type_name(raw)}")
    result = raw.get("result")
    if type(result) is not list:
        raise _RowProblem(f"{where}.result", f"expected an array, got {_type_name(result)}")
    score = raw.get("score")
    if score is not None and (type(score) is bool or not isinstance(score, (int, float))):
        raise _RowProblem(f"{where}.score", f"expected a number, got {_type_name(score)}")
    model_version = raw.get("model_version")
    if model_version is not None and type(model_version) is not str:
        raise _RowProblem(
            f"{where}.model_version", f"expected a string, got {_type_name(model_version)}"
        )
    try:
        regions = convert_label_studio_result(result, data=data)
    except LabelStudioResultError as exc:
        raise _RowProblem(f"{where}.result{exc.path}", exc.message) from None
    return PredictionIn(
        result=regions,
        score=None if score is None else float(score),
        model_version=model_version,
    )


def _created_at(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if type(value) is not str:
        raise _RowProblem(where, f"expected an ISO 8601 date and time, got {_type_name(value)}")
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _RowProblem(where, f"expected an ISO 8601 date and time, got {value!r}") from None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


def _parse_annotation(raw: Any, index: int, data: dict[str, Any]) -> AnnotationIn:
    """An annotation of a row (Accord's shape or Label Studio's); raises ``_RowProblem``
    naming the field (one Label Studio marks cancelled, a skip without labels, too)."""
    where = f"annotations[{index}]"
    if type(raw) is not dict:
        raise _RowProblem(where, f"expected an object, got {_type_name(raw)}")
    if raw.get("was_cancelled") is True:
        raise _RowProblem(f"{where}.was_cancelled", "cancelled (skipped) in Label Studio")
    result = raw.get("result")
    if type(result) is not list:
        raise _RowProblem(f"{where}.result", f"expected an array, got {_type_name(result)}")
    try:
        person = source_person(raw.get("completed_by"))
    except PersonError as exc:
        raise _RowProblem(f"{where}.completed_by{exc.path}", exc.message) from None
    lead_time = raw.get("lead_time")
    if lead_time is not None and (
        type(lead_time) is bool
        or not isinstance(lead_time, (int, float))
        or not 0 <= lead_time < float("inf")
    ):
        raise _RowProblem(f"{where}.lead_time", "expected a non-negative number of seconds")
    ground_truth = raw.get("ground_truth", False)
    if type(ground_truth) is not bool:
        raise _RowProblem(
            f"{where}.ground_truth", f"expected true or false, got {_type_name(ground_truth)}"
        )
    created_at = _created_at(raw.get("created_at"), f"{where}.created_at")
    try:
        regions = convert_label_studio_result(result, data=data)
    except LabelStudioResultError as exc:
        raise _RowProblem(f"{where}.result{exc.path}", exc.message) from None
    return AnnotationIn(
        result=regions,
        person=person,
        lead_time=None if lead_time is None else float(lead_time),
        created_at=created_at,
        ground_truth=ground_truth,
        index=index,
    )


def _parse_annotations(task: TaskIn, annotations: Any) -> None:
    """The row's annotations into ``task``: those that cannot be read are dropped, each with
    its field and reason; the task is imported all the same."""
    if type(annotations) is not list:
        message = f"expected an array, got {_type_name(annotations)}"
        task.dropped_annotations.append(("annotations", message))
        return
    for i, raw in enumerate(annotations):
        try:
            task.annotations.append(_parse_annotation(raw, i, task.data))
        except _RowProblem as problem:
            task.dropped_annotations.append((problem.field or f"annotations[{i}]", problem.message))


def _task_from_item(item: Any, row: int) -> TaskIn:
    if type(item) is not dict:
        raise _RowProblem(None, f"expected a task object, got {_type_name(item)}")
    if "data" not in item:
        # A plain object is the task's data, except the names CSV reserves as well: one rule
        # for every format (Label Studio would keep them in data).
        if not any(name in item for name in _RESERVED_COLUMNS):
            return TaskIn(data=item, source_row=row)
        data = {k: v for k, v in item.items() if k not in _RESERVED_COLUMNS}
        item = {k: item[k] for k in _RESERVED_COLUMNS if k in item}
    else:
        data = item["data"]
        if type(data) is not dict:
            raise _RowProblem("data", f"expected an object, got {_type_name(data)}")
        if len(item) == 1:
            return TaskIn(data=data, source_row=row)
    task = TaskIn(data=data, source_row=row)
    priority = item.get("priority")
    if priority is not None:
        if type(priority) is not int:
            raise _RowProblem("priority", f"expected an integer, got {_type_name(priority)}")
        task.priority = _priority(priority)
    batch = item.get("batch")
    if batch is not None:
        if type(batch) is not str:
            raise _RowProblem("batch", f"expected a string, got {_type_name(batch)}")
        task.batch = batch
    is_gold = item.get("is_gold")
    if is_gold is not None:
        if type(is_gold) is not bool:
            raise _RowProblem("is_gold", f"expected true or false, got {_type_name(is_gold)}")
        task.is_gold = is_gold
    predictions = item.get("predictions")
    if predictions is not None:
        if type(predictions) is not list:
            raise _RowProblem("predictions", f"expected an array, got {_type_name(predictions)}")
        task.predictions = [_parse_prediction(p, i, data) for i, p in enumerate(predictions)]
    annotations = item.get("annotations")
    if annotations is not None:
        _parse_annotations(task, annotations)
    return task


def _check_rows(count: int, max_rows: int | None, filename: str) -> None:
    if max_rows is not None and count > max_rows:
        raise TooLarge(
            f"{filename}: more than {wording.count(max_rows, 'task')} in one file",
            details={"errors": [field_error("file", "too many rows", limit=max_rows)]},
        )


def _iter_json(data: bytes, filename: str, max_rows: int | None) -> Iterator[TaskIn | RowError]:
    first = _first_byte(data)
    if len(data) > JSON_WHOLE_MAX_BYTES and data[first : first + 1] == b"[":
        yield from _iter_json_array(data, filename, max_rows)
        return
    try:
        doc, lax = _loads(data)
    except orjson.JSONDecodeError as exc:
        yield RowError(0, None, f"invalid JSON: {exc}")
        return
    if type(doc) is dict:
        doc = [doc]
    elif type(doc) is not list:
        message = f"expected an array of tasks or one task object, got {_type_name(doc)}"
        yield RowError(0, None, message)
        return
    _check_rows(len(doc), max_rows, filename)
    for row, item in enumerate(doc, 1):
        try:
            task = _task_from_item(item, row)
        except _RowProblem as problem:
            yield RowError(row, problem.field, problem.message)
        else:
            yield _checked(task) if lax else task


def _loads(text: bytes) -> tuple[Any, bool]:
    """JSON text's value, and whether its rows need the check of what can be stored: orjson's
    value; what it refuses that Python's decoder reads (a lone surrogate, NaN, a number past 64
    bits) is Python's, so that the check names the row and the field instead of failing the
    file. Raises orjson's error for what neither reads."""
    try:
        return orjson.loads(text), False
    except orjson.JSONDecodeError:
        try:
            return json.loads(text), True
        except (ValueError, RecursionError):
            pass
        raise


def _checked(item: TaskIn | RowError) -> TaskIn | RowError:
    """A row, or the error naming what in it cannot be stored."""
    if type(item) is TaskIn:
        found = _unstorable_in_task(item)
        if found is not None:
            return RowError(item.source_row, *found)
    return item


def _first_byte(data: bytes) -> int:
    """Where the JSON text starts (past leading whitespace), without copying ``data``."""
    match = _LEADING_SPACE.match(data)
    assert match is not None  # \s* matches the empty string
    return match.end()


def _iter_json_array(
    data: bytes, filename: str, max_rows: int | None
) -> Iterator[TaskIn | RowError]:
    # A large array, read an element at a time: decoded whole, its objects would take many
    # times the file's size. A syntax error is found only where it is, after the rows before
    # it; it comes last, as row 0 (the file as a whole).
    row = 0
    # ijson's C backend reads a lone surrogate as "?": its Python one keeps it, for the row
    # check to refuse (slower, for the rare file that has one).
    items = ijson.get_backend("python").items if may_hold_lone_surrogates(data) else ijson.items
    try:
        for item in items(io.BytesIO(data), "item", use_float=True):
            row += 1
            if max_rows is not None and row > max_rows:
                _check_rows(row, max_rows, filename)
            try:
                yield _task_from_item(item, row)
            except _RowProblem as problem:
                yield RowError(row, problem.field, problem.message)
    except ijson.JSONError as exc:
        yield RowError(0, None, f"invalid JSON after task {row}: {_yajl_message(exc)}")
    except UnicodeDecodeError as exc:
        message = f"file is not valid UTF-8 (after task {row}: {exc.reason}); save it as UTF-8"
        yield RowError(0, None, message)


def _yajl_message(exc: Exception) -> str:
    """yajl's message ("parse error: …", the text around, a pointer) in one line."""
    raw = exc.args[0] if exc.args else str(exc)
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) >= 2 and "(right here)" in lines[-1]:
        return f"{lines[0]}, near {lines[1]!r}"
    return lines[0] if lines else "malformed"


def _iter_jsonl(data: bytes, filename: str, max_rows: int | None) -> Iterator[TaskIn | RowError]:
    decode_error = orjson.JSONDecodeError
    count = 0
    for line_no, line in enumerate(io.BytesIO(data), 1):
        if not line.strip():
            continue
        if line[-1:] == b"\n":
            line = line[:-1]  # so that an error's position counts within the line
        count += 1
        if max_rows is not None and count > max_rows:
            _check_rows(count, max_rows, filename)
        try:
            item, lax = _loads(line)
        except decode_error as exc:
            yield RowError(line_no, None, f"invalid JSON: {exc}")
            continue
        try:
            task = _task_from_item(item, line_no)
        except _RowProblem as problem:
            yield RowError(line_no, problem.field, problem.message)
        else:
            yield _checked(task) if lax else task


def _csv_bool(cell: str) -> bool:
    value = cell.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _RowProblem("is_gold", f"expected true/false/1/0, got {cell!r}")


def _csv_reserved(task: TaskIn, reserved: list[tuple[str, int]], cells: list[str]) -> None:
    for name, index in reserved:
        cell = cells[index]
        if name == "priority":
            if cell.strip():
                try:
                    value = int(cell)
                except ValueError:
                    raise _RowProblem("priority", f"expected an integer, got {cell!r}") from None
                task.priority = _priority(value)
        elif name == "batch":
            task.batch = cell or None
        else:
            task.is_gold = _csv_bool(cell)


def _csv_header(header: list[str]) -> str | None:
    seen: set[str] = set()
    for position, name in enumerate(header, 1):
        if not name.strip():
            return f"column {position} of the header has no name"
        if name in seen:
            return f"column {name!r} appears twice in the header"
        seen.add(name)
    return None


def _iter_csv(
    data: bytes, filename: str, max_rows: int | None, delimiter: str
) -> Iterator[TaskIn | RowError]:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        message = f"file is not valid UTF-8 (byte at offset {exc.start}); save it as UTF-8"
        yield RowError(0, None, message)
        return
    if csv.field_size_limit() < _CSV_FIELD_LIMIT:
        csv.field_size_limit(_CSV_FIELD_LIMIT)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader, None)
    problem = "the file is empty" if not header else _csv_header(header)
    if problem is not None or header is None:
        yield RowError(0, None, problem or "the file is empty")
        return
    width = len(header)
    reserved = [(name, i) for i, name in enumerate(header) if name in _RESERVED_COLUMNS]
    data_columns = [(name, i) for i, name in enumerate(header) if name not in _RESERVED_COLUMNS]
    data_names = [name for name, _ in data_columns]
    data_indexes = [i for _, i in data_columns]
    row = 1
    count = 0
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            yield RowError(row + 1, None, f"unreadable CSV: {exc}")
            break
        if cells is None:
            break
        row += 1
        if not cells:
            continue  # a blank line
        count += 1
        if max_rows is not None and count > max_rows:
            _check_rows(count, max_rows, filename)
        if len(cells) != width:
            message = f"expected {width} cells as in the header, found {len(cells)}"
            yield RowError(row, None, message)
            continue
        if reserved:
            task = TaskIn(
                data=dict(zip(data_names, [cells[i] for i in data_indexes], strict=True)),
                source_row=row,
            )
            try:
                _csv_reserved(task, reserved, cells)
            except _RowProblem as exc:
                yield RowError(row, exc.field, exc.message)
                continue
            yield task
        else:
            yield TaskIn(data=dict(zip(header, cells, strict=True)), source_row=row)


def infer_format(filename: str) -> str | None:
    """The task-file format implied by ``filename``'s extension (json, jsonl, csv, tsv)."""
    dot = filename.rfind(".")
    return _FORMATS.get(filename[dot + 1 :].lower()) if dot >= 0 else None


@contextmanager
def _gc_paused() -> Iterator[None]:
    # A million rows allocate millions of containers, and the cyclic collector would rescan all
    # of them again and again (over half the parse time). Nothing here creates cycles, so
    # reference counting frees everything; the collector is restored right after.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _resolve_format(filename: str, fmt: str | None) -> str:
    resolved = _FORMATS.get(fmt.lower().lstrip(".")) if fmt is not None else infer_format(filename)
    if resolved is None:
        given = fmt if fmt is not None else filename
        raise Invalid(
            f"{filename}: unsupported task file format {given!r}; use .json, .jsonl, .csv or .tsv",
            details={"errors": [field_error("format", "unsupported format", value=given)]},
        )
    return resolved


def iter_tasks(
    data: bytes, filename: str, *, fmt: str | None = None, max_rows: int | None = None
) -> Iterator[TaskIn | RowError]:
    """A task file's rows in order, each a task or the error that skips it.

    Rows are read one at a time (JSON lines, CSV, and .json arrays over
    ``JSON_WHOLE_MAX_BYTES``), so only the rows in use are in memory. An error of row 0 is
    about the file as a whole: it makes the file unusable, even when rows came before it (a
    syntax error deep in a large array). An unknown format raises ``Invalid`` at once, too
    many rows ``TooLarge`` when reached."""
    resolved = _resolve_format(filename, fmt)
    data = data.removeprefix(codecs.BOM_UTF8)
    if resolved == "json":
        rows = _iter_json(data, filename, max_rows)
    elif resolved == "jsonl":
        rows = _iter_jsonl(data, filename, max_rows)
    else:
        rows = _iter_csv(data, filename, max_rows, "\t" if resolved == "tsv" else ",")
    # What cannot be stored (``schemas/storable.py``) comes as a NUL (a raw byte in CSV, the
    # escape \u0000 in JSON) or a lone surrogate (escaped, or raw bytes that only Python's
    # decoder reads): a file with none of these, nearly every one, has no row to look into.
    if (
        b"\x00" in data
        or b"\\u0000" in data
        or (resolved != "csv" and resolved != "tsv" and _may_hold_surrogates(data))
    ):
        return _refuse_unstorable(rows)
    return rows


def _may_hold_surrogates(data: bytes) -> bool:
    # Raw: UTF-8's encoding of U+D800..U+DFFF (ED A0..BF), which only a lax decoder lets by.
    return may_hold_lone_surrogates(data) or re.search(rb"\xed[\xa0-\xbf]", data) is not None


def _refuse_unstorable(rows: Iterator[TaskIn | RowError]) -> Iterator[TaskIn | RowError]:
    """The rows, those holding what cannot be stored turned into errors naming where."""
    for item in rows:
        yield _checked(item)


def _unstorable_in_task(task: TaskIn) -> tuple[str, str] | None:
    if task.batch is not None and (reason := text_problem(task.batch)) is not None:
        return "batch", reason
    found = find_unstorable(task.data)
    if found is not None:
        return dotted(found[0], "data"), found[1]
    for i, pred in enumerate(task.predictions):
        where = f"predictions[{i}]"
        if (
            pred.model_version is not None
            and (reason := text_problem(pred.model_version)) is not None
        ):
            return f"{where}.model_version", reason
        found = find_unstorable(pred.result)
        if found is not None:
            return f"{where}.result", found[1]
    for ann in task.annotations:
        where = f"annotations[{ann.index}]"
        if ann.person is not None and (reason := text_problem(ann.person.key)) is not None:
            return f"{where}.completed_by", reason
        found = find_unstorable(ann.result)
        if found is not None:
            return f"{where}.result", found[1]
    return None


def parse_tasks(
    data: bytes, filename: str, *, fmt: str | None = None, max_rows: int | None = None
) -> ParseResult:
    """Parse a whole task file; bad rows go to ``errors``, too many rows raise ``TooLarge``."""
    result = ParseResult([], [])
    with _gc_paused():
        for item in iter_tasks(data, filename, fmt=fmt, max_rows=max_rows):
            if type(item) is TaskIn:
                result.tasks.append(item)
            else:
                result.errors.append(item)  # type: ignore[arg-type]
    if any(e.row == 0 for e in result.errors):
        result.tasks.clear()  # the file as a whole is unusable
    return result


__all__ = [
    "AnnotationIn",
    "ParseResult",
    "PredictionIn",
    "RowError",
    "TaskIn",
    "infer_format",
    "parse_tasks",
]
