"""CVAT for images 1.1 XML, written and read: ``annotations.xml`` (the task's labels in
``<meta>``, then one ``<image>`` per task) and the images in ``images/``.

Regions become CVAT's shapes: boxes ``<box xtl ytl xbr ybr>`` (a rotation, clockwise about the
centre in both tools, as ``rotation``), polygons ``<polygon points="x0,y0;x1,y1;...">``,
keypoints ``<skeleton>`` elements holding one ``<points>`` per keypoint (the keypoints tool's
label a skeleton label with one sub-label per keypoint and its edges in the ``<svg>``, as CVAT
declares skeletons; visibility 0 is ``outside``, 1 ``occluded``), masks ``<mask rle left top
width height>`` (CVAT's run lengths along the rows of the mask's own box, converted exactly from
COCO's), and each chosen classification choice a ``<tag>``. Coordinates are written with two
decimals, as CVAT writes them. A region's ``occluded`` attribute is CVAT's ``occluded`` flag, the
others ``<attribute name>`` elements; ``z_order`` is the region's place in the result (later
regions drawn on top) and is how the reader orders them again. Span, relation and text regions
have no CVAT shape and are dropped with a reason, as are images of unknown size and results
after the first of a task (CVAT holds one set of labels per image). A split export's subsets
are written (``<image subset="train">``, as CVAT's project exports do) only with the option
``subsets``: datumaro's CVAT reader skips images whose subset is not the file's name, so by
default the split is left out and reported.

The file is streamed: ``<image>`` elements go to a staged file as tasks come, and ``finish``
writes the header (which counts the images) and then copies them after it. The reader of CVAT
files (``read_labels``) lives in ``cvat_labels``."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from typing import IO, Any

from accord_server.schemas.enums import AttributeType
from accord_server.schemas.label_schema import (
    AttributeSpec,
    ClassificationTool,
    KeypointsTool,
    LabelSchema,
    TextTool,
)
from accord_server.services.formats.cvat_labels import ANNOTATIONS, read_labels
from accord_server.services.formats.cvat_mask import coco_to_cvat
from accord_server.services.formats.export import Context, ExportItem, Format, Json
from accord_server.services.formats.xml_text import attr, number, text

__all__ = ["FORMAT", "CvatWriter", "read_labels"]

PLACES = 2
"""Decimals of coordinates, as CVAT writes them."""

# Accord region type -> CVAT label type (the XML's meta).
_LABEL_TYPES = {
    "bbox": "bbox",
    "polygon": "polygon",
    "keypoints": "skeleton",
    "mask": "mask",
    "classification": "tag",
}
_SOURCES = {"human": "manual", "model": "auto", "model-edited": "semi-auto"}


@dataclass
class _Label:
    """One CVAT label: a name, its type (``any`` when tools of several types use it), its
    attributes; a skeleton's keypoints and edges."""

    name: str
    type: str
    color: str | None = None
    attributes: list[AttributeSpec] = field(default_factory=list)
    keypoints: list[str] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)


def _labels(schema: LabelSchema) -> dict[str, _Label]:
    """The CVAT labels of a schema, by name, in the schema's order. A name used by a keypoints
    tool belongs to that tool alone (a skeleton label holds skeletons only)."""
    labels: dict[str, _Label] = {}
    for tool in schema.tools:
        if isinstance(tool, TextTool) or tool.type not in _LABEL_TYPES:
            continue
        kind = _LABEL_TYPES[tool.type]
        specs: list[tuple[str, str | None, list[AttributeSpec]]]
        if isinstance(tool, ClassificationTool):
            specs = [(choice, None, []) for choice in tool.choices]
        else:
            specs = [(lab.name, lab.color, lab.attributes) for lab in tool.labels]
        for name, color, attributes in specs:
            label = labels.get(name)
            if label is None:
                label = labels[name] = _Label(name, kind, color)
                if isinstance(tool, KeypointsTool):
                    label.keypoints, label.edges = list(tool.keypoints), list(tool.skeleton)
            elif label.type == "skeleton" or kind == "skeleton":
                continue
            elif label.type != kind:
                label.type = "any"
            known = {a.name for a in label.attributes}
            label.attributes += [a for a in attributes if a.name not in known]
    return labels


