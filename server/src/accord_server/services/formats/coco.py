"""COCO instances (``annotations.json``): written for exports, read for imports of existing
labels. One JSON with ``images`` (``file_name``, ``width``, ``height``), ``annotations`` and
``categories``; the media beside it under ``images/``.

How Accord's regions become COCO annotations (and come back):

- Categories: one per label of each box, polygon, keypoints and mask tool, numbered from 1 in
  the schema's order, ``supercategory`` the tool's name; a keypoints label carries the tool's
  ``keypoints`` names and its ``skeleton`` as 1-based index pairs, as COCO's person category.
- A box: ``bbox`` ``[x, y, width, height]`` in pixels, ``segmentation`` empty, ``area`` its own.
  A rotated box has no COCO shape of its own: it is written as its four corners (a polygon
  ``segmentation``), ``bbox`` the axis-aligned box around them, and ``attributes.rotation`` its
  angle (degrees, clockwise); a detector trained on ``bbox`` sees the box that holds it, a
  segmenter the turned rectangle, and the reader gives the rotated box back.
- A polygon: ``segmentation`` ``[[x1, y1, ...]]``, ``area`` the polygon's (not its box's).
- Keypoints: ``keypoints`` ``[x, y, v, ...]`` one triple per keypoint of the tool (an unlabeled
  one ``0, 0, 0``, as COCO writes it), ``num_keypoints`` those with ``v > 0``; Accord's keypoints
  have no box, so ``bbox`` is the extent of the labeled points (at least 1 pixel each way,
  ``shapes.keypoints_box``) and ``area`` that box's.
- A mask: ``segmentation`` its run-length encoding (``size`` ``[height, width]``, compressed
  ``counts``), ``bbox`` and ``area`` from the runs. ``iscrowd`` is 1 only for a region whose
  ``iscrowd`` attribute is true: COCOeval and detectron2 leave crowd objects out of training
  and scoring, so an ordinary mask must not be marked crowd because of its encoding.

What COCO instances cannot hold is dropped and counted: image-level answers (classification,
text), spans and relations, and every region of an image whose size is not known (COCO needs
``width`` and ``height``; such an image is left out of ``images`` too). Every chosen result's
regions are written (an export of every annotator's work has each person's annotations).

Streaming: ``images`` and ``annotations`` are written as they come to two files under
``ctx.staging`` and joined into ``annotations.json`` in ``finish``; nothing grows with the
number of tasks but the files. Numbers are written by orjson (shortest round-trip floats) and
ids follow the task order, so the same input gives the same bytes."""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

import orjson

from accord_server.schemas.label_schema import (
    BBoxTool,
    KeypointsTool,
    LabelSchema,
    MaskTool,
    PolygonTool,
)
from accord_server.services.formats import shapes
from accord_server.services.formats.coco_rle import decode_coco_rle, encode_coco_rle
from accord_server.services.formats.export import Context, ExportItem, Format, Json
from accord_server.services.formats.labels import LabelResult, LabelSet, LabelTask, Problem

__all__ = ["FORMAT", "CocoWriter", "read_labels"]

ANNOTATIONS_FILE = "annotations.json"
IMAGES_DIR = "images"
CATEGORY_TYPES = ("bbox", "polygon", "keypoints", "mask")
"""Tool types whose labels become COCO categories."""

NOT_HELD = {
    "classification": "classification answers: COCO instances hold no image-level labels",
    "text": "text answers: COCO instances hold no image-level text",
    "span": "span regions: COCO holds image shapes only",
    "relation": "relations: COCO has no links between annotations",
}
NO_SIZE_IMAGE = "images of unknown size: COCO needs width and height (left out)"
NO_SIZE_REGIONS = "regions of images of unknown size: COCO needs width and height"
UNKNOWN_LABEL = "regions whose tool and label are not in the export's schema"
EMPTY_SHAPE = "regions with no area inside the image (a box, polygon or mask of zero area)"
NO_KEYPOINTS = "keypoints regions with no labeled keypoint: COCO needs a box for them"
MASK_SIZE = "masks whose size is not the image's"
BAD_MASK = "masks whose run-length counts cannot be read"


def _dumps(value: Any) -> bytes:
    return orjson.dumps(value)


