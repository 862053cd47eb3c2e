"""The COCO writer and reader: the export read by pycocotools with the same counts, coordinates
and masks; geometric and referential checks pycocotools does not make; round trips through
``read_labels``; byte-identical output; what COCO cannot hold reported with counts; a writer's
memory not growing with the number of tasks; the reader on COCO files written by others
(uncompressed RLE, crowd, multi-part polygons, keypoints) and on broken ones."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from pycocotools import mask as mask_utils
from pycocotools.coco import COCO

from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.formats import coco, shapes
from accord_server.services.formats.export import (
    Context,
    ExportItem,
    ExportResult,
    Report,
)

SCHEMA = LabelSchema.model_validate(
    {
        "media": "image",
        "tools": [
            {"name": "boxes", "type": "bbox", "labels": ["cat", "dog"]},
            {"name": "outlines", "type": "polygon", "labels": ["cat", "tree"]},
            {
                "name": "pose",
                "type": "keypoints",
                "labels": ["person"],
                "keypoints": ["head", "left_hand", "right_hand"],
                "skeleton": [["head", "left_hand"], ["head", "right_hand"]],
            },
            {"name": "paint", "type": "mask", "labels": ["road"]},
            {"name": "scene", "type": "classification", "choices": ["indoor", "outdoor"]},
        ],
    }
)


def _mask(height: int, width: int) -> np.ndarray:
    """A mask with two blobs, one crossing column boundaries in the run-length order."""
    m = np.zeros((height, width), dtype=np.uint8)
    m[100:180, 300:420] = 1
    m[400:470, 10:30] = 1
    return m


def _rle(m: np.ndarray) -> dict[str, Any]:
    encoded = mask_utils.encode(np.asfortranarray(m))
    return {"size": [int(s) for s in encoded["size"]], "counts": encoded["counts"].decode()}


def box(rid: str, label: str, x: float, y: float, w: float, h: float, rot: float = 0.0) -> Any:
    geometry = {"x": x, "y": y, "width": w, "height": h, "rotation": rot}
    return {"id": rid, "tool": "boxes", "type": "bbox", "label": label, "geometry": geometry}


def polygon(rid: str, label: str, points: list[list[float]]) -> Any:
    return {
        "id": rid,
        "tool": "outlines",
        "type": "polygon",
        "label": label,
        "geometry": {"points": points},
    }


KEYPOINTS = [[320.5, 100.25, 2], [0, 0, 0], [350.0, 180.0, 1]]
MASK = _mask(480, 640)
REGIONS_1 = [
    box("a", "cat", 10, 20, 100, 50),
    box("b", "dog", 200, 200, 80, 40, 30.0),
    polygon("c", "tree", [[400, 300], [500, 310], [450, 420]]),
    {
        "id": "d",
        "tool": "pose",
        "type": "keypoints",
        "label": "person",
        "geometry": {"points": KEYPOINTS},
    },
    {
        "id": "e",
        "tool": "paint",
        "type": "mask",
        "label": "road",
        "geometry": {"rle": _rle(MASK)},
    },
    {"id": "f", "tool": "scene", "type": "classification", "value": {"choices": ["indoor"]}},
]


def items() -> list[ExportItem]:
    def result(regions: list[Any]) -> tuple[ExportResult, ...]:
        return (ExportResult(regions=regions, source="annotation"),)

    return [
        ExportItem(1, {}, "000001_a.png", 640, 480, result(REGIONS_1)),
        ExportItem(2, {}, "000002_b.png", 320, 240, result([])),
        ExportItem(3, {}, "000003_c.png", None, None, result([box("g", "cat", 1, 1, 5, 5)])),
        ExportItem(
            4,
            {},
            "000004_d.png",
            100,
            100,
            result(
                [
                    box("h", "dog", 0, 0, 100, 100),
                    polygon("i", "cat", [[0, 0], [5, 5], [9, 9]]),
                    # Overshoots the edge by less than the results' tolerance: cut to the image.
                    polygon("j", "cat", [[-0.3, 10], [50, 10], [50, 100.4]]),
                ]
            ),
            split="val",
        ),
    ]


def place_media(out: Path) -> Any:
    """Writes a real image of the item's size where the writer asks (as the service does)."""

    def place(item: ExportItem, path: str) -> None:
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (item.width or 8, item.height or 8)).save(target)

    return place


