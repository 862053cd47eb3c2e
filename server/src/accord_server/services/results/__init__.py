"""Validate annotation results (Accord's canonical region list) against a label schema and the
media, raising ``Invalid`` errors that name the region and the field."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from accord_server.schemas.label_schema import (
    GEOMETRIC_TOOL_TYPES,
    AnyTool,
    AttributeSpec,
    ClassificationTool,
    KeypointsTool,
    LabeledTool,
    LabelSchema,
    LabelSpec,
    TextTool,
)
from accord_server.services.errors import Invalid, field_error

__all__ = ["MAX_ERRORS", "ORIGINS", "MediaInfo", "decode_coco_rle", "validate_result"]

MAX_ERRORS = 100
ORIGINS: tuple[str, ...] = ("human", "model", "model-edited", "consensus")
TOLERANCE = 0.5  # pixels a shape may overshoot the image edge (float rounding in clients)

Json = dict[str, Any]


@dataclass(frozen=True)
class MediaInfo:
    """What is known about the item being annotated; ``None`` means unknown."""

    kind: str
    width: int | None = None
    height: int | None = None
    text_length: int | None = None
    frame_count: int | None = None


# --- annotation results ----------------------------------------------------------------------


@dataclass
class _Check:
    """State of one ``validate_result`` run: inputs and the errors found so far."""

    schema: LabelSchema
    media: MediaInfo
    region_types: dict[str, object]
    errors: list[Json] = field(default_factory=list)
    region: str | None = None

    def fail(self, path: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(field_error(path, message, region=self.region))

    @property
    def full(self) -> bool:
        return len(self.errors) >= MAX_ERRORS

    @property
    def noun(self) -> str:
        return "frame" if self.media.kind == "video" else "image"

    @property
    def size(self) -> tuple[int, int] | None:
        w, h = self.media.width, self.media.height
        return (w, h) if w is not None and h is not None else None


def validate_result(
    schema: LabelSchema, result: object, media: MediaInfo, *, require_complete: bool
) -> list[dict[str, Any]]:
    """Check a canonical result against the schema and media; return its normalized regions."""
    if media.kind != schema.media:
        message = f'media kind "{media.kind}" does not match the schema media "{schema.media}"'
        raise _invalid([field_error("media", message, region=None)])
    if not isinstance(result, list):
        raise _invalid([field_error("result", "must be a list of regions", region=None)])
    types: dict[str, object] = {}
    for r in result:
        if isinstance(r, dict) and _is_id(r.get("id")):
            types.setdefault(r["id"], r.get("type"))
    check = _Check(schema, media, types)
    seen_ids: set[str] = set()
    answered: dict[str, str] = {}
    regions: list[Json] = []
    for i, region in enumerate(result):
        if check.full:
            break
        normalized = _region(check, f"result[{i}]", region, seen_ids, answered)
        if normalized is not None:
            regions.append(normalized)
    if require_complete:
        check.region = None
        for tool in schema.tools:
            needed = isinstance(tool, ClassificationTool | TextTool) and tool.required
            if needed and tool.name not in answered:
                check.fail("result", f'required tool "{tool.name}" has no region')
    if check.errors:
        raise _invalid(check.errors)
    return regions


def _is_id(value: object) -> bool:
    return isinstance(value, str) and value != ""


_COMMON_KEYS = {"id", "tool", "type", "attributes", "score", "origin"}
_KEYS: dict[str, set[str]] = {
    **{t: {"label", "geometry", "frame", "track"} for t in GEOMETRIC_TOOL_TYPES},
    "span": {"label", "geometry", "text"},
    "relation": {"label", "geometry"},
    "classification": {"value"},
    "text": {"value"},
}


def _region(
    check: _Check, path: str, region: object, seen: set[str], answered: dict[str, str]
) -> Json | None:
    check.region = None
    if not isinstance(region, dict):
        check.fail(path, "must be an object")
        return None
    rid = region.get("id")
    if isinstance(rid, str) and rid:
        check.region = rid
        if rid in seen:
            check.fail(f"{path}.id", f'duplicate region id "{rid}"')
        seen.add(rid)
    else:
        check.fail(f"{path}.id", "required; must be a non-empty string")
    name = region.get("tool")
    tools = [t.name for t in check.schema.tools]
    if name not in tools:
        expected = ", ".join(tools)
        check.fail(f"{path}.tool", f"unknown tool {_quote(name)}; expected one of: {expected}")
        return None
    tool = check.schema.tool(str(name))
    if region.get("type") != tool.type:
        message = f'must be "{tool.type}" (the type of tool "{tool.name}"), not '
        check.fail(f"{path}.type", message + _quote(region.get("type")))
        return None
    for key in _unknown(region, _COMMON_KEYS | _KEYS[tool.type]):
        note = f"a {tool.type} region has no label" if key == "label" else "unknown field"
        check.fail(f"{path}.{key}", note)
    out: Json = {"id": rid, "tool": tool.name, "type": tool.type}
    label = (
        None
        if isinstance(tool, ClassificationTool | TextTool)
        else _label(check, path, region, tool)
    )
    if label is not None:
        out["label"] = label.name
    if isinstance(tool, ClassificationTool | TextTool):
        if tool.name in answered:
            check.fail(
                f"{path}.tool",
                f'tool "{tool.name}" is already answered by region "{answered[tool.name]}"',
            )
        answered.setdefault(tool.name, str(rid))
    _body(check, path, region, tool, out)
    out["attributes"] = _attributes(check, path, region.get("attributes", {}), label)
    _score_origin(check, path, region, out)
    return out


def _invalid(errors: list[Json]) -> Invalid:
    first = errors[0]
    path, region = first["path"], first.get("region")
    if region is not None and path.startswith("result["):
        head, _, rest = path.partition("]")
        path = f"{head}] (region {_quote(region)}){rest}"
    message = f"{path}: {first['message']}" if path else first["message"]
    return Invalid(message, details={"errors": errors})


def _quote(value: object) -> str:
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def _label(check: _Check, path: str, region: Json, tool: LabeledTool) -> LabelSpec | None:
    label = region.get("label")
    if label is None:
        check.fail(f"{path}.label", "required")
        return None
    spec: LabelSpec | None = tool.label(label) if isinstance(label, str) else None
    if spec is None:
        expected = ", ".join(lab.name for lab in tool.labels)
        message = f"unknown label {_quote(label)} for tool {_quote(tool.name)}"
        check.fail(f"{path}.label", f"{message}; expected one of: {expected}")
    return spec


def _body(check: _Check, path: str, region: Json, tool: AnyTool, out: Json) -> None:
    """Validate the type-specific part of a region into ``out``."""
    if isinstance(tool, ClassificationTool):
        out["value"] = _choices(check, f"{path}.value", region.get("value"), tool)
    elif isinstance(tool, TextTool):
        out["value"] = _text_value(check, f"{path}.value", region.get("value"), tool)
    elif tool.type == "span":
        out["geometry"] = _span(check, f"{path}.geometry", region.get("geometry"))
        if "text" in region:
            _span_text(check, path, region["text"], out)
    elif tool.type == "relation":
        out["geometry"] = _relation(check, f"{path}.geometry", region.get("geometry"))
    else:
        _placement(check, path, region, tool, out)


def _placement(check: _Check, path: str, region: Json, tool: LabeledTool, out: Json) -> None:
    """Geometry of a shape: on one image, on one video frame, or as a video track."""
    video = check.media.kind == "video"
    for key in ("frame", "track"):
        if key in region and not video:
            check.fail(f"{path}.{key}", f"{key} is only allowed on video")
    if "track" in region and video:
        for key in ("geometry", "frame"):
            if key in region:
                check.fail(f"{path}.{key}", "a track region keeps its geometry in its keyframes")
        out["track"] = _track(check, f"{path}.track", region["track"], tool)
        return
    if video:
        if "frame" not in region:
            check.fail(path, 'a shape on video needs "frame" or "track"')
        else:
            out["frame"] = _frame(check, f"{path}.frame", region["frame"])
    out["geometry"] = _geometry(check, f"{path}.geometry", region.get("geometry"), tool)


def _track(check: _Check, path: str, track: object, tool: LabeledTool) -> list[Json]:
    if not isinstance(track, list) or not track:
        check.fail(path, "must be a non-empty list of keyframes")
        return []
    keyframes: list[Json] = []
    last: int | None = None
    for i, key in enumerate(track):
        here = f"{path}[{i}]"
        if not isinstance(key, dict):
            check.fail(here, "must be an object with frame, geometry and outside")
            continue
        for extra in _unknown(key, {"frame", "geometry", "outside"}):
            check.fail(f"{here}.{extra}", "unknown field")
        frame = _frame(check, f"{here}.frame", key.get("frame"))
        if frame is not None and last is not None and frame <= last:
            check.fail(
                f"{here}.frame", f"frames must be strictly increasing ({frame} after {last})"
            )
        last = frame if frame is not None else last
        outside = key.get("outside", False)
        if not isinstance(outside, bool):
            check.fail(f"{here}.outside", "must be true or false")
        geometry = _geometry(check, f"{here}.geometry", key.get("geometry"), tool)
        keyframes.append({"frame": frame, "geometry": geometry, "outside": outside is True})
    return keyframes


def _frame(check: _Check, path: str, value: object) -> int | None:
    frame = _int(value)
    count = check.media.frame_count
    if frame is None or frame < 0:
        check.fail(path, "must be an integer >= 0")
        return None
    if count is not None and frame >= count:
        check.fail(path, f"frame {frame} is past the end of the video ({count} frames)")
    return frame


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _num(value: object) -> float | None:
    """A finite float from a JSON number; ``None`` for bools, strings, NaN and infinities."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _fmt(value: float) -> str:
    return str(round(value, 3))


