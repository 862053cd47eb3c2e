"""The YOLO writer and reader: a detection export read by datumaro's YOLO (Ultralytics layout)
importer with the same counts, classes and boxes; segmentation and pose exports (datumaro 1.13
reads YOLO boxes only) read by supervision's YOLO loader (polygons drawn as masks, pose rows
taken apart by ``kpt_shape``) and checked field by field; ``data.yaml`` as Ultralytics expects
it; round trips through ``read_labels`` for each task; byte-identical output; what a task
cannot hold dropped with counts; the reader on broken folders (a label file without its image)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import supervision as sv
import yaml
from datumaro.components.annotation import AnnotationType, Bbox
from datumaro.components.dataset import Dataset
from PIL import Image

from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.errors import Invalid
from accord_server.services.formats import yolo
from accord_server.services.formats.export import Context, ExportItem, ExportResult, Report

SCHEMA = LabelSchema.model_validate(
    {
        "media": "image",
        "tools": [
            {"name": "boxes", "type": "bbox", "labels": ["cat", "dog"]},
            {"name": "more_boxes", "type": "bbox", "labels": ["dog", "bird"]},
            {"name": "outlines", "type": "polygon", "labels": ["tree", "cat"]},
            {
                "name": "pose",
                "type": "keypoints",
                "labels": ["person"],
                "keypoints": ["head", "left_hand", "right_hand"],
                "skeleton": [["head", "left_hand"]],
            },
            {"name": "paw", "type": "keypoints", "labels": ["paw"], "keypoints": ["toe"]},
            {"name": "paint", "type": "mask", "labels": ["road"]},
            {"name": "scene", "type": "classification", "choices": ["indoor", "outdoor"]},
        ],
    }
)


def box(tool: str, label: str, x: float, y: float, w: float, h: float, rot: float = 0.0) -> Any:
    geometry = {"x": x, "y": y, "width": w, "height": h, "rotation": rot}
    return {"id": "b", "tool": tool, "type": "bbox", "label": label, "geometry": geometry}


def polygon(label: str, points: list[list[float]]) -> Any:
    geometry = {"points": points}
    return {"id": "p", "tool": "outlines", "type": "polygon", "label": label, "geometry": geometry}


def keypoints(tool: str, label: str, points: list[list[float]]) -> Any:
    geometry = {"points": points}
    return {"id": "k", "tool": tool, "type": "keypoints", "label": label, "geometry": geometry}


MASK = {
    "id": "m",
    "tool": "paint",
    "type": "mask",
    "label": "road",
    "geometry": {"rle": {"size": [480, 640], "counts": [100, 50, 307050]}},
}
ANSWER = {"id": "c", "tool": "scene", "type": "classification", "value": {"choices": ["indoor"]}}
PERSON = [[320.0, 96.0, 2], [0.0, 0.0, 0], [352.0, 192.0, 1]]


def items() -> list[ExportItem]:
    def result(*regions: Any) -> tuple[ExportResult, ...]:
        return (ExportResult(regions=list(regions), source="annotation"),)

    return [
        ExportItem(
            1,
            {},
            "000001_a.png",
            640,
            480,
            result(
                box("boxes", "cat", 10, 20, 100, 50),
                box("more_boxes", "dog", 320, 240, 64, 48),
                box("boxes", "dog", 200, 200, 80, 40, 30.0),
                box("more_boxes", "bird", 600, 400, 40.4, 80.2),  # overshoots by 0.4 / 0.2
                polygon("tree", [[400, 300], [500, 312], [448, 420]]),
                keypoints("pose", "person", PERSON),
                keypoints("paw", "paw", [[5, 5, 2]]),
                MASK,
                ANSWER,
            ),
            split="train",
        ),
        ExportItem(2, {}, "000002_b.png", 320, 240, result(), split="train"),
        ExportItem(3, {}, "000003_c.png", None, None, result(box("boxes", "cat", 1, 1, 5, 5))),
        ExportItem(
            4,
            {},
            "000004_d.png",
            100,
            50,
            result(
                box("boxes", "cat", 0, 0, 100, 50),
                polygon("cat", [[0, 0], [100, 0], [100, 50], [0, 50]]),
                keypoints("pose", "person", [[10, 10, 2], [20, 20, 2], [30, 40, 2]]),
            ),
            split="val",
        ),
    ]


def place_media(out: Path) -> Any:
    def place(item: ExportItem, path: str) -> None:
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        Image.new("RGB", (item.width or 8, item.height or 8)).save(target)

    return place


def export(tmp_path: Path, task: str, name: str = "out") -> Context:
    out = tmp_path / name
    ctx = Context(
        out=out,
        staging=tmp_path / f"{name}-staging",
        report=Report(),
        options={"task": task},
        place_media=place_media(out),
        include_media=True,
    )
    writer = yolo.FORMAT.make(SCHEMA, ctx)
    for item in items():
        writer.write(item)
    writer.finish()
    return ctx


def rows(ctx: Context, split: str, stem: str) -> list[list[str]]:
    text = (ctx.out / "labels" / split / f"{stem}.txt").read_text()
    assert text.endswith("\n")
    return [line.split() for line in text.splitlines()]


def drops(ctx: Context) -> dict[str, int]:
    return {d["reason"]: d["count"] for d in ctx.report.as_dict()["dropped"]}


def test_datumaro_reads_the_detection_export(tmp_path: Path) -> None:
    ctx = export(tmp_path, "detect")
    data = yaml.safe_load((ctx.out / "data.yaml").read_text())
    assert data == {
        "path": ".",
        "train": "images/train",
        "val": "images/val",
        "names": {0: "cat", 1: "dog", 2: "bird"},
    }
    dataset = Dataset.import_from(str(ctx.out), "yolo")
    names = [c.name for c in dataset.categories()[AnnotationType.label]]
    assert names == ["cat", "dog", "bird"]
    found = {
        (item.subset, item.id): sorted(
            (names[a.label], *(round(v, 3) for v in a.get_bbox()))
            for a in item.annotations
            if isinstance(a, Bbox)
        )
        for item in dataset
    }
    # datumaro lists the images that have a label file (2 and 3 have none: background images).
    assert found == {
        ("train", "000001_a"): [
            ("bird", 600.0, 400.0, 40.0, 80.0),  # cut at the image edge
            ("cat", 10.0, 20.0, 100.0, 50.0),
            ("dog", 320.0, 240.0, 64.0, 48.0),  # the second tool's "dog" is the same class
        ],
        ("val", "000004_d"): [("cat", 0.0, 0.0, 100.0, 50.0)],
    }
    assert drops(ctx) == {
        yolo.ROTATED: 1,
        yolo._not_held("polygon", "detect"): 2,
        yolo._not_held("keypoints", "detect"): 3,
        yolo._not_held("mask", "detect"): 1,
        yolo._not_held("classification", "detect"): 1,
        yolo.NO_SIZE: 1,
    }


def test_detection_rows_are_normalized_centres(tmp_path: Path) -> None:
    ctx = export(tmp_path, "detect")
    assert rows(ctx, "train", "000001_a")[0] == [
        "0",
        "0.093750",
        "0.093750",
        "0.156250",
        "0.104167",
    ]
    assert not (ctx.out / "labels" / "train" / "000002_b.txt").exists()
    for split, stem in (("train", "000001_a"), ("val", "000004_d")):
        for row in rows(ctx, split, stem):
            assert len(row) == 5 and int(row[0]) in (0, 1, 2)
            cx, cy, w, h = (float(v) for v in row[1:])
            assert 0 < w <= 1 and 0 < h <= 1
            assert cx - w / 2 >= -1e-6 and cx + w / 2 <= 1 + 1e-6
            assert cy - h / 2 >= -1e-6 and cy + h / 2 <= 1 + 1e-6
    # Every label file has its image, with the same stem, in the same split.
    for label in (ctx.out / "labels").rglob("*.txt"):
        split = label.parent.name
        assert (ctx.out / "images" / split / f"{label.stem}.png").is_file()


def test_segmentation_rows_hold_polygons_only(tmp_path: Path) -> None:
    ctx = export(tmp_path, "segment")
    data = yaml.safe_load((ctx.out / "data.yaml").read_text())
    assert data["names"] == {0: "tree", 1: "cat"} and "kpt_shape" not in data
    assert rows(ctx, "train", "000001_a") == [
        ["0", "0.625000", "0.625000", "0.781250", "0.650000", "0.700000", "0.875000"]
    ]
    square = "1 0.000000 0.000000 1.000000 0.000000 1.000000 1.000000 0.000000 1.000000"
    assert rows(ctx, "val", "000004_d") == [square.split(" ")]
    assert drops(ctx) == {
        yolo._not_held("bbox", "segment"): 5,
        yolo._not_held("keypoints", "segment"): 3,
        yolo._not_held("mask", "segment"): 1,
        yolo._not_held("classification", "segment"): 1,
        yolo.NO_SIZE: 1,
    }


def test_pose_rows_hold_a_box_and_every_keypoint(tmp_path: Path) -> None:
    ctx = export(tmp_path, "pose")
    data = yaml.safe_load((ctx.out / "data.yaml").read_text())
    assert data["names"] == {0: "person"}
    assert data["kpt_shape"] == [3, 3]
    assert data["kpt_names"] == {0: ["head", "left_hand", "right_hand"]}
    [row] = rows(ctx, "train", "000001_a")
    assert len(row) == 5 + 3 * 3
    # The box is the extent of the labeled points; the unlabeled one is 0 0 0.
    box_part = "0 0.525000 0.300000 0.050000 0.200000"
    points_part = "0.500000 0.200000 2 0.000000 0.000000 0 0.550000 0.400000 1"
    assert row == f"{box_part} {points_part}".split()
    assert drops(ctx)[yolo.OTHER_SHAPE] == 1  # the one-keypoint "paw" tool


def supervision_reads(ctx: Context, split: str) -> Any:
    out = ctx.out
    return sv.DetectionDataset.from_yolo(
        images_directory_path=str(out / "images" / split),
        annotations_directory_path=str(out / "labels" / split),
        data_yaml_path=str(out / "data.yaml"),
        force_masks=True,
    )


def test_supervision_reads_the_segmentation_export(tmp_path: Path) -> None:
    ctx = export(tmp_path, "segment")
    train, val = supervision_reads(ctx, "train"), supervision_reads(ctx, "val")
    assert train.classes == ["tree", "cat"]
    assert len(train) == 3 and len(val) == 1
    by_name = {Path(path).name: d for path, _image, d in [*train, *val]}
    tree, square = by_name["000001_a.png"], by_name["000004_d.png"]
    assert len(by_name["000002_b.png"]) == 0 and len(by_name["000003_c.png"]) == 0
    assert tree.class_id.tolist() == [0] and square.class_id.tolist() == [1]
    assert np.allclose(tree.xyxy[0], [400, 300, 500, 420], atol=1)
    assert tree.mask is not None and tree.mask.shape == (1, 480, 640)
    polygon_area = 0.5 * abs(400 * 312 - 500 * 300 + 500 * 420 - 448 * 312 + 448 * 300 - 400 * 420)
    assert abs(int(tree.mask[0].sum()) - polygon_area) < 0.05 * polygon_area
    assert np.allclose(square.xyxy[0], [0, 0, 100, 50], atol=1)


def test_supervision_reads_the_pose_export_by_its_kpt_shape(tmp_path: Path) -> None:
    ctx = export(tmp_path, "pose")
    train, val = supervision_reads(ctx, "train"), supervision_reads(ctx, "val")
    assert train.classes == ["person"]
    by_name = {Path(path).name: d for path, _image, d in [*train, *val]}
    person, other = by_name["000001_a.png"], by_name["000004_d.png"]
    assert person.class_id.tolist() == [0] and other.class_id.tolist() == [0]
    # The row's box is the extent of the labeled keypoints.
    assert np.allclose(person.xyxy[0], [320, 96, 352, 192], atol=0.01)
    assert np.allclose(other.xyxy[0], [10, 10, 30, 40], atol=0.01)


def _canonical(regions: list[Any]) -> list[Any]:
    return [{k: v for k, v in r.items() if k not in ("tool", "id")} for r in regions]


def _approx(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _approx(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_approx(v) for v in value]
    if isinstance(value, int | float) and not isinstance(value, bool):
        return pytest.approx(value, abs=1e-3)  # six decimals of a fraction of <= 640 px
    return value


def read(folder: Path) -> tuple[Any, list[tuple[str, str]]]:
    problems: list[tuple[str, str]] = []
    labels = yolo.read_labels(folder, lambda where, why: problems.append((where, why)))
    return labels, problems


@pytest.mark.parametrize(
    ("task", "kind", "expected"),
    [
        (
            "detect",
            "bbox",
            {
                "000001_a.png": [
                    box("", "cat", 10, 20, 100, 50),
                    box("", "dog", 320, 240, 64, 48),
                    box("", "bird", 600, 400, 40, 80),
                ],
                "000004_d.png": [box("", "cat", 0, 0, 100, 50)],
            },
        ),
        (
            "segment",
            "polygon",
            {
                "000001_a.png": [polygon("tree", [[400, 300], [500, 312], [448, 420]])],
                "000004_d.png": [polygon("cat", [[0, 0], [100, 0], [100, 50], [0, 50]])],
            },
        ),
        (
            "pose",
            "keypoints",
            {
                "000001_a.png": [keypoints("", "person", PERSON)],
                "000004_d.png": [keypoints("", "person", [[10, 10, 2], [20, 20, 2], [30, 40, 2]])],
            },
        ),
    ],
)
def test_round_trip_gives_back_what_the_task_holds(
    tmp_path: Path, task: str, kind: str, expected: dict[str, list[Any]]
) -> None:
    ctx = export(tmp_path, task)
    labels, problems = read(ctx.out)
    assert problems == []
    assert labels.media == "image"
    tasks = {t.media_name: t for t in labels.tasks}
    assert sorted(tasks) == ["000001_a.png", "000002_b.png", "000003_c.png", "000004_d.png"]
    assert (tasks["000001_a.png"].width, tasks["000001_a.png"].height) == (640, 480)
    got = {name: _canonical(t.annotations[0].regions) for name, t in tasks.items() if t.annotations}
    assert got == {name: _approx(_canonical(r)) for name, r in expected.items()}
    assert all(r["type"] == kind for regions in got.values() for r in regions)
    if task == "pose":
        assert labels.labels == {"keypoints": ["person"]}
        assert labels.keypoints == {"person": ["head", "left_hand", "right_hand"]}
    elif task == "detect":
        assert labels.labels == {"bbox": ["cat", "dog", "bird"]}


def test_same_input_gives_the_same_bytes(tmp_path: Path) -> None:
    for task in yolo.TASKS:
        one, two = export(tmp_path, task, f"{task}1").out, export(tmp_path, task, f"{task}2").out
        files = sorted(p.relative_to(one) for p in one.rglob("*") if p.is_file())
        assert files == sorted(p.relative_to(two) for p in two.rglob("*") if p.is_file())
        for path in files:
            if path.suffix in (".txt", ".yaml"):
                assert (one / path).read_bytes() == (two / path).read_bytes()


def test_an_unknown_task_is_refused(tmp_path: Path) -> None:
    ctx = Context(out=tmp_path, staging=tmp_path, report=Report(), options={"task": "obb"})
    with pytest.raises(Invalid, match=r"options\.task"):
        yolo.FORMAT.make(SCHEMA, ctx)


def test_reader_reports_a_label_file_without_its_image(tmp_path: Path) -> None:
    (tmp_path / "labels" / "train").mkdir(parents=True)
    (tmp_path / "images" / "train").mkdir(parents=True)
    (tmp_path / "data.yaml").write_text("path: .\ntrain: images/train\nnames: [cat, dog]\n")
    (tmp_path / "labels" / "train" / "lost.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    (tmp_path / "labels" / "train" / "seen.txt").write_text(
        "1 0.5 0.5 0.5 0.5\n7 0.5 0.5 0.1 0.1\n0 0.5 0.5\n0 0.1 0.1 0.9 0.1 0.5 0.9\n"
    )
    Image.new("RGB", (200, 100)).save(tmp_path / "images" / "train" / "seen.jpg")
    labels, problems = read(tmp_path)
    tasks = list(labels.tasks)
    assert [w for w, _ in problems] == [
        "labels/train/lost.txt",
        "labels/train/seen.txt:2",
        "labels/train/seen.txt:3",
    ]
    assert "no image" in problems[0][1] and "class id 7" in problems[1][1]
    [task] = tasks
    assert (task.media_name, task.width, task.height) == ("seen.jpg", 200, 100)
    assert _canonical(task.annotations[0].regions) == [
        {
            "type": "bbox",
            "label": "dog",
            "geometry": {"x": 50.0, "y": 25.0, "width": 100.0, "height": 50.0, "rotation": 0.0},
        },
        {
            "type": "polygon",
            "label": "cat",
            "geometry": {"points": _approx([[20, 10], [180, 10], [100, 90]])},
        },
    ]
    # A dataset that mixes boxes and polygons is read, each row as what it is.
    assert labels.labels == {"bbox": ["dog"], "polygon": ["cat"]}


def test_reader_without_data_yaml_names_classes_by_number(tmp_path: Path) -> None:
    (tmp_path / "labels").mkdir()
    (tmp_path / "images").mkdir()
    (tmp_path / "labels" / "a.txt").write_text("3 0.5 0.5 1 1\n")
    Image.new("RGB", (10, 10)).save(tmp_path / "images" / "a.png")
    labels, problems = read(tmp_path)
    assert [t.annotations[0].regions[0]["label"] for t in labels.tasks] == ["3"]
    assert problems == [("data.yaml", "missing: class ids are named by their numbers")]


logging.getLogger("datumaro").setLevel(logging.WARNING)


def test_writer_memory_does_not_grow_with_the_tasks(tmp_path: Path) -> None:
    """By design: a writer holds its classes and the set of splits seen; rows go to their
    file as each task comes. Its containers (and the report's) stay the same size."""
    ctx = Context(out=tmp_path / "out", staging=tmp_path / "staging", report=Report())
    writer = yolo.FORMAT.make(SCHEMA, ctx)

    def state() -> int:
        values = [*vars(writer).values(), *vars(ctx.report).values()]
        return sum(len(v) for v in values if isinstance(v, list | dict | set | tuple))

    for i in range(1, 3001):
        regions = [box("boxes", "cat", j, j, 10, 10) for j in range(5)]
        regions.append(polygon("tree", [[1, 1], [2, 1], [2, 2]]))
        split = ("train", "val", "test")[i % 3]
        writer.write(
            ExportItem(
                i, {}, f"{i:06d}.jpg", 64, 64, (ExportResult(regions, "annotation"),), split=split
            )
        )
        if i == 100:
            early = state()
    assert state() == early
    writer.finish()
    assert len(list((ctx.out / "labels").rglob("*.txt"))) == 3000
    assert drops(ctx) == {yolo._not_held("polygon", "detect"): 3000}
    data = yaml.safe_load((ctx.out / "data.yaml").read_text())
    assert (data["train"], data["val"], data["test"]) == (
        "images/train",
        "images/val",
        "images/test",
    )


def test_reader_lists_images_of_a_split_without_labels(tmp_path: Path) -> None:
    for split in ("train", "test"):
        (tmp_path / "images" / split).mkdir(parents=True)
        Image.new("RGB", (20, 10)).save(tmp_path / "images" / split / f"{split}.png")
    (tmp_path / "labels" / "train").mkdir(parents=True)
    (tmp_path / "labels" / "train" / "train.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (tmp_path / "data.yaml").write_text("names: {0: cat}\n")
    labels, problems = read(tmp_path)
    tasks = {t.media_name: t for t in labels.tasks}
    assert problems == [] and sorted(tasks) == ["test.png", "train.png"]
    assert tasks["test.png"].annotations == [] and (
        tasks["test.png"].width,
        tasks["test.png"].height,
    ) == (20, 10)
    assert tasks["train.png"].annotations[0].regions[0]["geometry"]["width"] == 10.0


def test_reader_takes_the_size_an_image_is_shown_at(tmp_path: Path) -> None:
    """A JPEG turned a quarter by its EXIF orientation is 100 x 200 on screen (and to
    Ultralytics), though stored 200 x 100: rows are fractions of the shown size."""
    (tmp_path / "images").mkdir()
    (tmp_path / "labels").mkdir()
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.new("RGB", (200, 100)).save(tmp_path / "images" / "turned.jpg", exif=exif)
    (tmp_path / "images" / "broken.jpg").write_bytes(b"not an image")
    (tmp_path / "labels" / "broken.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (tmp_path / "labels" / "turned.txt").write_text("0 0.5 0.5 0.5 0.5\n")
    (tmp_path / "data.yaml").write_text("names: [cat]\n")
    labels, problems = read(tmp_path)
    [task] = list(labels.tasks)
    assert problems == [("images/broken.jpg", "not a readable image")]
    assert (task.width, task.height) == (100, 200)
    assert task.annotations[0].regions[0]["geometry"] == {
        "x": 25.0,
        "y": 50.0,
        "width": 50.0,
        "height": 100.0,
        "rotation": 0.0,
    }
