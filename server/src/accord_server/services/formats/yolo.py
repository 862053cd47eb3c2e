"""YOLO (Ultralytics layout): written for exports, read for imports of existing labels.

An export is ``images/<split>/<media>``, ``labels/<split>/<stem>.txt`` (one row per object,
coordinates normalized to the image, class ids from 0) and ``data.yaml`` (``path: .``, the
``train``/``val``/``test`` image folders present, ``names: {0: ...}``, and for pose
``kpt_shape`` and ``kpt_names``). ``<split>`` is the task's split, ``train`` when the export
is not split. An image without objects gets no label file (YOLO's background image).

The option ``task`` chooses what the rows hold, because Ultralytics trains one kind per
dataset and must not get box and polygon rows mixed:

- ``detect`` (default): ``class cx cy w h``, one per axis-aligned box of a box tool;
- ``segment``: ``class x1 y1 ... xn yn``, one per polygon of a polygon tool;
- ``pose``: ``class cx cy w h x1 y1 v1 ...``, one per keypoints instance, the box being the
  extent of its labeled points (Accord's keypoints have no box of their own) and an unlabeled
  point ``0 0 0``; every keypoints tool in one dataset must have the first one's number of
  keypoints (``kpt_shape`` is one shape).

The classes are the labels of the chosen task's tools, in the schema's order (a name used by
two tools is one class). Everything else is dropped and counted by kind: rotated boxes (YOLO
detection boxes are axis-aligned), the other tools' shapes, masks (no polygon is traced from
them), image-level answers, and every region of an image whose size is not known (coordinates
are fractions of it). Numbers are written with six decimals, as Ultralytics writes them.

A writer keeps only the splits seen (and whose label folder it made); each task's rows go to
its file as it comes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from accord_server.adapters.media import IMAGE_HEAD_BYTES, image_size
from accord_server.schemas.label_schema import (
    BBoxTool,
    KeypointsTool,
    LabelSchema,
    PolygonTool,
)
from accord_server.services.errors import Invalid
from accord_server.services.formats import shapes
from accord_server.services.formats.export import Context, ExportItem, Format, Json
from accord_server.services.formats.labels import LabelResult, LabelSet, LabelTask, Problem

__all__ = ["FORMAT", "YoloWriter", "read_labels"]

TASKS = ("detect", "segment", "pose")
TASK_TYPES = {"detect": "bbox", "segment": "polygon", "pose": "keypoints"}
SPLITS = ("train", "val", "test")
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".gif")

NO_SIZE = "regions of images of unknown size: YOLO coordinates are fractions of it"
ROTATED = "rotated boxes: YOLO detection boxes are axis-aligned"
UNKNOWN_LABEL = "regions whose tool and label are not in the export's schema"
NO_KEYPOINTS = "keypoints regions with no labeled keypoint: a pose row needs a box"
OTHER_SHAPE = "keypoints regions of a tool with another number of keypoints than kpt_shape"
EMPTY_SHAPE = "regions with no area inside the image"


def _not_held(kind: str, task: str) -> str:
    return f"{kind} regions: YOLO {task} holds {TASK_TYPES[task]} regions only"


def _num(value: float) -> str:
    text = f"{min(max(value, 0.0), 1.0):.6f}"
    return "0.000000" if text == "-0.000000" else text


class YoloWriter:
    """Writes one YOLO export (see the module's notes)."""

    def __init__(self, schema: LabelSchema, ctx: Context) -> None:
        task = ctx.options.get("task", "detect")
        if task not in TASKS:
            raise Invalid(f"options.task: must be one of {', '.join(TASKS)}, not {task!r}")
        self.ctx = ctx
        self.task: str = task
        kind = TASK_TYPES[task]
        self.names: list[str] = []
        self.classes: dict[tuple[str, str], int] = {}
        self.keypoint_names: list[str] | None = None
        self.other_shape: set[tuple[str, str]] = set()
        for tool in schema.tools:
            if tool.type != kind or not isinstance(tool, BBoxTool | PolygonTool | KeypointsTool):
                continue
            if isinstance(tool, KeypointsTool):
                if self.keypoint_names is None:
                    self.keypoint_names = list(tool.keypoints)
                elif len(tool.keypoints) != len(self.keypoint_names):
                    self.other_shape.update((tool.name, spec.name) for spec in tool.labels)
                    continue
            for spec in tool.labels:
                if spec.name not in self.names:
                    self.names.append(spec.name)
                self.classes[(tool.name, spec.name)] = self.names.index(spec.name)
        self.splits: set[str] = set()
        self.label_dirs: set[str] = set()

    def write(self, item: ExportItem) -> None:
        """Write the task's label file (if it has objects) and place its image."""
        split = item.split or "train"
        self.splits.add(split)
        if item.media_name:
            self.ctx.place_media(item, f"images/{split}/{item.media_name}")
        regions = [r for result in item.results for r in result.regions]
        if not regions:
            return
        width, height = item.width, item.height
        if width is None or height is None or width <= 0 or height <= 0:
            self.ctx.report.drop(NO_SIZE, len(regions), task_id=item.task_id)
            return
        rows = []
        for region in regions:
            row = self._row(item, region, width, height)
            if row is not None:
                rows.append(row)
        if rows:
            folder = self.ctx.out / "labels" / split
            if split not in self.label_dirs:
                folder.mkdir(parents=True, exist_ok=True)
                self.label_dirs.add(split)
            path = folder / f"{item.stem}.txt"
            path.write_text("".join(f"{row}\n" for row in rows), encoding="utf-8")

    def _row(self, item: ExportItem, region: Json, width: int, height: int) -> str | None:
        report, kind = self.ctx.report, str(region.get("type"))
        if kind != TASK_TYPES[self.task]:
            report.drop(_not_held(kind, self.task), task_id=item.task_id)
            return None
        key = (str(region.get("tool")), str(region.get("label")))
        cls = self.classes.get(key)
        if cls is None:
            reason = OTHER_SHAPE if key in self.other_shape else UNKNOWN_LABEL
            report.drop(reason, task_id=item.task_id)
            return None
        geometry = region.get("geometry") or {}
        if kind == "bbox":
            if float(geometry.get("rotation") or 0.0) % 360 != 0:
                report.drop(ROTATED, task_id=item.task_id)
                return None
            box = shapes.clip_box(
                (geometry["x"], geometry["y"], geometry["width"], geometry["height"]),
                width,
                height,
            )
            if box[2] <= 0 or box[3] <= 0:
                report.drop(EMPTY_SHAPE, task_id=item.task_id)
                return None
            return f"{cls} {_box_text(box, width, height)}"
        if kind == "polygon":
            points = [shapes.clip_point(p[0], p[1], width, height) for p in geometry["points"]]
            if shapes.polygon_area(points) <= 0:
                report.drop(EMPTY_SHAPE, task_id=item.task_id)
                return None
            coords = " ".join(f"{_num(x / width)} {_num(y / height)}" for x, y in points)
            return f"{cls} {coords}"
        points = geometry["points"]
        kbox = shapes.keypoints_box(points, width, height)
        if kbox is None:
            report.drop(NO_KEYPOINTS, task_id=item.task_id)
            return None
        triples = []
        for x, y, v in points:
            if v > 0:
                px, py = shapes.clip_point(x, y, width, height)
                triples.append(f"{_num(px / width)} {_num(py / height)} {int(v)}")
            else:
                triples.append("0.000000 0.000000 0")
        return f"{cls} {_box_text(kbox, width, height)} {' '.join(triples)}"

    def finish(self) -> None:
        """Write ``data.yaml``."""
        data: dict[str, Any] = {"path": "."}
        present = [s for s in SPLITS if s in self.splits] or ["train"]
        for split in SPLITS:
            if split in present:
                data[split] = f"images/{split}"
        if "val" not in data:
            # Ultralytics needs a validation set; an unsplit export validates on its images.
            data["val"] = data.get("train", f"images/{present[0]}")
        data["names"] = dict(enumerate(self.names))
        if self.task == "pose" and self.keypoint_names is not None:
            data["kpt_shape"] = [len(self.keypoint_names), 3]
            data["kpt_names"] = {i: list(self.keypoint_names) for i in range(len(self.names))}
        text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=None)
        self.ctx.out.mkdir(parents=True, exist_ok=True)
        (self.ctx.out / "data.yaml").write_text(text, encoding="utf-8")


