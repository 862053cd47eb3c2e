"""Parsing label schemas and validating canonical annotation results against them."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest

from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.errors import Invalid
from accord_server.services.label_schemas import (
    parse_label_schema,
    result_label_keys,
    schema_label_keys,
)
from accord_server.services.results import (
    MAX_ERRORS,
    MediaInfo,
    decode_coco_rle,
    validate_result,
)

Json = dict[str, Any]

EXAMPLE_YAML = """\
media: image            # image | text | video | audio | pointcloud
tools:
  - name: objects
    type: bbox
    labels: [car, person, bike]
  - name: pose
    type: keypoints
    labels: [person]
    keypoints: [nose, left_eye, right_eye]
    skeleton: [[nose, left_eye], [nose, right_eye]]
  - name: quality
    type: classification
    choices: [sharp, blurry]
    multiple: false
    required: true
  - name: notes
    type: text
    required: false
    max_length: 1000
  - name: rel
    type: relation
    labels: [works_for]
"""


def invalid(source: str | bytes | Json) -> Invalid:
    with pytest.raises(Invalid) as info:
        parse_label_schema(source)
    return info.value


# --- parse_label_schema ------------------------------------------------------------------------


def test_parse_yaml_json_bytes_and_dict_agree() -> None:
    schema = parse_label_schema(EXAMPLE_YAML)
    as_dict = schema.model_dump(mode="json")
    assert parse_label_schema(json.dumps(as_dict, indent=2)) == schema
    assert parse_label_schema(EXAMPLE_YAML.encode()) == schema
    assert parse_label_schema(b"\xef\xbb\xbf" + EXAMPLE_YAML.encode()) == schema
    assert parse_label_schema(as_dict) == schema
    assert schema.label_names("objects") == ["car", "person", "bike"]


def test_error_message_details_and_line() -> None:
    source = EXAMPLE_YAML.replace("[car, person, bike]", "[car, person, car]")
    error = invalid(source)
    assert error.message == 'tools[0].labels: duplicate label "car"'
    assert error.details == {
        "errors": [{"path": "tools[0].labels", "message": 'duplicate label "car"', "line": 5}]
    }


def test_discriminator_tag_is_stripped_from_paths() -> None:
    data = parse_label_schema(EXAMPLE_YAML).model_dump(mode="json")
    data["tools"][1]["labels"] = ["person", {"name": "person"}]
    data["tools"][1]["skeleton"] = [["nose", "ear"]]
    data["tools"][0]["labels"] = ["car", {"name": ""}]
    error = invalid(data)
    assert [e["path"] for e in error.details["errors"]] == [
        "tools[0].labels[1].name",
        "tools[1].labels",
    ]
    assert error.message.startswith("tools[0].labels[1].name: ")
    data["tools"][0]["labels"] = ["car"]
    data["tools"][1]["labels"] = ["person"]
    assert invalid(data).details == {
        "errors": [
            {
                "path": "tools[1].skeleton[0][1]",
                "message": 'unknown keypoint "ear"; expected one of: nose, left_eye, right_eye',
            }
        ]
    }


def test_json_errors_have_lines_too() -> None:
    data = parse_label_schema(EXAMPLE_YAML).model_dump(mode="json")
    data["tools"][2]["choices"] = ["sharp", "sharp"]
    error = invalid(json.dumps(data, indent=2))
    [entry] = error.details["errors"]
    assert entry["path"] == "tools[2].choices"
    assert entry["message"] == 'duplicate choice "sharp"'
    line = json.dumps(data, indent=2).splitlines()[entry["line"] - 1]
    assert '"choices"' in line


def test_unknown_and_missing_tool_type_list_allowed_types() -> None:
    allowed = "bbox, polygon, keypoints, mask, span, relation, classification, text"
    error = invalid({"media": "image", "tools": [{"name": "a", "type": "cuboid"}, {"name": "b"}]})
    assert error.details["errors"] == [
        {
            "path": "tools[0].type",
            "message": f'unknown tool type "cuboid"; expected one of: {allowed}',
        },
        {"path": "tools[1].type", "message": f"field required; expected one of: {allowed}"},
    ]
    assert error.message == f'tools[0].type: unknown tool type "cuboid"; expected one of: {allowed}'


def test_missing_and_unknown_fields() -> None:
    error = invalid({"tools": [{"name": "a", "type": "bbox", "labels": ["x"], "colour": "red"}]})
    assert error.details["errors"] == [
        {"path": "media", "message": "field required"},
        {"path": "tools[0].colour", "message": "unknown field"},
    ]


def test_schema_level_rules_point_at_the_tool() -> None:
    error = invalid(
        "media: text\n"
        "tools:\n"
        "  - {name: objects, type: bbox, labels: [car]}\n"
        "  - {name: objects, type: classification, choices: [a]}\n"
    )
    assert error.message == (
        'tools[0].type: tool type "bbox" does not work on text media (only on image or video)'
    )
    assert [(e["path"], e["line"]) for e in error.details["errors"]] == [
        ("tools[0].type", 3),
        ("tools[1].name", 4),
    ]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("media: image\ntools: [\n", "invalid YAML at line 3, column 1: expected the node content"),
        ("media: image\n  tools: x\n", "invalid YAML at line 2, column 8: mapping values are not"),
        ('{"media": "image",\n "tools": [}', "invalid JSON at line 2, column 12: Expecting value"),
        (b"media: \xff", "schema is not valid UTF-8"),
        ("- a\n- b\n", "schema must be a mapping with media and tools"),
        ("", "schema must be a mapping with media and tools"),
    ],
)
def test_unreadable_sources(source: str | bytes, message: str) -> None:
    error = invalid(source)
    assert error.message.startswith(message)
    [entry] = error.details["errors"]
    assert entry["path"] == "" and entry["message"] == error.message


def test_yaml_syntax_error_reports_line_in_details() -> None:
    [entry] = invalid("media: image\ntools: [\n").details["errors"]
    assert entry["line"] == 3


def test_yaml_booleans_are_not_label_names() -> None:
    error = invalid("media: image\ntools:\n  - {name: a, type: bbox, labels: [yes, no]}\n")
    assert error.details["errors"][0]["path"] == "tools[0].labels[0]"


# --- label keys --------------------------------------------------------------------------------


def test_schema_label_keys() -> None:
    assert schema_label_keys(parse_label_schema(EXAMPLE_YAML)) == {
        ("objects", "car"),
        ("objects", "person"),
        ("objects", "bike"),
        ("pose", "person"),
        ("quality", "sharp"),
        ("quality", "blurry"),
        ("rel", "works_for"),
    }


def test_result_label_keys() -> None:
    assert result_label_keys(image_result()) == {
        ("objects", "car"),
        ("outline", "car"),
        ("pose", "person"),
        ("seg", "road"),
        ("rel", "near"),
        ("quality", "sharp"),
        ("tags", "day"),
        ("tags", "rain"),
    }
    assert result_label_keys([{"id": "x"}, {"tool": 3, "label": "a"}]) == set()


# --- validate_result: fixtures -----------------------------------------------------------------

IMAGE_SCHEMA = LabelSchema.model_validate(
    {
        "media": "image",
        "tools": [
            {
                "name": "objects",
                "type": "bbox",
                "labels": [
                    {
                        "name": "car",
                        "attributes": [
                            {"name": "occluded", "type": "bool"},
                            {"name": "kind", "type": "choice", "choices": ["sedan", "suv"]},
                            {"name": "note", "type": "text"},
                            {"name": "conf", "type": "number"},
                            {"name": "occlusion", "type": "number", "min": 0, "max": 100},
                            {"name": "depth", "type": "number", "min": 0.5},
                        ],
                    },
                    "person",
                    "bike",
                ],
            },
            {"name": "outline", "type": "polygon", "labels": ["car"]},
            {
                "name": "pose",
                "type": "keypoints",
                "labels": ["person"],
                "keypoints": ["nose", "left_eye", "right_eye"],
            },
            {"name": "seg", "type": "mask", "labels": ["road"]},
            {"name": "rel", "type": "relation", "labels": ["near"]},
            {
                "name": "quality",
                "type": "classification",
                "choices": ["sharp", "blurry"],
                "required": True,
            },
            {
                "name": "tags",
                "type": "classification",
                "choices": ["day", "night", "rain"],
                "multiple": True,
            },
            {"name": "notes", "type": "text", "max_length": 10, "required": True},
        ],
    }
)
IMAGE = MediaInfo(kind="image", width=640, height=480)


def encode_coco_rle(counts: list[int]) -> str:
    """Reference encoder (pycocotools' rleToString) used to build test vectors."""
    out = []
    for i, count in enumerate(counts):
        x = count - counts[i - 2] if i > 2 else count
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = x != -1 if c & 0x10 else x != 0
            out.append(chr((c | 0x20 if more else c) + 48))
    return "".join(out)


def image_result() -> list[Json]:
    return [
        {
            "id": "r1",
            "tool": "objects",
            "type": "bbox",
            "label": "car",
            "geometry": {"x": 10, "y": 20, "width": 30, "height": 40},
            "attributes": {
                "occluded": True,
                "kind": "suv",
                "note": "dent",
                "conf": 1,
                "occlusion": 100,  # the bounds are inclusive
                "depth": 0.5,
            },
            "score": 0.93,
            "origin": "model",
        },
        {
            "id": "r2",
            "tool": "outline",
            "type": "polygon",
            "label": "car",
            "geometry": {"points": [[0, 0], [640, 480], [10.5, 400]]},
        },
        {
            "id": "r3",
            "tool": "pose",
            "type": "keypoints",
            "label": "person",
            "geometry": {"points": [[10, 10, 2], [-5, 900, 0], [20, 20, 1]]},
        },
        {
            "id": "r4",
            "tool": "seg",
            "type": "mask",
            "label": "road",
            "geometry": {
                "rle": {"size": [480, 640], "counts": [1000, 500, 305700]},
                "bbox": [0, 0, 640, 480],
            },
        },
        {
            "id": "r4b",
            "tool": "seg",
            "type": "mask",
            "label": "road",
            "geometry": {
                "rle": {"size": [480, 640], "counts": encode_coco_rle([1000, 500, 2, 7, 305691])}
            },
        },
        {
            "id": "r5",
            "tool": "rel",
            "type": "relation",
            "label": "near",
            "geometry": {"from": "r1", "to": "r2"},
        },
        {"id": "r6", "tool": "quality", "type": "classification", "value": {"choices": ["sharp"]}},
        {
            "id": "r7",
            "tool": "tags",
            "type": "classification",
            "value": {"choices": ["day", "rain"]},
        },
        {"id": "r8", "tool": "notes", "type": "text", "value": {"text": "ok"}, "origin": "human"},
    ]


TEXT_SCHEMA = LabelSchema.model_validate(
    {
        "media": "text",
        "tools": [
            {"name": "ner", "type": "span", "labels": ["PER", "ORG"]},
            {"name": "rel", "type": "relation", "labels": ["works_for"]},
            {"name": "sentiment", "type": "classification", "choices": ["pos", "neg"]},
        ],
    }
)
TEXT = MediaInfo(kind="text", text_length=30)


def text_result() -> list[Json]:
    return [
        {
            "id": "r5",
            "tool": "ner",
            "type": "span",
            "label": "PER",
            "geometry": {"start": 0, "end": 5},
            "text": "Alice",
        },
        {
            "id": "r7",
            "tool": "ner",
            "type": "span",
            "label": "ORG",
            "geometry": {"start": 20, "end": 30},
            "text": "Ünïcødé Co",
        },
        {
            "id": "r6",
            "tool": "rel",
            "type": "relation",
            "label": "works_for",
            "geometry": {"from": "r5", "to": "r7"},
        },
        {"id": "r8", "tool": "sentiment", "type": "classification", "value": {"choices": ["pos"]}},
    ]


VIDEO_SCHEMA = LabelSchema.model_validate(
    {
        "media": "video",
        "tools": [
            {"name": "objects", "type": "bbox", "labels": ["car"]},
            {"name": "outline", "type": "polygon", "labels": ["car"]},
        ],
    }
)
VIDEO = MediaInfo(kind="video", width=320, height=240, frame_count=100)


def video_result() -> list[Json]:
    box = {"x": 0, "y": 0, "width": 10, "height": 10}
    return [
        {
            "id": "t1",
            "tool": "objects",
            "type": "bbox",
            "label": "car",
            "track": [
                {"frame": 0, "geometry": box},
                {"frame": 5, "geometry": {**box, "x": 300}, "outside": False},
                {"frame": 99, "geometry": box, "outside": True},
            ],
        },
        {
            "id": "f1",
            "tool": "outline",
            "type": "polygon",
            "label": "car",
            "frame": 3,
            "geometry": {"points": [[0, 0], [320, 0], [0, 240]]},
        },
    ]


def check(
    result: object,
    schema: LabelSchema = IMAGE_SCHEMA,
    media: MediaInfo = IMAGE,
    *,
    complete: bool = False,
) -> Invalid:
    with pytest.raises(Invalid) as info:
        validate_result(schema, result, media, require_complete=complete)
    return info.value


# --- validate_result: valid results ------------------------------------------------------------


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


def test_video_track_is_normalized() -> None:
    [track, shape] = validate_result(VIDEO_SCHEMA, video_result(), VIDEO, require_complete=False)
    assert [(k["frame"], k["outside"]) for k in track["track"]] == [
        (0, False),
        (5, False),
        (99, True),
    ]
    assert track["track"][1]["geometry"]["x"] == 300.0
    assert "geometry" not in track and shape["frame"] == 3


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


# --- validate_result: error format -------------------------------------------------------------


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
        {"path": "result", "region": None, "message": 'required tool "quality" has no region'},
        {"path": "result", "region": None, "message": 'required tool "notes" has no region'},
    ]
    assert error.message == 'result: required tool "quality" has no region'


