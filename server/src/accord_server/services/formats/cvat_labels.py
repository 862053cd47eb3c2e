"""CVAT for images 1.1 XML read as existing labels (``cvat.read_labels``): the labels its meta
declares and its images use, and one task per ``<image>`` with its shapes as Accord regions
(boxes with their rotation, polygons, skeletons and bare points as keypoints, masks from CVAT's
run lengths to COCO's, tags as classifications, attributes typed as their labels declare them,
``occluded``), in ``z_order`` order. Streamed: the file is read twice, an image at a time, and
parsed without DTDs or entities (hostile XML is refused and reported)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import Element

from accord_server.services.formats.coco_rle import encode_coco_rle
from accord_server.services.formats.cvat_mask import CvatMask, cvat_to_coco
from accord_server.services.formats.export import Json
from accord_server.services.formats.labels import LabelResult, LabelSet, LabelTask, Problem
from accord_server.services.formats.xml_text import XmlError, guess_value, iter_elements

__all__ = ["ANNOTATIONS", "read_labels"]

ANNOTATIONS = "annotations.xml"

# CVAT label type -> Accord region type.
_REGION_TYPES = {
    "bbox": "bbox",
    "rectangle": "bbox",
    "polygon": "polygon",
    "skeleton": "keypoints",
    "points": "keypoints",
    "mask": "mask",
    "tag": "classification",
}


@dataclass
class _Meta:
    """What the reader takes from ``<meta>``: labels by name with their CVAT type, attribute
    types, skeletons' keypoints and edges."""

    types: dict[str, str] = field(default_factory=dict)
    input_types: dict[tuple[str, str], str] = field(default_factory=dict)
    """(label, attribute) -> CVAT's input_type."""
    keypoints: dict[str, list[str]] = field(default_factory=dict)
    skeletons: dict[str, list[tuple[str, str]]] = field(default_factory=dict)


def read_labels(folder: Path, problem: Problem) -> LabelSet:
    """The labels of a CVAT for images 1.1 export: ``annotations.xml`` in ``folder`` (or the
    only ``*.xml`` there). Read twice, streaming: once for the labels the file declares and
    uses (a new project's schema), then for the images as the tasks are iterated.

    Video tracks (CVAT for video), polylines, ellipses and cuboids have no Accord region and
    are reported per item."""
    path = _annotations_file(folder)
    if path is None:
        problem(ANNOTATIONS, "not found: a CVAT for images export has annotations.xml")
        return LabelSet(media="image", labels={}, tasks=iter(()))
    meta, labels, points = _first_pass(path, problem)
    keypoints = {k: v for k, v in meta.keypoints.items() if k in labels.get("keypoints", [])}
    for name, count in points.items():
        keypoints.setdefault(name, [str(i) for i in range(1, count + 1)])
    return LabelSet(
        media="image",
        labels=labels,
        tasks=_tasks(path, meta, keypoints, problem),
        keypoints=keypoints,
        skeletons={k: v for k, v in meta.skeletons.items() if k in keypoints},
    )


def _annotations_file(folder: Path) -> Path | None:
    path = folder / ANNOTATIONS
    if path.is_file():
        return path
    found = sorted(folder.glob("*.xml"))
    return found[0] if len(found) == 1 else None


_NODE = re.compile(r"<circle\b[^>]*>")
_EDGE = re.compile(r"<line\b[^>]*>")


def _svg_attr(tag: str, name: str) -> str | None:
    found = re.search(rf'\b{name}="([^"]*)"', tag)
    return found.group(1) if found else None


