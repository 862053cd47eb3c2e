"""Imports of existing labels over real HTTP (issue 14, item 2): for each format a project's
labels written by its writer, zipped with the images, come back into a new project with the same
tasks, regions (within the format's precision), labels and annotators; fixtures written from
Label Studio's and CVAT's documentation import; hostile archives are refused naming the entry,
storing nothing; another organization's project is a 404 and an annotator may not import."""

from __future__ import annotations

import io
import json
import os
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy import func, select

from accord_server.db.models import Annotation, Job, Prediction, Project, Task, User
from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.formats.export import Context, ExportItem, ExportResult, Report
from accord_server.services.formats.registry import EXPORT_FORMATS
from accord_server.settings import Settings
from support import IMAGE_SCHEMA, TEXT_SCHEMA, Factory, Member, Stack, running_stack

FIXTURES = Path(__file__).parent.parent / "services" / "formats"

SOURCE_SCHEMA = LabelSchema.model_validate(
    {
        "media": "image",
        "tools": [
            {"name": "objects", "type": "bbox", "labels": ["car", "person"]},
            {"name": "outline", "type": "polygon", "labels": ["car"]},
        ],
    }
)
SIZES = {"a.png": (64, 48), "b.png": (50, 40)}
CAR = {"x": 10.25, "y": 20.5, "width": 30.125, "height": 15.75}
PERSON = {"x": 1.0, "y": 2.0, "width": 5.5, "height": 6.0}
B_CAR = {"x": 3.3333333, "y": 4.4444444, "width": 20.0, "height": 10.0}
OUTLINE = [[5.0, 5.0], [40.5, 5.0], [20.25, 30.75]]

TOLERANCE = {"coco": 1e-9, "yolo": 1e-4, "voc": 1.0, "cvat": 0.0101, "label_studio": 1e-6}
"""How far a coordinate may move through a format: YOLO keeps 6 decimals of a fraction of the
size (centre and size each: 2 × 0.5e-6 × 64 px), CVAT 2 decimals of each corner (a width moves
by both), VOC whole pixels."""
HOLDS_POLYGONS = {"coco", "cvat", "label_studio"}
CARRIES_ANNOTATORS = {"label_studio"}


def png(width: int, height: int) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (120, 30, 200)).save(buf, format="PNG")
    return buf.getvalue()


def _regions(email: str) -> dict[str, list[dict[str, Any]]]:
    def box(rid: str, label: str, geometry: dict[str, float]) -> dict[str, Any]:
        return {"id": rid, "tool": "objects", "type": "bbox", "label": label, "geometry": geometry}

    return {
        "a.png": [box("r1", "car", CAR), box("r2", "person", PERSON)],
        "b.png": [
            box("r3", "car", B_CAR),
            {
                "id": "r4",
                "tool": "outline",
                "type": "polygon",
                "label": "car",
                "geometry": {"points": OUTLINE},
            },
        ],
    }


def export_zip(tmp: Path, fmt: str, email: str) -> Path:
    """The format's writer run on two labelled images, its folder zipped with the images."""
    out = tmp / f"{fmt}-out"
    images = {name: png(*size) for name, size in SIZES.items()}

    def place(item: ExportItem, path: str) -> None:
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(images[str(item.media_name)])

    ctx = Context(
        out=out,
        staging=tmp / f"{fmt}-staging",
        report=Report(),
        place_media=place,
        include_media=True,
    )
    writer = EXPORT_FORMATS[fmt].make(SOURCE_SCHEMA, ctx)
    for n, (name, regions) in enumerate(_regions(email).items(), start=1):
        w, h = SIZES[name]
        result = ExportResult(regions, "annotation", annotation_id=n, annotator=email)
        data = {"image": f"https://media.example.com/images/{name}", "filename": name}
        writer.write(ExportItem(n, data, name, w, h, (result,)))
    writer.finish()
    archive = tmp / f"{fmt}.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(out.rglob("*")):
            if path.is_file():
                zf.write(path, path.relative_to(out).as_posix())
    return archive