def _box_text(box: shapes.Box, width: int, height: int) -> str:
    x, y, w, h = box
    cx, cy = (x + w / 2) / width, (y + h / 2) / height
    return f"{_num(cx)} {_num(cy)} {_num(w / width)} {_num(h / height)}"


FORMAT = Format(
    name="yolo",
    title="YOLO",
    media=frozenset({"image"}),
    make=YoloWriter,
    description=(
        "Ultralytics YOLO: images/ and labels/ per split and data.yaml; detection boxes, "
        "segmentation polygons or pose keypoints (option task)."
    ),
    options={"task": "detect"},
)


# Reading


def _config(folder: Path, problem: Problem) -> tuple[list[str], Json]:
    """The class names and the rest of ``data.yaml`` (or of ``classes.txt``/``obj.names``)."""
    for name in ("data.yaml", "data.yml"):
        path = folder / name
        if not path.is_file():
            continue
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
            problem(name, f"not readable YAML: {error}")
            return [], {}
        if not isinstance(data, dict):
            problem(name, "must be a mapping with names")
            return [], {}
        names = data.get("names")
        if isinstance(names, dict) and all(isinstance(k, int) for k in names):
            keys = sorted(names)
            if keys != list(range(len(keys))):
                problem(f"{name}: names", "class ids must be 0 .. n-1")
            return [str(names[k]) for k in keys], data
        if isinstance(names, list):
            return [str(n) for n in names], data
        problem(f"{name}: names", "must be a list or a mapping of class id to name")
        return [], data
    for name in ("classes.txt", "obj.names"):
        path = folder / name
        if path.is_file():
            lines = path.read_text(encoding="utf-8").splitlines()
            return [line.strip() for line in lines if line.strip()], {}
    problem("data.yaml", "missing: class ids are named by their numbers")
    return [], {}