def _meta(element: Element) -> _Meta:
    meta = _Meta()
    svgs: dict[str, str] = {}
    for label in element.iter("label"):
        name = (label.findtext("name") or "").strip()
        if not name:
            continue
        parent = (label.findtext("parent") or "").strip()
        if parent:
            meta.keypoints.setdefault(parent, []).append(name)
            continue
        meta.types[name] = (label.findtext("type") or "any").strip()
        svgs[name] = label.findtext("svg") or ""
        for attribute in label.iterfind("attributes/attribute"):
            key = (attribute.findtext("name") or "").strip()
            input_type = (attribute.findtext("input_type") or "text").strip()
            meta.input_types.setdefault((name, key), input_type)
    for name, svg in svgs.items():
        nodes = {
            _svg_attr(tag, "data-node-id"): _svg_attr(tag, "data-label-name")
            for tag in _NODE.findall(svg)
        }
        edges = []
        for tag in _EDGE.findall(svg):
            a, b = (
                nodes.get(_svg_attr(tag, "data-node-from")),
                nodes.get(_svg_attr(tag, "data-node-to")),
            )
            if a and b:
                edges.append((a, b))
        if edges:
            meta.skeletons[name] = edges
    return meta


_SHAPES = {
    "box": "bbox",
    "polygon": "polygon",
    "points": "keypoints",
    "skeleton": "keypoints",
    "mask": "mask",
}


def _first_pass(path: Path, problem: Problem) -> tuple[_Meta, dict[str, list[str]], dict[str, int]]:
    """The meta, the labels by region type (declared ones in the meta's order, then any the
    images use), and the point count of each label used by bare ``<points>`` shapes."""
    meta = _Meta()
    used: dict[str, list[str]] = {}
    points: dict[str, int] = {}
    try:
        for element in iter_elements(path, frozenset({"meta", "image"})):
            if element.tag == "meta":
                meta = _meta(element)
                continue
            for child in element:
                kind = "classification" if child.tag == "tag" else _SHAPES.get(child.tag)
                label = child.get("label")
                if kind is None or not label:
                    continue
                if label not in used.setdefault(kind, []):
                    used[kind].append(label)
                if child.tag == "points" and label not in points:
                    points[label] = len((child.get("points") or "").split(";"))
    except XmlError:
        pass  # the second pass reports it, once
    labels: dict[str, list[str]] = {}
    for name, cvat_type in meta.types.items():
        kind = _REGION_TYPES.get(cvat_type)
        if kind is not None:
            labels.setdefault(kind, []).append(name)
    for kind, names in used.items():
        declared = labels.setdefault(kind, [])
        declared += [n for n in names if n not in declared]
    for name in [n for n, cvat_type in meta.types.items() if cvat_type == "skeleton"]:
        points.pop(name, None)
    return meta, labels, points


def _tasks(
    path: Path, meta: _Meta, keypoints: dict[str, list[str]], problem: Problem
) -> Iterator[LabelTask]:
    try:
        for element in iter_elements(path, frozenset({"image", "track"})):
            where = f"{ANNOTATIONS}: {element.tag}[id={element.get('id')}]"
            if element.tag == "track":
                problem(where, "video tracks (CVAT for video) are not read: export CVAT for images")
                continue
            yield _task(element, where, meta, keypoints, problem)
    except XmlError as e:
        problem(ANNOTATIONS, str(e))


def _int(value: str | None) -> int | None:
    try:
        number_value = int(value) if value is not None else None
    except ValueError:
        return None
    return number_value if number_value is not None and number_value > 0 else None


def _task(
    image: Element, where: str, meta: _Meta, keypoints: dict[str, list[str]], problem: Problem
) -> LabelTask:
    task = LabelTask(
        media_name=image.get("name"),
        width=_int(image.get("width")),
        height=_int(image.get("height")),
    )
    ordered: list[tuple[int, Json]] = []
    tags: list[Json] = []
    for i, child in enumerate(image):
        here = f"{where}: {child.tag}[{i}]"
        try:
            region = _region(child, task, meta, keypoints)
        except (ValueError, KeyError, IndexError) as e:
            problem(here, str(e) or type(e).__name__)
            continue
        if region is None:
            problem(here, f"<{child.tag}> has no Accord region type")
        elif region["type"] == "classification":
            tags.append(region)
        else:
            ordered.append((_int_or_zero(child.get("z_order")), region))
    ordered.sort(key=lambda pair: pair[0])  # stable: the file's order among equal z_order
    regions = [region for _, region in ordered] + tags
    for n, region in enumerate(regions):
        region["id"] = f"r{n}"
    if regions:
        task.annotations.append(LabelResult(regions=regions))
    return task