def upload_labels(
    stack: Stack, token: str, project_id: int, files: list[tuple[str, bytes]], **fields: str
) -> Any:
    with stack.client(token) as client:
        return client.post(
            f"/api/v1/projects/{project_id}/imports/files",
            files=[("files", (name, data, "application/octet-stream")) for name, data in files],
            data=fields,
        )


def run_job(stack: Stack, token: str, job_id: int) -> dict[str, Any]:
    stack.run_jobs()
    with stack.client(token) as client:
        return dict(client.get(f"/api/v1/jobs/{job_id}").json())


def _close(a: Any, b: Any, tol: float) -> bool:
    if isinstance(a, dict):
        return set(a) >= set(b) and all(_close(a[k], b[k], tol) for k in b)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y, tol) for x, y in zip(a, b, strict=True))
    return bool(abs(float(a) - float(b)) <= tol)


def _geometry(region: dict[str, Any]) -> dict[str, Any]:
    g = dict(region["geometry"])
    if region["type"] == "bbox" and not g.get("rotation"):
        g.pop("rotation", None)
    return g


def new_project(factory: Factory, owner: Member) -> int:
    """A new project for the labels: its placeholder schema is replaced by the labels'."""
    return int(factory.project(owner)["id"])


@pytest.mark.parametrize("fmt", ["coco", "yolo", "voc", "cvat", "label_studio"])
def test_a_round_trip_brings_back_tasks_regions_labels_and_annotators(
    stack: Stack, factory: Factory, tmp_path: Path, fmt: str
) -> None:
    owner = factory.owner()
    archive = export_zip(tmp_path, fmt, owner.email)
    pid = new_project(factory, owner)
    response = upload_labels(
        stack,
        owner.token,
        pid,
        [(archive.name, archive.read_bytes())],
        labels_format=fmt,
        schema_from_labels="true",
    )
    assert response.status_code == 202, response.text
    job = run_job(stack, owner.token, response.json()["id"])
    assert job["state"] == "succeeded", job
    assert job["counts"]["tasks"] == 2 and job["counts"]["annotations"] == 2, job
    assert job["counts"]["items_skipped"] == 0

    expected = _regions(owner.email)
    tol = TOLERANCE[fmt]
    with stack.runtime.db.session() as session:
        project = session.get(Project, pid)
        assert project is not None
        types = {t["type"]: t for t in project.label_schema["tools"]}
        assert sorted(label["name"] for label in types["bbox"]["labels"]) == ["car", "person"]
        assert ("polygon" in types) == (fmt in HOLDS_POLYGONS)
        tasks = {t.data["filename"]: t for t in session.scalars(select(Task))}
        assert sorted(tasks) == sorted(SIZES)
        for name, task in tasks.items():
            assert (task.meta["width"], task.meta["height"]) == SIZES[name]
            assert task.data["image"].startswith(f"/api/v1/projects/{pid}/media/")
            [ann] = session.scalars(select(Annotation).where(Annotation.task_id == task.id))
            user = session.get(User, ann.user_id)
            assert user is not None
            if fmt in CARRIES_ANNOTATORS:
                assert user.email == owner.email
            else:
                assert user.name == "Imported annotator 1" and not user.is_active
            want = [r for r in expected[name] if r["type"] == "bbox" or fmt in HOLDS_POLYGONS]
            got = sorted(
                ann.result, key=lambda r: (r["type"], r["label"], _geometry(r).get("x", 0))
            )
            want = sorted(want, key=lambda r: (r["type"], r["label"], r["geometry"].get("x", 0)))
            assert [(r["type"], r["label"]) for r in got] == [(r["type"], r["label"]) for r in want]
            for g, w in zip(got, want, strict=True):
                assert _close(_geometry(g), w["geometry"], tol), (fmt, g, w)
                assert g["tool"] == g["type"]  # the new schema's tool of that type


