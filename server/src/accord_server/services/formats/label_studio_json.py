"""Label Studio's JSON export, both ways: a writer of Accord tasks as the list of tasks Label
Studio imports (``tasks.json``, with the labeling config ``label_config.xml`` that its
``from_name``/``to_name`` refer to), and a reader of a Label Studio export (tasks with annotations
and predictions) for the import of existing labels.

What the writer follows (Label Studio's task format and its editor):

- a task is ``{id, data, annotations: [{id, result, was_cancelled, ground_truth, completed_by,
  created_at, updated_at}], predictions: [{model_version, score, result}]}``;
- ``completed_by`` is ``{"email": ...}``: Label Studio's import credits an annotation to the
  member with that email (a name that is no email, e.g. an imported annotator, is left out, and
  Label Studio credits the importing user);
- boxes, polygons and key points are in percent (0-100) of ``original_width`` and
  ``original_height``, which every image result carries; a box's ``x``/``y`` is its top-left
  corner *after* rotation and ``rotation`` turns it clockwise about that corner (Accord turns
  boxes about their centre: converted here and in ``label_studio``);
- span ``start``/``end`` count Unicode code points, as Accord's do: Label Studio's ``Text`` tag
  has counted code points, not JavaScript's UTF-16 units, since its emoji fix (its own test: in
  "🐱 Warning: This is a test text", "test" is 21-25); ``text`` holds the span's text;
- masks are not written (Label Studio's brush RLE is its own: export masks as COCO), nor region
  attributes (Label Studio would need per-region controls for them): both are counted as dropped.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import IO, Any
from urllib.parse import parse_qs, unquote, urlparse
from xml.sax.saxutils import quoteattr

import ijson

from accord_server.schemas.label_schema import (
    ClassificationTool,
    KeypointsTool,
    LabelSchema,
    TextTool,
)
from accord_server.services.formats.export import (
    Context,
    ExportItem,
    ExportResult,
    Format,
    Json,
)
from accord_server.services.formats.label_studio import (
    LabelStudioResultError,
    convert_label_studio_result,
)
from accord_server.services.formats.labels import LabelResult, LabelSet, LabelTask, Problem

TASKS_FILE = "tasks.json"
CONFIG_FILE = "label_config.xml"

# Accord tool type -> (Label Studio control tag, result type)
_CONTROLS = {
    "bbox": ("RectangleLabels", "rectanglelabels"),
    "polygon": ("PolygonLabels", "polygonlabels"),
    "keypoints": ("KeyPointLabels", "keypointlabels"),
    "mask": ("BrushLabels", "brushlabels"),
    "span": ("Labels", "labels"),
    "classification": ("Choices", "choices"),
    "text": ("TextArea", "textarea"),
}
_IMAGE_TYPES = {"bbox", "polygon", "keypoints", "mask"}

DROP_NO_SIZE = "image regions of tasks whose image size is unknown (Label Studio needs percentages)"
DROP_MASK = "mask regions: Label Studio's brush RLE is not written (export masks as COCO)"
DROP_KEYPOINTS = (
    "keypoints regions of tools with several keypoints: a Label Studio key point stands alone"
)
DROP_HIDDEN_KEYPOINT = "keypoints that are not labeled (visibility 0)"
DROP_ATTRIBUTES = "region attributes: Label Studio holds them only with per-region controls"
DROP_NO_TEXT = "span regions of tasks without text"


def object_name(schema: LabelSchema) -> str:
    """The name (and ``$`` data key) of the config's object tag: ``image`` or ``text``."""
    return str(schema.media)


def label_config(schema: LabelSchema) -> str:
    """The Label Studio labeling config (``<View>`` XML) for the schema: one control tag per
    tool, named as the tool, so the ``from_name`` of every written result names a tag; relation
    tools share Label Studio's one ``<Relations>`` tag. ``label_studio_config`` reads it back."""
    target = object_name(schema)
    tag = "Image" if target == "image" else "Text"
    lines = ["<View>", f"  <{tag} name={quoteattr(target)} value={quoteattr('$' + target)}/>"]
    relations: list[str] = []
    for tool in schema.tools:
        if tool.type == "relation":
            relations.extend(lab.name for lab in tool.labels if lab.name not in relations)
            continue
        control = _CONTROLS[tool.type][0]
        attrs = f"name={quoteattr(tool.name)} toName={quoteattr(target)}"
        if tool.required:
            attrs += ' required="true"'
        if isinstance(tool, ClassificationTool):
            choice = "multiple" if tool.multiple else "single"
            lines.append(f'  <{control} {attrs} choice="{choice}">')
            lines += [f"    <Choice value={quoteattr(c)}/>" for c in tool.choices]
        elif isinstance(tool, TextTool):
            lines.append(f"  <{control} {attrs}/>")
            continue
        else:
            lines.append(f"  <{control} {attrs}>")
            for lab in tool.labels:
                color = f" background={quoteattr(lab.color)}" if lab.color else ""
                hotkey = f" hotkey={quoteattr(lab.hotkey)}" if lab.hotkey else ""
                lines.append(f"    <Label value={quoteattr(lab.name)}{color}{hotkey}/>")
        lines.append(f"  </{control}>")
    if relations:
        lines.append("  <Relations>")
        lines += [f"    <Relation value={quoteattr(name)}/>" for name in relations]
        lines.append("  </Relations>")
    lines.append("</View>")
    return "\n".join(lines) + "\n"


