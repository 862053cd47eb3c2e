"""Plane geometry of Accord's image regions that several formats' writers and readers share:
the corners of a rotated box and the box back from its corners, the area and extent of a
polygon, the extent of keypoints, and the extent and area of a COCO run-length mask, all in
absolute pixels (x right, y down; a box rotates clockwise about its centre, in degrees, as
``services/results/image.py`` reads it)."""

from __future__ import annotations

import math
from collections.abc import Sequence

Box = tuple[float, float, float, float]
"""``x, y, width, height`` in pixels, top-left corner first."""


def box_corners(x: float, y: float, w: float, h: float, rotation: float) -> list[list[float]]:
    """The four corners of a box turned ``rotation`` degrees clockwise about its centre, in
    the order top-left, top-right, bottom-right, bottom-left of the unturned box."""
    cx, cy, a = x + w / 2, y + h / 2, math.radians(rotation)
    cos, sin = math.cos(a), math.sin(a)
    corners = []
    for dx, dy in ((-w / 2, -h / 2), (w / 2, -h / 2), (w / 2, h / 2), (-w / 2, h / 2)):
        corners.append([cx + dx * cos - dy * sin, cy + dx * sin + dy * cos])
    return corners


def box_from_corners(corners: Sequence[Sequence[float]], rotation: float) -> Box:
    """The box (before its rotation) whose corners ``box_corners`` gave: the inverse, so a
    rotated box written as its polygon reads back as the same box."""
    (x0, y0), (x1, y1), (x2, y2) = corners[0][:2], corners[1][:2], corners[2][:2]
    w, h = math.hypot(x1 - x0, y1 - y0), math.hypot(x2 - x1, y2 - y1)
    cx = sum(p[0] for p in corners[:4]) / 4
    cy = sum(p[1] for p in corners[:4]) / 4
    return cx - w / 2, cy - h / 2, w, h


def polygon_area(points: Sequence[Sequence[float]]) -> float:
    """The area enclosed by a polygon (shoelace formula; self-crossings count once each way)."""
    total = 0.0
    n = len(points)
    for i in range(n):
        x0, y0 = points[i][0], points[i][1]
        x1, y1 = points[(i + 1) % n][0], points[(i + 1) % n][1]
        total += x0 * y1 - x1 * y0
    return abs(total) / 2


def extent(points: Sequence[Sequence[float]]) -> Box:
    """The smallest axis-aligned box holding ``points`` (``[x, y, ...]`` each)."""
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    return min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)


def clip_box(box: Box, width: int, height: int) -> Box:
    """``box`` cut to the image (results may overshoot its edge by a rounding tolerance)."""
    x, y, w, h = box
    x0, y0 = min(max(x, 0.0), width), min(max(y, 0.0), height)
    x1, y1 = min(max(x + w, 0.0), width), min(max(y + h, 0.0), height)
    return x0, y0, x1 - x0, y1 - y0


def clip_point(x: float, y: float, width: int, height: int) -> tuple[float, float]:
    """A point moved onto the image if it lies just outside it."""
    return min(max(x, 0.0), float(width)), min(max(y, 0.0), float(height))


def keypoints_box(points: Sequence[Sequence[float]], width: int, height: int) -> Box | None:
    """A box for a keypoints instance, which has none of its own in Accord: the extent of its
    labeled points (visibility > 0), grown to at least one pixel each way so it has an area
    (COCO's OKS and Ultralytics' pose rows need one), inside the image. ``None`` when no
    point is labeled."""
    labeled = [p for p in points if p[2] > 0]
    if not labeled:
        return None
    x, y, w, h = extent(labeled)
    if w < 1:
        x, w = x - (1 - w) / 2, 1.0
    if h < 1:
        y, h = y - (1 - h) / 2, 1.0
    x, y = min(max(x, 0.0), max(width - w, 0.0)), min(max(y, 0.0), max(height - h, 0.0))
    return clip_box((x, y, w, h), width, height)


def rle_box_area(runs: Sequence[int], height: int) -> tuple[Box, int]:
    """The extent and the pixel count of a COCO run-length mask (runs alternate background and
    foreground, column-major, starting with background) without drawing it: what pycocotools'
    ``toBbox`` and ``area`` give."""
    area = 0
    x_min = y_min = math.inf
    x_max = y_max = -math.inf
    start = 0
    for i, run in enumerate(runs):
        if i % 2 == 1 and run > 0:
            end = start + run - 1
            area += run
            c0, r0 = divmod(start, height)
            c1, r1 = divmod(end, height)
            x_min, x_max = min(x_min, c0), max(x_max, c1)
            if c0 == c1:
                y_min, y_max = min(y_min, r0), max(y_max, r1)
            else:
                y_min, y_max = 0, height - 1
        start += run
    if area == 0:
        return (0.0, 0.0, 0.0, 0.0), 0
    box = (float(x_min), float(y_min), float(x_max - x_min + 1), float(y_max - y_min + 1))
    return box, area
