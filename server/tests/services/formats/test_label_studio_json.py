"""Label Studio JSON: the export reads back through Label Studio's result converter as the same
regions, its config converts back to the schema, an export written from Label Studio's
documentation reads correctly, output is byte-identical, and what it cannot hold is reported."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from export_writers import digest, run_writer

from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.formats.export import ExportItem, ExportResult
from accord_server.services.formats.label_studio import convert_label_studio_result
from accord_server.services.formats.label_studio_config import schema_from_label_studio
from accord_server.services.formats.label_studio_json import (
    DROP_ATTRIBUTES,
    DROP_MASK,
    DROP_NO_SIZE,
    FORMAT,
    read_labels,
)

IMAGE_SCHEMA = LabelSchema.model_validate(
    {
        "media": "image",
        "tools": [
            {
                "name": "box",
                "type": "bbox",
                "labels": [{"name": "car", "color": "#ff0000"}, "person"],
            },
            {"name": "outline", "type": "polygon", "labels": ["road"]},
            {"name": "paint", "type": "mask", "labels": ["sky"]},
            {"name": "links", "type": "relation", "labels": ["drives"]},
            {
                "name": "weather",
                "type": "classification",
                "choices": ["sun", "rain"],
                "multiple": True,
            },
            {"name": "caption", "type": "text"},
        ],
    }
)
TEXT_SCHEMA = LabelSchema.model_validate(
    {
        "media": "text",
        "tools": [
            {"name": "ner", "type": "span", "labels": ["PER", "LOC"]},
            {"name": "topic", "type": "classification", "choices": ["news", "sport"]},
        ],
    }
)

BOXES: list[dict[str, Any]] = [
    {
        "id": "b1",
        "tool": "box",
        "type": "bbox",
        "label": "car",
        "geometry": {"x": 10.0, "y": 20.0, "width": 30.0, "height": 40.0, "rotation": 0.0},
    },
    {
        "id": "b2",
        "tool": "box",
        "type": "bbox",
        "label": "person",
        "geometry": {"x": 100.0, "y": 50.0, "width": 60.0, "height": 20.0, "rotation": 30.0},
        "score": 0.75,
    },
    {
        "id": "p1",
        "tool": "outline",
        "type": "polygon",
        "label": "road",
        "geometry": {"points": [[0.0, 0.0], [200.0, 0.0], [100.0, 80.0]]},
    },
    {
        "id": "l1",
        "tool": "links",
        "type": "relation",
        "label": "drives",
        "geometry": {"from": "b2", "to": "b1"},
    },
    {
        "id": "c1",
        "tool": "weather",
        "type": "classification",
        "value": {"choices": ["sun", "rain"]},
    },
    {"id": "t1", "tool": "caption", "type": "text", "value": {"text": "a car\non a road"}},
]


def _image_item(task_id: int = 1, *, size: tuple[int, int] | None = (200, 100)) -> ExportItem:
    width, height = size or (None, None)
    return ExportItem(
        task_id=task_id,
        data={"image": f"https://example.com/img{task_id}.jpg"},
        media_name=f"{task_id:06d}_img.jpg",
        width=width,
        height=height,
        results=(
            ExportResult(
                regions=BOXES,
                source="annotation",
                annotation_id=7,
                annotator="ann@example.com",
                created_at="2026-01-02T03:04:05Z",
            ),
        ),
        predictions=(
            ExportResult(regions=BOXES[:2], source="prediction", annotator="yolo-v8", score=0.5),
        ),
        is_gold=True,
    )


def _tasks(out: Path) -> list[dict[str, Any]]:
    return json.loads((out / "tasks.json").read_text(encoding="utf-8"))


def _same_regions(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> None:
    assert [r["id"] for r in got] == [r["id"] for r in expected]
    for a, b in zip(got, expected, strict=True):
        assert {k: v for k, v in a.items() if k != "geometry"} == {
            k: v for k, v in b.items() if k != "geometry"
        }
        if "geometry" in b:
            assert a["geometry"].keys() == b["geometry"].keys()
            for key, value in b["geometry"].items():
                if key == "points":
                    flat = [c for point in a["geometry"][key] for c in point]
                    assert flat == pytest.approx([c for point in value for c in point])
                else:
                    assert a["geometry"][key] == pytest.approx(value), key


def test_image_export_round_trips_through_the_label_studio_converter(tmp_path: Path) -> None:
    out = tmp_path / "ls"
    report = run_writer(FORMAT, IMAGE_SCHEMA, [_image_item()], out)
    assert report.dropped == {}
    [task] = _tasks(out)
    assert task["id"] == 1 and task["data"] == {"image": "https://example.com/img1.jpg"}
    [annotation] = task["annotations"]
    assert annotation["completed_by"] == {"email": "ann@example.com"}
    assert annotation["ground_truth"] is True and annotation["was_cancelled"] is False
    assert annotation["id"] == 7 and annotation["created_at"] == "2026-01-02T03:04:05Z"
    box = annotation["result"][0]
    assert box["from_name"] == "box" and box["to_name"] == "image"
    assert box["type"] == "rectanglelabels"
    assert (box["original_width"], box["original_height"]) == (200, 100)
    assert box["value"] == {
        "x": 5.0,
        "y": 20.0,
        "width": 15.0,
        "height": 40.0,
        "rotation": 0.0,
        "rectanglelabels": ["car"],
    }
    assert annotation["result"][1]["score"] == 0.75
    assert annotation["result"][3] == {
        "id": "l1",
        "from_id": "b2",
        "to_id": "b1",
        "type": "relation",
        "direction": "right",
        "labels": ["drives"],
    }
    assert annotation["result"][5]["value"] == {"text": ["a car\non a road"]}
    back = convert_label_studio_result(annotation["result"], data=task["data"])
    relation = back[3]
    assert relation.pop("tool", None) is None  # Label Studio relations name no control
    relation["tool"] = "links"
    _same_regions(back, BOXES)
    [prediction] = task["predictions"]
    assert prediction["model_version"] == "yolo-v8" and prediction["score"] == 0.5
    _same_regions(convert_label_studio_result(prediction["result"]), BOXES[:2])


def test_a_rotated_box_keeps_its_corners(tmp_path: Path) -> None:
    run_writer(FORMAT, IMAGE_SCHEMA, [_image_item()], tmp_path / "ls")
    value = _tasks(tmp_path / "ls")[0]["annotations"][0]["result"][1]["value"]
    # Accord: 60 x 20 at (100, 50) turned 30 degrees about its centre (130, 60). Label Studio's
    # x, y is where the top-left corner went: (130 - 30 cos 30 + 10 sin 30, 60 - 30 sin 30 -
    # 10 cos 30) = (109.019..., 36.339...), in percent of 200 x 100.
    assert value["x"] * 2 == pytest.approx(109.01923788646684)
    assert value["y"] == pytest.approx(36.33974596215562)
    assert value["rotation"] == 30.0


def test_config_names_every_from_name_and_converts_back(tmp_path: Path) -> None:
    run_writer(FORMAT, IMAGE_SCHEMA, [_image_item()], tmp_path / "ls")
    config = (tmp_path / "ls" / "label_config.xml").read_text(encoding="utf-8")
    schema = schema_from_label_studio(config)
    assert schema["media"] == "image"
    tools = {tool["name"]: tool for tool in schema["tools"]}
    assert tools["box"]["labels"] == [{"name": "car", "color": "#ff0000"}, "person"]
    assert tools["weather"]["multiple"] is True and tools["weather"]["choices"] == ["sun", "rain"]
    assert tools["relations"]["labels"] == ["drives"]
    assert tools["paint"]["type"] == "mask" and tools["caption"]["type"] == "text"
    names = {
        i["from_name"]
        for i in _tasks(tmp_path / "ls")[0]["annotations"][0]["result"]
        if "from_name" in i
    }
    assert names <= tools.keys()


def test_what_label_studio_cannot_hold_is_reported(tmp_path: Path) -> None:
    mask = {
        "id": "m1",
        "tool": "paint",
        "type": "mask",
        "label": "sky",
        "geometry": {"rle": {"size": [100, 200], "counts": [20000]}},
    }
    with_attrs = {**BOXES[0], "id": "b9", "attributes": {"occluded": True}}
    item = _image_item(2)
    item = ExportItem(
        task_id=2,
        data=item.data,
        media_name=item.media_name,
        width=200,
        height=100,
        results=(ExportResult(regions=[mask, with_attrs], source="annotation"),),
    )
    unsized = _image_item(3, size=None)
    report = run_writer(FORMAT, IMAGE_SCHEMA, [item, unsized], tmp_path / "ls")
    assert report.dropped[DROP_MASK] == 1
    assert report.dropped[DROP_ATTRIBUTES] == 1
    assert report.dropped[DROP_NO_SIZE] == 5  # 3 shapes of the annotation, 2 of the prediction
    assert report.examples[DROP_NO_SIZE] == [3]
    first, second = _tasks(tmp_path / "ls")
    assert [r["id"] for r in first["annotations"][0]["result"]] == ["b9"]
    kinds = [r["type"] for r in second["annotations"][0]["result"]]
    assert kinds == ["relation", "choices", "textarea"]  # what needs no size is kept
    assert "completed_by" not in first["annotations"][0]


def test_text_spans_count_code_points_and_carry_their_text(tmp_path: Path) -> None:
    text = "🎉 Ana met Bo in Paris"
    spans = [
        {
            "id": "s1",
            "tool": "ner",
            "type": "span",
            "label": "PER",
            "geometry": {"start": 2, "end": 5},
        },
        {
            "id": "s2",
            "tool": "ner",
            "type": "span",
            "label": "LOC",
            "geometry": {"start": 16, "end": 21},
        },
        {"id": "c", "tool": "topic", "type": "classification", "value": {"choices": ["news"]}},
    ]
    item = ExportItem(
        task_id=4,
        data={"text": text, "source": "wire"},
        media_name=None,
        results=(ExportResult(regions=spans, source="annotation", annotator="Imported: bob"),),
    )
    report = run_writer(FORMAT, TEXT_SCHEMA, [item], tmp_path / "ls")
    assert report.dropped == {}
    [task] = _tasks(tmp_path / "ls")
    result = task["annotations"][0]["result"]
    assert result[0]["value"] == {"start": 2, "end": 5, "text": "Ana", "labels": ["PER"]}
    assert result[1]["value"]["text"] == "Paris" == text[16:21]
    assert result[0]["to_name"] == "text"
    _same_regions(
        convert_label_studio_result(result, data=task["data"]),
        [{**spans[0], "text": "Ana"}, {**spans[1], "text": "Paris"}, spans[2]],
    )
    assert "completed_by" not in task["annotations"][0]  # a name that is no email
    config = (tmp_path / "ls" / "label_config.xml").read_text(encoding="utf-8")
    assert schema_from_label_studio(config)["tools"][0] == {
        "name": "ner",
        "type": "span",
        "labels": ["PER", "LOC"],
    }


def test_output_is_byte_identical_and_valid_when_empty(tmp_path: Path) -> None:
    items = [_image_item(i) for i in (1, 2, 5)]
    run_writer(FORMAT, IMAGE_SCHEMA, items, tmp_path / "a")
    run_writer(FORMAT, IMAGE_SCHEMA, items, tmp_path / "b")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    assert [t["id"] for t in _tasks(tmp_path / "a")] == [1, 2, 5]
    run_writer(FORMAT, IMAGE_SCHEMA, [], tmp_path / "empty")
    assert _tasks(tmp_path / "empty") == []


# An export as Label Studio's documentation shows it (the task format page: an image task with
# an annotation and two predictions) with a text task of its NER template beside it.
DOCS_EXPORT: list[dict[str, Any]] = [
    {
        "id": 1,
        "created_at": "2021-03-09T21:52:49.513742Z",
        "updated_at": "2021-03-09T22:16:08.746926Z",
        "project": 83,
        "data": {"image": "https://example.com/opensource/label-studio/1.jpg"},
        "annotations": [
            {
                "id": "1001",
                "result": [
                    {
                        "from_name": "tag",
                        "id": "Dx_aB91ISN",
                        "source": "$image",
                        "to_name": "img",
                        "type": "rectanglelabels",
                        "original_width": 600,
                        "original_height": 403,
                        "image_rotation": 0,
                        "value": {
                            "height": 10.458911419423693,
                            "rectanglelabels": ["Moonwalker"],
                            "rotation": 0,
                            "width": 12.4,
                            "x": 50.8,
                            "y": 5.869797225186766,
                        },
                    }
                ],
                "was_cancelled": False,
                "ground_truth": False,
                "created_at": "2021-03-09T22:16:08.728353Z",
                "updated_at": "2021-03-09T22:16:08.728378Z",
                "lead_time": 4.288,
                "result_count": 0,
                "task": 1,
                "completed_by": {"id": 10, "email": "walker@example.com", "first_name": ""},
            },
            {"id": 1002, "result": [], "was_cancelled": True, "completed_by": 11},
        ],
        "predictions": [
            {
                "created_ago": "3 hours",
                "model_version": "model 1",
                "score": 0.8,
                "result": [
                    {
                        "from_name": "tag",
                        "id": "t5sp3TyXPo",
                        "source": "$image",
                        "to_name": "img",
                        "type": "rectanglelabels",
                        "original_width": 600,
                        "original_height": 403,
                        "value": {
                            "height": 11.612284069097889,
                            "rectanglelabels": ["Moonwalker"],
                            "rotation": 0,
                            "width": 39.6,
                            "x": 13.2,
                            "y": 34.702495201535505,
                        },
                    },
                    {
                        "from_name": "brush",
                        "id": "x",
                        "to_name": "img",
                        "type": "brushlabels",
                        "original_width": 600,
                        "original_height": 403,
                        "value": {"format": "rle", "rle": [1, 2], "brushlabels": ["Moon"]},
                    },
                ],
            }
        ],
    },
]


def test_a_label_studio_export_from_its_documentation_reads(tmp_path: Path) -> None:
    (tmp_path / "export.json").write_text(json.dumps(DOCS_EXPORT), encoding="utf-8")
    problems: list[tuple[str, str]] = []
    labels = read_labels(tmp_path, lambda where, why: problems.append((where, why)))
    assert labels.media == "image"
    assert labels.labels == {"bbox": ["Moonwalker"]}
    [task] = list(labels.tasks)
    assert task.media_name == "1.jpg" and (task.width, task.height) == (600, 403)
    [annotation] = task.annotations
    assert annotation.annotator == "walker@example.com" and annotation.ground_truth is False
    [box] = annotation.regions
    assert box["type"] == "bbox" and box["label"] == "Moonwalker" and "tool" not in box
    assert box["geometry"]["x"] == pytest.approx(304.8)
    assert box["geometry"]["width"] == pytest.approx(74.4)
    assert box["geometry"]["height"] == pytest.approx(42.149413020276)
    [prediction] = task.predictions
    assert prediction.score == 0.8 and prediction.model_version == "model 1"
    assert [r["id"] for r in prediction.regions] == ["t5sp3TyXPo"]
    assert problems == [
        ("export.json: [0].annotations[1]", "a skipped (cancelled) annotation: left out"),
        (
            "export.json: [0].predictions[0]",
            "result[1].type: unsupported Label Studio result type 'brushlabels'",
        ),
    ]


def test_our_export_reads_back_as_the_same_labels(tmp_path: Path) -> None:
    run_writer(FORMAT, IMAGE_SCHEMA, [_image_item(1), _image_item(2)], tmp_path / "ls")
    labels = read_labels(tmp_path / "ls", lambda where, why: pytest.fail(f"{where}: {why}"))
    assert labels.media == "image"
    assert labels.labels == {
        "bbox": ["car", "person"],
        "polygon": ["road"],
        "relation": ["drives"],
        "classification": ["sun", "rain"],
    }
    tasks = list(labels.tasks)
    assert [t.media_name for t in tasks] == ["img1.jpg", "img2.jpg"]
    annotation = tasks[0].annotations[0]
    assert annotation.annotator == "ann@example.com" and annotation.ground_truth is True
    expected = [{k: v for k, v in r.items() if k != "tool"} for r in BOXES]
    _same_regions(annotation.regions, expected)
    assert tasks[0].predictions[0].model_version == "yolo-v8"


def test_key_points_stand_alone_in_label_studio(tmp_path: Path) -> None:
    from accord_server.services.formats.label_studio_json import (
        DROP_HIDDEN_KEYPOINT,
        DROP_KEYPOINTS,
    )

    schema = LabelSchema.model_validate(
        {
            "media": "image",
            "tools": [
                {"name": "dot", "type": "keypoints", "labels": ["nose"], "keypoints": ["point"]},
                {"name": "pose", "type": "keypoints", "labels": ["body"], "keypoints": ["a", "b"]},
            ],
        }
    )

    def point(rid: str, tool: str, label: str, points: list[list[float]]) -> dict[str, Any]:
        return {
            "id": rid,
            "tool": tool,
            "type": "keypoints",
            "label": label,
            "geometry": {"points": points},
        }

    regions = [
        point("k1", "dot", "nose", [[50.0, 25.0, 2]]),
        point("k2", "dot", "nose", [[0.0, 0.0, 0]]),
        point("k3", "pose", "body", [[1.0, 1.0, 2], [2.0, 2.0, 2]]),
    ]
    item = ExportItem(
        task_id=1,
        data={"image": "a.png"},
        media_name="a.png",
        width=200,
        height=100,
        results=(ExportResult(regions=regions, source="annotation"),),
    )
    report = run_writer(FORMAT, schema, [item], tmp_path / "ls")
    assert report.dropped == {DROP_HIDDEN_KEYPOINT: 1, DROP_KEYPOINTS: 1}
    [written] = _tasks(tmp_path / "ls")[0]["annotations"][0]["result"]
    assert written["type"] == "keypointlabels"
    assert written["value"] == {"x": 25.0, "y": 25.0, "width": 1.0, "keypointlabels": ["nose"]}
    [back] = convert_label_studio_result([written])
    assert back["geometry"] == {"points": [[50.0, 25.0]]}


@pytest.mark.parametrize(
    ("url", "name"),
    [
        ("/data/upload/3/1a2b3c4d-cat.jpg", "cat.jpg"),
        ("/data/local-files/?d=photos/dog%201.png", "dog 1.png"),
        ("https://example.com/a/b/1a2b3c4d-kept.jpg?x=1", "1a2b3c4d-kept.jpg"),
        ("s3://bucket/key/x.jpg", "x.jpg"),
    ],
)
def test_media_names_from_label_studio_urls(tmp_path: Path, url: str, name: str) -> None:
    (tmp_path / "e.json").write_text(json.dumps([{"data": {"image": url}}]), encoding="utf-8")
    [task] = read_labels(tmp_path, lambda where, why: pytest.fail(why)).tasks
    assert task.media_name == name
