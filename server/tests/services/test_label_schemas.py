"""Parsing label schemas (YAML, JSON) with located errors, and the label keys of schemas and
results."""

from __future__ import annotations

import json
from typing import Any

import pytest
from services.results.examples import image_result

from accord_server.services.errors import Invalid
from accord_server.services.label_schemas import (
    parse_label_schema,
    result_label_keys,
    schema_label_keys,
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


# Each source marks the line an error must point at with "# <-"; the JSON one is tab-indented.
LOCATED = {
    "unknown key over a block list": (
        "media: image\ntools:\n  - name: objects\n    type: bbox\n    labels: [car]\n"
        "    lables:  # <-\n      - car\n",
        "tools[0].lables",
    ),
    "bad value on the next line": (
        "media: image\ntools:\n  - name: q\n    type: classification\n    choices: [a]\n"
        "    multiple:  # <-\n      maybe\n",
        "tools[0].multiple",
    ),
    "nested list item": (
        "media: image\ntools:\n  - name: o\n    type: bbox\n    labels:\n      - car\n"
        "      - name: ''  # <-\n",
        "tools[0].labels[1].name",
    ),
    "a rule on a block list": (
        "media: image\ntools:\n  - name: o\n    type: bbox\n    labels:  # <-\n      - car\n"
        "      - car\n",
        "tools[0].labels",
    ),
    "missing field": (
        "media: image\ntools:\n  # a comment\n  - name: o  # <-\n    type: bbox\n",
        "tools[0].labels",
    ),
}


@pytest.mark.parametrize("case", list(LOCATED))
def test_error_lines_point_at_the_key_or_item(case: str) -> None:
    source, path = LOCATED[case]
    expected = next(i for i, text in enumerate(source.splitlines(), 1) if "# <-" in text)
    errors = invalid(source).details["errors"]
    assert [(e["path"], e["line"]) for e in errors] == [(path, expected)]


def test_json_unknown_key_line_with_tabs() -> None:
    source = (
        '{\n\t"media": "image",\n\t"tools": [\n\t\t{\n\t\t\t"name": "o",\n'
        '\t\t\t"type": "bbox",\n\t\t\t"labels": ["car"],\n\t\t\t"lables":\n'
        '\t\t\t\t["car"]\n\t\t}\n\t]\n}'
    )
    [entry] = invalid(source).details["errors"]
    assert (entry["path"], entry["line"]) == ("tools[0].lables", 8)


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
    assert str(error) == (
        "tools[0].labels[0]: read as true, not text (YAML reads unquoted yes, no, on, off, true "
        'and false as booleans): quote it, e.g. "yes"'
    )
    assert error.details["errors"][1]["message"].startswith("read as false, not text")


def test_yaml_booleans_are_not_choices_or_names_either() -> None:
    for tool in (
        "{name: a, type: classification, choices: [on, off]}",
        "{name: a, type: bbox, labels: [{name: yes}]}",
    ):
        [first, *_] = invalid(f"media: image\ntools:\n  - {tool}\n").details["errors"]
        assert first["message"].startswith("read as true, not text"), first
        assert first["line"] == 3


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