class CvatWriter:
    """Streams ``<image>`` elements to a staged file; ``finish`` puts the header before them."""

    def __init__(self, schema: LabelSchema, ctx: Context) -> None:
        self.ctx = ctx
        self.labels = _labels(schema)
        self.owners: dict[str, str] = {}
        """The keypoints tool whose regions each skeleton label holds (the first to use it)."""
        for tool in schema.tools:
            if isinstance(tool, KeypointsTool):
                for name in (lab.name for lab in tool.labels):
                    if self.labels[name].keypoints == tool.keypoints:
                        self.owners.setdefault(name, tool.name)
        ctx.out.mkdir(parents=True, exist_ok=True)
        ctx.staging.mkdir(parents=True, exist_ok=True)
        self.body_path = ctx.staging / "cvat_images.xml"
        self.body: IO[str] = self.body_path.open("w", encoding="utf-8", newline="\n")
        self.count = 0

    def write(self, item: ExportItem) -> None:
        """Write the task's ``<image>`` element and place its media under ``images/``."""
        report = self.ctx.report
        if item.media_name is None:
            report.drop(
                "tasks without an image: CVAT for images holds images", task_id=item.task_id
            )
            return
        if item.width is None or item.height is None:
            report.drop(
                "images of unknown size: CVAT needs each image's width and height",
                task_id=item.task_id,
            )
            return
        if len(item.results) > 1:
            report.drop(
                "results beyond the first of a task: CVAT holds one set of labels per image",
                len(item.results) - 1,
                task_id=item.task_id,
            )
        result = item.results[0] if item.results else None
        origin = result.origin if result is not None else None
        shapes: list[str] = []
        tags: list[str] = []
        for region in result.regions if result is not None else []:
            source = _SOURCES.get(str(region.get("origin") or origin), "manual")
            if region.get("type") == "classification":
                tags += self._tags(item, region, source)
                continue
            shape = self._shape(item, region, source, len(shapes))
            if shape is not None:
                shapes.append(shape)
        head = f'  <image id="{self.count}" name={attr(item.media_name)}'
        if item.split and self.ctx.options.get("subsets", False):
            head += f" subset={attr(item.split)}"
        elif item.split:
            report.drop(
                "splits: CVAT for images holds no subsets unless asked to (option subsets)",
                task_id=item.task_id,
            )
        head += f' width="{item.width}" height="{item.height}"'
        if shapes or tags:
            self.body.write(head + ">\n" + "".join(shapes) + "".join(tags) + "  </image>\n")
        else:
            self.body.write(head + ">\n  </image>\n")
        self.count += 1
        self.ctx.place_media(item, f"images/{item.media_name}")

    def finish(self) -> None:
        """Write ``annotations.xml``: the header, the staged images, the closing tag."""
        self.body.close()
        with (self.ctx.out / ANNOTATIONS).open("w", encoding="utf-8", newline="\n") as out:
            out.write(_header(self.labels.values(), self.count))
            with self.body_path.open(encoding="utf-8") as body:
                shutil.copyfileobj(body, out)
            out.write("</annotations>\n")
        self.body_path.unlink()

    def _tags(self, item: ExportItem, region: Json, source: str) -> list[str]:
        tags = []
        for choice in (region.get("value") or {}).get("choices") or []:
            if self.labels[choice].type == "skeleton":
                self._skeleton_conflict(item)
                continue
            tags.append(f"    <tag label={attr(choice)} source={attr(source)}>\n    </tag>\n")
        return tags

    def _skeleton_conflict(self, item: ExportItem) -> None:
        self.ctx.report.drop(
            "regions whose label a keypoints tool also uses: a CVAT skeleton label holds one "
            "keypoints tool's skeletons only",
            task_id=item.task_id,
        )

    def _shape(self, item: ExportItem, region: Json, source: str, z_order: int) -> str | None:
        kind, label = region.get("type"), str(region.get("label", ""))
        g: Json = region.get("geometry") or {}
        attributes: Json = dict(region.get("attributes") or {})
        head = f"label={attr(label)} source={attr(source)}"
        skeleton = label in self.labels and self.labels[label].type == "skeleton"
        if kind == "keypoints" or skeleton:
            if kind != "keypoints" or self.owners.get(label) != region.get("tool"):
                self._skeleton_conflict(item)
                return None
            return self._skeleton(region, head, source, z_order, attributes)
        occluded = "1" if attributes.pop("occluded", False) in (True, 1) else "0"
        head += f' occluded="{occluded}"'
        if kind == "bbox":
            x, y, w, h = g["x"], g["y"], g["width"], g["height"]
            coords = [("xtl", x), ("ytl", y), ("xbr", x + w), ("ybr", y + h)]
            body = " ".join(f'{k}="{number(v, PLACES)}"' for k, v in coords)
            rotation = float(g.get("rotation") or 0) % 360
            if number(rotation, PLACES) != number(0, PLACES):
                body += f' rotation="{number(rotation, PLACES)}"'
            return _element("box", f"{head} {body}", z_order, attributes)
        if kind == "polygon":
            return _element(
                "polygon", f'{head} points="{_points(g["points"])}"', z_order, attributes
            )
        if kind == "mask":
            return self._mask(item, region, head, z_order, attributes)
        self.ctx.report.drop(
            f"{kind} regions: CVAT for images has no such shape", task_id=item.task_id
        )
        return None

    def _mask(
        self, item: ExportItem, region: Json, head: str, z: int, attributes: Json
    ) -> str | None:
        rle = (region.get("geometry") or {}).get("rle") or {}
        size = rle.get("size") or [0, 0]
        if [size[0], size[1]] != [item.height, item.width]:
            self.ctx.report.drop("masks of another size than their image", task_id=item.task_id)
            return None
        mask = coco_to_cvat(rle.get("counts") or [], int(size[0]), int(size[1]))
        if mask is None:
            self.ctx.report.drop(
                "empty masks: CVAT masks hold at least one pixel", task_id=item.task_id
            )
            return None
        runs = ", ".join(str(r) for r in mask.rle)
        box = f'left="{mask.left}" top="{mask.top}" width="{mask.width}" height="{mask.height}"'
        return _element("mask", f'{head} rle="{runs}" {box}', z, attributes)

    def _skeleton(self, region: Json, head: str, source: str, z: int, attributes: Json) -> str:
        """A ``<skeleton>`` with a ``<points>`` per keypoint; CVAT's skeleton element has no
        ``occluded``, so a region's ``occluded`` stays an attribute (declared for skeletons)."""
        label = self.labels[str(region.get("label"))]
        lines = [f'    <skeleton {head} z_order="{z}">\n']
        points = (region.get("geometry") or {}).get("points") or []
        for name, (x, y, v) in zip(label.keypoints, points, strict=True):
            flags = f'outside="{int(v == 0)}" occluded="{int(v == 1)}"'
            where = f"{number(x, PLACES)},{number(y, PLACES)}"
            lines.append(
                f"      <points label={attr(name)} source={attr(source)} {flags} "
                f'points="{where}">\n      </points>\n'
            )
        lines += _attributes(attributes)
        lines.append("    </skeleton>\n")
        return "".join(lines)


