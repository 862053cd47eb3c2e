"""CVAT for images 1.1: the export valid against an XSD written from CVAT's documentation, read
back by datumaro with the same shapes, coordinates and mask pixels, its references and geometry
checked, what CVAT cannot hold reported, the same bytes for the same input,
read_labels(write(x)) == x, a file written from CVAT's documentation read, and hostile XML
refused."""

from __future__ import annotations

import dataclasses
import gc
import random
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from defusedxml.ElementTree import parse
from lxml import etree

from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.formats import cvat
from accord_server.services.formats.coco_rle import decode_coco_rle, encode_coco_rle
from accord_server.services.formats.cvat_mask import CvatMask, coco_to_cvat, cvat_to_coco, runs_of
from accord_server.services.formats.export import Context, ExportItem, ExportResult, Report
from accord_server.services.formats.registry import EXPORT_FORMATS

XSD = Path(__file__).with_name("cvat_images_1_1.xsd")

SCHEMA = LabelSchema.model_validate(
    {
        "media": "image",
        "tools": [
            {
                "name": "boxes",
                "type": "bbox",
                "labels": [
                    {
                        "name": "car",
                        "color": "#ff0000",
                        "attributes": [
                            {"name": "occluded", "type": "bool"},
                            {"name": "paint", "type": "choice", "choices": ["red", "blue"]},
                            {"name": "parked", "type": "bool"},
                            {"name": "speed", "type": "number", "min": 0, "max": 200},
                            {"name": "note", "type": "text"},
                        ],
                    },
                    "person",
                ],
            },
            {"name": "outline", "type": "polygon", "labels": ["car"]},
            {
                "name": "pose",
                "type": "keypoints",
                "labels": ["human"],
                "keypoints": ["nose", "left_eye", "right_eye"],
                "skeleton": [["nose", "left_eye"], ["nose", "right_eye"]],
            },
            {"name": "paint_brush", "type": "mask", "labels": ["road"]},
            {
                "name": "scene",
                "type": "classification",
                "choices": ["day", "night", "rain"],
                "multiple": True,
            },
            {"name": "caption", "type": "text"},
        ],
    }
)

H, W = 10, 20


def _mask_pixels() -> np.ndarray[Any, np.dtype[np.uint8]]:
    image = np.zeros((H, W), dtype=np.uint8)
    image[2:5, 3:9] = 1
    image[4, 12] = 1
    image[7:10, 18:20] = 1  # touches the right and bottom edges
    return image


def _coco(image: np.ndarray[Any, np.dtype[np.uint8]]) -> str:
    return encode_coco_rle(runs_of(image.T.ravel()))


def _regions() -> list[dict[str, Any]]:
    car_attributes = {
        "occluded": True,
        "paint": "red",
        "parked": False,
        "speed": 42.0,
        "note": 'a <b> & "c"',
    }
    return [
        {
            "id": "a",
            "tool": "boxes",
            "type": "bbox",
            "label": "car",
            "geometry": {"x": 1.5, "y": 2.25, "width": 10.0, "height": 5.0, "rotation": 0.0},
            "attributes": car_attributes,
        },
        {
            "id": "b",
            "tool": "boxes",
            "type": "bbox",
            "label": "person",
            "geometry": {"x": 5.0, "y": 2.0, "width": 4.0, "height": 3.0, "rotation": 30.0},
        },
        {
            "id": "c",
            "tool": "outline",
            "type": "polygon",
            "label": "car",
            "geometry": {"points": [[1.0, 1.0], [6.5, 1.0], [6.5, 4.75]]},
        },
        {
            "id": "d",
            "tool": "pose",
            "type": "keypoints",
            "label": "human",
            "geometry": {"points": [[2.0, 3.0, 2], [4.0, 5.0, 1], [0.0, 0.0, 0]]},
        },
        {
            "id": "e",
            "tool": "paint_brush",
            "type": "mask",
            "label": "road",
            "geometry": {"rle": {"size": [H, W], "counts": _coco(_mask_pixels())}},
        },
        {
            "id": "f",
            "tool": "scene",
            "type": "classification",
            "value": {"choices": ["day", "rain"]},
        },
    ]


CAPTION = {"id": "g", "tool": "caption", "type": "text", "value": {"text": "cars"}}


