"""Importing existing labels read by a format's reader (``services/formats/labels.py``: COCO,
YOLO, VOC, CVAT XML...): match each ``LabelTask`` to its media, name the tools of its regions,
check them as submits and predictions are checked, and write tasks, annotations (credited as
``annotators.Crediting`` does) and predictions, with a report per item.

Media: a task's ``media_name`` is matched, by its base name, to a media file uploaded in the
same import (``media``: the rows phase 1 made of them, written here as new tasks), else to a
task of the project whose ``data.filename`` is that name (its labels are added to it), else,
when the format carries the task's data (Label Studio, Accord JSON), a new task of that data;
otherwise the item is reported and left out. Uploaded media that no item names are imported as
tasks without labels.

Tools: readers give regions a ``type`` and a ``label`` but no ``tool``: each gets the project's
tool of that type that has that label (``assign_tools``). A new project's schema is built from
the label set itself (``schema_from_label_set``).

Adding a format is one line in ``LABEL_READERS``: its reader's ``read_labels``.
"""

from __future__ import annotations

import itertools
import posixpath
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter

from accord_server import wording
from accord_server.db.models import Annotation, Project, Task
from accord_server.schemas.enums import ImportScope
from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.annotations import media_info
from accord_server.services.errors import Invalid
from accord_server.services.formats import coco, cvat_labels, label_studio_json, voc, yolo
from accord_server.services.formats.labels import LabelResult, LabelSet, LabelTask, Problem
from accord_server.services.imports.annotators import Crediting
from accord_server.services.imports.people import PersonError, anonymous, person_named
from accord_server.services.imports.reading import annotation_row, fill_relation_tool
from accord_server.services.imports.report import result_problem
from accord_server.services.imports.writing import credit_annotations, insert_annotations
from accord_server.services.projects import project_schema
from accord_server.services.results import validate_result
from accord_server.services.tasks import insert_predictions, insert_tasks

LabelReader = Callable[[Path, Problem], LabelSet]
"""A format's reader: the folder of its files (an unpacked archive) and where to report what
it cannot convert -> the label set, its tasks read as they are iterated."""

LABEL_READERS: dict[str, LabelReader] = {
    "coco": coco.read_labels,
    "yolo": yolo.read_labels,
    "voc": voc.read_labels,
    "cvat": cvat_labels.read_labels,
    "label_studio": label_studio_json.read_labels,
}
"""The formats an import's ``labels_format`` may name, and their readers."""


def label_reader(fmt: str) -> LabelReader:
    """The reader of the label format an import names; Invalid (listing those there are)
    for another."""
    reader = LABEL_READERS.get(fmt.lower())
    if reader is None:
        known = ", ".join(sorted(LABEL_READERS)) or "none yet"
        raise Invalid(
            f"labels_format: {fmt!r} is not a label format this server reads (it reads: {known})",
            details={"field": "labels_format"},
        )
    return reader


Row = dict[str, Any]


def schema_from_label_set(label_set: LabelSet) -> dict[str, Any]:
    """A new project's label schema from what a reader found: one tool per region type, named
    after it, with the labels in the source's order (a classification's as its choices; a
    keypoints tool has one list of keypoint names, so labels with different names (CVAT's
    skeleton of 3 points beside its 4-point ``points``) get a tool each: ``keypoints``,
    ``keypoints_2``..., each with the names and skeleton of its first label)."""
    tools: list[dict[str, Any]] = []
    for kind, labels in label_set.labels.items():
        if kind == "classification":
            tools.append({"name": kind, "type": kind, "choices": list(labels)})
        elif kind == "text":
            tools.append({"name": kind, "type": kind})
        elif kind == "keypoints":
            tools.extend(_keypoints_tools(label_set, labels))
        else:
            tools.append({"name": kind, "type": kind, "labels": list(labels)})
    return {"media": label_set.media, "tools": tools}