def test_classification_tool_answered_once() -> None:
    result = [*image_result(), {**image_result()[6], "id": "r9"}]
    [entry] = check(result).details["errors"]
    assert entry == {
        "path": "result[9].tool",
        "region": "r9",
        "message": 'tool "quality" is already answered by region "r6"',
    }


# --- validate_result: the table of invalid regions ---------------------------------------------

BOX = {"x": 10, "y": 20, "width": 30, "height": 40}
EXPECTED_TOOLS = "objects, outline, pose, seg, rel, quality, tags, notes"

# (index of the region in image_result(), changes (None deletes a key), path, message)
IMAGE_CASES: list[tuple[int, Json, str, str]] = [
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
    # attributes
    (0, {"attributes": []}, "result[0].attributes", "must be an object"),
    (
        0,
        {"attributes": {"color": "red"}},
        "result[0].attributes.color",
        'unknown attribute "color" for label "car"; expected one of: occluded, kind, note, conf, '
        "occlusion, depth",
    ),
    (
        0,
        {"attributes": {"occluded": 1}},
        "result[0].attributes.occluded",
        "must be true or false, not 1",
    ),
    (
        0,
        {"attributes": {"kind": "van"}},
        "result[0].attributes.kind",
        'must be one of: sedan, suv, not "van"',
    ),
    (0, {"attributes": {"note": 3}}, "result[0].attributes.note", "must be a string, not 3"),
    (
        0,
        {"attributes": {"conf": True}},
        "result[0].attributes.conf",
        "must be a finite number, not True",
    ),
    (
        0,
        {"attributes": {"conf": math.inf}},
        "result[0].attributes.conf",
        "must be a finite number, not inf",
    ),
    (
        0,
        {"attributes": {"occlusion": 100.5}},
        "result[0].attributes.occlusion",
        "must be a number between 0 and 100, not 100.5",
    ),
    (
        0,
        {"attributes": {"depth": 0.25}},
        "result[0].attributes.depth",
        "must be a number ≥ 0.5, not 0.25",
    ),
    (
        0,
        {"attributes": {"occlusion": "50"}},
        "result[0].attributes.occlusion",
        'must be a number between 0 and 100, not "50"',
    ),
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
    # relation
    (
        5,
        {"geometry": {"from": "r1", "to": "r99"}},
        "result[5].geometry.to",
        'no region with id "r99" in the result',
    ),
    (
        5,
        {"geometry": {"from": "r1", "to": "r1"}},
        "result[5].geometry",
        "from and to must be different regions",
    ),
    (
        5,
        {"geometry": {"from": "r1", "to": "r5"}},
        "result[5].geometry.to",
        "a relation cannot point at itself",
    ),
    (
        5,
        {"geometry": {"from": "r6", "to": "r1"}},
        "result[5].geometry.from",
        'region "r6" is a classification region; relations link spans or shapes',
    ),
    (5, {"geometry": {"from": "r1"}}, "result[5].geometry.to", "required; must be a region id"),
    (
        5,
        {"label": "far"},
        "result[5].label",
        'unknown label "far" for tool "rel"; expected one of: near',
    ),
    # classification
    (
        6,
        {"value": {"choices": ["fuzzy"]}},
        "result[6].value.choices[0]",
        'unknown choice "fuzzy" for tool "quality"; expected one of: sharp, blurry',
    ),
    (
        6,
        {"value": {"choices": ["sharp", "blurry"]}},
        "result[6].value.choices",
        'tool "quality" takes exactly one choice',
    ),
    (6, {"value": {"choices": []}}, "result[6].value.choices", "must name at least one choice"),
    (
        6,
        {"value": {"choices": "sharp"}},
        "result[6].value.choices",
        "required; must be a list of strings",
    ),
    (6, {"value": None}, "result[6].value", "required; must be an object"),
    (6, {"geometry": {}}, "result[6].geometry", "unknown field"),
    (
        7,
        {"value": {"choices": ["day", "day"]}},
        "result[7].value.choices[1]",
        'duplicate choice "day"',
    ),
    # text
    (
        8,
        {"value": {"text": "more than ten"}},
        "result[8].value.text",
        "is 13 characters long; at most 10",
    ),
    (8, {"value": {"text": 5}}, "result[8].value.text", "required; must be a string"),
    (8, {"value": {"text": "x", "lang": "en"}}, "result[8].value.lang", "unknown field"),
]