def _box(geometry: Json, width: int, height: int) -> Json:
    """An Accord box (rotated about its centre) as Label Studio's (about its top-left corner)."""
    x, y, w, h = geometry["x"], geometry["y"], geometry["width"], geometry["height"]
    rotation = float(geometry.get("rotation", 0.0))
    if rotation % 360 != 0:
        a = math.radians(rotation)
        cx, cy = x + w / 2, y + h / 2
        x = cx - w / 2 * math.cos(a) + h / 2 * math.sin(a)
        y = cy - w / 2 * math.sin(a) - h / 2 * math.cos(a)
    return {
        "x": x * 100 / width,
        "y": y * 100 / height,
        "width": w * 100 / width,
        "height": h * 100 / height,
        "rotation": rotation,
    }


class LabelStudioWriter:
    """Writes ``tasks.json`` one task at a time (a JSON array streamed to the file) and
    ``label_config.xml``."""

    def __init__(self, schema: LabelSchema, ctx: Context) -> None:
        self.schema = schema
        self.ctx = ctx
        self.target = object_name(schema)
        self.tools = {tool.name: tool for tool in schema.tools}
        ctx.out.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] = (ctx.out / TASKS_FILE).open("w", encoding="utf-8", newline="\n")
        self._file.write("[")
        self._first = True

    def write(self, item: ExportItem) -> None:
        """Append one task to the array."""
        if self.ctx.include_media and item.media_name:
            self.ctx.place_media(item, f"{self.target}s/{item.media_name}")
        task: Json = {"id": item.task_id, "data": item.data}
        task["annotations"] = [self._annotation(item, r) for r in item.results]
        task["predictions"] = [self._prediction(item, p) for p in item.predictions]
        meta = {k: v for k, v in (("split", item.split),) if v is not None}
        if meta:
            task["meta"] = meta
        self._file.write("\n" if self._first else ",\n")
        self._file.write(json.dumps(task, ensure_ascii=False, allow_nan=False))
        self._first = False

    def finish(self) -> None:
        """Close the array and write the labeling config."""
        self._file.write("\n]\n" if not self._first else "]\n")
        self._file.close()
        (self.ctx.out / CONFIG_FILE).write_text(
            label_config(self.schema), encoding="utf-8", newline="\n"
        )

    def _annotation(self, item: ExportItem, result: ExportResult) -> Json:
        annotation: Json = {}
        if result.annotation_id is not None:
            annotation["id"] = result.annotation_id
        annotation["result"] = self._result(item, result.regions)
        annotation["was_cancelled"] = False
        annotation["ground_truth"] = item.is_gold
        if result.annotator and "@" in result.annotator:
            annotation["completed_by"] = {"email": result.annotator}
        for key in ("created_at", "updated_at"):
            if getattr(result, key):
                annotation[key] = getattr(result, key)
        return annotation

    def _prediction(self, item: ExportItem, prediction: ExportResult) -> Json:
        out: Json = {}
        if prediction.annotator:
            out["model_version"] = prediction.annotator
        if prediction.score is not None:
            out["score"] = prediction.score
        out["result"] = self._result(item, prediction.regions)
        return out

    def _result(self, item: ExportItem, regions: list[Json]) -> list[Json]:
        out: list[Json] = []
        for region in regions:
            converted = self._region(item, region)
            if converted is None:
                continue
            if region.get("attributes"):
                self.ctx.report.drop(DROP_ATTRIBUTES, task_id=item.task_id)
            if "score" in region and converted.get("type") != "relation":
                converted["score"] = region["score"]
            out.append(converted)
        return out

    def _region(self, item: ExportItem, region: Json) -> Json | None:
        kind = region["type"]
        drop = self.ctx.report.drop
        if kind == "relation":
            geometry = region["geometry"]
            # Label Studio's relations carry no id; ours keeps the region's for the way back.
            relation: Json = {"id": region["id"], "from_id": geometry["from"]}
            relation["to_id"] = geometry["to"]
            relation.update(type="relation", direction="right")
            if region.get("label"):
                relation["labels"] = [region["label"]]
            return relation
        ls_type = _CONTROLS[kind][1]
        out: Json = {"id": region["id"], "from_name": region["tool"], "to_name": self.target}
        out["type"] = ls_type
        if kind in _IMAGE_TYPES:
            if kind == "mask":
                drop(DROP_MASK, task_id=item.task_id)
                return None
            if not item.width or not item.height:
                drop(DROP_NO_SIZE, task_id=item.task_id)
                return None
            value = self._shape(item, region)
            if value is None:
                return None
            out["original_width"], out["original_height"] = item.width, item.height
            out["image_rotation"] = 0
            value[ls_type] = [region["label"]]
        elif kind == "span":
            text = item.text
            if text is None:
                drop(DROP_NO_TEXT, task_id=item.task_id)
                return None
            start, end = region["geometry"]["start"], region["geometry"]["end"]
            value = {"start": start, "end": end, "text": text[start:end]}
            value["labels"] = [region["label"]]
        elif kind == "classification":
            value = {"choices": list(region["value"]["choices"])}
        else:  # text: Label Studio keeps one string per submitted answer
            value = {"text": [region["value"]["text"]]}
        out["value"] = value
        return out

    def _shape(self, item: ExportItem, region: Json) -> Json | None:
        width, height = item.width or 1, item.height or 1
        geometry, kind = region["geometry"], region["type"]
        if kind == "bbox":
            return _box(geometry, width, height)
        if kind == "polygon":
            points = [[x * 100 / width, y * 100 / height] for x, y in geometry["points"]]
            return {"points": points, "closed": True}
        tool = self.tools.get(region["tool"])
        if isinstance(tool, KeypointsTool) and len(tool.keypoints) != 1:
            self.ctx.report.drop(DROP_KEYPOINTS, task_id=item.task_id)
            return None
        x, y, visibility = geometry["points"][0]
        if not visibility:
            self.ctx.report.drop(DROP_HIDDEN_KEYPOINT, task_id=item.task_id)
            return None
        return {"x": x * 100 / width, "y": y * 100 / height, "width": 1.0}