def export(tmp_path: Path, name: str = "out", feed: list[ExportItem] | None = None) -> Context:
    out = tmp_path / name
    ctx = Context(
        out=out,
        staging=tmp_path / f"{name}-staging",
        report=Report(),
        place_media=place_media(out),
        include_media=True,
    )
    writer = coco.FORMAT.make(SCHEMA, ctx)
    for item in feed if feed is not None else items():
        writer.write(item)
    writer.finish()
    return ctx


def test_pycocotools_reads_the_same_counts_coordinates_and_masks(tmp_path: Path) -> None:
    ctx = export(tmp_path)
    api = COCO(str(ctx.out / "annotations.json"))
    # Task 3 has no size: left out with its box.
    assert sorted(api.getImgIds()) == [1, 2, 4]
    assert api.loadImgs(1)[0] == {
        "id": 1,
        "file_name": "000001_a.png",
        "width": 640,
        "height": 480,
    }
    assert (ctx.out / "images" / "000001_a.png").is_file()
    names = {c["id"]: (c["supercategory"], c["name"]) for c in api.loadCats(api.getCatIds())}
    assert names == {
        1: ("boxes", "cat"),
        2: ("boxes", "dog"),
        3: ("outlines", "cat"),
        4: ("outlines", "tree"),
        5: ("pose", "person"),
        6: ("paint", "road"),
    }
    person = api.loadCats(5)[0]
    assert person["keypoints"] == ["head", "left_hand", "right_hand"]
    assert person["skeleton"] == [[1, 2], [1, 3]]  # 1-based, as COCO's person category

    anns = api.loadAnns(api.getAnnIds(imgIds=[1]))
    assert [a["category_id"] for a in anns] == [1, 2, 4, 5, 6]
    cat_box, dog_rotated, tree, person_kp, road = anns
    assert cat_box["bbox"] == [10, 20, 100, 50] and cat_box["area"] == 5000
    assert cat_box["iscrowd"] == 0

    # The rotated box: its corners as the segmentation, the box around them as bbox.
    corners = shapes.box_corners(200, 200, 80, 40, 30.0)
    flat = [v for p in corners for v in p]
    assert dog_rotated["segmentation"] == [pytest.approx(flat)]
    xs, ys = [p[0] for p in corners], [p[1] for p in corners]
    assert dog_rotated["bbox"] == pytest.approx(
        [min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)]
    )
    assert dog_rotated["area"] == pytest.approx(80 * 40)
    assert dog_rotated["attributes"] == {"rotation": 30.0}
    drawn = api.annToMask(dog_rotated)
    assert abs(int(drawn.sum()) - 80 * 40) < 0.05 * 80 * 40

    assert tree["segmentation"] == [[400, 300, 500, 310, 450, 420]]
    assert tree["bbox"] == [400, 300, 100, 120]
    assert tree["area"] == pytest.approx(shapes.polygon_area([[400, 300], [500, 310], [450, 420]]))
    assert abs(int(api.annToMask(tree).sum()) - tree["area"]) < 0.05 * tree["area"]

    assert person_kp["keypoints"] == [320.5, 100.25, 2, 0, 0, 0, 350.0, 180.0, 1]
    assert person_kp["num_keypoints"] == 2
    assert person_kp["bbox"] == pytest.approx([320.5, 100.25, 29.5, 79.75])

    # The mask: pycocotools draws exactly the pixels it was made of.
    assert road["segmentation"]["size"] == [480, 640]
    assert road["iscrowd"] == 0
    assert np.array_equal(api.annToMask(road), MASK)
    assert road["area"] == int(MASK.sum()) == int(mask_utils.area(road["segmentation"]))
    assert road["bbox"] == list(mask_utils.toBbox(road["segmentation"]))

    val = api.loadAnns(api.getAnnIds(imgIds=[4]))
    # The collinear polygon has no area: dropped (and counted), not written with area 0.
    assert [(a["category_id"], a["bbox"]) for a in val] == [
        (2, [0, 0, 100, 100]),
        (3, [0.0, 10, 50, 90.0]),
    ]
    assert val[1]["segmentation"] == [[0.0, 10, 50, 10, 50, 100.0]]


