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


# --- bounds: a schema, and the work of checking it, stay small (issue 13, finding 6) -------------


def fan_out_yaml(labels: int, tools: int) -> str:
    """The attack as found: one list of labels under an anchor, referenced by every tool."""
    names = ", ".join(f"l{i}" for i in range(labels))
    lines = ["media: image", "tools:", f"  - {{name: t0, type: bbox, labels: &labels [{names}]}}"]
    lines += [f"  - {{name: t{i}, type: bbox, labels: *labels}}" for i in range(1, tools)]
    return "\n".join(lines) + "\n"


def test_yaml_aliases_are_refused_with_their_line() -> None:
    text = fan_out_yaml(1000, 3000)  # 126 KiB that expanded to 3,000,000 labels
    assert len(text) < 150_000
    error = invalid(text).details["errors"][0]
    assert "aliases (*labels) are not allowed" in error["message"]
    assert error["line"] == 4  # the first tool that uses it


def test_an_anchor_without_alias_is_harmless() -> None:
    schema = parse_label_schema("media: image\ntools:\n  - &t {name: o, type: bbox, labels: [a]}\n")
    assert schema.tools[0].name == "o"


def test_list_bounds_name_the_field_and_the_limit() -> None:
    many_tools = {
        "media": "image",
        "tools": [{"name": f"t{i}", "type": "bbox", "labels": ["a"]} for i in range(101)],
    }
    error = invalid(many_tools).details["errors"][0]
    assert error["path"] == "tools" and "at most 100" in error["message"]
    many_labels = {
        "media": "image",
        "tools": [{"name": "t", "type": "bbox", "labels": [f"l{i}" for i in range(1001)]}],
    }
    error = invalid(many_labels).details["errors"][0]
    assert error["path"] == "tools[0].labels" and "at most 1000" in error["message"]
    # Each tool within bounds, all of them together not.
    in_all = {
        "media": "image",
        "tools": [
            {"name": f"t{t}", "type": "bbox", "labels": [f"l{i}" for i in range(1000)]}
            for t in range(6)
        ],
    }
    error = invalid(in_all).details["errors"][0]
    assert error["path"] == "tools"
    assert error["message"] == "6000 labels and choices in all; at most 5000 are allowed"


def test_schema_text_size_is_bounded() -> None:
    text = "media: image\n" + "# padding\n" * 30_000 + "tools: [{name: o, type: bbox, labels: [a]}]"
    assert "at most 262,144" in invalid(text).message


def test_the_error_list_is_bounded() -> None:
    # 100 tools, each with a bad name and a duplicate label: 200 problems.
    schema = {
        "media": "image",
        "tools": [{"name": f"{i}bad", "type": "bbox", "labels": ["a", "a"]} for i in range(100)],
    }
    errors = invalid(schema).details["errors"]
    assert len(errors) == 51
    assert errors[-1] == {"path": "", "message": "and 150 more problems not listed"}
