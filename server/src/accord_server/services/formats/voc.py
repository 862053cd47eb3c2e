"""Pascal VOC detection, written and read: one XML file per image (``Annotations/<stem>.xml``),
the images in ``JPEGImages/``, the image lists ``ImageSets/Main/<subset>.txt`` and a
``labelmap.txt`` (the labels, in the schema's order, as datumaro and CVAT read them).

VOC boxes are ``xmin ymin xmax ymax`` in 1-based inclusive integer pixels: the full W x H image
is ``1 1 W H``. Accord's boxes are continuous pixels from the top-left corner (``x, y, width,
height``), so ``xmin = round(x) + 1`` and ``xmax = round(x + width)``; read back, ``x = xmin - 1``
and ``width = xmax - xmin + 1``. Integral boxes make the round trip exactly.

VOC detection holds axis-aligned boxes only. Rotated boxes, polygons, masks, keypoints and
classifications are dropped with a reason in the export's report (not turned into boxes: a box
drawn around a polygon is a different label from the one the annotator made; export COCO or CVAT
to keep them). An object's ``truncated``, ``difficult`` and ``occluded`` come from the region's
attributes of those names (true or 1), else 0; its other attributes go in datumaro's
``<attributes>`` extension, which other VOC readers ignore. VOC has one set of labels per image:
when an export carries every annotator's result, the first is written and the others dropped."""

from __future__ import annotations

import math
import os
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any
from xml.etree.ElementTree import Element

from accord_server.schemas.label_schema import BBoxTool, LabelSchema
from accord_server.services.formats.export import Context, ExportItem, Format, Json
from accord_server.services.formats.labels import LabelResult, LabelSet, LabelTask, Problem
from accord_server.services.formats.xml_text import XmlError, guess_value, number, parse_file, text

__all__ = ["FORMAT", "VocWriter", "read_labels"]

FLAGS = ("truncated", "difficult", "occluded")
"""VOC's 0/1 fields of an object, taken from (and read into) region attributes."""

DEFAULT_SUBSET = "default"


class VocWriter:
    """Writes each task's annotation file as it comes; only the open image lists (one per
    subset) and the box label names are held."""

    def __init__(self, schema: LabelSchema, ctx: Context) -> None:
        self.ctx = ctx
        self.labels = _box_labels(schema)
        self.annotations = ctx.out / "Annotations"
        self.annotations.mkdir(parents=True, exist_ok=True)
        self.lists: dict[str, IO[bytes]] = {}
        """Open image lists by subset: binary, as a text file's write queue holds each small
        string it is given until a flush and grew with the task count."""

    def write(self, item: ExportItem) -> None:
        """Write ``Annotations/<stem>.xml``, list the image in its subset, place its media."""
        report = self.ctx.report
        if item.media_name is None:
            report.drop("tasks without an image: VOC holds images", task_id=item.task_id)
            return
        if item.width is None or item.height is None:
            report.drop(
                "images of unknown size: VOC needs each image's width and height",
                task_id=item.task_id,
            )
            return
        path = self.annotations / f"{item.stem}.xml"
        if path.exists():  # a.jpg after a.png: one annotation file per stem
            report.drop(
                "images whose name differs from an earlier one's only by its extension: VOC "
                "names annotation files by the image's name without it",
                task_id=item.task_id,
            )
            return
        if len(item.results) > 1:
            report.drop(
                "results beyond the first of a task: VOC holds one set of labels per image",
                len(item.results) - 1,
                task_id=item.task_id,
            )
        regions = item.results[0].regions if item.results else []
        objects = [obj for r in regions if (obj := self._object(item, r)) is not None]
        path.write_text(_annotation_xml(item, objects), encoding="utf-8", newline="\n")
        self._list(item.split or DEFAULT_SUBSET).write(f"{item.stem}\n".encode())
        self.ctx.place_media(item, f"JPEGImages/{item.media_name}")

    def finish(self) -> None:
        """Close the image lists and write ``labelmap.txt``."""
        for handle in self.lists.values():
            handle.close()
        if not self.lists:  # an export of no images is still a VOC dataset readers open
            self._list(DEFAULT_SUBSET).close()
        lines = ["# label:color_rgb:parts:actions\n"]
        lines += [f"{name}:::\n" for name in self.labels]
        (self.ctx.out / "labelmap.txt").write_text("".join(lines), encoding="utf-8", newline="\n")

    def _list(self, subset: str) -> IO[bytes]:
        handle = self.lists.get(subset)
        if handle is None:
            folder = self.ctx.out / "ImageSets" / "Main"
            folder.mkdir(parents=True, exist_ok=True)
            handle = (folder / f"{subset}.txt").open("wb")
            self.lists[subset] = handle
        return handle

    def _object(self, item: ExportItem, region: Json) -> str | None:
        report, kind = self.ctx.report, region.get("type")
        if kind != "bbox":
            what = f"{kind} regions" if kind else "regions without a type"
            report.drop(f"{what}: VOC detection holds boxes only", task_id=item.task_id)
            return None
        g = region.get("geometry") or {}
        if float(g.get("rotation") or 0) % 360 != 0:
            report.drop("rotated boxes: VOC boxes are axis-aligned", task_id=item.task_id)
            return None
        width, height = item.width or 0, item.height or 0
        xmin = min(max(_round(g["x"]) + 1, 1), width)
        ymin = min(max(_round(g["y"]) + 1, 1), height)
        xmax = min(max(_round(g["x"] + g["width"]), 1), width)
        ymax = min(max(_round(g["y"] + g["height"]), 1), height)
        if xmax < xmin or ymax < ymin:
            report.drop(
                "boxes under a pixel wide or high: VOC counts whole pixels", task_id=item.task_id
            )
            return None
        return _object_xml(
            str(region.get("label", "")), region.get("attributes") or {}, (xmin, ymin, xmax, ymax)
        )