class CocoWriter:
    """Writes one COCO instances export (see the module's notes)."""

    def __init__(self, schema: LabelSchema, ctx: Context) -> None:
        self.ctx = ctx
        self.categories: list[Json] = []
        self.by_label: dict[tuple[str, str], int] = {}
        """(tool, label) -> category id."""
        for tool in schema.tools:
            if not isinstance(tool, BBoxTool | PolygonTool | KeypointsTool | MaskTool):
                continue
            for spec in tool.labels:
                category: Json = {
                    "id": len(self.categories) + 1,
                    "name": spec.name,
                    "supercategory": tool.name,
                }
                if isinstance(tool, KeypointsTool):
                    index = {name: i + 1 for i, name in enumerate(tool.keypoints)}
                    category["keypoints"] = list(tool.keypoints)
                    category["skeleton"] = [[index[a], index[b]] for a, b in tool.skeleton]
                self.by_label[(tool.name, spec.name)] = category["id"]
                self.categories.append(category)
        ctx.staging.mkdir(parents=True, exist_ok=True)
        self._images = (ctx.staging / "coco_images.json").open("wb")
        self._annotations = (ctx.staging / "coco_annotations.json").open("wb")
        self._image_count = 0
        self._annotation_id = 0

    def write(self, item: ExportItem) -> None:
        """Add the task's image and its regions' annotations."""
        regions = [r for result in item.results for r in result.regions]
        if item.width is None or item.height is None or item.width <= 0 or item.height <= 0:
            self.ctx.report.drop(NO_SIZE_IMAGE, task_id=item.task_id)
            if regions:
                self.ctx.report.drop(NO_SIZE_REGIONS, len(regions), task_id=item.task_id)
            return
        file_name = item.media_name or item.stem
        image = {
            "id": item.task_id,
            "file_name": file_name,
            "width": item.width,
            "height": item.height,
        }
        if item.media_name:
            self.ctx.place_media(item, f"{IMAGES_DIR}/{item.media_name}")
        _append(self._images, image, first=self._image_count == 0)
        self._image_count += 1
        for region in regions:
            annotation = self._annotation(item, region, item.width, item.height)
            if annotation is not None:
                _append(self._annotations, annotation, first=annotation["id"] == 1)

    def _annotation(self, item: ExportItem, region: Json, width: int, height: int) -> Json | None:
        kind = region.get("type")
        report = self.ctx.report
        if kind not in CATEGORY_TYPES:
            report.drop(
                NOT_HELD.get(str(kind), f"{kind} regions: COCO has no shape for them"),
                task_id=item.task_id,
            )
            return None
        category_id = self.by_label.get((str(region.get("tool")), str(region.get("label"))))
        if category_id is None:
            report.drop(UNKNOWN_LABEL, task_id=item.task_id)
            return None
        geometry = region.get("geometry") or {}
        body: Json | None
        if kind == "bbox":
            body = _box(geometry, width, height)
        elif kind == "polygon":
            body = _polygon(geometry["points"], width, height)
        elif kind == "keypoints":
            body = _keypoints(geometry["points"], width, height)
            if body is None:
                report.drop(NO_KEYPOINTS, task_id=item.task_id)
                return None
        else:
            body, reason = _mask(geometry, width, height, region)
            if body is None:
                report.drop(reason, task_id=item.task_id)
                return None
        if body is None:
            report.drop(EMPTY_SHAPE, task_id=item.task_id)
            return None
        self._annotation_id += 1
        return {
            "id": self._annotation_id,
            "image_id": item.task_id,
            "category_id": category_id,
            **body,
        }

    def finish(self) -> None:
        """Join the staged arrays into ``annotations.json``."""
        self._images.close()
        self._annotations.close()
        out = self.ctx.out / ANNOTATIONS_FILE
        out.parent.mkdir(parents=True, exist_ok=True)
        info = {"description": "Exported from Accord", "version": "1.0"}
        with out.open("wb") as f:
            f.write(b'{"info":' + _dumps(info) + b',"licenses":[],"images":[')
            with (self.ctx.staging / "coco_images.json").open("rb") as part:
                shutil.copyfileobj(part, f)
            f.write(b'],"annotations":[')
            with (self.ctx.staging / "coco_annotations.json").open("rb") as part:
                shutil.copyfileobj(part, f)
            f.write(b'],"categories":' + _dumps(self.categories) + b"}\n")


def _append(f: IO[bytes], value: Json, *, first: bool) -> None:
    if not first:
        f.write(b",")
    f.write(_dumps(value))


def _box(geometry: Json, width: int, height: int) -> Json | None:
    x, y, w, h = geometry["x"], geometry["y"], geometry["width"], geometry["height"]
    rotation = float(geometry.get("rotation") or 0.0)
    if rotation % 360 == 0:
        box = shapes.clip_box((x, y, w, h), width, height)
        if box[2] <= 0 or box[3] <= 0:
            return None
        return {"bbox": list(box), "segmentation": [], "area": box[2] * box[3], "iscrowd": 0}
    corners = [
        list(shapes.clip_point(px, py, width, height))
        for px, py in shapes.box_corners(x, y, w, h, rotation)
    ]
    body = _polygon(corners, width, height)
    if body is not None:
        body["attributes"] = {"rotation": rotation}
    return body


