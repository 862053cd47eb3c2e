"""Text spans (code points) and relations between regions."""

from __future__ import annotations

import pytest
from services.results.examples import (
    TEXT,
    TEXT_SCHEMA,
    Json,
    apply,
    check,
    image_case,
    text_result,
)

from accord_server.services.results import MediaInfo, validate_result

# (index of the region in image_result(), changes (None deletes a key), path, message)
RELATION_CASES: list[tuple[int, Json, str, str]] = [
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
]


@pytest.mark.parametrize(("index", "changes", "path", "message"), RELATION_CASES)
def test_invalid_relations_on_an_image(index: int, changes: Json, path: str, message: str) -> None:
    image_case(index, changes, path, message)


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


def test_a_relation_to_a_region_whose_type_is_not_a_string_is_an_error() -> None:
    result = text_result()
    result[0]["type"] = ["span"]  # a list: unhashable, which once raised TypeError here
    errors = check(result, TEXT_SCHEMA, TEXT).details["errors"]
    assert [(e["path"], e["message"]) for e in errors] == [
        ("result[0].type", 'must be "span" (the type of tool "ner"), not [\'span\']'),
        (
            "result[2].geometry.from",
            "region \"r5\" is a ['span'] region; relations link spans or shapes",
        ),
    ]
