"""Pascal VOC: the export read back by datumaro (1-based inclusive pixels) with the same boxes,
the files' own geometry and references checked, what VOC cannot hold reported, the same bytes
for the same input, read_labels(write(x)) == x for boxes, and hostile XML refused."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from defusedxml.ElementTree import parse

from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.formats import voc
from accord_server.services.formats.export import Context, ExportItem, ExportResult, Report
from accord_server.services.formats.registry import EXPORT_FORMATS

SCHEMA = LabelSchema.model_validate(
    {
        "media": "image",
        "tools": [
            {
                "name": "boxes",
                "type": "bbox",
                "labels": [
                    {
                        "name": "cat",
                        "attributes": [
                            {"name": "occluded", "type": "bool"},
                            {"name": "difficult", "type": "bool"},
                            {"name": "breed", "type": "text"},
                        ],
                    },
                    "dog",
                ],
            },
            {"name": "outline", "type": "polygon", "labels": ["cat"]},
            {"name": "scene", "type": "classification", "choices": ["day", "night"]},
        ],
    }
)


def _box(
    rid: str, label: str, x: float, y: float, w: float, h: float, **extra: Any
) -> dict[str, Any]:
    geometry = {"x": x, "y": y, "width": w, "height": h, "rotation": extra.pop("rotation", 0.0)}
    return {
        "id": rid,
        "tool": "boxes",
        "type": "bbox",
        "label": label,
        "geometry": geometry,
        **extra,
    }


POLYGON = {
    "id": "p",
    "tool": "outline",
    "type": "polygon",
    "label": "cat",
    "geometry": {"points": [[1, 1], [5, 1], [5, 5]]},
}
CHOICE = {"id": "c", "tool": "scene", "type": "classification", "value": {"choices": ["day"]}}


def _items() -> list[ExportItem]:
    first = [
        _box("a", "cat", 0, 0, 100, 80),  # the full image: 1,1,100,80
        _box("b", "dog", 10, 20, 30, 15, attributes={}),
        _box("c", "cat", 2, 3, 4, 5, attributes={"occluded": True, "breed": "tabby"}),
        _box("d", "dog", 10, 10, 20, 20, rotation=30.0),
        POLYGON,
        CHOICE,
    ]
    return [
        ExportItem(
            1, {}, "000001_a.jpg", 100, 80, (ExportResult(first, "annotation"),), split="train"
        ),
        ExportItem(2, {}, "000002_b.png", 64, 48, (), split="val"),
        ExportItem(
            3,
            {},
            "000003_c.jpg",
            None,
            None,
            (ExportResult([_box("x", "cat", 1, 1, 2, 2)], "annotation"),),
        ),
        ExportItem(
            4,
            {},
            "000004_d.jpg",
            50,
            40,
            (
                ExportResult(
                    [_box("y", "dog", 0.4, 0.6, 10.2, 9.7, attributes={"difficult": True})],
                    "annotation",
                ),
                ExportResult([_box("z", "cat", 1, 1, 2, 2)], "annotation"),
            ),
            split="train",
        ),
    ]


def _export(tmp: Path, items: list[ExportItem] | None = None) -> tuple[Path, Report, list[str]]:
    placed: list[str] = []
    report = Report()
    ctx = Context(
        out=tmp / "out",
        staging=tmp / "staging",
        report=report,
        place_media=lambda item, path: placed.append(path),
    )
    writer = EXPORT_FORMATS["voc"].make(SCHEMA, ctx)
    for item in items if items is not None else _items():
        writer.write(item)
    writer.finish()
    return ctx.out, report, placed


def _boxes(path: Path) -> list[tuple[str, list[int]]]:
    root = parse(path).getroot()
    return [
        (
            obj.findtext("name") or "",
            [int(obj.findtext(f"bndbox/{k}") or "") for k in ("xmin", "ymin", "xmax", "ymax")],
        )
        for obj in root.iter("object")
    ]


def test_files_boxes_and_references(tmp_path: Path) -> None:
    out, _, placed = _export(tmp_path)
    assert sorted(p.name for p in (out / "Annotations").iterdir()) == [
        "000001_a.xml",
        "000002_b.xml",
        "000004_d.xml",
    ]
    assert (out / "ImageSets/Main/train.txt").read_text() == "000001_a\n000004_d\n"
    assert (out / "ImageSets/Main/val.txt").read_text() == "000002_b\n"
    assert (out / "labelmap.txt").read_text() == "# label:color_rgb:parts:actions\ncat:::\ndog:::\n"
    assert placed == [
        "JPEGImages/000001_a.jpg",
        "JPEGImages/000002_b.png",
        "JPEGImages/000004_d.jpg",
    ]
    assert _boxes(out / "Annotations/000001_a.xml") == [
        ("cat", [1, 1, 100, 80]),
        ("dog", [11, 21, 40, 35]),
        ("cat", [3, 4, 6, 8]),
    ]
    # Rounded to whole pixels, half up: x 0.4 -> 0 (xmin 1), x + w 10.6 -> 11, y 0.6 -> 1 (ymin 2).
    assert _boxes(out / "Annotations/000004_d.xml") == [("dog", [1, 2, 11, 10])]
    # Every file's own geometry and references: required fields, boxes inside the image,
    # 1 <= xmin <= xmax <= width, labels in the labelmap, the listed files exist.
    labels = {"cat", "dog"}
    listed = [s for f in sorted((out / "ImageSets/Main").iterdir()) for s in f.read_text().split()]
    assert sorted(listed) == sorted(p.stem for p in (out / "Annotations").iterdir())
    for stem in listed:
        root = parse(out / "Annotations" / f"{stem}.xml").getroot()
        width, height = (
            int(root.findtext("size/width") or 0),
            int(root.findtext("size/height") or 0),
        )
        assert root.findtext("filename") and root.findtext("size/depth") == "3"
        for name, (xmin, ymin, xmax, ymax) in _boxes(out / "Annotations" / f"{stem}.xml"):
            assert name in labels
            assert 1 <= xmin <= xmax <= width and 1 <= ymin <= ymax <= height
        for obj in root.iter("object"):
            assert {obj.findtext(k) for k in voc.FLAGS} <= {"0", "1"}


def test_flags_and_attributes(tmp_path: Path) -> None:
    out, _, _ = _export(tmp_path)
    objects = list(parse(out / "Annotations/000001_a.xml").getroot().iter("object"))
    assert [o.findtext("occluded") for o in objects] == ["0", "0", "1"]
    assert [o.findtext("difficult") for o in objects] == ["0", "0", "0"]
    assert objects[2].findtext("attributes/attribute/name") == "breed"
    assert objects[2].findtext("attributes/attribute/value") == "tabby"
    only = next(parse(out / "Annotations/000004_d.xml").getroot().iter("object"))
    assert only.findtext("difficult") == "1"


def test_what_voc_cannot_hold_is_reported(tmp_path: Path) -> None:
    _, report, _ = _export(tmp_path)
    dropped = {d["reason"]: (d["count"], d["task_ids"]) for d in report.as_dict()["dropped"]}
    assert dropped == {
        "rotated boxes: VOC boxes are axis-aligned": (1, [1]),
        "polygon regions: VOC detection holds boxes only": (1, [1]),
        "classification regions: VOC detection holds boxes only": (1, [1]),
        "images of unknown size: VOC needs each image's width and height": (1, [3]),
        "results beyond the first of a task: VOC holds one set of labels per image": (1, [4]),
    }


def test_datumaro_reads_the_same_boxes(tmp_path: Path) -> None:
    from datumaro.components.annotation import AnnotationType
    from datumaro.components.dataset import Dataset

    out, _, _ = _export(tmp_path)
    dataset = Dataset.import_from(str(out), "voc", coordinate_mode="voc-one-based")
    names = [c.name for c in dataset.categories()[AnnotationType.label].items]
    items = {(item.subset, item.id): item for item in dataset}
    assert set(items) == {("train", "000001_a"), ("train", "000004_d"), ("val", "000002_b")}
    boxes = [
        (names[a.label], a.get_bbox(), a.attributes["occluded"])
        for a in items[("train", "000001_a")].annotations
        if a.type == AnnotationType.bbox
    ]
    assert boxes == [
        ("cat", [0.0, 0.0, 100.0, 80.0], False),
        ("dog", [10.0, 20.0, 30.0, 15.0], False),
        ("cat", [2.0, 3.0, 4.0, 5.0], True),
    ]
    assert items[("val", "000002_b")].annotations == []
    assert items[("train", "000001_a")].media.size == (80, 100)


def test_same_input_same_bytes(tmp_path: Path) -> None:
    first, _, _ = _export(tmp_path / "one")
    second, _, _ = _export(tmp_path / "two")
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        assert (first / name).read_bytes() == (second / name).read_bytes()


def _without_ids(regions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{k: v for k, v in r.items() if k not in ("id", "tool")} for r in regions]


def test_read_labels_of_written_boxes(tmp_path: Path) -> None:
    boxes = [
        _box("a", "cat", 0, 0, 100, 80),
        _box("b", "dog", 10, 20, 30, 15),
        _box(
            "c",
            "cat",
            2,
            3,
            4,
            5,
            attributes={"occluded": True, "difficult": True, "breed": "tabby"},
        ),
    ]
    items = [
        ExportItem(1, {}, "a.jpg", 100, 80, (ExportResult(boxes, "annotation"),)),
        ExportItem(2, {}, "b.jpg", 10, 10, ()),
    ]
    out, _, _ = _export(tmp_path, items)
    problems: list[tuple[str, str]] = []
    labels = voc.read_labels(out, lambda where, why: problems.append((where, why)))
    assert labels.media == "image" and labels.labels == {"bbox": ["cat", "dog"]}
    tasks = list(labels.tasks)
    assert [(t.media_name, t.width, t.height) for t in tasks] == [
        ("a.jpg", 100, 80),
        ("b.jpg", 10, 10),
    ]
    expected = [{k: v for k, v in b.items() if k != "attributes" or v} for b in boxes]
    assert _without_ids(tasks[0].annotations[0].regions) == _without_ids(expected)
    assert tasks[1].annotations == []
    assert problems == []


def test_read_labels_of_other_voc_files(tmp_path: Path) -> None:
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "labelmap.txt").write_text(
        "# label:color_rgb:parts:actions\nbackground:0,0,0::\nbird:::\n"
    )
    (tmp_path / "Annotations/x.xml").write_text(
        "<annotation><filename>x.jpg</filename><size><width>20</width><height>10</height>"
        "<depth>3</depth></size>"
        "<object><name>plane</name><pose>Left</pose><truncated>1</truncated>"
        "<bndbox><xmin>1.5</xmin><ymin>1</ymin><xmax>20</xmax><ymax>10</ymax></bndbox></object>"
        "<object><name>plane</name><bndbox><xmin>9</xmin><ymin>1</ymin><xmax>3</xmax>"
        "<ymax>2</ymax></bndbox></object>"
        "<object><bndbox><xmin>1</xmin><ymin>1</ymin><xmax>3</xmax><ymax>2</ymax></bndbox></object>"
        "<object><name>plane</name><bndbox><xmin>a</xmin></bndbox></object>"
        "</annotation>"
    )
    (tmp_path / "Annotations/broken.xml").write_text("<annotation><filename>")
    problems: list[tuple[str, str]] = []
    labels = voc.read_labels(tmp_path, lambda where, why: problems.append((where, why)))
    assert labels.labels == {"bbox": ["bird", "plane"]}  # an unused background is left out
    tasks = list(labels.tasks)
    assert len(tasks) == 1
    (region,) = tasks[0].annotations[0].regions
    assert region["geometry"] == {
        "x": 0.5,
        "y": 0.0,
        "width": 19.5,
        "height": 10.0,
        "rotation": 0.0,
    }
    assert region["attributes"] == {"truncated": True, "pose": "Left"}
    wheres = [w for w, _ in problems]
    assert wheres[0].startswith("Annotations/broken.xml")
    assert wheres[1:] == [
        "Annotations/x.xml: object[1]",
        "Annotations/x.xml: object[2]",
        "Annotations/x.xml: object[3]",
    ]


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<annotation><filename>&lol4;</filename><object><name>&lol4;</name></object></annotation>
"""

