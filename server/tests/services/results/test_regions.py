"""A whole result: the region envelope (id, tool, type, label, score, origin), normalization
and the error format."""

from __future__ import annotations

import copy
import json
import math

import pytest
from services.results.examples import (
    BOX,
    IMAGE,
    IMAGE_SCHEMA,
    TEXT,
    TEXT_SCHEMA,
    VIDEO,
    VIDEO_SCHEMA,
    Json,
    check,
    image_case,
    image_result,
    text_result,
    video_result,
)

from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.results import MAX_ERRORS, MediaInfo, validate_result

EXPECTED_TOOLS = "objects, outline, pose, seg, rel, quality, tags, notes"


def test_valid_image_result_is_normalized() -> None:
    regions = validate_result(IMAGE_SCHEMA, image_result(), IMAGE, require_complete=True)
    assert [r["id"] for r in regions] == ["r1", "r2", "r3", "r4", "r4b", "r5", "r6", "r7", "r8"]
    box = regions[0]
    assert box["geometry"] == {"x": 10.0, "y": 20.0, "width": 30.0, "height": 40.0, "rotation": 0.0}
    assert all(isinstance(v, float) for v in box["geometry"].values())
    assert box["attributes"] == {
        "occluded": True,
        "kind": "suv",
        "note": "dent",
        "conf": 1.0,
        "occlusion": 100.0,
        "depth": 0.5,
    }
    assert (box["score"], box["origin"]) == (0.93, "model")
    assert regions[1]["geometry"] == {"points": [[0.0, 0.0], [640.0, 480.0], [10.5, 400.0]]}
    assert regions[2]["geometry"]["points"][1] == [-5.0, 900.0, 0]
    assert regions[3]["geometry"]["bbox"] == [0.0, 0.0, 640.0, 480.0]
    assert regions[6] == {
        "id": "r6",
        "tool": "quality",
        "type": "classification",
        "value": {"choices": ["sharp"]},
        "attributes": {},
    }
    assert "score" not in regions[1] and "origin" not in regions[1]


@pytest.mark.parametrize(
    ("schema", "result", "media"),
    [
        (IMAGE_SCHEMA, image_result(), IMAGE),
        (TEXT_SCHEMA, text_result(), TEXT),
        (VIDEO_SCHEMA, video_result(), VIDEO),
    ],
)
def test_valid_results_round_trip(
    schema: LabelSchema, result: list[Json], media: MediaInfo
) -> None:
    original = copy.deepcopy(result)
    regions = validate_result(schema, result, media, require_complete=False)
    assert result == original  # the input is not mutated
    again = validate_result(schema, json.loads(json.dumps(regions)), media, require_complete=False)
    assert again == regions
    for region, source in zip(regions, original, strict=True):
        for key in ("id", "tool", "type", "label", "text", "value", "frame"):
            assert region.get(key) == source.get(key)


def test_error_message_names_index_region_and_field() -> None:
    result = image_result()
    result[2] = {**result[0], "id": "r3", "geometry": {"x": 630, "y": 0, "width": 70, "height": 9}}
    error = check(result)
    message = "box extends outside the image (x + width = 700.0 > image width 640)"
    assert error.message == f'result[2] (region "r3").geometry: {message}'
    assert error.details == {
        "errors": [{"path": "result[2].geometry", "region": "r3", "message": message}]
    }


def test_all_errors_are_collected_and_capped() -> None:
    result = image_result()
    result[0]["label"] = "truck"
    result[1]["geometry"]["points"] = [[0, 0]]
    errors = check(result).details["errors"]
    assert [e["path"] for e in errors] == ["result[0].label", "result[1].geometry.points"]
    many = [{**image_result()[0], "id": f"b{i}", "label": "truck"} for i in range(150)]
    assert len(check(many).details["errors"]) == MAX_ERRORS


def test_result_must_be_a_list_of_objects() -> None:
    assert check({"regions": []}).details == {
        "errors": [{"path": "result", "region": None, "message": "must be a list of regions"}]
    }
    error = check([7])
    assert error.message == "result[0]: must be an object"
    assert error.details["errors"][0]["region"] is None


def test_media_kind_must_match_schema() -> None:
    error = check(image_result(), media=MediaInfo(kind="video", width=640, height=480))
    assert error.message == 'media: media kind "video" does not match the schema media "image"'