def _polygon(points: list[list[float]], width: int, height: int) -> Json | None:
    clipped = [shapes.clip_point(p[0], p[1], width, height) for p in points]
    area = shapes.polygon_area(clipped)
    box = shapes.extent(clipped)
    if area <= 0 or box[2] <= 0 or box[3] <= 0:
        return None
    flat = [v for point in clipped for v in point]
    return {"bbox": list(box), "segmentation": [flat], "area": area, "iscrowd": 0}


def _keypoints(points: list[list[float]], width: int, height: int) -> Json | None:
    box = shapes.keypoints_box(points, width, height)
    if box is None:
        return None
    flat: list[float | int] = []
    for x, y, v in points:
        if v > 0:
            flat.extend((x, y, int(v)))
        else:
            flat.extend((0, 0, 0))
    return {
        "bbox": list(box),
        "segmentation": [],
        "area": box[2] * box[3],
        "iscrowd": 0,
        "keypoints": flat,
        "num_keypoints": sum(1 for p in points if p[2] > 0),
    }


def _mask(geometry: Json, width: int, height: int, region: Json) -> tuple[Json | None, str]:
    rle = geometry["rle"]
    h, w = rle["size"]
    if (w, h) != (width, height):
        return None, MASK_SIZE
    counts = rle["counts"]
    runs = decode_coco_rle(counts) if isinstance(counts, str) else list(counts)
    if runs is None or sum(runs) != w * h:
        return None, BAD_MASK
    box, area = shapes.rle_box_area(runs, h)
    if area == 0:
        return None, EMPTY_SHAPE
    text = counts if isinstance(counts, str) else encode_coco_rle(runs)
    crowd = 1 if (region.get("attributes") or {}).get("iscrowd") is True else 0
    segmentation = {"size": [h, w], "counts": text}
    return {"bbox": list(box), "segmentation": segmentation, "area": area, "iscrowd": crowd}, ""


FORMAT = Format(
    name="coco",
    title="COCO",
    media=frozenset({"image"}),
    make=CocoWriter,
    description=(
        "COCO instances JSON (annotations.json) with boxes, polygons, RLE masks and keypoints "
        "with their skeleton; images under images/."
    ),
)


# Reading


def _annotation_files(folder: Path) -> list[Path]:
    """The COCO JSON files of an unpacked archive: ``annotations.json`` at its top, else every
    ``*.json`` in ``annotations/``, else every ``*.json`` at the top."""
    top = folder / ANNOTATIONS_FILE
    if top.is_file():
        return [top]
    for where in (folder / "annotations", folder):
        found = sorted(p for p in where.glob("*.json") if p.is_file()) if where.is_dir() else []
        if found:
            return found
    return []


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _numbers(value: object) -> list[float] | None:
    if not isinstance(value, list) or not all(_is_number(v) for v in value):
        return None
    return [float(v) for v in value]