FORMAT = Format(
    name="label_studio",
    title="Label Studio JSON",
    media=frozenset({"image", "text"}),
    make=LabelStudioWriter,
    description=(
        "Label Studio's task list with annotations and predictions (percent coordinates with "
        "original_width/original_height, code point span offsets) and label_config.xml to "
        "create the Label Studio project with."
    ),
)


# ---------------------------------------------------------------------------------------------
# Reading a Label Studio export


_REGION_TYPES = {
    "rectanglelabels": "bbox",
    "rectangle": "bbox",
    "polygonlabels": "polygon",
    "polygon": "polygon",
    "keypointlabels": "keypoints",
    "keypoint": "keypoints",
    "labels": "span",
    "choices": "classification",
    "relation": "relation",
}
_IMAGE_RESULTS = {"rectanglelabels", "rectangle", "polygonlabels", "polygon"} | {
    "keypointlabels",
    "keypoint",
    "brushlabels",
}


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.json") if p.is_file())


def _tasks(path: Path) -> Iterator[tuple[int, Any]]:
    with path.open("rb") as handle:
        yield from enumerate(ijson.items(handle, "item", use_float=True))


def _items(task: Any) -> Iterator[Json]:
    """Every result item of a task's annotations and predictions."""
    if not isinstance(task, dict):
        return
    for key in ("annotations", "predictions"):
        for entry in task.get(key) or []:
            if isinstance(entry, dict) and isinstance(entry.get("result"), list):
                yield from (i for i in entry["result"] if isinstance(i, dict))


def _survey(files: list[Path]) -> tuple[str, dict[str, list[str]]]:
    """A first pass: the media (image results or an ``image`` field, else text) and the labels
    by Accord region type, in the order they first appear."""
    labels: dict[str, list[str]] = {}
    image = text = False
    for path in files:
        for _, task in _tasks(path):
            data = task.get("data") if isinstance(task, dict) else None
            if isinstance(data, dict):
                image = image or "image" in data
                text = text or "text" in data
            for item in _items(task):
                kind = str(item.get("type"))
                image = image or kind in _IMAGE_RESULTS
                region_type = _REGION_TYPES.get(kind)
                value = item.get("value") if kind != "relation" else item
                names = value.get(kind if kind != "relation" else "labels") if value else None
                if kind in ("rectangle", "polygon", "keypoint"):
                    names = None
                if region_type is None or not isinstance(names, list):
                    continue
                known = labels.setdefault(region_type, [])
                known.extend(n for n in names if isinstance(n, str) and n not in known)
    return ("image" if image or not text else "text"), labels


