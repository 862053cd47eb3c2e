"""Shapes on video: one frame, or a track of keyframes."""

from __future__ import annotations

import pytest
from services.results.examples import (
    BOX,
    VIDEO,
    VIDEO_SCHEMA,
    Json,
    apply,
    check,
    video_result,
)

from accord_server.services.results import MediaInfo, validate_result


def test_video_track_is_normalized() -> None:
    [track, shape] = validate_result(VIDEO_SCHEMA, video_result(), VIDEO, require_complete=False)
    assert [(k["frame"], k["outside"]) for k in track["track"]] == [
        (0, False),
        (5, False),
        (99, True),
    ]
    assert track["track"][1]["geometry"]["x"] == 300.0
    assert "geometry" not in track and shape["frame"] == 3


VIDEO_CASES: list[tuple[int, Json, str, str]] = [
    (1, {"frame": 100}, "result[1].frame", "frame 100 is past the end of the video (100 frames)"),
    (1, {"frame": -1}, "result[1].frame", "must be an integer >= 0"),
    (1, {"frame": "3"}, "result[1].frame", "must be an integer >= 0"),
    (1, {"frame": None}, "result[1]", 'a shape on video needs "frame" or "track"'),
    (
        1,
        {"geometry": {"points": [[0, 0], [321, 0], [0, 240]]}},
        "result[1].geometry.points[1]",
        "point (321.0, 0.0) is outside the frame (320 x 240)",
    ),
    (0, {"track": []}, "result[0].track", "must be a non-empty list of keyframes"),
    (
        0,
        {"track": [{"frame": 4, "geometry": BOX}, {"frame": 4, "geometry": BOX}]},
        "result[0].track[1].frame",
        "frames must be strictly increasing (4 after 4)",
    ),
    (
        0,
        {"track": [{"frame": 0, "geometry": {**BOX, "width": 400}}]},
        "result[0].track[0].geometry",
        "box extends outside the frame (x + width = 410.0 > frame width 320)",
    ),
    (
        0,
        {"track": [{"frame": 0, "geometry": BOX, "outside": "no"}]},
        "result[0].track[0].outside",
        "must be true or false",
    ),
    (0, {"track": [{"frame": 0}]}, "result[0].track[0].geometry", "required; must be an object"),
    (
        0,
        {"track": [{"frame": 0, "geometry": BOX, "attrs": {}}]},
        "result[0].track[0].attrs",
        "unknown field",
    ),
    (
        0,
        {"track": [{"frame": 120, "geometry": BOX}]},
        "result[0].track[0].frame",
        "frame 120 is past the end of the video (100 frames)",
    ),
    (
        0,
        {"track": ["x"]},
        "result[0].track[0]",
        "must be an object with frame, geometry and outside",
    ),
    (
        0,
        {"geometry": BOX},
        "result[0].geometry",
        "a track region keeps its geometry in its keyframes",
    ),
]


@pytest.mark.parametrize(("index", "changes", "path", "message"), VIDEO_CASES)
def test_invalid_video_regions(index: int, changes: Json, path: str, message: str) -> None:
    result = video_result()
    result[index] = apply(result[index], changes)
    errors = check(result, VIDEO_SCHEMA, VIDEO).details["errors"]
    assert [(e["path"], e["message"]) for e in errors] == [(path, message)]


def test_unknown_frame_count_skips_the_frame_bound() -> None:
    result = video_result()
    result[1]["frame"] = 10_000
    media = MediaInfo(kind="video", width=320, height=240)
    assert (
        validate_result(VIDEO_SCHEMA, result, media, require_complete=False)[1]["frame"] == 10_000
    )