def apply(region: Json, changes: Json) -> Json:
    out = {**region}
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


@pytest.mark.parametrize(("index", "changes", "path", "message"), IMAGE_CASES)
def test_invalid_image_regions(index: int, changes: Json, path: str, message: str) -> None:
    result = image_result()
    result[index] = apply(result[index], changes)
    errors = check(result).details["errors"]
    assert (errors[0]["path"], errors[0]["message"]) == (path, message)
    assert len(errors) == 1, errors
    region_id = result[index].get("id")
    assert errors[0]["region"] == (region_id if isinstance(region_id, str) and region_id else None)


@pytest.mark.parametrize(
    ("value", "path"),
    [({"geometry": {**BOX, "x": None}}, "result[0].geometry.x"), ({"label": 3}, "result[0].label")],
)
def test_json_null_and_wrong_types_are_rejected(value: Json, path: str) -> None:
    result = image_result()
    result[0].update(value)
    assert check(result).details["errors"][0]["path"] == path


TEXT_CASES: list[tuple[int, Json, str, str]] = [
    (
        0,
        {"geometry": {"start": 0, "end": 31}},
        "result[0].geometry.end",
        "end (31) is past the end of the text (30 code points)",
    ),
    (
        0,
        {"geometry": {"start": 5, "end": 5}},
        "result[0].geometry",
        "start (5) must be less than end (5)",
    ),
    (0, {"geometry": {"start": -1, "end": 4}}, "result[0].geometry.start", "must be >= 0, not -1"),
    (
        0,
        {"geometry": {"start": False, "end": 5}},
        "result[0].geometry.start",
        "required; must be an integer",
    ),
    (
        0,
        {"geometry": {"start": 0, "end": 5.0}},
        "result[0].geometry.end",
        "required; must be an integer",
    ),
    (0, {"text": "Alic"}, "result[0].text", "has 4 code points but the span covers 5"),
    (0, {"text": 5}, "result[0].text", "must be a string"),
    (
        0,
        {"label": "LOC"},
        "result[0].label",
        'unknown label "LOC" for tool "ner"; expected one of: PER, ORG',
    ),
    (0, {"frame": 1}, "result[0].frame", "unknown field"),
    (
        2,
        {"geometry": {"from": "r5", "to": "r8"}},
        "result[2].geometry.to",
        'region "r8" is a classification region; relations link spans or shapes',
    ),
]