def _points(points: list[list[float]]) -> str:
    return ";".join(f"{number(p[0], PLACES)},{number(p[1], PLACES)}" for p in points)


def _value_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number(value)
    return str(value)


def _attributes(attributes: Json) -> list[str]:
    return [
        f"      <attribute name={attr(str(k))}>{text(_value_text(v))}</attribute>\n"
        for k, v in attributes.items()
    ]


def _element(tag: str, head: str, z_order: int, attributes: Json) -> str:
    return "".join(
        [f'    <{tag} {head} z_order="{z_order}">\n', *_attributes(attributes), f"    </{tag}>\n"]
    )


def _attribute_spec(spec: AttributeSpec) -> tuple[str, str, str]:
    """CVAT's ``input_type``, default and values of an attribute. Numbers are CVAT numbers
    (min, max, step 1) when bounded by integers, else text: CVAT's numbers need all three."""
    if spec.type == AttributeType.BOOL:
        return "checkbox", "false", "false"
    if spec.type == AttributeType.CHOICE:
        choices = spec.choices or []
        return "select", choices[0], "\n".join(choices)
    low, high = spec.min, spec.max
    if (
        spec.type == AttributeType.NUMBER
        and low is not None
        and high is not None
        and low.is_integer()
        and high.is_integer()
    ):
        return "number", number(low), f"{number(low)}\n{number(high)}\n1"
    return "text", "", ""