def _items() -> list[ExportItem]:
    first = ExportResult([*_regions(), CAPTION], "annotation", origin="human")
    return [
        ExportItem(1, {}, "000001_a.jpg", W, H, (first,)),
        ExportItem(2, {}, "000002_b.jpg", 8, 6, ()),
        ExportItem(3, {}, "000003_c.jpg", None, None, (first,)),
        ExportItem(
            4,
            {},
            "000004_d.jpg",
            8,
            6,
            (
                ExportResult(
                    [_regions()[1] | {"geometry": {"x": 1, "y": 1, "width": 2, "height": 2}}],
                    "prediction",
                    origin="model",
                ),
                ExportResult([], "annotation"),
            ),
        ),
    ]


def _export(
    tmp: Path, items: list[ExportItem] | None = None, options: dict[str, Any] | None = None
) -> tuple[Path, Report, list[str]]:
    placed: list[str] = []
    report = Report()

    def place(item: ExportItem, path: str) -> None:
        placed.append(path)  # and a file there, as datumaro opens the images the XML names
        (tmp / "out" / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp / "out" / path).write_bytes(b"")

    ctx = Context(
        out=tmp / "out",
        staging=tmp / "staging",
        report=report,
        options=options or {},
        place_media=place,
    )
    writer = EXPORT_FORMATS["cvat"].make(SCHEMA, ctx)
    for item in items if items is not None else _items():
        writer.write(item)
    writer.finish()
    return ctx.out, report, placed


def test_valid_against_the_documented_schema(tmp_path: Path) -> None:
    out, _, placed = _export(tmp_path)
    assert sorted(p.name for p in out.iterdir()) == ["annotations.xml", "images"]
    assert placed == ["images/000001_a.jpg", "images/000002_b.jpg", "images/000004_d.jpg"]
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    document = etree.parse(
        str(out / "annotations.xml"), etree.XMLParser(resolve_entities=False, no_network=True)
    )
    schema.assertValid(document)
    assert not list((tmp_path / "staging").iterdir())  # the staged images were moved in


def test_the_schema_catches_what_it_should(tmp_path: Path) -> None:
    """The XSD is not a rubber stamp: a box without its label, a flag of 2 or a malformed point
    list fail it."""
    out, _, _ = _export(tmp_path)
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    good = (out / "annotations.xml").read_text()
    for bad in (
        good.replace('<box label="car" ', "<box ", 1),
        good.replace('occluded="1"', 'occluded="2"', 1),
        good.replace('points="1.00,1.00;', 'points="1.00 1.00;', 1),
        good.replace("<version>1.1</version>", "<version>1.0</version>"),
    ):
        assert bad != good
        assert not schema.validate(etree.fromstring(bad.encode()))


def test_references_and_geometry(tmp_path: Path) -> None:
    out, _, _ = _export(tmp_path)
    root = parse(out / "annotations.xml").getroot()
    labels = {
        (label.findtext("parent"), label.findtext("name")): label.findtext("type")
        for label in root.iter("label")
    }
    assert labels == {
        (None, "car"): "any",
        (None, "person"): "bbox",
        (None, "human"): "skeleton",
        ("human", "nose"): "points",
        ("human", "left_eye"): "points",
        ("human", "right_eye"): "points",
        (None, "road"): "mask",
        (None, "day"): "tag",
        (None, "night"): "tag",
        (None, "rain"): "tag",
    }
    images = root.findall("image")
    assert root.findtext("meta/task/size") == str(len(images)) == "3"
    assert [i.get("id") for i in images] == ["0", "1", "2"]
    for image in images:
        width, height = int(image.get("width") or 0), int(image.get("height") or 0)
        z_orders = []
        for shape in image:
            assert (None, shape.get("label")) in labels, shape.get("label")
            if shape.tag == "box":
                xtl, ytl, xbr, ybr = (
                    float(shape.get(k) or "") for k in ("xtl", "ytl", "xbr", "ybr")
                )
                assert 0 <= xtl < xbr <= width and 0 <= ytl < ybr <= height
            if shape.tag == "mask":
                left, top, w, h = (
                    int(shape.get(k) or "") for k in ("left", "top", "width", "height")
                )
                assert left + w <= width and top + h <= height
                assert sum(int(r) for r in (shape.get("rle") or "").split(",")) == w * h
            if shape.tag in ("polygon", "points"):
                for pair in (shape.get("points") or "").split(";"):
                    x, y = (float(v) for v in pair.split(","))
                    assert 0 <= x <= width and 0 <= y <= height
            if shape.tag == "skeleton":
                for point in shape.findall("points"):
                    assert (shape.get("label"), point.get("label")) in labels
            if shape.tag != "tag":
                z_orders.append(int(shape.get("z_order") or -1))
        assert z_orders == list(range(len(z_orders)))
    first = images[0]
    box = first.find("box")
    assert box is not None
    assert [box.get(k) for k in ("xtl", "ytl", "xbr", "ybr", "occluded", "source")] == [
        "1.50",
        "2.25",
        "11.50",
        "7.25",
        "1",
        "manual",
    ]
    assert {a.get("name"): a.text for a in box.findall("attribute")} == {
        "paint": "red",
        "parked": "false",
        "speed": "42",
        "note": 'a <b> & "c"',
    }
    rotated = first.findall("box")[1]
    assert rotated.get("rotation") == "30.00"
    assert [t.get("label") for t in first.findall("tag")] == ["day", "rain"]
    assert images[2].find("box") is not None and images[2].find("box").get("source") == "auto"  # type: ignore[union-attr]