def test_require_complete() -> None:
    result = [r for r in image_result() if r["tool"] not in ("quality", "notes")]
    validate_result(IMAGE_SCHEMA, result, IMAGE, require_complete=False)
    error = check(result, complete=True)
    assert error.details["errors"] == [
        {"path": "result", "region": None, "message": 'tool "quality" is required: answer it'},
        {"path": "result", "region": None, "message": 'tool "notes" is required: answer it'},
    ]
    assert error.message == 'result: tool "quality" is required: answer it'


@pytest.mark.parametrize("tool", ["objects", "outline", "pose", "seg", "rel"])
def test_a_required_region_tool_needs_one_region_on_submit(tool: str) -> None:
    data = IMAGE_SCHEMA.model_dump(mode="json")
    next(t for t in data["tools"] if t["name"] == tool)["required"] = True
    schema = LabelSchema.model_validate(data)
    assert validate_result(schema, image_result(), IMAGE, require_complete=True)
    without = [r for r in image_result() if r["tool"] not in {tool, "rel"}]  # rel links others
    validate_result(schema, without, IMAGE, require_complete=False)  # a draft may be incomplete
    error = check(without, schema=schema, complete=True)
    message = f'tool "{tool}" is required: add at least one region'
    assert error.details["errors"] == [{"path": "result", "region": None, "message": message}]
    assert error.message == f"result: {message}"


def test_classification_tool_answered_once() -> None:
    result = [*image_result(), {**image_result()[6], "id": "r9"}]
    [entry] = check(result).details["errors"]
    assert entry == {
        "path": "result[9].tool",
        "region": "r9",
        "message": 'tool "quality" is already answered by region "r6"',
    }


# (index of the region in image_result(), changes (None deletes a key), path, message)
REGION_CASES: list[tuple[int, Json, str, str]] = [
    # identity, tool, type, unknown fields
    (8, {"id": None}, "result[8].id", "required; must be a non-empty string"),
    (8, {"id": ""}, "result[8].id", "required; must be a non-empty string"),
    (8, {"id": 1}, "result[8].id", "required; must be a non-empty string"),
    (8, {"id": "r1"}, "result[8].id", 'duplicate region id "r1"'),
    (
        0,
        {"tool": "cars"},
        "result[0].tool",
        f'unknown tool "cars"; expected one of: {EXPECTED_TOOLS}',
    ),
    (0, {"tool": None}, "result[0].tool", f"unknown tool None; expected one of: {EXPECTED_TOOLS}"),
    (
        0,
        {"type": "polygon"},
        "result[0].type",
        'must be "bbox" (the type of tool "objects"), not "polygon"',
    ),
    (0, {"foo": 1}, "result[0].foo", "unknown field"),
    (0, {"value": {}}, "result[0].value", "unknown field"),
    # labels
    (
        0,
        {"label": "truck"},
        "result[0].label",
        'unknown label "truck" for tool "objects"; expected one of: car, person, bike',
    ),
    (0, {"label": None}, "result[0].label", "required"),
    (3, {"label": None}, "result[3].label", "required"),
    (5, {"label": None}, "result[5].label", "required"),
    (6, {"label": "sharp"}, "result[6].label", "a classification region has no label"),
    (8, {"label": "x"}, "result[8].label", "a text region has no label"),
    # score, origin
    (0, {"score": 1.5}, "result[0].score", "must be a number between 0 and 1, not 1.5"),
    (0, {"score": -0.1}, "result[0].score", "must be a number between 0 and 1, not -0.1"),
    (0, {"score": True}, "result[0].score", "must be a number between 0 and 1, not True"),
    (0, {"score": math.nan}, "result[0].score", "must be a number between 0 and 1, not nan"),
    (0, {"score": "0.5"}, "result[0].score", 'must be a number between 0 and 1, not "0.5"'),
    (
        0,
        {"origin": "robot"},
        "result[0].origin",
        "must be one of: human, model, model-edited, consensus",
    ),
]


@pytest.mark.parametrize(("index", "changes", "path", "message"), REGION_CASES)
def test_invalid_region_envelopes(index: int, changes: Json, path: str, message: str) -> None:
    image_case(index, changes, path, message)


@pytest.mark.parametrize(
    ("value", "path"),
    [({"geometry": {**BOX, "x": None}}, "result[0].geometry.x"), ({"label": 3}, "result[0].label")],
)
def test_json_null_and_wrong_types_are_rejected(value: Json, path: str) -> None:
    result = image_result()
    result[0].update(value)
    assert check(result).details["errors"][0]["path"] == path


def test_media_info_is_frozen() -> None:
    with pytest.raises(AttributeError):
        IMAGE.width = 1  # type: ignore[misc]