def _int_or_zero(value: str | None) -> int:
    try:
        return int(value or 0)
    except ValueError:
        return 0


def _floats(element: Element, keys: tuple[str, ...]) -> list[float]:
    values = []
    for key in keys:
        raw = element.get(key)
        if raw is None:
            raise ValueError(f"{key} is required")
        values.append(float(raw))
    return values


def _point_list(raw: str | None) -> list[list[float]]:
    if not raw:
        raise ValueError("points is required")
    out = []
    for pair in raw.split(";"):
        x, y = pair.split(",")
        out.append([float(x), float(y)])
    return out


def _typed(meta: _Meta, label: str, key: str, value: str) -> Any:
    """An attribute's value typed as its label declares it (else guessed from the text)."""
    input_type = meta.input_types.get((label, key))
    if input_type == "checkbox":
        return value.strip().lower() == "true"
    if input_type == "number":
        return float(value)
    if input_type in ("select", "radio", "text"):
        return value
    return guess_value(value)


def _region(
    child: Element, task: LabelTask, meta: _Meta, keypoints: dict[str, list[str]]
) -> Json | None:
    label = child.get("label")
    if not label:
        raise ValueError("label is required")
    if child.tag == "tag":
        return {"type": "classification", "value": {"choices": [label]}}
    attributes: Json = {
        str(a.get("name")): _typed(meta, label, str(a.get("name")), a.text or "")
        for a in child.findall("attribute")
    }
    if child.get("occluded") == "1":
        attributes["occluded"] = True
    region: Json = {"type": "", "label": label}
    if child.tag == "box":
        xtl, ytl, xbr, ybr = _floats(child, ("xtl", "ytl", "xbr", "ybr"))
        if xbr <= xtl or ybr <= ytl:
            raise ValueError(f"empty box: xtl {xtl:g} >= xbr {xbr:g} or ytl {ytl:g} >= ybr {ybr:g}")
        rotation = float(child.get("rotation") or 0)
        geometry: Json = {
            "x": xtl,
            "y": ytl,
            "width": xbr - xtl,
            "height": ybr - ytl,
            "rotation": rotation,
        }
        region.update(type="bbox", geometry=geometry)
    elif child.tag == "polygon":
        region.update(type="polygon", geometry={"points": _point_list(child.get("points"))})
    elif child.tag == "points":
        points = _point_list(child.get("points"))
        names = keypoints.get(label, [])
        if len(points) != len(names):
            raise ValueError(f"{len(points)} points; label {label!r} has {len(names)} keypoints")
        region.update(type="keypoints", geometry={"points": [[x, y, 2] for x, y in points]})
    elif child.tag == "skeleton":
        region.update(
            type="keypoints", geometry={"points": _skeleton_points(child, keypoints.get(label, []))}
        )
    elif child.tag == "mask":
        region.update(type="mask", geometry={"rle": _mask_rle(child, task)})
    else:
        return None
    if attributes:
        region["attributes"] = attributes
    return region


def _skeleton_points(child: Element, names: list[str]) -> list[list[float | int]]:
    """A skeleton's keypoints in the declared order; one it does not hold is ``[0, 0, 0]``."""
    found: dict[str, list[float | int]] = {}
    for element in child.findall("points"):
        name = element.get("label") or ""
        if name not in names:
            raise ValueError(f"keypoint {name!r} is not declared under this skeleton's label")
        (x, y), *_ = _point_list(element.get("points"))
        outside, occluded = element.get("outside") == "1", element.get("occluded") == "1"
        found[name] = [x, y, 0 if outside else 1 if occluded else 2]
    return [found.get(name, [0.0, 0.0, 0]) for name in names]


def _mask_rle(child: Element, task: LabelTask) -> Json:
    if task.width is None or task.height is None:
        raise ValueError("a mask needs the image's width and height")
    rle = [int(v) for v in (child.get("rle") or "").split(",") if v.strip()]
    left, top, width, height = (int(v) for v in _floats(child, ("left", "top", "width", "height")))
    runs = cvat_to_coco(CvatMask(rle, left, top, width, height), task.height, task.width)
    return {"size": [task.height, task.width], "counts": encode_coco_rle(runs)}