def test_what_cvat_cannot_hold_is_reported(tmp_path: Path) -> None:
    _, report, _ = _export(tmp_path)
    dropped = {d["reason"]: (d["count"], d["task_ids"]) for d in report.as_dict()["dropped"]}
    assert dropped == {
        "text regions: CVAT for images has no such shape": (1, [1]),
        "images of unknown size: CVAT needs each image's width and height": (1, [3]),
        "results beyond the first of a task: CVAT holds one set of labels per image": (1, [4]),
    }


def test_datumaro_reads_the_same_shapes(tmp_path: Path) -> None:
    from datumaro.components.annotation import AnnotationType
    from datumaro.components.dataset import Dataset

    out, _, _ = _export(tmp_path)
    dataset = Dataset.import_from(str(out), "cvat")
    names = [c.name for c in dataset.categories()[AnnotationType.label].items]
    items = {item.id: item for item in dataset}
    assert set(items) == {"000001_a", "000002_b", "000004_d"}
    assert items["000002_b"].annotations == []
    found: dict[str, list[Any]] = {}
    for a in items["000001_a"].annotations:
        found.setdefault(a.type.name, []).append(a)
    assert sorted((k, len(v)) for k, v in found.items()) == [
        ("bbox", 1),
        ("label", 2),
        ("mask", 1),
        ("points", 3),  # datumaro reads a skeleton's keypoints as one points shape each
        ("polygon", 1),
        ("rotated_bbox", 1),
    ]
    (box,) = found["bbox"]
    assert names[box.label] == "car" and box.get_bbox() == [1.5, 2.25, 10.0, 5.0]
    assert box.attributes["occluded"] is True and box.attributes["paint"] == "red"
    assert box.attributes["speed"] == 42.0 and box.z_order == 0
    (rotated,) = found["rotated_bbox"]
    assert (rotated.cx, rotated.cy, rotated.w, rotated.h, rotated.r) == (7.0, 3.5, 4.0, 3.0, 30.0)
    (polygon,) = found["polygon"]
    assert polygon.points == [1.0, 1.0, 6.5, 1.0, 6.5, 4.75]
    assert [(names[p.label], p.points) for p in found["points"]] == [
        ("nose", [2.0, 3.0]),
        ("left_eye", [4.0, 5.0]),
        ("right_eye", [0.0, 0.0]),
    ]
    (mask,) = found["mask"]
    assert names[mask.label] == "road"
    assert np.array_equal(mask.image.astype(np.uint8), _mask_pixels())
    assert sorted(names[label.label] for label in found["label"]) == ["day", "rain"]


def test_same_input_same_bytes(tmp_path: Path) -> None:
    first, _, _ = _export(tmp_path / "one")
    second, _, _ = _export(tmp_path / "two")
    assert (first / "annotations.xml").read_bytes() == (second / "annotations.xml").read_bytes()