def test_labels_go_into_an_existing_project_and_a_label_it_lacks_is_reported(
    stack: Stack, factory: Factory, tmp_path: Path
) -> None:
    owner = factory.owner()
    pid = int(factory.project(owner)["id"])  # objects: car, person, bike; no polygon "car"... has
    coco = {
        "images": [
            {"id": 1, "file_name": "a.png", "width": 64, "height": 48},
            {"id": 2, "file_name": "b.png", "width": 50, "height": 40},
            {"id": 3, "file_name": "gone.png", "width": 50, "height": 40},
        ],
        "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "truck"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1, 2, 10, 5], "area": 50},
            {"id": 2, "image_id": 2, "category_id": 2, "bbox": [1, 2, 10, 5], "area": 50},
            {"id": 3, "image_id": 3, "category_id": 1, "bbox": [1, 2, 10, 5], "area": 50},
        ],
    }
    files = [
        ("annotations.json", json.dumps(coco).encode()),
        ("images/a.png", png(64, 48)),
        ("images/b.png", png(50, 40)),
    ]
    response = upload_labels(
        stack, owner.token, pid, files, labels_format="coco", skip_invalid="true"
    )
    assert response.status_code == 202, response.text
    job = run_job(stack, owner.token, response.json()["id"])
    assert job["state"] == "succeeded", job
    assert (job["counts"]["tasks"], job["counts"]["annotations"]) == (2, 1)
    assert (job["counts"]["items_skipped"], job["counts"]["annotations_dropped"]) == (1, 1)
    problems = {(e["file"], e["scope"]): e["message"] for e in job["errors"]}
    assert problems[("b.png", "annotations")] == "no bbox tool with the label 'truck'"
    assert "gone.png" in problems[("gone.png", "row")]
    with stack.runtime.db.session() as session:
        [ann] = session.scalars(select(Annotation))
        assert ann.result[0]["tool"] == "objects" and ann.result[0]["label"] == "car"
        project = session.get(Project, pid)
        assert project is not None and project.label_schema["tools"][0]["name"] == "objects"

    # All or nothing (the default): the item without its image fails the import whole.
    response = upload_labels(stack, owner.token, pid, files, labels_format="coco")
    job = run_job(stack, owner.token, response.json()["id"])
    assert job["state"] == "failed" and "gone.png" in job["message"], job
    with stack.runtime.db.session() as session:
        assert session.scalar(select(func.count()).select_from(Task)) == 2


def test_schema_from_labels_refuses_a_project_with_annotations(
    stack: Stack, factory: Factory, tmp_path: Path
) -> None:
    owner = factory.owner()
    archive = export_zip(tmp_path, "coco", owner.email)
    pid = new_project(factory, owner)
    blob = [(archive.name, archive.read_bytes())]
    first = upload_labels(stack, owner.token, pid, blob, labels_format="coco")
    assert run_job(stack, owner.token, first.json()["id"])["state"] == "succeeded"
    again = upload_labels(
        stack, owner.token, pid, blob, labels_format="coco", schema_from_labels="true"
    )
    job = run_job(stack, owner.token, again.json()["id"])
    assert job["state"] == "failed" and "schema_from_labels" in job["message"], job
    with stack.runtime.db.session() as session:
        project = session.get(Project, pid)
        assert project is not None
        assert project.label_schema["tools"][0]["name"] == IMAGE_SCHEMA["tools"][0]["name"]