def _kpt_shape(data: Json, problem: Problem) -> tuple[int, int] | None:
    shape = data.get("kpt_shape")
    if shape is None:
        return None
    if (
        isinstance(shape, list)
        and len(shape) == 2
        and all(isinstance(v, int) for v in shape)
        and shape[0] > 0
        and shape[1] in (2, 3)
    ):
        return shape[0], shape[1]
    problem("data.yaml: kpt_shape", "must be [number of keypoints, 2 or 3]")
    return None


def _label_dirs(folder: Path) -> list[tuple[str, Path, Path]]:
    """``(split, labels folder, images folder)`` of the dataset: each ``labels/<split>`` beside
    ``images/<split>`` (a split either side has), and ``labels`` beside ``images`` when files
    lie directly in them (a dataset that is not split)."""
    labels, images = folder / "labels", folder / "images"

    def entries(where: Path) -> list[Path]:
        return sorted(where.iterdir()) if where.is_dir() else []

    splits = sorted({p.name for p in [*entries(labels), *entries(images)] if p.is_dir()})
    out = [(split, labels / split, images / split) for split in splits]
    if any(p.is_file() for p in [*entries(labels), *entries(images)]):
        out.append(("", labels, images))
    return out


def _images(folder: Path) -> dict[str, Path]:
    if not folder.is_dir():
        return {}
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.suffix.lower() in IMAGE_SUFFIXES:
            found.setdefault(path.stem, path)
    return found


def _size(path: Path) -> tuple[int, int] | None:
    """The size the image is shown at, from its header (``adapters.media.image_size``, as
    the workspace and the imports read it: EXIF orientation applied, as Ultralytics does
    when it checks labels); None for a file that is no image."""
    try:
        with path.open("rb") as f:
            head = f.read(IMAGE_HEAD_BYTES)
    except OSError:
        return None
    return image_size(head)


_ROW = re.compile(r"\s+")


class _Rows:
    """Reads label rows into regions for one dataset (its class names and keypoint shape)."""

    def __init__(self, names: list[str], kpt: tuple[int, int] | None, problem: Problem) -> None:
        self.names = names
        self.kpt = kpt
        self.problem = problem

    def kind(self, fields: int) -> str | None:
        if self.kpt is not None:
            return "keypoints" if fields == 5 + self.kpt[0] * self.kpt[1] else None
        if fields == 5:
            return "bbox"
        if fields >= 7 and fields % 2 == 1:
            return "polygon"
        return None

    def label(self, cls: int) -> str:
        return self.names[cls] if 0 <= cls < len(self.names) else str(cls)

    def region(self, where: str, line: str, width: int, height: int, rid: str) -> Json | None:
        parts = _ROW.split(line.strip())
        kind = self.kind(len(parts))
        if kind is None:
            self.problem(where, f"a row of {len(parts)} fields is no YOLO box, polygon or pose")
            return None
        try:
            cls = int(parts[0])
            values = [float(v) for v in parts[1:]]
        except ValueError:
            self.problem(where, "a row is a class id and numbers")
            return None
        if self.names and not 0 <= cls < len(self.names):
            self.problem(where, f"class id {cls} is not in names (0 .. {len(self.names) - 1})")
            return None
        region: Json = {"id": rid, "type": kind, "label": self.label(cls)}
        if kind == "bbox":
            cx, cy, w, h = values
            if w <= 0 or h <= 0:
                self.problem(where, "box width and height must be > 0")
                return None
            region["geometry"] = {
                "x": (cx - w / 2) * width,
                "y": (cy - h / 2) * height,
                "width": w * width,
                "height": h * height,
                "rotation": 0.0,
            }
        elif kind == "polygon":
            region["geometry"] = {
                "points": [
                    [values[i] * width, values[i + 1] * height] for i in range(0, len(values), 2)
                ]
            }
        else:
            assert self.kpt is not None
            count, dims = self.kpt
            points: list[list[float | int]] = []
            for i in range(count):
                p = values[4 + i * dims : 4 + (i + 1) * dims]
                x, y = p[0], p[1]
                v = int(p[2]) if dims == 3 else (2 if (x, y) != (0.0, 0.0) else 0)
                if v not in (0, 1, 2):
                    self.problem(where, f"keypoint visibility must be 0, 1 or 2, not {p[2]}")
                    return None
                points.append([x * width, y * height, v] if v else [0.0, 0.0, 0])
            region["geometry"] = {"points": points}
        return region