def _round(value: float) -> int:
    """Half up (not Python's half to even): 2.5 -> 3, the same in every reader's eyes."""
    return math.floor(value + 0.5)


def _box_labels(schema: LabelSchema) -> list[str]:
    names: list[str] = []
    for tool in schema.tools:
        if isinstance(tool, BBoxTool):
            names += [lab.name for lab in tool.labels if lab.name not in names]
    return names


def _flag(value: object) -> str | None:
    """A VOC 0/1 field from an attribute value; None when the value is not a flag."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float) and value in (0, 1):
        return str(int(value))
    return None


def _value_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number(value)
    return str(value)


def _object_xml(label: str, attributes: dict[str, Any], box: tuple[int, int, int, int]) -> str:
    flags = {name: _flag(attributes.get(name, 0)) for name in FLAGS}
    extra = [(k, v) for k, v in attributes.items() if k not in FLAGS or flags[k] is None]
    lines = ["\t<object>", f"\t\t<name>{text(label)}</name>", "\t\t<pose>Unspecified</pose>"]
    lines += [f"\t\t<{name}>{flag or '0'}</{name}>" for name, flag in flags.items()]
    lines.append("\t\t<bndbox>")
    lines += [
        f"\t\t\t<{key}>{value}</{key}>"
        for key, value in zip(("xmin", "ymin", "xmax", "ymax"), box, strict=True)
    ]
    lines.append("\t\t</bndbox>")
    if extra:
        lines.append("\t\t<attributes>")
        for key, value in extra:
            lines += [
                "\t\t\t<attribute>",
                f"\t\t\t\t<name>{text(str(key))}</name>",
                f"\t\t\t\t<value>{text(_value_text(value))}</value>",
                "\t\t\t</attribute>",
            ]
        lines.append("\t\t</attributes>")
    lines.append("\t</object>")
    return "\n".join(lines)


def _annotation_xml(item: ExportItem, objects: list[str]) -> str:
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<annotation>",
        "\t<folder>JPEGImages</folder>",
        f"\t<filename>{text(item.media_name or '')}</filename>",
        "\t<source>",
        "\t\t<database>Accord</database>",
        "\t</source>",
        "\t<size>",
        f"\t\t<width>{item.width}</width>",
        f"\t\t<height>{item.height}</height>",
        "\t\t<depth>3</depth>",
        "\t</size>",
        "\t<segmented>0</segmented>",
        *objects,
        "</annotation>",
    ]
    return "\n".join(lines) + "\n"


FORMAT = Format(
    name="voc",
    title="Pascal VOC",
    media=frozenset({"image"}),
    make=VocWriter,
    description=(
        "One XML per image (Annotations/), 1-based inclusive pixel boxes, JPEGImages/, "
        "ImageSets/Main/<subset>.txt and labelmap.txt. Boxes only: rotated boxes and other "
        "shapes are dropped and counted in the report."
    ),
)


# Reading ------------------------------------------------------------------------------------


def read_labels(folder: Path, problem: Problem) -> LabelSet:
    """The labels of a Pascal VOC folder: ``Annotations/*.xml`` (or, without that folder, every
    ``*.xml`` under ``folder``, as Roboflow lays VOC out), labels from ``labelmap.txt`` when
    there is one, then in the order the files name them.

    The files are read twice, streaming: once for the labels (so a new project's schema is
    known before the first task), then for the tasks as they are iterated."""
    files = _annotation_files(folder)
    labels = _labelmap(folder, problem)
    used: list[str] = []
    for file_name in files:
        for obj in _objects(folder / file_name):
            name = _child_text(obj, "name")
            if name and name not in used:
                used.append(name)
    declared = [n for n in labels if n != "background" or n in used]
    names = declared + [n for n in used if n not in declared]
    return LabelSet(media="image", labels={"bbox": names}, tasks=_tasks(files, folder, problem))


def _annotation_files(folder: Path) -> list[str]:
    """The annotation files' paths under ``folder``, sorted: the one thing the reader holds per
    image (a short string; the files themselves are read one at a time)."""
    annotations = folder / "Annotations"
    root = annotations if annotations.is_dir() else folder
    names: list[str] = []
    for parent, _, files in os.walk(root):  # names only (Path.rglob holds a DirEntry each)
        where = Path(parent).relative_to(folder).as_posix()
        prefix = "" if where == "." else f"{where}/"
        names += [prefix + name for name in files if name.endswith(".xml")]
    names.sort()
    return names


def _labelmap(folder: Path, problem: Problem) -> list[str]:
    path = folder / "labelmap.txt"
    if not path.is_file():
        return []
    names: list[str] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        problem("labelmap.txt", f"could not be read: {e}")
        return []
    for line in lines:
        name = line.split(":", 1)[0].strip()
        if name and not line.lstrip().startswith("#") and name not in names:
            names.append(name)
    return names


def _where(path: Path, folder: Path) -> str:
    return path.relative_to(folder).as_posix()


def _objects(path: Path) -> list[Element]:
    try:
        return parse_file(path).findall("object")
    except XmlError:
        return []  # the tasks' pass reports it, once


def _tasks(files: list[str], folder: Path, problem: Problem) -> Iterator[LabelTask]:
    for name in files:
        task = _task(folder / name, folder, problem)
        if task is not None:
            yield task


def _task(path: Path, folder: Path, problem: Problem) -> LabelTask | None:
    where = _where(path, folder)
    try:
        root = parse_file(path)
    except XmlError as e:
        problem(where, str(e))
        return None
    if root.tag != "annotation":
        problem(where, f"the root element is <{root.tag}>, not <annotation>: not a VOC file")
        return None
    task = LabelTask(media_name=_child_text(root, "filename") or path.stem)
    task.width = _size(root, "width", where, problem)
    task.height = _size(root, "height", where, problem)
    regions: list[Json] = []
    for i, obj in enumerate(root.iter("object")):
        region = _region(obj, f"{where}: object[{i}]", problem)
        if region is not None:
            region["id"] = f"r{len(regions)}"
            regions.append(region)
    if regions:
        task.annotations.append(LabelResult(regions=regions))
    return task


def _child_text(element: Element, tag: str) -> str | None:
    child = element.find(tag)
    if child is None or child.text is None:
        return None
    return child.text.strip() or None


def _size(root: Element, key: str, where: str, problem: Problem) -> int | None:
    value = _child_text(root, f"size/{key}")
    if value is None:
        return None
    try:
        size = int(float(value))
    except ValueError:
        size = 0
    if size <= 0:
        problem(where, f"size/{key} must be a positive number of pixels, not {value!r}")
        return None
    return size


def _region(obj: Element, where: str, problem: Problem) -> Json | None:
    name = _child_text(obj, "name")
    if name is None:
        problem(where, "no <name>: an object needs its label")
        return None
    box: list[float] = []
    for key in ("xmin", "ymin", "xmax", "ymax"):
        value = _child_text(obj, f"bndbox/{key}")
        try:
            number_value = float(value) if value is not None else math.nan
        except ValueError:
            number_value = math.nan
        if not math.isfinite(number_value):
            problem(where, f"bndbox/{key} must be a number, not {value!r}")
            return None
        box.append(number_value)
    xmin, ymin, xmax, ymax = box
    width, height = xmax - xmin + 1, ymax - ymin + 1
    if width <= 0 or height <= 0:
        problem(where, f"empty box: xmin {xmin:g} > xmax {xmax:g} or ymin {ymin:g} > ymax {ymax:g}")
        return None
    geometry = {"x": xmin - 1, "y": ymin - 1, "width": width, "height": height, "rotation": 0.0}
    attributes: Json = {}
    for flag in FLAGS:
        if _child_text(obj, flag) == "1":
            attributes[flag] = True
    pose = _child_text(obj, "pose")
    if pose is not None and pose != "Unspecified":
        attributes["pose"] = pose
    for attribute in obj.iterfind("attributes/attribute"):
        attribute_name = _child_text(attribute, "name")
        if attribute_name is not None:
            attributes[attribute_name] = guess_value(_child_text(attribute, "value") or "")
    region: Json = {"type": "bbox", "label": name, "geometry": geometry}
    if attributes:
        region["attributes"] = attributes
    return region