def test_a_label_studio_export_from_its_documentation_imports(
    stack: Stack, factory: Factory
) -> None:
    """A task as Label Studio's export documentation shows one: an uploaded image, an
    annotation by user 1 with a rectangle and a choice, and a model's prediction."""
    owner = factory.owner()
    pid = new_project(factory, owner)
    rect = {
        "original_width": 64,
        "original_height": 48,
        "image_rotation": 0,
        "value": {
            "x": 25,
            "y": 50,
            "width": 50,
            "height": 25,
            "rotation": 0,
            "rectanglelabels": ["Cat"],
        },
        "id": "bb1",
        "from_name": "label",
        "to_name": "image",
        "type": "rectanglelabels",
        "origin": "manual",
    }
    choice = {
        "value": {"choices": ["Good"]},
        "id": "c1",
        "from_name": "quality",
        "to_name": "image",
        "type": "choices",
    }
    tasks = [
        {
            "id": 1,
            "data": {"image": "/data/upload/1/6f8b1c2e-cat.png"},
            "annotations": [
                {
                    "id": 1,
                    "completed_by": 1,
                    "result": [rect, choice],
                    "was_cancelled": False,
                    "ground_truth": False,
                    "created_at": "2021-03-09T22:16:08.728578Z",
                    "updated_at": "2021-03-09T22:16:08.728599Z",
                    "lead_time": 4.2,
                    "task": 1,
                }
            ],
            "predictions": [{"model_version": "v1", "score": 0.8, "result": [rect]}],
            "meta": {},
            "created_at": "2021-03-09T21:52:49.513742Z",
            "updated_at": "2021-03-09T22:16:08.751025Z",
            "project": 1,
        }
    ]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("export.json", json.dumps(tasks))
        zf.writestr("upload/1/cat.png", png(64, 48))
    response = upload_labels(
        stack,
        owner.token,
        pid,
        [("ls.zip", buf.getvalue())],
        labels_format="label_studio",
        schema_from_labels="true",
    )
    assert response.status_code == 202, response.text
    job = run_job(stack, owner.token, response.json()["id"])
    assert job["state"] == "succeeded", job
    assert (job["counts"]["tasks"], job["counts"]["annotations"], job["counts"]["predictions"]) == (
        1,
        1,
        1,
    )
    with stack.runtime.db.session() as session:
        [ann] = session.scalars(select(Annotation))
        box = next(r for r in ann.result if r["type"] == "bbox")
        assert box["label"] == "Cat"
        assert _close(box["geometry"], {"x": 16, "y": 24, "width": 32, "height": 12}, 1e-9)
        assert next(r for r in ann.result if r["type"] == "classification")["value"] == {
            "choices": ["Good"]
        }
        user = session.get(User, ann.user_id)
        assert user is not None and user.name == "Label Studio user 1"
        prediction = session.scalars(select(Prediction)).one()
        assert (prediction.score, prediction.model_version) == (0.8, "v1")