def _svg(label: _Label) -> str:
    """A skeleton's ``<svg>`` as CVAT declares it: a node per keypoint (laid out on a row),
    an edge per pair, nodes numbered from 1 in the keypoints' order."""
    ids = {name: i for i, name in enumerate(label.keypoints, start=1)}
    parts = [
        f'<line x1="{10 * ids[a]}" y1="50" x2="{10 * ids[b]}" y2="50" stroke="black" '
        f'data-type="edge" data-node-from="{ids[a]}" stroke-width="0.5" '
        f'data-node-to="{ids[b]}"></line>'
        for a, b in label.edges
    ]
    parts += [
        f'<circle r="1.5" stroke="black" fill="#b3b3b3" cx="{10 * i}" cy="50" '
        f'stroke-width="0.1" data-type="element node" data-element-id="{i}" '
        f'data-node-id="{i}" data-label-name={attr(name)}></circle>'
        for name, i in ids.items()
    ]
    return "".join(parts)


def _label_xml(
    name: str, kind: str, attributes: list[AttributeSpec], color: str | None
) -> list[str]:
    lines = ["      <label>\n", f"        <name>{text(name)}</name>\n"]
    if color:
        lines.append(f"        <color>{text(color)}</color>\n")
    lines.append(f"        <type>{kind}</type>\n")
    lines.append("        <attributes>\n")
    for spec in attributes:
        if spec.name == "occluded" and kind != "skeleton":
            continue  # CVAT's own flag of shapes, not a declared attribute
        input_type, default, values = _attribute_spec(spec)
        lines += [
            "          <attribute>\n",
            f"            <name>{text(spec.name)}</name>\n",
            "            <mutable>False</mutable>\n",
            f"            <input_type>{input_type}</input_type>\n",
            f"            <default_value>{text(default)}</default_value>\n",
            f"            <values>{text(values)}</values>\n",
            "          </attribute>\n",
        ]
    lines.append("        </attributes>\n")
    return lines


def _header(labels: Any, size: int) -> str:
    lines = [
        '<?xml version="1.0" encoding="utf-8"?>\n',
        "<annotations>\n",
        "  <version>1.1</version>\n",
        "  <meta>\n",
        "    <task>\n",
        "      <name>accord</name>\n",
        f"      <size>{size}</size>\n",
        "      <mode>annotation</mode>\n",
        "      <overlap>0</overlap>\n",
        "      <bugtracker></bugtracker>\n",
        "      <flipped>False</flipped>\n",
        "      <labels>\n",
    ]
    for label in labels:
        lines += _label_xml(label.name, label.type, label.attributes, label.color)
        if label.type == "skeleton":
            lines.append(f"        <svg>{text(_svg(label))}</svg>\n")
        lines.append("      </label>\n")
        for keypoint in label.keypoints:
            lines += _label_xml(keypoint, "points", [], None)
            lines.append(f"        <parent>{text(label.name)}</parent>\n")
            lines.append("      </label>\n")
    lines += ["      </labels>\n", "    </task>\n", "  </meta>\n"]
    return "".join(lines)


FORMAT = Format(
    name="cvat",
    title="CVAT for images 1.1",
    media=frozenset({"image"}),
    make=CvatWriter,
    options={"subsets": False},
    description=(
        "annotations.xml in CVAT for images 1.1 (boxes with rotation, polygons, keypoints as "
        "skeletons, masks, classifications as tags, attributes, occluded, z_order) and images/."
    ),
)