def _comparable(region: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in region.items() if k not in ("id", "tool")}
    if region.get("type") == "mask":
        rle = region["geometry"]["rle"]
        out["geometry"] = {"rle": {"size": rle["size"], "counts": decode_coco_rle(rle["counts"])}}
    return out


def test_read_labels_of_what_was_written(tmp_path: Path) -> None:
    out, _, _ = _export(tmp_path)
    problems: list[tuple[str, str]] = []
    labels = cvat.read_labels(out, lambda where, why: problems.append((where, why)))
    assert labels.media == "image"
    assert labels.labels == {
        "bbox": ["person", "car"],
        "keypoints": ["human"],
        "mask": ["road"],
        "classification": ["day", "night", "rain"],
        "polygon": ["car"],
    }
    assert labels.keypoints == {"human": ["nose", "left_eye", "right_eye"]}
    assert labels.skeletons == {"human": [("nose", "left_eye"), ("nose", "right_eye")]}
    tasks = list(labels.tasks)
    assert [(t.media_name, t.width, t.height) for t in tasks] == [
        ("000001_a.jpg", W, H),
        ("000002_b.jpg", 8, 6),
        ("000004_d.jpg", 8, 6),
    ]
    expected = _regions()
    # A classification comes back as one region per chosen tag: the reader does not know tools.
    expected[-1:] = [
        {"type": "classification", "value": {"choices": ["day"]}},
        {"type": "classification", "value": {"choices": ["rain"]}},
    ]
    got = tasks[0].annotations[0].regions
    assert [_comparable(r) for r in got] == [_comparable(r) for r in expected]
    assert [r["id"] for r in got] == [f"r{i}" for i in range(len(got))]
    assert tasks[1].annotations == []
    assert problems == []


DOCS_EXAMPLE = Path(__file__).with_name("cvat_docs_example.xml")
"""The example of CVAT's "XML annotation format" page (version 1.1, annotation mode), the
polygon shortened, a number and a text attribute and the tag's label declared."""


def test_a_file_written_from_cvats_documentation(tmp_path: Path) -> None:
    (tmp_path / "annotations.xml").write_bytes(DOCS_EXAMPLE.read_bytes())
    problems: list[tuple[str, str]] = []
    labels = cvat.read_labels(tmp_path, lambda where, why: problems.append((where, why)))
    assert labels.labels == {
        "classification": ["good_frame"],
        "keypoints": ["s1", "wheel"],
        "bbox": ["plate"],
        "polygon": ["car"],
        "mask": ["car"],
    }
    assert labels.keypoints == {"s1": ["1", "2", "3"], "wheel": ["1", "2", "3", "4"]}
    assert labels.skeletons == {"s1": [("2", "3"), ("1", "2")]}
    tasks = list(labels.tasks)
    assert [(t.media_name, t.width, t.height) for t in tasks] == [
        ("filename000.jpg", 1600, 1200),
        ("filename001.jpg", 1600, 1200),
    ]
    assert tasks[1].annotations == []
    regions = tasks[0].annotations[0].regions
    # Ordered by z_order (skeleton 0, mask 0, polygon 1, box 4, points 5), tags last.
    assert [(r["type"], r.get("label")) for r in regions] == [
        ("keypoints", "s1"),
        ("mask", "car"),
        ("polygon", "car"),
        ("bbox", "plate"),
        ("keypoints", "wheel"),
        ("classification", None),
    ]
    skeleton, mask, polygon, box, wheel, tag = regions
    assert skeleton["geometry"]["points"] == [
        [54.47, 94.81, 2],
        [68.02, 162.34, 1],
        [125.87, 62.85, 0],
    ]
    assert polygon["attributes"] == {"model": "sedan", "doors": 4.0, "occluded": True}
    assert polygon["geometry"]["points"][0] == [561.30, 916.23]
    assert box["geometry"] == pytest.approx(
        {"x": 797.33, "y": 870.92, "width": 168.19, "height": 58.02, "rotation": 0.0}
    )
    assert wheel["geometry"]["points"][1] == [1170.16, 907.90, 2]
    assert tag["value"] == {"choices": ["good_frame"]}
    assert mask["geometry"]["rle"]["size"] == [1200, 1600]
    runs = decode_coco_rle(mask["geometry"]["rle"]["counts"])
    assert runs is not None and sum(runs) == 1200 * 1600
    image = np.zeros(1200 * 1600, dtype=np.uint8)
    position = 0
    for i, run in enumerate(runs):
        image[position : position + run] = i % 2
        position += run
    pixels = image.reshape((1600, 1200)).T
    assert pixels.sum() == sum(
        [5, 7, 9, 11, 11, 12, 12, 26, 12, 12, 11, 9, 7, 5]
    )  # the doc's 1-runs
    rows, cols = np.nonzero(pixels)
    assert (rows.min(), rows.max(), cols.min(), cols.max()) == (888, 888 + 14, 707, 707 + 12)
    assert [w for w, _ in problems] == ["annotations.xml: image[id=0]: polyline[2]"]