def _fields(check: _Check, path: str, value: object, allowed: set[str]) -> Json | None:
    """The object at ``path``, with unknown keys reported; ``None`` if it is not an object."""
    if not isinstance(value, dict):
        check.fail(path, "required; must be an object")
        return None
    for key in _unknown(value, allowed):
        check.fail(f"{path}.{key}", "unknown field")
    return value


def _unknown(obj: Json, allowed: set[str]) -> list[str]:
    return [str(key) for key in obj if key not in allowed]


def _numbers(check: _Check, path: str, obj: Json, keys: tuple[str, ...]) -> list[float] | None:
    values = [_num(obj.get(key)) for key in keys]
    for key, number in zip(keys, values, strict=True):
        if number is None:
            check.fail(f"{path}.{key}", "required; must be a finite number")
    return None if any(v is None for v in values) else [v for v in values if v is not None]


# --- geometry ----------------------------------------------------------------------------------


def _geometry(check: _Check, path: str, geometry: object, tool: LabeledTool) -> Json | None:
    checker = _GEOMETRY[tool.type]
    return checker(check, path, geometry, tool)


def _bbox(check: _Check, path: str, geometry: object, tool: LabeledTool) -> Json | None:
    g = _fields(check, path, geometry, {"x", "y", "width", "height", "rotation"})
    if g is None:
        return None
    values = _numbers(check, path, g, ("x", "y", "width", "height"))
    rotation = _num(g.get("rotation", 0.0))
    if rotation is None or abs(rotation) > 360:
        check.fail(f"{path}.rotation", "must be a number of degrees between -360 and 360")
    if values is None or rotation is None:
        return None
    x, y, w, h = values
    for key, size in (("width", w), ("height", h)):
        if size <= 0:
            check.fail(f"{path}.{key}", f"must be greater than 0, not {_fmt(size)}")
    if check.size is not None and w > 0 and h > 0:
        _box_bounds(check, path, (x, y, w, h), rotation)
    return {"x": x, "y": y, "width": w, "height": h, "rotation": rotation}