@pytest.mark.parametrize(("index", "changes", "path", "message"), TEXT_CASES)
def test_invalid_text_regions(index: int, changes: Json, path: str, message: str) -> None:
    result = text_result()
    result[index] = apply(result[index], changes)
    errors = check(result, TEXT_SCHEMA, TEXT).details["errors"]
    assert [(e["path"], e["message"]) for e in errors] == [(path, message)]


def test_span_offsets_are_code_points() -> None:
    result = text_result()
    result[1]["geometry"] = {"start": 0, "end": 2}
    result[1]["text"] = "😀é"
    validate_result(TEXT_SCHEMA, result, TEXT, require_complete=False)


def test_unknown_text_length_skips_the_end_check() -> None:
    result = text_result()
    result[0]["geometry"] = {"start": 100, "end": 105}
    validate_result(TEXT_SCHEMA, result, MediaInfo(kind="text"), require_complete=False)


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


# --- COCO compressed RLE -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "text"),
    [([3, 5, 2], "352"), ([0, 100], "0T3"), ([1, 2, 3, 10], "1238"), ([], "")],
)
def test_decode_known_vectors(counts: list[int], text: str) -> None:
    assert encode_coco_rle(counts) == text
    assert decode_coco_rle(text) == counts


@pytest.mark.parametrize(
    "counts",
    [[307200], [0, 5, 100000, 3, 17, 2**20, 1, 0, 40], [5, 100, 3, 1, 200, 0, 9999, 12, 1]],
)
def test_decode_round_trips_with_negative_deltas(counts: list[int]) -> None:
    assert decode_coco_rle(encode_coco_rle(counts)) == counts


@pytest.mark.parametrize("text", ["p", "0 ", "T", "1\x00"])
def test_decode_rejects_malformed(text: str) -> None:
    assert decode_coco_rle(text) is None


def test_attributes_are_free_form_when_the_label_declares_none() -> None:
    result = image_result()
    result[0] = apply(result[0], {"label": "person", "attributes": {"anything": [1, "x"]}})
    regions = validate_result(IMAGE_SCHEMA, result, IMAGE, require_complete=False)
    assert regions[0]["attributes"] == {"anything": [1, "x"]}


def test_media_info_is_frozen() -> None:
    with pytest.raises(AttributeError):
        IMAGE.width = 1  # type: ignore[misc]