def test_a_cvat_export_from_its_documentation_imports(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    pid = new_project(factory, owner)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.write(FIXTURES / "cvat_docs_example.xml", "annotations.xml")
        for name in ("filename000.jpg", "filename001.jpg"):
            image = io.BytesIO()
            Image.new("RGB", (1600, 1200)).save(image, format="JPEG")
            zf.writestr(f"images/{name}", image.getvalue())
    response = upload_labels(
        stack,
        owner.token,
        pid,
        [("cvat.zip", buf.getvalue())],
        labels_format="cvat",
        schema_from_labels="true",
        skip_invalid="true",
    )
    assert response.status_code == 202, response.text
    job = run_job(stack, owner.token, response.json()["id"])
    assert job["state"] == "succeeded", job
    assert job["counts"]["tasks"] == 2, job
    with stack.runtime.db.session() as session:
        tasks = {t.data["filename"]: t for t in session.scalars(select(Task))}
        assert sorted(tasks) == ["filename000.jpg", "filename001.jpg"]
        [ann] = session.scalars(select(Annotation))
        assert ann.task_id == tasks["filename000.jpg"].id
        plate = next(r for r in ann.result if r.get("label") == "plate")
        assert _close(
            plate["geometry"], {"x": 797.33, "y": 870.92, "width": 168.19, "height": 58.02}, 1e-6
        )
        assert {r["type"] for r in ann.result} >= {"bbox", "polygon", "mask", "keypoints"}
        # The 3-point skeleton and the 4-point ``points`` cannot share a keypoints tool.
        project = session.get(Project, pid)
        assert project is not None
        keypoint_tools = {
            (tuple(label["name"] for label in t["labels"]), tuple(t["keypoints"]))
            for t in project.label_schema["tools"]
            if t["type"] == "keypoints"
        }
        assert keypoint_tools == {(("s1",), ("1", "2", "3")), (("wheel",), ("1", "2", "3", "4"))}
    # The polyline has no Accord region: the reader says so, in the report.
    assert any("polyline" in e["message"] for e in job["errors"]), job["errors"]


# --- hostile archives -------------------------------------------------------------------------


def _zip(entries: list[tuple[zipfile.ZipInfo | str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for info, data in entries:
            zf.writestr(info, data)
    return buf.getvalue()


def _symlink(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def _stored(stack: Stack) -> tuple[int, int]:
    """Media blobs stored and job rows."""
    media = stack.settings.data_dir / "media"
    blobs = sum(len(f) for _, _, f in os.walk(media)) if media.exists() else 0
    with stack.runtime.db.session() as session:
        return blobs, int(session.scalar(select(func.count()).select_from(Job)) or 0)


HOSTILE = {
    "traversal": ([("annotations.json", b"{}"), ("../evil.png", b"x")], "../evil.png"),
    "absolute": ([("annotations.json", b"{}"), ("/etc/evil.png", b"x")], "/etc/evil.png"),
    "symlink": (
        [("annotations.json", b"{}"), _symlink("images/a.png", "/etc/passwd")],
        "images/a.png",
    ),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_archive_is_refused_naming_the_entry_and_nothing_is_stored(
    stack: Stack, factory: Factory, case: str
) -> None:
    owner = factory.owner()
    pid = new_project(factory, owner)
    entries, named = HOSTILE[case]
    before = _stored(stack)
    response = upload_labels(
        stack, owner.token, pid, [("bad.zip", _zip(entries))], labels_format="coco"
    )
    assert response.status_code == 422, response.text
    assert f"bad.zip: {named}" in response.json()["message"], response.text
    assert _stored(stack) == before


@pytest.mark.parametrize("case", ["too many files", "too large"])
def test_an_archive_past_the_limits_is_refused(
    settings: Settings, tmp_path: Path, case: str
) -> None:
    limits = {"max_archive_files": 3, "max_upload_bytes": 256 * 1024}
    with running_stack(settings.model_copy(update=limits)) as stack:
        factory = Factory(stack)
        owner = factory.owner()
        pid = new_project(factory, owner)
        if case == "too many files":
            entries: list[tuple[zipfile.ZipInfo | str, bytes]] = [
                (f"images/{n}.png", b"x") for n in range(5)
            ]
            named, reason = "images/3.png", "too many files"
        else:  # a bomb: 4 MiB of zeros packs into a few KiB
            entries = [("annotations.json", b"{}"), ("images/big.png", bytes(4 * 1024 * 1024))]
            named, reason = "images/big.png", "too large"
        blob = _zip(entries)
        assert len(blob) < limits["max_upload_bytes"]
        before = _stored(stack)
        response = upload_labels(
            stack, owner.token, pid, [("bomb.zip", blob)], labels_format="coco"
        )
        assert response.status_code == 422, response.text
        message = response.json()["message"]
        assert f"bomb.zip: {named}" in message and reason in message, message
        assert _stored(stack) == before


def test_the_job_checks_an_archive_from_an_import_source_too(
    stack: Stack, factory: Factory
) -> None:
    """An archive read from a granted folder was never checked by a request: the job refuses
    it, naming the entry, and writes nothing."""
    owner = factory.owner()
    pid = new_project(factory, owner)
    (stack.import_root / "labels").mkdir()
    (stack.import_root / "labels" / "bad.zip").write_bytes(
        _zip([("annotations.json", b"{}"), ("../../escape.txt", b"x")])
    )
    source_id = factory.grant(owner)
    with stack.client(owner.token) as client:
        response = client.post(
            f"/api/v1/projects/{pid}/imports",
            json={"source": {"id": source_id, "path": "labels"}, "labels_format": "coco"},
        )
    assert response.status_code == 202, response.text
    job = run_job(stack, owner.token, response.json()["id"])
    assert job["state"] == "failed" and "../../escape.txt" in job["message"], job
    assert not (stack.import_root / "escape.txt").exists()


# --- who may import ---------------------------------------------------------------------------


def test_another_organizations_project_is_not_found(
    stack: Stack, factory: Factory, tmp_path: Path
) -> None:
    owner = factory.owner("Ours")
    stranger = factory.owner("Theirs")
    pid = new_project(factory, owner)
    archive = export_zip(tmp_path, "coco", owner.email)
    response = upload_labels(
        stack, stranger.token, pid, [(archive.name, archive.read_bytes())], labels_format="coco"
    )
    assert response.status_code == 404, response.text
    with stack.client(stranger.token) as client:
        response = client.post(
            f"/api/v1/projects/{pid}/imports",
            json={"source": {"id": 1, "path": ""}, "labels_format": "coco"},
        )
    assert response.status_code == 404, response.text
    assert _stored(stack)[1] == 0


def test_an_annotator_cannot_import_labels(stack: Stack, factory: Factory, tmp_path: Path) -> None:
    owner = factory.owner()
    annotator = factory.member(owner, "annotator")
    pid = new_project(factory, owner)
    archive = export_zip(tmp_path, "coco", owner.email)
    response = upload_labels(
        stack, annotator.token, pid, [(archive.name, archive.read_bytes())], labels_format="coco"
    )
    assert response.status_code == 403, response.text
    assert _stored(stack)[1] == 0


def test_options_are_checked_before_anything_is_kept(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    pid = new_project(factory, owner)
    response = upload_labels(stack, owner.token, pid, [("a.zip", b"PK")], labels_format="pascal")
    assert response.status_code == 422 and "labels_format" in response.text
    response = upload_labels(
        stack, owner.token, pid, [("a.zip", b"not a zip")], labels_format="voc"
    )
    assert response.status_code == 422 and "a.zip: not a ZIP archive" in response.text
    with stack.client(owner.token) as client:
        response = client.post(
            f"/api/v1/projects/{pid}/imports",
            json={"tasks": [{"image": "x.png"}], "labels_format": "label_studio"},
        )
        assert response.status_code == 422 and "labels_format" in response.text
        response = client.post(
            f"/api/v1/projects/{pid}/imports",
            json={"tasks": [{"image": "x.png"}], "schema_from_labels": True},
        )
        assert response.status_code == 422 and "schema_from_labels" in response.text
    assert _stored(stack) == (0, 0)


def test_schema_from_labels_takes_the_labels_media(stack: Stack, factory: Factory) -> None:
    """A Label Studio export of text tasks becomes a text project, whatever media the new
    project's placeholder schema had."""
    owner = factory.owner()
    pid = new_project(factory, owner)  # an image schema
    span = {
        "id": "s1",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "value": {"start": 0, "end": 5, "text": "Alice", "labels": ["PER"]},
    }
    tasks = [
        {
            "id": 7,
            "data": {"text": "Alice went to Paris."},
            "annotations": [{"id": 1, "completed_by": {"email": owner.email}, "result": [span]}],
        }
    ]
    response = upload_labels(
        stack,
        owner.token,
        pid,
        [("tasks.json", json.dumps(tasks).encode())],
        labels_format="label_studio",
        schema_from_labels="true",
    )
    assert response.status_code == 202, response.text
    job = run_job(stack, owner.token, response.json()["id"])
    assert job["state"] == "succeeded", job
    with stack.runtime.db.session() as session:
        project = session.get(Project, pid)
        assert project is not None and project.media == "text"
        [task] = session.scalars(select(Task))
        assert task.data["text"] == "Alice went to Paris."
        [ann] = session.scalars(select(Annotation))
        assert ann.user_id == owner.user.id
        assert [(r["label"], r["geometry"]) for r in ann.result] == [
            ("PER", {"start": 0, "end": 5})
        ]


def test_images_go_into_a_new_project_whose_placeholder_schema_was_text(
    stack: Stack, factory: Factory, tmp_path: Path
) -> None:
    owner = factory.owner()
    pid = int(factory.project(owner, TEXT_SCHEMA)["id"])
    archive = export_zip(tmp_path, "coco", owner.email)
    response = upload_labels(
        stack,
        owner.token,
        pid,
        [(archive.name, archive.read_bytes())],
        labels_format="coco",
        schema_from_labels="true",
    )
    job = run_job(stack, owner.token, response.json()["id"])
    assert job["state"] == "succeeded", job
    assert (job["counts"]["media_files"], job["counts"]["tasks"]) == (2, 2)
    with stack.runtime.db.session() as session:
        project = session.get(Project, pid)
        assert project is not None and project.media == "image"
        assert {t.meta["width"] for t in session.scalars(select(Task))} == {64, 50}
