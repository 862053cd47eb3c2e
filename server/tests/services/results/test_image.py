"""Image geometry: boxes, polygons, keypoints and masks, and their bounds."""

from __future__ import annotations

import math

import pytest
from services.results.examples import (
    BOX,
    IMAGE,
    IMAGE_SCHEMA,
    Json,
    check,
    image_case,
    image_result,
)

from accord_server.services.results import MediaInfo, validate_result


def test_unknown_image_size_skips_bounds_but_not_sizes() -> None:
    result = image_result()
    result[0]["geometry"]["x"] = 5000
    result[1]["geometry"]["points"][0] = [-100, -100]
    result[3]["geometry"]["rle"]["size"] = [10, 20]
    result[3]["geometry"]["rle"]["counts"] = [200]
    unknown = MediaInfo(kind="image")
    validate_result(IMAGE_SCHEMA, result, unknown, require_complete=False)
    result[0]["geometry"]["width"] = 0
    assert check(result, media=unknown).details["errors"][0]["path"] == "result[0].geometry.width"


def test_bounds_tolerance_is_half_a_pixel() -> None:
    result = image_result()
    result[0]["geometry"] = {"x": -0.5, "y": 0, "width": 640.5, "height": 480.4}
    validate_result(IMAGE_SCHEMA, result, IMAGE, require_complete=False)
    result[0]["geometry"]["width"] = 641.1
    assert check(result).details["errors"][0]["message"] == (
        "box extends outside the image (x + width = 640.6 > image width 640)"
    )


def test_rotated_box_checks_its_corners() -> None:
    result = image_result()
    result[0]["geometry"] = {"x": 100, "y": 100, "width": 100, "height": 10, "rotation": 90}
    validate_result(IMAGE_SCHEMA, result, IMAGE, require_complete=False)
    result[0]["geometry"] = {"x": 0, "y": 0, "width": 100, "height": 10, "rotation": 90}
    [entry] = check(result).details["errors"]
    assert entry["path"] == "result[0].geometry"
    assert entry["message"] == (
        "rotated box extends outside the image (corner (55.0, -45.0) not in 640 x 480)"
    )


