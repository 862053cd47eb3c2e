"""Values: classification choices, text answers and the attributes a label declares."""

from __future__ import annotations

import math

import pytest
from services.results.examples import (
    IMAGE,
    IMAGE_SCHEMA,
    Json,
    apply,
    image_case,
    image_result,
)

from accord_server.services.results import validate_result

# (index of the region in image_result(), changes (None deletes a key), path, message)
VALUE_CASES: list[tuple[int, Json, str, str]] = [
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


@pytest.mark.parametrize(("index", "changes", "path", "message"), VALUE_CASES)
def test_invalid_values(index: int, changes: Json, path: str, message: str) -> None:
    image_case(index, changes, path, message)


def test_attributes_are_free_form_when_the_label_declares_none() -> None:
    result = image_result()
    result[0] = apply(result[0], {"label": "person", "attributes": {"anything": [1, "x"]}})
    regions = validate_result(IMAGE_SCHEMA, result, IMAGE, require_complete=False)
    assert regions[0]["attributes"] == {"anything": [1, "x"]}