EXTERNAL = """<?xml version="1.0"?>
<!DOCTYPE annotation [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<annotation><filename>&secret;</filename></annotation>
"""


@pytest.mark.parametrize("document", [BILLION_LAUGHS, EXTERNAL])
def test_hostile_xml_is_refused(tmp_path: Path, document: str) -> None:
    (tmp_path / "Annotations").mkdir()
    (tmp_path / "Annotations/evil.xml").write_text(document)
    problems: list[tuple[str, str]] = []
    labels = voc.read_labels(tmp_path, lambda where, why: problems.append((where, why)))
    assert list(labels.tasks) == []
    assert labels.labels == {"bbox": []}
    assert problems and problems[0][0] == "Annotations/evil.xml"
    assert "refused" in problems[0][1]


def test_boxes_under_a_pixel_are_reported(tmp_path: Path) -> None:
    boxes = [_box("a", "cat", 3.0, 3.0, 0.4, 5.0), _box("b", "cat", 3.0, 3.0, 1.0, 1.0)]
    out, report, _ = _export(
        tmp_path, [ExportItem(1, {}, "a.jpg", 10, 10, (ExportResult(boxes, "annotation"),))]
    )
    assert _boxes(out / "Annotations/a.xml") == [("cat", [4, 4, 4, 4])]  # one pixel: xmin == xmax
    (drop,) = report.as_dict()["dropped"]
    assert drop == {
        "reason": "boxes under a pixel wide or high: VOC counts whole pixels",
        "count": 1,
        "task_ids": [1],
    }