# (index of the region in image_result(), changes (None deletes a key), path, message)
GEOMETRY_CASES: list[tuple[int, Json, str, str]] = [
    # bbox
    (
        0,
        {"geometry": {**BOX, "x": 630, "width": 70}},
        "result[0].geometry",
        "box extends outside the image (x + width = 700.0 > image width 640)",
    ),
    (
        0,
        {"geometry": {**BOX, "y": 470.25}},
        "result[0].geometry",
        "box extends outside the image (y + height = 510.25 > image height 480)",
    ),
    (
        0,
        {"geometry": {**BOX, "x": -3}},
        "result[0].geometry",
        "box extends outside the image (x = -3.0 < 0)",
    ),
    (
        0,
        {"geometry": {**BOX, "y": -1}},
        "result[0].geometry",
        "box extends outside the image (y = -1.0 < 0)",
    ),
    (
        0,
        {"geometry": {**BOX, "width": 0}},
        "result[0].geometry.width",
        "must be greater than 0, not 0.0",
    ),
    (
        0,
        {"geometry": {**BOX, "height": -2}},
        "result[0].geometry.height",
        "must be greater than 0, not -2.0",
    ),
    (
        0,
        {"geometry": {**BOX, "x": True}},
        "result[0].geometry.x",
        "required; must be a finite number",
    ),
    (
        0,
        {"geometry": {**BOX, "x": "10"}},
        "result[0].geometry.x",
        "required; must be a finite number",
    ),
    (
        0,
        {"geometry": {**BOX, "y": math.nan}},
        "result[0].geometry.y",
        "required; must be a finite number",
    ),
    (
        0,
        {"geometry": {**BOX, "width": math.inf}},
        "result[0].geometry.width",
        "required; must be a finite number",
    ),
    (
        0,
        {"geometry": {**BOX, "x": 10**400}},
        "result[0].geometry.x",
        "required; must be a finite number",
    ),
    (
        0,
        {"geometry": {"x": 1, "y": 1, "width": 1}},
        "result[0].geometry.height",
        "required; must be a finite number",
    ),
    (
        0,
        {"geometry": {**BOX, "rotation": "45"}},
        "result[0].geometry.rotation",
        "must be a number of degrees between -360 and 360",
    ),
    (0, {"geometry": {**BOX, "z": 1}}, "result[0].geometry.z", "unknown field"),
    (0, {"geometry": None}, "result[0].geometry", "required; must be an object"),
    (0, {"geometry": [1, 2, 3, 4]}, "result[0].geometry", "required; must be an object"),
    (0, {"frame": 1}, "result[0].frame", "frame is only allowed on video"),
    (0, {"track": []}, "result[0].track", "track is only allowed on video"),
    # polygon
    (
        1,
        {"geometry": {"points": [[0, 0], [1, 1]]}},
        "result[1].geometry.points",
        "must be a list of at least 3 [x, y] points",
    ),
    (
        1,
        {"geometry": {"points": [[0, 0], [700, 5], [1, 1]]}},
        "result[1].geometry.points[1]",
        "point (700.0, 5.0) is outside the image (640 x 480)",
    ),
    (
        1,
        {"geometry": {"points": [[0, 0], [5], [1, 1]]}},
        "result[1].geometry.points[1]",
        "must be [x, y] with finite numbers",
    ),
    (
        1,
        {"geometry": {"points": [[0, 0], [5, 5, 5], [1, 1]]}},
        "result[1].geometry.points[1]",
        "must be [x, y] with finite numbers",
    ),
    (
        1,
        {"geometry": {"points": [[0, 0], [False, 5], [1, 1]]}},
        "result[1].geometry.points[1]",
        "must be [x, y] with finite numbers",
    ),
    # keypoints
    (
        2,
        {"geometry": {"points": [[1, 1, 2], [1, 1, 2]]}},
        "result[2].geometry.points",
        "expected 3 [x, y, visibility] points, one per keypoint (nose, left_eye, right_eye); got 2",
    ),
    (
        2,
        {"geometry": {"points": [[1, 1, 3], [1, 1, 2], [1, 1, 2]]}},
        "result[2].geometry.points[0]",
        "visibility must be 0, 1 or 2, not 3",
    ),
    (
        2,
        {"geometry": {"points": [[1, 1, True], [1, 1, 2], [1, 1, 2]]}},
        "result[2].geometry.points[0]",
        "visibility must be 0, 1 or 2, not True",
    ),
    (
        2,
        {"geometry": {"points": [[1, 1, 2.0], [1, 1, 2], [1, 1, 2]]}},
        "result[2].geometry.points[0]",
        "visibility must be 0, 1 or 2, not 2.0",
    ),
    (
        2,
        {"geometry": {"points": [[1, 1, 2], [700, 10, 1], [1, 1, 2]]}},
        "result[2].geometry.points[1]",
        'keypoint "left_eye" (700.0, 10.0) is outside the image (640 x 480)',
    ),
    (
        2,
        {"geometry": {"points": [[1, 1], [1, 1, 2], [1, 1, 2]]}},
        "result[2].geometry.points[0]",
        "must be [x, y, visibility] with finite numbers",
    ),
    # mask
    (
        3,
        {"geometry": {"rle": {"size": [480, 641], "counts": [307680]}}},
        "result[3].geometry.rle.size",
        "mask size [480, 641] does not match the image size [480, 640] ([height, width])",
    ),
    (
        3,
        {"geometry": {"rle": {"size": [480, 640], "counts": [1, 2]}}},
        "result[3].geometry.rle.counts",
        "counts cover 3 pixels but the mask has 307200",
    ),
    (
        3,
        {"geometry": {"rle": {"size": [480, 640], "counts": [307201, -1]}}},
        "result[3].geometry.rle.counts",
        "must be a list of non-negative integers",
    ),
    (
        3,
        {"geometry": {"rle": {"size": [480, 640], "counts": [307200.0]}}},
        "result[3].geometry.rle.counts",
        "must be a list of non-negative integers",
    ),
    (
        3,
        {"geometry": {"rle": {"size": [480, 640], "counts": ""}}},
        "result[3].geometry.rle.counts",
        "must be a non-empty COCO compressed RLE string",
    ),
    (
        3,
        {"geometry": {"rle": {"size": [480, 640], "counts": "p0"}}},
        "result[3].geometry.rle.counts",
        "must be a non-empty COCO compressed RLE string",
    ),
    (
        3,
        {"geometry": {"rle": {"size": [480, 640], "counts": "0T3"}}},
        "result[3].geometry.rle.counts",
        "counts cover 100 pixels but the mask has 307200",
    ),
    (
        3,
        {"geometry": {"rle": {"size": [480, 640], "counts": None}}},
        "result[3].geometry.rle.counts",
        "required; must be a COCO RLE string or a list of integers",
    ),
    (
        3,
        {"geometry": {"rle": {"size": [480], "counts": [1]}}},
        "result[3].geometry.rle.size",
        "must be [height, width] with positive integers",
    ),
    (
        3,
        {"geometry": {"rle": {"size": [0, 640], "counts": []}}},
        "result[3].geometry.rle.size",
        "must be [height, width] with positive integers",
    ),
    (
        3,
        {"geometry": {"bbox": [0, 0, 1, 1]}},
        "result[3].geometry.rle",
        "required; must be an object",
    ),
    (
        3,
        {"geometry": {"rle": {"size": [480, 640], "counts": [307200]}, "bbox": [600, 0, 50, 10]}},
        "result[3].geometry.bbox",
        "bbox extends outside the image (640 x 480)",
    ),
    (
        3,
        {"geometry": {"rle": {"size": [480, 640], "counts": [307200]}, "bbox": [0, 0, -1, 10]}},
        "result[3].geometry.bbox",
        "must be [x, y, width, height] with finite numbers and sizes >= 0",
    ),
]


@pytest.mark.parametrize(("index", "changes", "path", "message"), GEOMETRY_CASES)
def test_invalid_geometry(index: int, changes: Json, path: str, message: str) -> None:
    image_case(index, changes, path, message)
