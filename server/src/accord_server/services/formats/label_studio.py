"""Label Studio's annotation results (percent coordinates, boxes turned about their top-left
corner, one item per control tag) as Accord regions (pixels, boxes turned about their centre,
code points). Its labeling configs (XML) are read in ``label_studio_config``; its JSON export is
written and read in ``label_studio_json``."""

from __future__ import annotations

import math
from typing import Any

__all__ = ["LabelStudioResultError", "convert_label_studio_result", "json_type_name"]


def json_type_name(value: Any) -> str:
    """The JSON name of a decoded value's type (null, boolean, number, string, array, object)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else type(value).__name__


class LabelStudioResultError(ValueError):
    """A Label Studio result item that cannot be converted; ``path`` is like ``[2].value.x``."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def _number(container: dict[str, Any], key: str, path: str) -> float:
    value = container.get(key)
    if type(value) is bool or not isinstance(value, (int, float)):
        message = f"expected a number, got {json_type_name(value)}"
        raise LabelStudioResultError(f"{path}.{key}", message)
    return float(value)


def _image_size(item: dict[str, Any], path: str) -> tuple[float, float]:
    sizes = []
    for key in ("original_width", "original_height"):
        size = _number(item, key, path) if key in item else None
        if size is None or size <= 0:
            raise LabelStudioResultError(
                f"{path}.{key}",
                "a positive image size is needed to convert percent coordinates to pixels",
            )
        sizes.append(size)
    return sizes[0], sizes[1]


def _labels(region: dict[str, Any], labels: Any, path: str) -> None:
    if labels is None:
        return
    if type(labels) is not list or not all(type(label) is str for label in labels):
        raise LabelStudioResultError(path, "expected an array of strings")
    if len(labels) > 1:
        raise LabelStudioResultError(path, "Accord regions carry one label; got several")
    if labels:
        region["label"] = labels[0]


def _bbox(value: dict[str, Any], width: float, height: float, path: str) -> dict[str, Any]:
    x = _number(value, "x", path) * width / 100
    y = _number(value, "y", path) * height / 100
    w = _number(value, "width", path) * width / 100
    h = _number(value, "height", path) * height / 100
    rotation = _number(value, "rotation", path) if "rotation" in value else 0.0
    if rotation % 360 != 0:
        # Label Studio's x, y is the top-left corner after turning the box about that corner;
        # Accord turns a box about its centre: find the centre, then the unturned corner.
        a = math.radians(rotation)
        cx = x + w / 2 * math.cos(a) - h / 2 * math.sin(a)
        cy = y + w / 2 * math.sin(a) + h / 2 * math.cos(a)
        x, y = cx - w / 2, cy - h / 2
    return {"x": x, "y": y, "width": w, "height": h, "rotation": rotation}


def _points(value: dict[str, Any], width: float, height: float, path: str) -> dict[str, Any]:
    points = value.get("points")
    if type(points) is not list:
        raise LabelStudioResultError(f"{path}.points", "expected an array of [x, y] points")
    pixels = []
    for j, point in enumerate(points):
        if (
            type(point) is not list
            or len(point) != 2
            or not all(type(c) in (int, float) for c in point)
        ):
            raise LabelStudioResultError(f"{path}.points[{j}]", "expected [x, y] numbers")
        pixels.append([point[0] * width / 100, point[1] * height / 100])
    return {"points": pixels}


def _keypoint(value: dict[str, Any], width: float, height: float, path: str) -> dict[str, Any]:
    x = _number(value, "x", path) * width / 100
    return {"points": [[x, _number(value, "y", path) * height / 100]]}


def _span(value: dict[str, Any], path: str) -> dict[str, Any]:
    start, end = value.get("start"), value.get("end")
    if type(start) is not int or type(end) is not int:
        # HyperText spans carry XPath strings here, which Accord's text regions do not use.
        raise LabelStudioResultError(f"{path}.start", "expected integer start and end offsets")
    if not 0 <= start <= end:
        raise LabelStudioResultError(f"{path}.end", "expected 0 <= start <= end")
    return {"start": start, "end": end}


# Label Studio type -> (Accord type, geometry builder or None)
_GEOMETRY = {
    "rectanglelabels": ("bbox", _bbox),
    "rectangle": ("bbox", _bbox),
    "polygonlabels": ("polygon", _points),
    "polygon": ("polygon", _points),
    "keypointlabels": ("keypoints", _keypoint),
    "keypoint": ("keypoints", _keypoint),
}