def test_video_tracks_are_reported(tmp_path: Path) -> None:
    (tmp_path / "annotations.xml").write_text(
        "<annotations><version>1.1</version><meta><task><size>1</size><mode>interpolation</mode>"
        "<labels><label><name>car</name></label></labels></task></meta>"
        '<track id="0" label="car"><box frame="0" xtl="1" ytl="1" xbr="2" ybr="2" outside="0" '
        'occluded="0" keyframe="1"/></track></annotations>'
    )
    problems: list[tuple[str, str]] = []
    labels = cvat.read_labels(tmp_path, lambda where, why: problems.append((where, why)))
    assert list(labels.tasks) == []
    assert problems == [
        (
            "annotations.xml: track[id=0]",
            "video tracks (CVAT for video) are not read: export CVAT for images",
        )
    ]


@pytest.mark.parametrize("seed", range(20))
def test_masks_convert_exactly_both_ways(seed: int) -> None:
    rng = random.Random(seed)
    height, width = rng.randint(1, 30), rng.randint(1, 30)
    image = np.array(
        [
            [1 if rng.random() < rng.choice((0.05, 0.5, 0.95)) else 0 for _ in range(width)]
            for _ in range(height)
        ],
        dtype=np.uint8,
    )
    counts = runs_of(image.T.ravel())
    mask = coco_to_cvat(encode_coco_rle(counts), height, width)
    if not image.any():
        assert mask is None
        return
    assert mask is not None
    rows, cols = np.nonzero(image)
    assert (mask.left, mask.top) == (cols.min(), rows.min())
    assert (mask.width, mask.height) == (cols.max() - cols.min() + 1, rows.max() - rows.min() + 1)
    box = image[mask.top : mask.top + mask.height, mask.left : mask.left + mask.width]
    assert mask.rle == runs_of(box.ravel())  # CVAT's runs go along the rows of the box
    assert cvat_to_coco(mask, height, width) == counts


def test_mask_outside_the_image_is_refused() -> None:
    with pytest.raises(ValueError, match="leaves the 10x10 image"):
        cvat_to_coco(CvatMask([0, 4], 8, 8, 2, 3), 10, 10)
    with pytest.raises(ValueError, match="covers 5 pixels"):
        cvat_to_coco(CvatMask([1, 4], 0, 0, 2, 3), 10, 10)


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<annotations><version>1.1</version><meta><task><labels><label><name>&lol3;</name></label>
</labels></task></meta><image id="0" name="&lol3;" width="1" height="1"/></annotations>
"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE annotations [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<annotations><image id="0" name="&secret;" width="1" height="1"/></annotations>
"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL])
def test_hostile_xml_is_refused(tmp_path: Path, document: str) -> None:
    (tmp_path / "annotations.xml").write_text(document)
    problems: list[tuple[str, str]] = []
    labels = cvat.read_labels(tmp_path, lambda where, why: problems.append((where, why)))
    assert labels.labels == {}
    assert list(labels.tasks) == []
    assert len(problems) == 1 and problems[0][0] == "annotations.xml"
    assert "refused" in problems[0][1]


def test_missing_file_is_reported(tmp_path: Path) -> None:
    problems: list[tuple[str, str]] = []
    labels = cvat.read_labels(tmp_path, lambda where, why: problems.append((where, why)))
    assert list(labels.tasks) == [] and problems[0][0] == "annotations.xml"