def test_geometry_and_references_hold(tmp_path: Path) -> None:
    data = json.loads((export(tmp_path).out / "annotations.json").read_text())
    assert set(data) == {"info", "licenses", "images", "annotations", "categories"}
    images = {i["id"]: i for i in data["images"]}
    categories = {c["id"]: c for c in data["categories"]}
    assert len(images) == len(data["images"]) and len(categories) == len(data["categories"])
    assert sorted(categories) == list(range(1, len(categories) + 1))
    ids = [a["id"] for a in data["annotations"]]
    assert len(set(ids)) == len(ids)
    for ann in data["annotations"]:
        image = images[ann["image_id"]]
        category = categories[ann["category_id"]]
        x, y, w, h = ann["bbox"]
        assert w > 0 and h > 0 and ann["area"] > 0
        assert x >= 0 and y >= 0 and x + w <= image["width"] and y + h <= image["height"]
        assert ann["iscrowd"] in (0, 1)
        seg = ann["segmentation"]
        if isinstance(seg, dict):
            assert seg["size"] == [image["height"], image["width"]]
        else:
            assert ann["iscrowd"] == 0
            for part in seg:
                assert len(part) >= 6 and len(part) % 2 == 0
                for px, py in zip(part[::2], part[1::2], strict=True):
                    assert 0 <= px <= image["width"] and 0 <= py <= image["height"]
        if "keypoints" in ann:
            assert len(ann["keypoints"]) == 3 * len(category["keypoints"])
            assert ann["num_keypoints"] == sum(1 for v in ann["keypoints"][2::3] if v > 0)


def test_drops_are_reported_with_counts(tmp_path: Path) -> None:
    report = export(tmp_path).report.as_dict()["dropped"]
    assert {d["reason"]: (d["count"], d["task_ids"]) for d in report} == {
        coco.NOT_HELD["classification"]: (1, [1]),
        coco.NO_SIZE_IMAGE: (1, [3]),
        coco.NO_SIZE_REGIONS: (1, [3]),
        coco.EMPTY_SHAPE: (1, [4]),
    }


def test_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    first = (export(tmp_path, "one").out / "annotations.json").read_bytes()
    second = (export(tmp_path, "two").out / "annotations.json").read_bytes()
    assert first == second


def _canonical(regions: list[Any]) -> list[Any]:
    """Regions as a reader gives them back: no tool, no id."""
    return [{k: v for k, v in r.items() if k not in ("tool", "id")} for r in regions]


