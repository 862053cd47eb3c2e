"""``client.imports.labels`` and ``accord import-labels``: an export of another tool (a folder,
zipped on the fly, or a ZIP archive) comes in as tasks with their annotations."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest
from PIL import Image
from support import SCHEMA, Member, Stack

from accord import Client, InvalidRequest
from accord._cli import main


def coco_folder(root: Path) -> Path:
    """A COCO dataset: annotations.json and two images (a hidden file that is not sent)."""
    (root / "images").mkdir(parents=True)
    for name, size in (("a.png", (64, 48)), ("b.png", (50, 40))):
        buf = io.BytesIO()
        Image.new("RGB", size).save(buf, format="PNG")
        (root / "images" / name).write_bytes(buf.getvalue())
    (root / ".DS_Store").write_bytes(b"\0junk")
    coco = {
        "images": [
            {"id": 1, "file_name": "a.png", "width": 64, "height": 48},
            {"id": 2, "file_name": "b.png", "width": 50, "height": 40},
        ],
        "categories": [{"id": 1, "name": "car"}, {"id": 2, "name": "person"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 1, "bbox": [1.5, 2, 10, 5], "area": 50},
            {"id": 2, "image_id": 2, "category_id": 2, "bbox": [3, 4, 6, 7], "area": 42},
        ],
    }
    (root / "annotations.json").write_text(json.dumps(coco))
    return root


def test_a_folder_is_zipped_and_its_labels_imported(client: Client, tmp_path: Path) -> None:
    project = client.projects.create("P", SCHEMA)
    job = client.imports.labels(project, coco_folder(tmp_path / "coco"), format="coco")
    assert job.state == "succeeded", job
    assert (job.counts.tasks, job.counts.annotations, job.counts.media_files) == (2, 2, 2)
    tasks = {t.data["filename"]: t for t in client.tasks.list(project.id)}
    assert sorted(tasks) == ["a.png", "b.png"]
    [annotation] = [
        a for a in client.annotations.list(project.id) if a.task_id == tasks["a.png"].id
    ]
    assert annotation.result[0]["tool"] == "objects"
    assert annotation.result[0]["geometry"] == {
        "x": 1.5,
        "y": 2,
        "width": 10,
        "height": 5,
        "rotation": 0,
    }


def test_a_zip_builds_the_schema_of_a_new_project(client: Client, tmp_path: Path) -> None:
    folder = coco_folder(tmp_path / "coco")
    archive = tmp_path / "coco.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in folder.rglob("*.*"):
            zf.write(path, path.relative_to(folder).as_posix())
    project = client.projects.create(
        "Q", {"media": "image", "tools": [{"name": "x", "type": "bbox", "labels": ["x"]}]}
    )
    job = client.imports.labels(
        project.id, archive, format="coco", schema_from_labels=True, progress=False
    )
    assert (job.state, job.counts.tasks) == ("succeeded", 2)
    schema = client.projects.get(project.id).label_schema
    assert [(t["name"], [label["name"] for label in t["labels"]]) for t in schema["tools"]] == [
        ("bbox", ["car", "person"])
    ]


def test_a_hostile_archive_is_an_invalid_request(client: Client, tmp_path: Path) -> None:
    project = client.projects.create("P", SCHEMA)
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("annotations.json", "{}")
        zf.writestr("../../outside.png", b"x")
    with pytest.raises(InvalidRequest, match=r"bad\.zip: \.\./\.\./outside\.png"):
        client.imports.labels(project.id, archive, format="coco")
    with pytest.raises(ValueError, match="format: 'pascal'"):
        client.imports.labels(project.id, archive, format="pascal")  # type: ignore[arg-type]


def test_cli_import_labels(
    stack: Stack,
    owner: Member,
    client: Client,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ACCORD_URL", stack.url)
    monkeypatch.setenv("ACCORD_TOKEN", owner.token)
    project = client.projects.create("P", SCHEMA)
    folder = coco_folder(tmp_path / "coco")
    code = main(
        ["import-labels", str(project.id), str(folder), "--format", "coco", "--no-progress"]
    )
    assert code == 0
    job = json.loads(capsys.readouterr().out)
    assert (job["state"], job["counts"]["tasks"], job["counts"]["annotations"]) == (
        "succeeded",
        2,
        2,
    )