def test_splits_only_when_asked(tmp_path: Path) -> None:
    """A split export keeps datumaro's reader working by default (the split reported), and
    writes CVAT's project-export ``subset`` attribute when asked."""
    from datumaro.components.dataset import Dataset

    items = [dataclasses.replace(item, split="train") for item in _items()]
    out, report, _ = _export(tmp_path / "plain", items)
    assert "subset=" not in (out / "annotations.xml").read_text()
    assert len(Dataset.import_from(str(out), "cvat")) == 3
    reasons = {d["reason"]: d["count"] for d in report.as_dict()["dropped"]}
    assert reasons["splits: CVAT for images holds no subsets unless asked to (option subsets)"] == 3
    out, report, _ = _export(tmp_path / "subsets", items, options={"subsets": True})
    root = parse(out / "annotations.xml").getroot()
    assert [image.get("subset") for image in root.iter("image")] == ["train"] * 3
    etree.XMLSchema(etree.parse(str(XSD))).assertValid(etree.parse(str(out / "annotations.xml")))
    assert not any(d["reason"].startswith("splits") for d in report.as_dict()["dropped"])


def test_a_skeleton_label_is_one_keypoints_tools_alone(tmp_path: Path) -> None:
    schema = LabelSchema.model_validate(
        {
            "media": "image",
            "tools": [
                {"name": "pose", "type": "keypoints", "labels": ["human"], "keypoints": ["a"]},
                {"name": "boxes", "type": "bbox", "labels": ["human", "dog"]},
                {"name": "kind", "type": "classification", "choices": ["human"]},
            ],
        }
    )
    regions = [
        {
            "id": "1",
            "tool": "pose",
            "type": "keypoints",
            "label": "human",
            "geometry": {"points": [[1, 1, 2]]},
        },
        {
            "id": "2",
            "tool": "boxes",
            "type": "bbox",
            "label": "human",
            "geometry": {"x": 0, "y": 0, "width": 2, "height": 2},
        },
        {
            "id": "3",
            "tool": "boxes",
            "type": "bbox",
            "label": "dog",
            "geometry": {"x": 0, "y": 0, "width": 2, "height": 2},
        },
        {"id": "4", "tool": "kind", "type": "classification", "value": {"choices": ["human"]}},
    ]
    report = Report()
    ctx = Context(out=tmp_path / "out", staging=tmp_path / "staging", report=report)
    writer = cvat.CvatWriter(schema, ctx)
    writer.write(ExportItem(1, {}, "a.jpg", 4, 4, (ExportResult(regions, "annotation"),)))
    writer.finish()
    image = parse(ctx.out / "annotations.xml").getroot().find("image")
    assert image is not None
    assert [(s.tag, s.get("label")) for s in image] == [("skeleton", "human"), ("box", "dog")]
    (drop,) = report.as_dict()["dropped"]
    assert drop["count"] == 2 and drop["reason"].startswith("regions whose label a keypoints tool")


def _peak(run: Any) -> int:
    gc.collect()  # garbage of earlier tests is no part of this peak
    tracemalloc.start()
    try:
        run()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_task_count(tmp_path: Path) -> None:
    """The writer streams images to a staged file and the reader drops each image once read:
    ten times the tasks, about the same peak memory."""
    regions = _regions()[:3]

    def items(n: int) -> Iterator[ExportItem]:
        for i in range(n):
            yield ExportItem(i, {}, f"{i:06d}.jpg", W, H, (ExportResult(regions, "annotation"),))

    def write(n: int) -> None:
        ctx = Context(out=tmp_path / str(n), staging=tmp_path / f"s{n}", report=Report())
        writer = cvat.CvatWriter(SCHEMA, ctx)
        for item in items(n):
            writer.write(item)
        writer.finish()

    def read(n: int) -> None:
        labels = cvat.read_labels(tmp_path / str(n), lambda where, why: None)
        for _ in labels.tasks:
            pass

    small, large = _peak(lambda: write(300)), _peak(lambda: write(3000))
    assert large < small * 1.25, (small, large)
    small, large = _peak(lambda: read(300)), _peak(lambda: read(3000))
    assert large < small * 1.25, (small, large)