def _box_bounds(
    check: _Check, path: str, box: tuple[float, float, float, float], rotation: float
) -> None:
    x, y, w, h = box
    width, height = check.size or (0, 0)
    outside = f"box extends outside the {check.noun}"
    if rotation % 360 != 0:
        # Rotation turns the box clockwise (degrees) about its centre; every corner must fit.
        cx, cy, a = x + w / 2, y + h / 2, math.radians(rotation)
        for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
            px = cx + dx * math.cos(a) - dy * math.sin(a)
            py = cy + dx * math.sin(a) + dy * math.cos(a)
            if not _inside(px, py, width, height):
                corner = f"corner ({_fmt(px)}, {_fmt(py)})"
                check.fail(path, f"rotated {outside} ({corner} not in {width} x {height})")
                return
        return
    problems = [
        (x < -TOLERANCE, f"x = {_fmt(x)} < 0"),
        (y < -TOLERANCE, f"y = {_fmt(y)} < 0"),
        (x + w > width + TOLERANCE, f"x + width = {_fmt(x + w)} > {check.noun} width {width}"),
        (y + h > height + TOLERANCE, f"y + height = {_fmt(y + h)} > {check.noun} height {height}"),
    ]
    for bad, detail in problems:
        if bad:
            check.fail(path, f"{outside} ({detail})")