def _annotator(completed_by: Any) -> str | None:
    """Label Studio's ``completed_by``: an object with the user's email (exports that expand
    it), else a user id, which names the source person without an email."""
    if isinstance(completed_by, dict):
        email = completed_by.get("email")
        if isinstance(email, str) and email:
            return email
        completed_by = completed_by.get("id")
    if isinstance(completed_by, int) and not isinstance(completed_by, bool):
        return f"Label Studio user {completed_by}"
    return completed_by if isinstance(completed_by, str) and completed_by else None


def _regions(result: list[Any], data: Json, where: str, problem: Problem) -> list[Json]:
    """The convertible items of a result as canonical regions without ``tool``; each item that
    cannot be converted is reported and left out."""
    regions: list[Json] = []
    for index, item in enumerate(result):
        try:
            [region] = convert_label_studio_result([item], data=data)
        except LabelStudioResultError as exc:
            problem(where, f"result[{index}]{exc.path[3:]}: {exc.message}")
            continue
        if region is item:  # the converter passes through what is not Label Studio's shape
            problem(where, f"result[{index}]: not a Label Studio result item")
            continue
        region = {k: v for k, v in region.items() if k != "tool"}
        region["id"] = str(item.get("id") or f"r{index}")
        regions.append(region)
    return regions


_UPLOAD_PREFIX = re.compile(r"^[0-9a-f]{8}-(.+)$")


def _media_name(data: Json) -> str | None:
    """The image's file name: the last part of its URL's path, of the ``d`` parameter of a
    local-files URL (``/data/local-files/?d=photos/cat.jpg``), without the 8 hex digits and
    dash Label Studio puts before the name of an uploaded file
    (``/data/upload/3/1a2b3c4d-cat.jpg`` is ``cat.jpg``)."""
    url = data.get("image")
    if not isinstance(url, str) or not url:
        return None
    parsed = urlparse(url)
    local = parse_qs(parsed.query).get("d") if "local-files" in parsed.path else None
    name = PurePosixPath(unquote(local[0] if local else parsed.path)).name
    if "/data/upload/" in parsed.path:
        uploaded = _UPLOAD_PREFIX.match(name)
        name = uploaded.group(1) if uploaded else name
    return name or None


def _size(result: list[Any]) -> tuple[int | None, int | None]:
    for item in result:
        if isinstance(item, dict):
            w, h = item.get("original_width"), item.get("original_height")
            if isinstance(w, int | float) and isinstance(h, int | float) and w > 0 and h > 0:
                return int(w), int(h)
    return None, None


def _task(task: Any, where: str, problem: Problem) -> LabelTask | None:
    if not isinstance(task, dict) or not isinstance(task.get("data"), dict):
        problem(where, "not a Label Studio task (an object with data)")
        return None
    data: Json = task["data"]
    out = LabelTask(media_name=_media_name(data), data=data)
    for i, raw in enumerate(task.get("annotations") or []):
        here = f"{where}.annotations[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("result"), list):
            problem(here, "expected an object with a result array")
            continue
        if raw.get("was_cancelled"):
            problem(here, "a skipped (cancelled) annotation: left out")
            continue
        out.annotations.append(
            LabelResult(
                regions=_regions(raw["result"], data, here, problem),
                annotator=_annotator(raw.get("completed_by")),
                ground_truth=raw.get("ground_truth") is True,
            )
        )
        if out.width is None:
            out.width, out.height = _size(raw["result"])
    for i, raw in enumerate(task.get("predictions") or []):
        here = f"{where}.predictions[{i}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("result"), list):
            problem(here, "expected an object with a result array")
            continue
        score, version = raw.get("score"), raw.get("model_version")
        if not isinstance(score, int | float) or isinstance(score, bool):
            score = None
        out.predictions.append(
            LabelResult(
                regions=_regions(raw["result"], data, here, problem),
                score=None if score is None else float(score),
                model_version=str(version) if version not in (None, "") else None,
            )
        )
        if out.width is None:
            out.width, out.height = _size(raw["result"])
    return out


def read_labels(folder: Path, problem: Problem) -> LabelSet:
    """The tasks of a Label Studio JSON export (every ``*.json`` file under ``folder``, each a
    list of tasks), streamed: the files are read once to find the media and the labels, and
    again, a task at a time, as the tasks are iterated."""
    files = _files(folder)
    if not files:
        problem(str(folder.name or folder), "no .json file of Label Studio tasks")
    media, labels = _survey(files)

    def tasks() -> Iterator[LabelTask]:
        for path in files:
            for index, raw in _tasks(path):
                task = _task(raw, f"{path.relative_to(folder)}: [{index}]", problem)
                if task is not None:
                    yield task

    return LabelSet(media=media, labels=labels, tasks=tasks())