def _relation(item: dict[str, Any], index: int) -> dict[str, Any]:
    path = f"[{index}]"
    if "from_id" not in item and "geometry" in item:
        return item  # already Accord's shape
    # Label Studio relations name no control tag: the import fills in the schema's relation tool.
    region: dict[str, Any] = {"id": str(item.get("id") or f"r{index}"), "type": "relation"}
    ends = {}
    for key, end in (("from_id", "from"), ("to_id", "to")):
        ref = item.get(key)
        if type(ref) is not str or not ref:
            raise LabelStudioResultError(f"{path}.{key}", "expected a region id")
        ends[end] = ref
    _labels(region, item.get("labels"), f"{path}.labels")
    region["geometry"] = ends
    return region


def _convert_item(item: Any, index: int) -> dict[str, Any]:
    path = f"[{index}]"
    if type(item) is not dict:
        raise LabelStudioResultError(path, f"expected an object, got {json_type_name(item)}")
    kind = item.get("type")
    if kind == "relation":
        return _relation(item, index)
    if "from_name" not in item or "value" not in item:
        return item  # not Label Studio's shape: taken as Accord's own
    value = item["value"]
    if type(value) is not dict:
        raise LabelStudioResultError(
            f"{path}.value", f"expected an object, got {json_type_name(value)}"
        )
    region: dict[str, Any] = {"id": str(item.get("id") or f"r{index}"), "tool": item["from_name"]}
    vpath = f"{path}.value"
    if kind in _GEOMETRY:
        region["type"], build = _GEOMETRY[kind]
        width, height = _image_size(item, path)
        _labels(region, value.get(kind), f"{vpath}.{kind}")
        region["geometry"] = build(value, width, height, vpath)
    elif kind == "labels":
        region["type"] = "span"
        _labels(region, value.get("labels"), f"{vpath}.labels")
        region["geometry"] = _span(value, vpath)
        if type(value.get("text")) is str:
            region["text"] = value["text"]
    elif kind == "choices":
        choices = value.get("choices")
        if type(choices) is not list:
            raise LabelStudioResultError(f"{vpath}.choices", "expected an array")
        region["type"] = "classification"
        region["value"] = {"choices": choices}
    elif kind == "textarea":
        text = value.get("text")
        if type(text) is list and all(type(t) is str for t in text):
            text = "\n".join(text)  # one string per submitted line in Label Studio
        if type(text) is not str:
            raise LabelStudioResultError(f"{vpath}.text", "expected a string or strings")
        region["type"] = "text"
        region["value"] = {"text": text}
    else:
        raise LabelStudioResultError(
            f"{path}.type", f"unsupported Label Studio result type {kind!r}"
        )
    score = item.get("score")
    if score is not None:
        if type(score) is bool or not isinstance(score, (int, float)):
            raise LabelStudioResultError(f"{path}.score", "expected a number")
        region["score"] = float(score)
    return region


def _utf16_to_code_points(text: str, offset: int) -> int:
    """A JavaScript (UTF-16) string index as a Python (code point) index."""
    encoded = text.encode("utf-16-le")[: 2 * offset]
    return len(encoded.decode("utf-16-le", errors="ignore"))


def _span_offsets(text: str, geometry: dict[str, Any], copy: Any) -> None:
    """Keep code point offsets, unless only UTF-16 ones fit the span's own ``text``.

    Label Studio's ``Text`` tag counts code points (since its emoji fix; earlier versions and
    some hand-made predictions counted JavaScript's UTF-16 units). The two differ only after a
    character outside the BMP (an emoji); the span's ``text``, when given, tells them apart."""
    start, end = geometry["start"], geometry["end"]
    if not isinstance(copy, str) or text.isascii() or text[start:end] == copy:
        return
    cp_start, cp_end = _utf16_to_code_points(text, start), _utf16_to_code_points(text, end)
    if text[cp_start:cp_end] == copy:
        geometry["start"], geometry["end"] = cp_start, cp_end


def convert_label_studio_result(
    items: list[dict[str, Any]], *, data: dict[str, Any] | None = None
) -> list[dict[str, Any]]:
    """Convert Label Studio result items to Accord regions (pixels); other items pass through.

    Span offsets count code points, as Label Studio's and Accord's do. With the task's ``data``,
    a span whose ``text`` matches its offsets only as UTF-16 units (older Label Studio) is
    converted; the text is the one named by ``to_name`` (or ``data["text"]``)."""
    regions = [_convert_item(item, index) for index, item in enumerate(items)]
    for item, region in zip(items, regions, strict=True):
        if region is item or region.get("type") != "span" or not data:
            continue
        text = data.get(str(item.get("to_name")))
        text = text if isinstance(text, str) else data.get("text")
        if isinstance(text, str):
            _span_offsets(text, region["geometry"], item["value"].get("text"))
    return regions