def _inside(x: float, y: float, width: int, height: int) -> bool:
    return -TOLERANCE <= x <= width + TOLERANCE and -TOLERANCE <= y <= height + TOLERANCE


def _point(check: _Check, path: str, value: object, dims: int) -> list[float] | None:
    numbers = [_num(v) for v in value] if isinstance(value, list) else []
    if len(numbers) != dims or any(v is None for v in numbers[:2]):
        shape = "[x, y]" if dims == 2 else "[x, y, visibility]"
        check.fail(path, f"must be {shape} with finite numbers")
        return None
    return [v for v in numbers if v is not None]


def _point_bounds(check: _Check, path: str, x: float, y: float, what: str) -> None:
    if check.size is not None and not _inside(x, y, *check.size):
        where = f"{check.size[0]} x {check.size[1]}"
        check.fail(path, f"{what}({_fmt(x)}, {_fmt(y)}) is outside the {check.noun} ({where})")


def _polygon(check: _Check, path: str, geometry: object, tool: LabeledTool) -> Json | None:
    g = _fields(check, path, geometry, {"points"})
    if g is None:
        return None
    points = g.get("points")
    if not isinstance(points, list) or len(points) < 3:
        check.fail(f"{path}.points", "must be a list of at least 3 [x, y] points")
        return None
    out: list[list[float]] = []
    for i, raw in enumerate(points):
        point = _point(check, f"{path}.points[{i}]", raw, 2)
        if point is not None:
            _point_bounds(check, f"{path}.points[{i}]", point[0], point[1], "point ")
            out.append(point)
    return {"points": out} if len(out) == len(points) else None


def _keypoints(check: _Check, path: str, geometry: object, tool: LabeledTool) -> Json | None:
    if not isinstance(tool, KeypointsTool):
        raise TypeError(f"keypoints geometry for a {tool.type} tool")
    g = _fields(check, path, geometry, {"points"})
    if g is None:
        return None
    points, names = g.get("points"), tool.keypoints
    if not isinstance(points, list) or len(points) != len(names):
        got = f"got {len(points)}" if isinstance(points, list) else "got no list"
        expected = f"{len(names)} [x, y, visibility] points, one per keypoint ({', '.join(names)})"
        check.fail(f"{path}.points", f"expected {expected}; {got}")
        return None
    out: list[list[float | int]] = []
    for i, (raw, name) in enumerate(zip(points, names, strict=True)):
        here = f"{path}.points[{i}]"
        point = _point(check, here, raw, 3)
        if point is None:
            continue
        v = raw[2]
        if _int(v) not in (0, 1, 2):
            check.fail(here, f"visibility must be 0, 1 or 2, not {_quote(v)}")
            continue
        if v > 0:
            _point_bounds(check, here, point[0], point[1], f'keypoint "{name}" ')
        out.append([point[0], point[1], int(v)])
    return {"points": out} if len(out) == len(points) else None


def _mask(check: _Check, path: str, geometry: object, tool: LabeledTool) -> Json | None:
    g = _fields(check, path, geometry, {"rle", "bbox"})
    if g is None:
        return None
    rle = _fields(check, f"{path}.rle", g.get("rle"), {"size", "counts"})
    if rle is None:
        return None
    size = rle.get("size")
    h, w = (_int(size[0]), _int(size[1])) if isinstance(size, list) and len(size) == 2 else (0, 0)
    if h is None or w is None or h <= 0 or w <= 0:
        check.fail(f"{path}.rle.size", "must be [height, width] with positive integers")
        return None
    if check.size is not None and (w, h) != check.size:
        image = f"[{check.size[1]}, {check.size[0]}]"
        check.fail(
            f"{path}.rle.size",
            f"mask size [{h}, {w}] does not match the {check.noun} size {image} ([height, width])",
        )
    counts = _counts(check, f"{path}.rle.counts", rle.get("counts"), h * w)
    out: Json = {"rle": {"size": [h, w], "counts": counts}}
    if "bbox" in g:
        out["bbox"] = _mask_bbox(check, f"{path}.bbox", g["bbox"])
    return out