class _CocoFile:
    """One COCO file, loaded once, its annotations grouped by image (indices only)."""

    def __init__(self, path: Path, folder: Path, problem: Problem) -> None:
        self.name = str(path.relative_to(folder))
        self.problem = problem
        self.images: list[Json] = []
        self.annotations: list[Json] = []
        self.categories: dict[int, Json] = {}
        self.by_image: dict[int, list[int]] = defaultdict(list)
        try:
            data = orjson.loads(path.read_bytes())
        except (OSError, orjson.JSONDecodeError) as error:
            problem(self.name, f"not a readable JSON file: {error}")
            return
        if not isinstance(data, dict):
            problem(self.name, "a COCO file is a JSON object with images and annotations")
            return
        for key in ("images", "annotations", "categories"):
            if not isinstance(data.get(key, []), list):
                problem(f"{self.name}: {key}", "must be an array")
                data[key] = []
        for i, category in enumerate(data.get("categories", [])):
            if (
                not isinstance(category, dict)
                or not isinstance(category.get("id"), int)
                or not isinstance(category.get("name"), str)
            ):
                problem(f"{self.name}: categories[{i}]", "needs an integer id and a name")
                continue
            self.categories[category["id"]] = category
        image_ids: set[int] = set()
        for i, image in enumerate(data.get("images", [])):
            if not isinstance(image, dict) or not isinstance(image.get("id"), int):
                problem(f"{self.name}: images[{i}]", "needs an integer id")
                continue
            if image["id"] in image_ids:
                problem(f"{self.name}: images[{i}]", f"duplicate image id {image['id']}")
                continue
            image_ids.add(image["id"])
            self.images.append(image)
        self.annotations = data.get("annotations", [])
        for i, ann in enumerate(self.annotations):
            where = f"{self.name}: annotations[{i}]"
            if not isinstance(ann, dict):
                problem(where, "must be an object")
                continue
            if ann.get("image_id") not in image_ids:
                problem(where, f"image_id {ann.get('image_id')!r} is not in images")
                continue
            if ann.get("category_id") not in self.categories:
                problem(where, f"category_id {ann.get('category_id')!r} is not in categories")
                continue
            self.by_image[ann["image_id"]].append(i)

    def kinds(self, ann: Json) -> list[str]:
        """The region types an annotation gives (without checking its values). Keypoints none
        of which is labeled (COCO's people with ``num_keypoints: 0``) give no keypoints region:
        such an annotation is its segmentation, or its box."""
        out = []
        segmentation = ann.get("segmentation")
        keypoints = ann.get("keypoints")
        if isinstance(keypoints, list) and any(_is_number(v) and v > 0 for v in keypoints[2::3]):
            out.append("keypoints")
        if isinstance(segmentation, dict):
            out.append("mask")
        elif isinstance(segmentation, list) and segmentation:
            rotation = (ann.get("attributes") or {}).get("rotation")
            out.append("bbox" if _is_number(rotation) else "polygon")
        if not out:
            out.append("bbox")
        return out

    def regions(self, index: int, image: Json) -> list[Json]:
        """The canonical regions of ``annotations[index]``; problems reported, bad parts left
        out."""
        ann = self.annotations[index]
        where = f"{self.name}: annotations[{index}]"
        category = self.categories[ann["category_id"]]
        label = category["name"]
        rid = str(ann.get("id", index))
        out: list[Json] = []
        kinds = self.kinds(ann)
        attributes: Json = {"iscrowd": True} if ann.get("iscrowd") == 1 else {}
        for kind in kinds:
            if kind == "keypoints":
                region = self._keypoints(where, ann, category)
                if region is not None:
                    out.append(
                        {
                            "id": f"{rid}-kp" if len(kinds) > 1 else rid,
                            "type": "keypoints",
                            "label": label,
                            "geometry": region,
                        }
                    )
            elif kind == "mask":
                geometry = self._rle(where, ann["segmentation"], image)
                if geometry is not None:
                    mask: Json = {"id": rid, "type": "mask", "label": label, "geometry": geometry}
                    if attributes:
                        mask["attributes"] = attributes
                    out.append(mask)
            elif kind == "polygon":
                parts = self._polygons(where, ann["segmentation"])
                for j, points in enumerate(parts):
                    out.append(
                        {
                            "id": rid if len(parts) == 1 else f"{rid}-{j + 1}",
                            "type": "polygon",
                            "label": label,
                            "geometry": {"points": points},
                        }
                    )
            else:
                geometry = self._box(where, ann)
                if geometry is not None:
                    out.append({"id": rid, "type": "bbox", "label": label, "geometry": geometry})
        return out

    def _box(self, where: str, ann: Json) -> Json | None:
        turn = (ann.get("attributes") or {}).get("rotation")
        if _is_number(turn) and isinstance(ann.get("segmentation"), list):
            rotation = float(cast(float, turn))
            corners = _numbers(ann["segmentation"][0]) if ann["segmentation"] else None
            if corners is None or len(corners) != 8:
                self.problem(where, "a rotated box needs its 4 corners as its segmentation")
                return None
            points = [corners[i : i + 2] for i in range(0, 8, 2)]
            x, y, w, h = shapes.box_from_corners(points, rotation)
            return {"x": x, "y": y, "width": w, "height": h, "rotation": rotation}
        box = _numbers(ann.get("bbox"))
        if box is None or len(box) != 4 or box[2] <= 0 or box[3] <= 0:
            self.problem(where, "bbox must be [x, y, width, height] with width and height > 0")
            return None
        return {"x": box[0], "y": box[1], "width": box[2], "height": box[3], "rotation": 0.0}

    def _polygons(self, where: str, segmentation: list[Any]) -> list[list[list[float]]]:
        parts = []
        for j, flat in enumerate(segmentation):
            values = _numbers(flat)
            if values is None or len(values) < 6 or len(values) % 2:
                self.problem(
                    f"{where}.segmentation[{j}]",
                    "a polygon is a flat list of at least 3 x, y pairs",
                )
                continue
            parts.append([values[i : i + 2] for i in range(0, len(values), 2)])
        return parts

    def _keypoints(self, where: str, ann: Json, category: Json) -> Json | None:
        values = _numbers(ann.get("keypoints"))
        names = category.get("keypoints")
        if not isinstance(names, list) or not names:
            self.problem(where, f'category "{category["name"]}" names no keypoints')
            return None
        if values is None or len(values) != 3 * len(names):
            self.problem(where, f"keypoints must be {len(names)} x, y, v triples")
            return None
        points: list[list[float | int]] = []
        for i in range(0, len(values), 3):
            v = int(values[i + 2])
            if v not in (0, 1, 2):
                self.problem(where, f"keypoint visibility must be 0, 1 or 2, not {v}")
                return None
            points.append([values[i], values[i + 1], v])
        return {"points": points}

    def _rle(self, where: str, segmentation: Json, image: Json) -> Json | None:
        size, counts = segmentation.get("size"), segmentation.get("counts")
        if (
            not isinstance(size, list)
            or len(size) != 2
            or not all(isinstance(s, int) and s > 0 for s in size)
        ):
            self.problem(f"{where}.segmentation.size", "must be [height, width]")
            return None
        h, w = size
        if isinstance(counts, str):
            runs = decode_coco_rle(counts)
        elif isinstance(counts, list) and all(isinstance(c, int) and c >= 0 for c in counts):
            runs = counts
        else:
            runs = None
        if runs is None or sum(runs) != h * w:
            self.problem(
                f"{where}.segmentation.counts", f"must be COCO RLE counts covering {h} x {w} pixels"
            )
            return None
        if (image.get("width"), image.get("height")) not in ((w, h), (None, None)):
            self.problem(
                f"{where}.segmentation.size", f"[{h}, {w}] is not the image's [height, width]"
            )
            return None
        return {
            "rle": {
                "size": [h, w],
                "counts": counts if isinstance(counts, str) else encode_coco_rle(runs),
            }
        }

    def tasks(self) -> Iterator[LabelTask]:
        for image in self.images:
            regions = []
            for index in self.by_image.get(image["id"], []):
                regions.extend(self.regions(index, image))
            width, height = image.get("width"), image.get("height")
            name = image.get("file_name")
            yield LabelTask(
                media_name=name if isinstance(name, str) else None,
                width=width if isinstance(width, int) else None,
                height=height if isinstance(height, int) else None,
                annotations=[LabelResult(regions=regions)] if regions else [],
            )