def _keypoints_tools(label_set: LabelSet, labels: list[str]) -> list[dict[str, Any]]:
    groups: dict[tuple[str, ...], list[str]] = {}
    for label in labels:
        groups.setdefault(tuple(label_set.keypoints.get(label) or []), []).append(label)
    tools: list[dict[str, Any]] = []
    for n, (names, members) in enumerate(groups.items(), start=1):
        tool: dict[str, Any] = {
            "name": "keypoints" if n == 1 else f"keypoints_{n}",
            "type": "keypoints",
            "labels": members,
            "keypoints": list(names),
        }
        edges = label_set.skeletons.get(members[0])
        if edges:
            tool["skeleton"] = [list(edge) for edge in edges]
        tools.append(tool)
    return tools


def _tool_labels(tool: Any) -> set[str]:
    if tool.type == "classification":
        return set(tool.choices)
    return {label.name for label in getattr(tool, "labels", [])}


def assign_tools(schema: LabelSchema, regions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``regions`` with their tools named: the project's tool of the region's type that has
    its label (the only tool of that type, for a region without a label). A classification
    region's ``label`` becomes its choice. Raises ``Invalid`` naming the region that no tool
    can hold, or that two tools could."""
    out = []
    for i, region in enumerate(regions):
        region = dict(region)
        kind, label = region.get("type"), region.get("label")
        if "tool" not in region:
            tools = [t for t in schema.tools if t.type == kind]
            if label is not None:
                tools = [t for t in tools if str(label) in _tool_labels(t)]
            if len(tools) != 1:
                what = f"{kind} tool" + (f" with the label {label!r}" if label is not None else "")
                reason = "no" if not tools else "more than one"
                raise Invalid(
                    f"result[{i}]: the project has {reason} {what}",
                    details={
                        "errors": [{"path": f"result[{i}].tool", "message": f"{reason} {what}"}]
                    },
                )
            region["tool"] = tools[0].name
        if kind == "classification" and "value" not in region and label is not None:
            region["value"] = {"choices": [region.pop("label")]}
        region.setdefault("id", f"r{i}")
        out.append(region)
    return out


@dataclass
class LabelReport:
    """What a label-set import wrote, and what it left out and why (as a job's report)."""

    problems: list[dict[str, Any]] = field(default_factory=list)
    tasks: int = 0
    tasks_labelled: int = 0
    """Existing tasks of the project that got labels."""
    annotations: int = 0
    predictions: int = 0
    items_skipped: int = 0
    annotations_dropped: int = 0
    predictions_dropped: int = 0
    imported_annotators: int = 0

    def problem(self, where: str, fld: str | None, message: str, scope: ImportScope) -> None:
        """Note a problem of an item (``where``: the source file and the item in it)."""
        self.problems.append(
            {"file": where, "row": None, "field": fld, "message": message, "scope": scope.value}
        )

    def counts(self) -> dict[str, int]:
        """The counts, as a job reports them."""
        return {k: v for k, v in vars(self).items() if k != "problems"}


@dataclass
class _Item:
    """A label task matched to its media: a new task's row, or an existing task's id."""

    where: str
    row: Row | None
    task_id: int | None
    annotations: list[dict[str, Any]]
    predictions: list[dict[str, Any]]


def _media_key(name: str | None) -> str | None:
    return posixpath.basename(name.replace("\\", "/")) if name else None


def _results(
    schema: LabelSchema,
    media: Any,
    results: list[LabelResult],
    *,
    annotations: bool,
    drop: Callable[[str, str], None],
) -> list[dict[str, Any]]:
    """The results of one item that can be written (annotations complete and one per person,
    as submits are; predictions as an import's predictions are)."""
    kept: list[dict[str, Any]] = []
    seen: set[str] = set()
    unnamed = 0
    relation_tool = next((t.name for t in schema.tools if t.type == "relation"), None)
    noun = "annotations" if annotations else "predictions"
    for i, res in enumerate(results):
        where = f"{noun}[{i}]"
        try:
            regions = assign_tools(schema, res.regions)
            fill_relation_tool(regions, relation_tool)
            result = validate_result(schema, regions, media, require_complete=annotations)
        except Invalid as exc:
            drop(*result_problem(f"{where}.result", exc))
            continue
        if not annotations:
            kept.append({"result": result, "score": res.score, "model_version": res.model_version})
            continue
        if res.annotator is None:
            unnamed += 1
            person = anonymous(unnamed)
        else:
            try:
                person = person_named(res.annotator)
            except PersonError as exc:
                drop(f"{where}.annotator", exc.message)
                continue
        if person.key in seen:
            drop(f"{where}.annotator", f"a second annotation by {person.name}")
            continue
        seen.add(person.key)
        kept.append(annotation_row(result, person))
    return kept


def _existing_tasks(
    session: Session, project_id: int, names: Iterable[str]
) -> dict[str, tuple[int, dict[str, Any]]]:
    """The project's tasks by ``data.filename`` (the first of each name): id and meta."""
    wanted = list(set(names))
    found: dict[str, tuple[int, dict[str, Any]]] = {}
    filename = Task.data["filename"].as_string()
    for i in range(0, len(wanted), 500):
        rows = session.execute(
            select(filename, Task.id, Task.meta)
            .where(Task.project_id == project_id, filename.in_(wanted[i : i + 500]))
            .order_by(Task.id)
        )
        for name, task_id, meta in rows:
            found.setdefault(name, (task_id, meta or {}))
    return found


def _match(
    session: Session,
    project: Project,
    schema: LabelSchema,
    tasks: Iterator[LabelTask],
    media: dict[str, Row],
    report: LabelReport,
    chunk: int,
) -> Iterator[_Item]:
    """Each label task matched to its media and checked (in the order read; the project's
    tasks are looked up for ``chunk`` items at a time)."""
    used: set[str] = set()
    n = 0
    while group := list(itertools.islice(tasks, chunk)):
        looked_up = _existing_tasks(
            session,
            project.id,
            (k for t in group if (k := _media_key(t.media_name)) and k not in media),
        )
        for task in group:
            n += 1
            item = _match_one(task, n, project, schema, media, used, looked_up, report)
            if item is not None:
                yield item
    for name, row in media.items():
        if name not in used:
            yield _Item(name, row, None, [], [])


def _match_one(
    task: LabelTask,
    n: int,
    project: Project,
    schema: LabelSchema,
    media: dict[str, Row],
    used: set[str],
    existing: dict[str, tuple[int, dict[str, Any]]],
    report: LabelReport,
) -> _Item | None:
    """One label task matched to its media and checked; None (reported) when nothing is."""
    name = _media_key(task.media_name)
    where = task.media_name or f"item {n}"
    row: Row | None = None
    task_id: int | None = None
    meta: dict[str, Any] = {}
    if name is not None and name in media and name not in used:
        used.add(name)
        row = media[name]
        meta = row["meta"]
    elif name is not None and name in existing:
        task_id, meta = existing[name]
    elif task.data:
        row = {"data": task.data, "meta": {}}
        if isinstance(task.data.get("text"), str):
            row["meta"]["text_length"] = len(task.data["text"])
        meta = row["meta"]
    else:
        report.items_skipped += 1
        report.problem(
            where,
            None,
            f"no media file named {name!r} in this import or in the project"
            if name
            else "the item names no media file",
            ImportScope.ROW,
        )
        return None
    if task.width and task.height and "width" not in meta:
        meta = {**meta, "width": task.width, "height": task.height}
    info = media_info(meta, project.media)

    def drop(fld: str, message: str, scope: ImportScope, where: str = where) -> None:
        if scope is ImportScope.ANNOTATIONS:
            report.annotations_dropped += 1
        else:
            report.predictions_dropped += 1
        report.problem(where, fld, message, scope)

    anns = _results(
        schema,
        info,
        task.annotations,
        annotations=True,
        drop=lambda f, m: drop(f, m, ImportScope.ANNOTATIONS),
    )
    preds = _results(
        schema,
        info,
        task.predictions,
        annotations=False,
        drop=lambda f, m: drop(f, m, ImportScope.PREDICTION),
    )
    return _Item(where, row, task_id, anns, preds)


def write_label_set(
    session: Session,
    *,
    job_id: int | None,
    project: Project,
    label_set: LabelSet,
    media: Iterable[Row],
    batch_size: int = 1000,
) -> LabelReport:
    """Write a label set into ``project`` in the caller's transaction (see the module
    docstring); ``media`` are the rows of the media files uploaded with it (phase 1's)."""
    if label_set.media != project.media:
        raise Invalid(
            f"labels: {wording.with_article(label_set.media)} label set cannot be imported into "
            f"{wording.with_article(project.media)} project",
            details={"field": "labels_format"},
        )
    schema = project_schema(project)
    report = LabelReport()
    by_name: dict[str, Row] = {}
    for row in media:
        key = _media_key(row["data"].get("filename") or row["meta"].get("filename"))
        if key is not None:
            by_name.setdefault(key, row)
    crediting = Crediting(session, project.organization_id)
    chunk: list[_Item] = []
    for item in _match(session, project, schema, label_set.tasks, by_name, report, batch_size):
        chunk.append(item)
        if len(chunk) >= batch_size:
            _write(session, job_id, project, chunk, crediting, report)
            chunk.clear()
    if chunk:
        _write(session, job_id, project, chunk, crediting, report)
    report.imported_annotators = crediting.created
    return report


def _write(
    session: Session,
    job_id: int | None,
    project: Project,
    items: list[_Item],
    crediting: Crediting,
    report: LabelReport,
) -> None:
    credited = credit_annotations(crediting, [item.annotations for item in items])
    existing = [(item, anns) for item, anns in zip(items, credited, strict=True) if item.task_id]
    if existing:
        # An existing task keeps one annotation per annotator: a person who has one already is
        # reported, not written twice.
        has = {
            (task_id, user_id)
            for task_id, user_id in session.execute(
                select(Annotation.task_id, Annotation.user_id).where(
                    Annotation.task_id.in_({item.task_id for item, _ in existing}),
                    Annotation.deleted_at.is_(None),
                )
            )
        }
        for item, anns in existing:
            for user_id, ann in list(anns):
                if (item.task_id, user_id) in has:
                    anns.remove((user_id, ann))
                    report.annotations_dropped += 1
                    report.problem(
                        item.where,
                        "annotations",
                        f"{ann['person'].name} has an annotation of this task already",
                        ImportScope.ANNOTATIONS,
                    )
    new = [(item, anns) for item, anns in zip(items, credited, strict=True) if item.row]
    rows = [{**item.row, "annotation_count": len(anns)} for item, anns in new if item.row]
    ids = insert_tasks(session, project=project, rows=rows, import_job_id=job_id)
    report.tasks += len(ids)
    task_ids = iter(ids)
    placed: list[tuple[int, _Item, list[tuple[int, dict[str, Any]]]]] = []
    for item, anns in zip(items, credited, strict=True):
        task_id = next(task_ids) if item.row else item.task_id
        assert task_id is not None
        placed.append((task_id, item, anns))
    counts = [
        {"the_task": task_id, "n": len(anns)}
        for task_id, item, anns in placed
        if item.task_id and anns
    ]
    if counts:
        report.tasks_labelled += len(counts)
        n: BindParameter[int] = bindparam("n")
        session.connection().execute(
            update(Task)
            .where(Task.id == bindparam("the_task"))
            .values(annotation_count=Task.annotation_count + n, open_slots=Task.open_slots - n),
            counts,
        )
    report.predictions += insert_predictions(
        session,
        project=project,
        rows=[{**p, "task_id": task_id} for task_id, item, _ in placed for p in item.predictions],
    )
    report.annotations += insert_annotations(
        session,
        project=project,
        job_id=job_id,
        rows=[(task_id, user_id, ann) for task_id, _, anns in placed for user_id, ann in anns],
    )