def _counts(check: _Check, path: str, counts: object, pixels: int) -> str | list[int] | None:
    decoded: list[int] | None
    if isinstance(counts, str):
        decoded = decode_coco_rle(counts) if counts else None
        if decoded is None:
            check.fail(path, "must be a non-empty COCO compressed RLE string")
            return None
    elif isinstance(counts, list):
        ints = [_int(c) for c in counts]
        decoded = [c for c in ints if c is not None and c >= 0]
        if len(decoded) != len(counts):
            check.fail(path, "must be a list of non-negative integers")
            return None
    else:
        check.fail(path, "required; must be a COCO RLE string or a list of integers")
        return None
    if sum(decoded) != pixels:
        check.fail(path, f"counts cover {sum(decoded)} pixels but the mask has {pixels}")
    return counts if isinstance(counts, str) else decoded


def decode_coco_rle(counts: str) -> list[int] | None:
    """Run lengths of a COCO compressed RLE string; ``None`` if it is malformed."""
    # Each count is a signed base-32 varint in chars '0'..'o' (0x20 = more, 0x10 = sign on the
    # last char); from the fourth count on it is a delta to the count two places back.
    runs: list[int] = []
    value, shift = 0, 0
    for char in counts:
        c = ord(char) - 48
        if not 0 <= c < 64:
            return None
        value |= (c & 0x1F) << shift
        shift += 5
        if c & 0x20:
            continue
        if c & 0x10:
            value -= 1 << shift
        if len(runs) > 2:
            value += runs[-2]
        if value < 0:
            return None
        runs.append(value)
        value, shift = 0, 0
    return runs if shift == 0 else None


def _mask_bbox(check: _Check, path: str, value: object) -> list[float] | None:
    numbers = [_num(v) for v in value] if isinstance(value, list) else []
    box = [v for v in numbers if v is not None]
    if len(numbers) != 4 or len(box) != 4 or box[2] < 0 or box[3] < 0:
        check.fail(path, "must be [x, y, width, height] with finite numbers and sizes >= 0")
        return None
    x, y, w, h = box
    if check.size is not None and not (
        _inside(x, y, *check.size) and _inside(x + w, y + h, *check.size)
    ):
        where = f"{check.size[0]} x {check.size[1]}"
        check.fail(path, f"bbox extends outside the {check.noun} ({where})")
    return box


_GEOMETRY: dict[str, Callable[[_Check, str, object, LabeledTool], Json | None]] = {
    "bbox": _bbox,
    "polygon": _polygon,
    "keypoints": _keypoints,
    "mask": _mask,
}


# --- spans, relations, classifications, text ---------------------------------------------------


def _span(check: _Check, path: str, geometry: object) -> Json | None:
    g = _fields(check, path, geometry, {"start", "end"})
    if g is None:
        return None
    start, end = _int(g.get("start")), _int(g.get("end"))
    for key, value in (("start", start), ("end", end)):
        if value is None:
            check.fail(f"{path}.{key}", "required; must be an integer")
    if start is None or end is None:
        return None
    length = check.media.text_length
    if start < 0:
        check.fail(f"{path}.start", f"must be >= 0, not {start}")
    elif start >= end:
        check.fail(path, f"start ({start}) must be less than end ({end})")
    elif length is not None and end > length:
        check.fail(f"{path}.end", f"end ({end}) is past the end of the text ({length} code points)")
    else:
        return {"start": start, "end": end}
    return None


def _span_text(check: _Check, path: str, text: object, out: Json) -> None:
    span = out.get("geometry")
    if not isinstance(text, str):
        check.fail(f"{path}.text", "must be a string")
    elif span is not None and len(text) != span["end"] - span["start"]:
        covers = span["end"] - span["start"]
        check.fail(f"{path}.text", f"has {len(text)} code points but the span covers {covers}")
    else:
        out["text"] = text