def read_labels(folder: Path, problem: Problem) -> LabelSet:
    """The labels of a COCO instances dataset in ``folder`` (see ``_annotation_files`` for
    where its JSON is looked for). Each file is loaded once; its annotations are converted
    image by image as the tasks are iterated. Annotations pointing at a missing image or
    category, or with values that are not COCO's, are reported and left out."""
    files = [_CocoFile(path, folder, problem) for path in _annotation_files(folder)]
    if not files:
        problem(str(folder.name), "no COCO JSON file (annotations.json or annotations/*.json)")
    labels: dict[str, list[str]] = {}
    keypoints: dict[str, list[str]] = {}
    skeletons: dict[str, list[tuple[str, str]]] = {}
    for coco in files:
        used: dict[int, set[str]] = defaultdict(set)
        for indices in coco.by_image.values():
            for index in indices:
                ann = coco.annotations[index]
                used[ann["category_id"]].update(coco.kinds(ann))
        for category_id, category in sorted(coco.categories.items()):
            name = category["name"]
            names = category.get("keypoints")
            # A category no annotation uses keeps its place as a box label (COCO's shape of
            # every annotation), or a keypoints label if it names keypoints.
            kinds = used.get(category_id) or {"keypoints" if names else "bbox"}
            for kind in CATEGORY_TYPES:
                if kind in kinds and name not in labels.get(kind, []):
                    labels.setdefault(kind, []).append(name)
            if isinstance(names, list) and names and all(isinstance(n, str) for n in names):
                keypoints.setdefault(name, list(names))
                edges = []
                for edge in category.get("skeleton") or []:
                    if (
                        isinstance(edge, list)
                        and len(edge) == 2
                        and all(isinstance(e, int) and 1 <= e <= len(names) for e in edge)
                    ):
                        edges.append((names[edge[0] - 1], names[edge[1] - 1]))
                skeletons.setdefault(name, edges)

    def tasks() -> Iterator[LabelTask]:
        for coco in files:
            yield from coco.tasks()

    return LabelSet(
        media="image", labels=labels, tasks=tasks(), keypoints=keypoints, skeletons=skeletons
    )
