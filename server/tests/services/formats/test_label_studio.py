"""Label Studio results as Accord regions: each result type, the paths of errors, span offsets
(code points; UTF-16 units only where the span's text says so) and rotated boxes."""

from __future__ import annotations

from typing import Any

import pytest

from accord_server.services.formats.label_studio import (
    LabelStudioResultError,
    convert_label_studio_result,
    json_type_name,
)


def test_convert_other_label_studio_types() -> None:
    items: list[dict[str, Any]] = [
        {
            "id": "k",
            "from_name": "kp",
            "to_name": "image",
            "type": "keypointlabels",
            "original_width": 1000,
            "original_height": 500,
            "value": {"x": 12.5, "y": 50, "width": 0.5, "keypointlabels": ["nose"]},
        },
        {
            "id": "s",
            "from_name": "ner",
            "to_name": "text",
            "type": "labels",
            "value": {"start": 4, "end": 9, "text": "Paris", "labels": ["LOC"]},
            "score": 1,
        },
        {"from_name": "mood", "to_name": "text", "type": "choices", "value": {"choices": ["ok"]}},
        {"from_name": "note", "to_name": "text", "type": "textarea", "value": {"text": ["a", "b"]}},
        {"from_id": "k", "to_id": "s", "type": "relation", "direction": "right", "labels": ["of"]},
        {"id": "mine", "type": "bbox", "geometry": {"x": 1}},  # already Accord's shape
    ]
    keypoint, span, choice, text, relation, own = convert_label_studio_result(items)
    assert keypoint["type"] == "keypoints" and keypoint["label"] == "nose"
    assert keypoint["geometry"] == {"points": [[125.0, 250.0]]}
    assert span == {
        "id": "s",
        "tool": "ner",
        "type": "span",
        "label": "LOC",
        "geometry": {"start": 4, "end": 9},
        "text": "Paris",
        "score": 1.0,
    }
    assert choice == {
        "id": "r2",
        "tool": "mood",
        "type": "classification",
        "value": {"choices": ["ok"]},
    }
    assert text["type"] == "text" and text["value"] == {"text": "a\nb"}
    assert relation == {
        "id": "r4",
        "type": "relation",
        "geometry": {"from": "k", "to": "s"},
        "label": "of",
    }
    assert own is items[5]


def test_missing_original_size_names_the_field() -> None:
    box = {
        "from_name": "label",
        "to_name": "image",
        "type": "rectanglelabels",
        "original_width": 640,
        "value": {"x": 1, "y": 1, "width": 1, "height": 1, "rectanglelabels": ["car"]},
    }
    with pytest.raises(LabelStudioResultError) as info:
        convert_label_studio_result([box])
    assert info.value.path == "[0].original_height"
    assert str(info.value) == (
        "[0].original_height: a positive image size is needed to convert percent coordinates "
        "to pixels"
    )


def test_span_offsets_are_code_points_unless_only_utf16_units_fit_the_span_text() -> None:
    text = "🎉 Paris"  # the emoji is 2 UTF-16 units, 1 code point
    item = {
        "from_name": "ner",
        "to_name": "body",
        "type": "labels",
        "value": {"start": 2, "end": 7, "text": "Paris", "labels": ["LOC"]},
    }
    [modern] = convert_label_studio_result([item], data={"body": text})
    assert modern["geometry"] == {"start": 2, "end": 7}  # Label Studio counts code points
    old = {**item, "value": {**item["value"], "start": 3, "end": 8}}  # older: UTF-16 units
    [converted] = convert_label_studio_result([old], data={"body": text})
    assert converted["geometry"] == {"start": 2, "end": 7}
    assert text[2:7] == "Paris"
    untold = {**item, "value": {"start": 3, "end": 8, "labels": ["LOC"]}}  # no text to check
    [kept] = convert_label_studio_result([untold], data={"body": text})
    assert kept["geometry"] == {"start": 3, "end": 8}


def test_a_rotated_box_turns_about_its_centre_in_accord() -> None:
    # Label Studio: top-left corner (10, 10) after turning 90 degrees clockwise about it; the
    # box 40 wide and 20 high then covers x in [-10, 10], y in [10, 50]: centre (0, 30).
    box = {
        "from_name": "label",
        "to_name": "image",
        "type": "rectanglelabels",
        "original_width": 100,
        "original_height": 100,
        "value": {
            "x": 10,
            "y": 10,
            "width": 40,
            "height": 20,
            "rotation": 90,
            "rectanglelabels": ["car"],
        },
    }
    [region] = convert_label_studio_result([box])
    g = region["geometry"]
    assert g["rotation"] == 90
    assert (g["width"], g["height"]) == (40, 20)
    assert g["x"] + g["width"] / 2 == pytest.approx(0)
    assert g["y"] + g["height"] / 2 == pytest.approx(30)


@pytest.mark.parametrize(
    ("value", "name"),
    [
        (None, "null"),
        (True, "boolean"),
        (1.5, "number"),
        ("x", "string"),
        ([], "array"),
        ({}, "object"),
    ],
)
def test_json_type_names(value: Any, name: str) -> None:
    assert json_type_name(value) == name