def _relation(check: _Check, path: str, geometry: object) -> Json | None:
    g = _fields(check, path, geometry, {"from", "to"})
    if g is None:
        return None
    ends = {key: g.get(key) for key in ("from", "to")}
    for key, rid in ends.items():
        if not _is_id(rid):
            check.fail(f"{path}.{key}", "required; must be a region id")
        elif rid not in check.region_types:
            check.fail(f"{path}.{key}", f"no region with id {_quote(rid)} in the result")
        elif rid == check.region:
            check.fail(f"{path}.{key}", "a relation cannot point at itself")
        else:
            kind = check.region_types[str(rid)]
            if kind not in GEOMETRIC_TOOL_TYPES and kind != "span":
                message = f"region {_quote(rid)} is a {kind} region; relations link spans or shapes"
                check.fail(f"{path}.{key}", message)
    if _is_id(ends["from"]) and ends["from"] == ends["to"]:
        check.fail(path, "from and to must be different regions")
    return dict(ends)


def _choices(check: _Check, path: str, value: object, tool: ClassificationTool) -> Json | None:
    v = _fields(check, path, value, {"choices"})
    if v is None:
        return None
    choices = v.get("choices")
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        check.fail(f"{path}.choices", "required; must be a list of strings")
        return None
    for i, choice in enumerate(choices):
        if choice not in tool.choices:
            expected = ", ".join(tool.choices)
            message = f'unknown choice "{choice}" for tool "{tool.name}"; expected one of: '
            check.fail(f"{path}.choices[{i}]", message + expected)
        elif choice in choices[:i]:
            check.fail(f"{path}.choices[{i}]", f'duplicate choice "{choice}"')
    if not choices:
        check.fail(f"{path}.choices", "must name at least one choice")
    elif len(choices) > 1 and not tool.multiple:
        check.fail(f"{path}.choices", f'tool "{tool.name}" takes exactly one choice')
    return {"choices": list(choices)}


def _text_value(check: _Check, path: str, value: object, tool: TextTool) -> Json | None:
    v = _fields(check, path, value, {"text"})
    if v is None:
        return None
    text = v.get("text")
    if not isinstance(text, str):
        check.fail(f"{path}.text", "required; must be a string")
        return None
    if tool.max_length is not None and len(text) > tool.max_length:
        check.fail(f"{path}.text", f"is {len(text)} characters long; at most {tool.max_length}")
    return {"text": text}


# --- attributes, score, origin ------------------------------------------------------------------


def _attributes(check: _Check, path: str, value: object, label: LabelSpec | None) -> Json:
    here = f"{path}.attributes"
    if not isinstance(value, dict):
        check.fail(here, "must be an object")
        return {}
    if label is None or not label.attributes:
        return dict(value)
    expected = ", ".join(a.name for a in label.attributes)
    for key, item in value.items():
        spec = label.attribute(key)
        if spec is None:
            message = f'unknown attribute {_quote(key)} for label "{label.name}"; '
            check.fail(f"{here}.{key}", f"{message}expected one of: {expected}")
        elif not _attribute_ok(spec, item):
            check.fail(f"{here}.{key}", _attribute_hint(spec) + f", not {_quote(item)}")
    return {k: float(v) if _num(v) is not None else v for k, v in value.items()}


def _attribute_ok(spec: AttributeSpec, value: object) -> bool:
    if spec.type == "bool":
        return isinstance(value, bool)
    if spec.type == "number":
        number = _num(value)
        return number is not None and spec.in_bounds(number)
    if spec.type == "choice":
        return isinstance(value, str) and value in (spec.choices or [])
    return isinstance(value, str)


def _attribute_hint(spec: AttributeSpec) -> str:
    if spec.type == "choice":
        return f"must be one of: {', '.join(spec.choices or [])}"
    names = {"bool": "true or false", "number": spec.bounds_text(), "text": "a string"}
    return f"must be {names[spec.type]}"


def _score_origin(check: _Check, path: str, region: Json, out: Json) -> None:
    if "score" in region:
        score = _num(region["score"])
        if score is None or not 0 <= score <= 1:
            check.fail(
                f"{path}.score", f"must be a number between 0 and 1, not {_quote(region['score'])}"
            )
        else:
            out["score"] = score
    if "origin" in region:
        origin = region["origin"]
        if origin not in ORIGINS:
            check.fail(f"{path}.origin", f"must be one of: {', '.join(ORIGINS)}")
        else:
            out["origin"] = origin
