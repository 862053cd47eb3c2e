"""Image geometry (bbox, polygon, keypoints, mask) in absolute pixels, checked against the size of
the image or video frame when it is known. Metrics on shapes (IoU, OKS) belong beside these."""

from __future__ import annotations

import math
from collections.abc import Callable

from accord_server.schemas.label_schema import KeypointsTool, LabeledTool
from accord_server.services.formats.coco_rle import decode_coco_rle
from accord_server.services.results.common import (
    Check,
    Json,
    as_int,
    as_number,
    fields,
    fmt,
    numbers,
    quote,
)

TOLERANCE = 0.5  # pixels a shape may overshoot the image edge (float rounding in clients)


def geometry(check: Check, path: str, geometry: object, tool: LabeledTool) -> Json | None:
    """The normalized geometry of a shape of ``tool``'s type; ``None`` if it is invalid."""
    checker = _GEOMETRY[tool.type]
    return checker(check, path, geometry, tool)


def _bbox(check: Check, path: str, geometry: object, tool: LabeledTool) -> Json | None:
    g = fields(check, path, geometry, {"x", "y", "width", "height", "rotation"})
    if g is None:
        return None
    values = numbers(check, path, g, ("x", "y", "width", "height"))
    rotation = as_number(g.get("rotation", 0.0))
    if rotation is None or abs(rotation) > 360:
        check.fail(f"{path}.rotation", "must be a number of degrees between -360 and 360")
    if values is None or rotation is None:
        return None
    x, y, w, h = values
    for key, size in (("width", w), ("height", h)):
        if size <= 0:
            check.fail(f"{path}.{key}", f"must be greater than 0, not {fmt(size)}")
    if check.size is not None and w > 0 and h > 0:
        _box_bounds(check, path, (x, y, w, h), rotation)
    return {"x": x, "y": y, "width": w, "height": h, "rotation": rotation}


def _box_bounds(
    check: Check, path: str, box: tuple[float, float, float, float], rotation: float
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
                corner = f"corner ({fmt(px)}, {fmt(py)})"
                check.fail(path, f"rotated {outside} ({corner} not in {width} x {height})")
                return
        return
    problems = [
        (x < -TOLERANCE, f"x = {fmt(x)} < 0"),
        (y < -TOLERANCE, f"y = {fmt(y)} < 0"),
        (x + w > width + TOLERANCE, f"x + width = {fmt(x + w)} > {check.noun} width {width}"),
        (y + h > height + TOLERANCE, f"y + height = {fmt(y + h)} > {check.noun} height {height}"),
    ]
    for bad, detail in problems:
        if bad:
            check.fail(path, f"{outside} ({detail})")


def _inside(x: float, y: float, width: int, height: int) -> bool:
    return -TOLERANCE <= x <= width + TOLERANCE and -TOLERANCE <= y <= height + TOLERANCE


def _point(check: Check, path: str, value: object, dims: int) -> list[float] | None:
    values = [as_number(v) for v in value] if isinstance(value, list) else []
    if len(values) != dims or any(v is None for v in values[:2]):
        shape = "[x, y]" if dims == 2 else "[x, y, visibility]"
        check.fail(path, f"must be {shape} with finite numbers")
        return None
    return [v for v in values if v is not None]


def _point_bounds(check: Check, path: str, x: float, y: float, what: str) -> None:
    if check.size is not None and not _inside(x, y, *check.size):
        where = f"{check.size[0]} x {check.size[1]}"
        check.fail(path, f"{what}({fmt(x)}, {fmt(y)}) is outside the {check.noun} ({where})")


def _polygon(check: Check, path: str, geometry: object, tool: LabeledTool) -> Json | None:
    g = fields(check, path, geometry, {"points"})
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


def _keypoints(check: Check, path: str, geometry: object, tool: LabeledTool) -> Json | None:
    if not isinstance(tool, KeypointsTool):
        raise TypeError(f"keypoints geometry for a {tool.type} tool")
    g = fields(check, path, geometry, {"points"})
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
        if as_int(v) not in (0, 1, 2):
            check.fail(here, f"visibility must be 0, 1 or 2, not {quote(v)}")
            continue
        if v > 0:
            _point_bounds(check, here, point[0], point[1], f'keypoint "{name}" ')
        out.append([point[0], point[1], int(v)])
    return {"points": out} if len(out) == len(points) else None


def _mask(check: Check, path: str, geometry: object, tool: LabeledTool) -> Json | None:
    g = fields(check, path, geometry, {"rle", "bbox"})
    if g is None:
        return None
    rle = fields(check, f"{path}.rle", g.get("rle"), {"size", "counts"})
    if rle is None:
        return None
    size = rle.get("size")
    h: int | None = 0
    w: int | None = 0
    if isinstance(size, list) and len(size) == 2:
        h, w = as_int(size[0]), as_int(size[1])
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


def _counts(check: Check, path: str, counts: object, pixels: int) -> str | list[int] | None:
    decoded: list[int] | None
    if isinstance(counts, str):
        decoded = decode_coco_rle(counts) if counts else None
        if decoded is None:
            check.fail(path, "must be a non-empty COCO compressed RLE string")
            return None
    elif isinstance(counts, list):
        ints = [as_int(c) for c in counts]
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


def _mask_bbox(check: Check, path: str, value: object) -> list[float] | None:
    values = [as_number(v) for v in value] if isinstance(value, list) else []
    box = [v for v in values if v is not None]
    if len(values) != 4 or len(box) != 4 or box[2] < 0 or box[3] < 0:
        check.fail(path, "must be [x, y, width, height] with finite numbers and sizes >= 0")
        return None
    x, y, w, h = box
    if check.size is not None and not (
        _inside(x, y, *check.size) and _inside(x + w, y + h, *check.size)
    ):
        where = f"{check.size[0]} x {check.size[1]}"
        check.fail(path, f"bbox extends outside the {check.noun} ({where})")
    return box


_GEOMETRY: dict[str, Callable[[Check, str, object, LabeledTool], Json | None]] = {
    "bbox": _bbox,
    "polygon": _polygon,
    "keypoints": _keypoints,
    "mask": _mask,
}