def read_labels(folder: Path, problem: Problem) -> LabelSet:
    """The labels of a YOLO dataset in ``folder``: class names from ``data.yaml`` (else
    ``classes.txt``/``obj.names``), rows from ``labels/<split>/*.txt``, each un-normalized by
    the size of its image in ``images/<split>/`` (read from the file's header). A label file
    without its image is reported and left out; an image without a label file is a task
    without labels. Rows are boxes (5 fields), polygons (odd, at least 7) or, with
    ``kpt_shape`` in ``data.yaml``, pose rows (whose box is not kept: Accord's keypoints have
    none). The label files are read twice (once to list the labels by region type, once as
    the tasks are iterated), never held."""
    names, data = _config(folder, problem)
    kpt = _kpt_shape(data, problem)
    rows = _Rows(names, kpt, problem)
    dirs = _label_dirs(folder)
    used: dict[str, set[int]] = {}
    for _split, labels, images_dir in dirs:
        present = _images(images_dir)
        for path in sorted(labels.glob("*.txt")) if labels.is_dir() else []:
            if path.stem not in present:
                continue
            for line in path.read_text(encoding="utf-8").splitlines():
                parts = line.split()
                kind = rows.kind(len(parts)) if parts else None
                if kind is not None and parts[0].isdigit():
                    cls = int(parts[0])
                    if not names or cls < len(names):
                        used.setdefault(kind, set()).add(cls)
    label_map: dict[str, list[str]] = {}
    for kind in ("bbox", "polygon", "keypoints"):
        ids = used.get(kind, set())
        order = list(range(len(names))) + sorted(i for i in ids if i >= len(names))
        found = [rows.label(i) for i in order if i in ids]
        if found:
            label_map[kind] = found
    keypoints: dict[str, list[str]] = {}
    if kpt is not None:
        given = data.get("kpt_names")
        for cls in sorted(used.get("keypoints", set())):
            kp = given.get(cls) if isinstance(given, dict) else None
            if isinstance(kp, list) and len(kp) == kpt[0]:
                keypoints[rows.label(cls)] = [str(n) for n in kp]
            else:
                keypoints[rows.label(cls)] = [f"kp{j}" for j in range(kpt[0])]

    def tasks() -> Iterator[LabelTask]:
        for _split, labels, images_dir in dirs:
            images = _images(images_dir)
            label_files = (
                {p.stem: p for p in sorted(labels.glob("*.txt"))} if labels.is_dir() else {}
            )
            for stem in sorted(set(images) | set(label_files)):
                label_path = label_files.get(stem)
                where = str(label_path.relative_to(folder)) if label_path else ""
                image = images.get(stem)
                if image is None:
                    problem(where, "no image with this name: its size is needed to read the rows")
                    continue
                size = _size(image)
                if size is None:
                    problem(str(image.relative_to(folder)), "not a readable image")
                    continue
                width, height = size
                regions = []
                if label_path is not None:
                    lines = label_path.read_text(encoding="utf-8").splitlines()
                    for n, line in enumerate(lines, start=1):
                        if line.strip():
                            region = rows.region(f"{where}:{n}", line, width, height, f"{stem}-{n}")
                            if region is not None:
                                regions.append(region)
                yield LabelTask(
                    media_name=image.name,
                    width=width,
                    height=height,
                    annotations=[LabelResult(regions=regions)] if regions else [],
                )

    return LabelSet(media="image", labels=label_map, tasks=tasks(), keypoints=keypoints)
