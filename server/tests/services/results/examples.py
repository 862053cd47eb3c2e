"""Example schemas, media and results shared by the tests of ``services.results``."""

from __future__ import annotations

from typing import Any

import pytest

from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.errors import Invalid
from accord_server.services.formats.coco_rle import encode_coco_rle
from accord_server.services.results import MediaInfo, validate_result

Json = dict[str, Any]

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


BOX = {"x": 10, "y": 20, "width": 30, "height": 40}


def apply(region: Json, changes: Json) -> Json:
    out = {**region}
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


def image_case(index: int, changes: Json, path: str, message: str) -> None:
    """``changes`` to region ``index`` of ``image_result()`` give exactly this one error."""
    result = image_result()
    result[index] = apply(result[index], changes)
    errors = check(result).details["errors"]
    assert (errors[0]["path"], errors[0]["message"]) == (path, message)
    assert len(errors) == 1, errors
    region_id = result[index].get("id")
    assert errors[0]["region"] == (region_id if isinstance(region_id, str) and region_id else None)