def test_memory_does_not_grow_with_the_task_count(tmp_path: Path) -> None:
    """A file per image as it comes: ten times the tasks, about the same peak memory."""
    result = ExportResult(
        [_box("a", "cat", 1, 2, 3, 4), _box("b", "dog", 5, 5, 2, 2)], "annotation"
    )

    def write(n: int) -> None:
        ctx = Context(out=tmp_path / str(n), staging=tmp_path / f"s{n}", report=Report())
        writer = voc.VocWriter(SCHEMA, ctx)
        for i in range(n):
            writer.write(
                ExportItem(i, {}, f"{i:06d}.jpg", 10, 10, (result,), split=("train", "val")[i % 2])
            )
        writer.finish()

    def read(n: int) -> None:
        for _ in voc.read_labels(tmp_path / str(n), lambda where, why: None).tasks:
            pass

    def peak(run: Callable[[], None]) -> int:
        gc.collect()  # garbage of earlier tests is no part of this peak
        tracemalloc.start()
        try:
            run()
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(lambda: write(200)), peak(lambda: write(2000))
    assert large < small * 1.25, (small, large)
    # The reader holds the sorted names of the files (a short string each) and nothing else
    # per image: well under 200 bytes per file more.
    small, large = peak(lambda: read(200)), peak(lambda: read(2000))
    assert large < small + 1800 * 200, (small, large)


def test_images_whose_stems_collide_are_reported(tmp_path: Path) -> None:
    result = ExportResult([_box("a", "cat", 1, 1, 2, 2)], "annotation")
    items = [
        ExportItem(1, {}, "a.png", 10, 10, (result,)),
        ExportItem(2, {}, "a.jpg", 10, 10, (result, result)),
    ]
    out, report, placed = _export(tmp_path, items)
    assert placed == ["JPEGImages/a.png"]
    assert (out / "ImageSets/Main/default.txt").read_text() == "a\n"
    assert "<filename>a.png</filename>" in (out / "Annotations/a.xml").read_text()
    (drop,) = report.as_dict()["dropped"]
    assert drop["task_ids"] == [2] and drop["reason"].startswith("images whose name differs")