def _approx(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _approx(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_approx(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return pytest.approx(value, abs=1e-6)
    return value


def test_round_trip_gives_back_what_coco_holds(tmp_path: Path) -> None:
    ctx = export(tmp_path)
    problems: list[tuple[str, str]] = []
    labels = coco.read_labels(ctx.out, lambda where, why: problems.append((where, why)))
    assert problems == []
    assert labels.media == "image"
    assert labels.labels == {
        "bbox": ["cat", "dog"],
        "polygon": ["cat", "tree"],
        "keypoints": ["person"],
        "mask": ["road"],
    }
    assert labels.keypoints == {"person": ["head", "left_hand", "right_hand"]}
    assert labels.skeletons == {"person": [("head", "left_hand"), ("head", "right_hand")]}
    tasks = list(labels.tasks)
    assert [(t.media_name, t.width, t.height) for t in tasks] == [
        ("000001_a.png", 640, 480),
        ("000002_b.png", 320, 240),
        ("000004_d.png", 100, 100),
    ]
    first = tasks[0].annotations[0].regions
    # Everything but the classification answer (COCO has no place for it) comes back.
    expected = _canonical(REGIONS_1[:5])
    assert _canonical(first) == _approx(expected)
    assert tasks[1].annotations == []
    assert _canonical(tasks[2].annotations[0].regions) == [
        {
            "type": "bbox",
            "label": "dog",
            "geometry": {"x": 0, "y": 0, "width": 100, "height": 100, "rotation": 0.0},
        },
        {"type": "polygon", "label": "cat", "geometry": {"points": [[0, 10], [50, 10], [50, 100]]}},
    ]


def test_reader_takes_files_written_by_others(tmp_path: Path) -> None:
    m = np.zeros((6, 4), dtype=np.uint8)
    m[1:4, 1:3] = 1
    compressed = _rle(m)
    runs = [int(c) for c in _uncompressed(m)]
    data = {
        "images": [
            {"id": 7, "file_name": "x.jpg", "width": 4, "height": 6},
            {"id": 8, "file_name": "y.jpg", "width": 50, "height": 50},
        ],
        "categories": [
            {"id": 1, "name": "crowd", "supercategory": "things"},
            {"id": 2, "name": "blob"},
            {
                "id": 3,
                "name": "person",
                "keypoints": ["nose", "eye"],
                "skeleton": [[1, 2]],
            },
            {"id": 4, "name": "unused"},  # no annotation: kept, as a box label
        ],
        "annotations": [
            {
                "id": 1,
                "image_id": 7,
                "category_id": 1,
                "iscrowd": 1,
                "segmentation": {"size": [6, 4], "counts": runs},
                "bbox": [1, 1, 2, 3],
                "area": 6,
            },
            {
                "id": 2,
                "image_id": 7,
                "category_id": 2,
                "iscrowd": 0,
                "segmentation": compressed,
                "area": 6,
                "bbox": [1, 1, 2, 3],
            },
            {
                "id": 3,
                "image_id": 8,
                "category_id": 3,
                "iscrowd": 0,
                "segmentation": [[1, 1, 10, 1, 10, 10], [20, 20, 30, 20, 30, 30, 20, 30]],
                "keypoints": [5, 6, 2, 0, 0, 0],
                "num_keypoints": 1,
                "bbox": [1, 1, 29, 29],
                "area": 140,
            },
            {
                "id": 8,
                "image_id": 8,
                "category_id": 3,
                "keypoints": [0, 0, 0, 0, 0, 0],
                "num_keypoints": 0,
                "bbox": [2, 3, 4, 5],
            },
            {"id": 4, "image_id": 99, "category_id": 1, "bbox": [0, 0, 1, 1]},
            {"id": 5, "image_id": 8, "category_id": 42, "bbox": [0, 0, 1, 1]},
            {"id": 6, "image_id": 8, "category_id": 2, "bbox": [0, 0, 0, 1]},
            {
                "id": 7,
                "image_id": 7,
                "category_id": 2,
                "segmentation": {"size": [6, 4], "counts": [1, 2]},
            },
        ],
    }
    folder = tmp_path / "coco"
    (folder / "annotations").mkdir(parents=True)
    (folder / "annotations" / "instances_val.json").write_text(json.dumps(data))
    problems: list[tuple[str, str]] = []
    labels = coco.read_labels(folder, lambda where, why: problems.append((where, why)))
    tasks = list(labels.tasks)
    assert [w for w, _ in problems] == [
        "annotations/instances_val.json: annotations[4]",
        "annotations/instances_val.json: annotations[5]",
        "annotations/instances_val.json: annotations[7].segmentation.counts",
        "annotations/instances_val.json: annotations[6]",
    ]
    assert labels.labels == {
        "bbox": ["blob", "person", "unused"],
        "mask": ["crowd", "blob"],
        "polygon": ["person"],
        "keypoints": ["person"],
    }
    assert labels.skeletons == {"person": [("nose", "eye")]}
    crowd, blob = tasks[0].annotations[0].regions
    assert crowd["type"] == "mask" and crowd["attributes"] == {"iscrowd": True}
    # The uncompressed counts come back as the compressed string pycocotools would write.
    assert crowd["geometry"]["rle"] == compressed
    assert blob["geometry"]["rle"] == compressed and "attributes" not in blob
    kp, part1, part2, unlabeled = tasks[1].annotations[0].regions
    # A person none of whose keypoints is labeled is its box, not an empty keypoints region.
    assert unlabeled == {
        "id": "8",
        "type": "bbox",
        "label": "person",
        "geometry": {"x": 2.0, "y": 3.0, "width": 4.0, "height": 5.0, "rotation": 0.0},
    }
    assert kp == {
        "id": "3-kp",
        "type": "keypoints",
        "label": "person",
        "geometry": {"points": [[5.0, 6.0, 2], [0.0, 0.0, 0]]},
    }
    assert part1["geometry"]["points"] == [[1, 1], [10, 1], [10, 10]]
    assert part2["id"] == "3-2" and len(part2["geometry"]["points"]) == 4


def _uncompressed(m: np.ndarray) -> list[int]:
    flat = np.asfortranarray(m).flatten(order="F")
    runs, current, count = [], 0, 0
    for v in flat:
        if v != current:
            runs.append(count)
            current, count = v, 0
        count += 1
    runs.append(count)
    return runs


def test_reader_reports_a_folder_without_coco_json(tmp_path: Path) -> None:
    problems: list[tuple[str, str]] = []
    labels = coco.read_labels(tmp_path, lambda where, why: problems.append((where, why)))
    assert list(labels.tasks) == [] and len(problems) == 1


def _many(n: int) -> Iterator[ExportItem]:
    for i in range(1, n + 1):
        regions = [box(f"r{j}", "cat", j, j, 10, 10) for j in range(5)]
        regions.append(polygon("p", "tree", [[1, 1], [2, 1], [2, 2]]))
        yield ExportItem(i, {}, f"{i:06d}.jpg", 64, 64, (ExportResult(regions, "annotation"),))


def _state(writer: Any) -> int:
    """How much the writer holds: the lengths of its containers, the report's included."""
    total = 0
    for value in [*vars(writer).values(), *vars(writer.ctx.report).values()]:
        if isinstance(value, list | dict | set | tuple):
            total += len(value)
            if isinstance(value, dict):
                total += sum(len(v) for v in value.values() if isinstance(v, list))
    return total


def test_writer_memory_does_not_grow_with_the_tasks(tmp_path: Path) -> None:
    ctx = Context(out=tmp_path / "out", staging=tmp_path / "staging", report=Report())
    writer = coco.FORMAT.make(SCHEMA, ctx)
    feed = _many(3000)
    for item in feed:
        writer.write(item)
        if item.task_id == 100:
            early = _state(writer)
    assert _state(writer) == early
    writer.finish()
    data = json.loads((ctx.out / "annotations.json").read_text())
    assert len(data["images"]) == 3000 and len(data["annotations"]) == 18000
    assert math.isclose(data["annotations"][-1]["area"], 0.5)


def test_both_formats_are_registered_for_images() -> None:
    from accord_server.services.formats.registry import EXPORT_FORMATS

    assert EXPORT_FORMATS["coco"] is coco.FORMAT
    assert EXPORT_FORMATS["yolo"].media == frozenset({"image"})
    assert EXPORT_FORMATS["yolo"].options == {"task": "detect"}


def test_masks_in_run_lists_are_written_compressed_and_wrong_sizes_dropped(
    tmp_path: Path,
) -> None:
    m = np.zeros((6, 4), dtype=np.uint8)
    m[1:4, 1:3] = 1

    def mask(counts: Any, size: list[int]) -> Any:
        rle = {"size": size, "counts": counts}
        return {
            "id": "m",
            "tool": "paint",
            "type": "mask",
            "label": "road",
            "geometry": {"rle": rle},
        }

    regions = [
        mask(_uncompressed(m), [6, 4]),
        mask(_uncompressed(m), [4, 6]),  # [width, height]: the orientation pitfall
        mask([24], [6, 4]),  # no pixel set
    ]
    feed = [ExportItem(1, {}, "a.png", 4, 6, (ExportResult(regions, "annotation"),))]
    ctx = export(tmp_path, feed=feed)
    api = COCO(str(ctx.out / "annotations.json"))
    [ann] = api.loadAnns(api.getAnnIds())
    assert ann["segmentation"] == _rle(m)
    assert np.array_equal(api.annToMask(ann), m)
    assert (ann["bbox"], ann["area"]) == ([1.0, 1.0, 2.0, 3.0], 6)
    dropped = {d["reason"]: d["count"] for d in ctx.report.as_dict()["dropped"]}
    assert dropped == {coco.MASK_SIZE: 1, coco.EMPTY_SHAPE: 1}
