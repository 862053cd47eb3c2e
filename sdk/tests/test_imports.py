"""client.imports: inline tasks, the large-import path, files, folders, server folders."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from support import BOX, SCHEMA, Factory, Member, Stack, client_for
from transports import Recorder

from accord import Client, ImportFailed, InvalidRequest, JobFailed, NotFound
from accord._resources.imports import JSON_BODY_MAX_TASKS


def _png(path: Path, size: tuple[int, int] = (8, 6)) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, format="PNG")
    path.write_bytes(buf.getvalue())


def test_small_import_is_one_json_body(stack: Stack, owner: Member) -> None:
    recorder = Recorder()
    with Client(stack.url, owner.token, transport=recorder) as c:
        project = c.projects.create("P", SCHEMA)
        job = c.imports.tasks(
            project.id, [{"image": "https://x/1.jpg"}], batch="first", progress=False
        )
    assert (job.state, job.counts.tasks) == ("succeeded", 1)
    assert f"/api/v1/projects/{project.id}/imports" in recorder.paths("POST")
    assert not any(p.endswith("/imports/files") for p in recorder.paths("POST"))


def test_large_import_goes_through_a_file_upload(stack: Stack, owner: Member) -> None:
    recorder = Recorder()
    n = 5000
    with Client(stack.url, owner.token, transport=recorder) as c:
        project = c.projects.create("P", SCHEMA)
        job = c.imports.tasks(
            project.id,
            ({"data": {"image": f"https://x/{i}.jpg"}, "priority": i % 3} for i in range(n)),
            progress=False,
        )
        assert (job.state, job.counts.tasks, job.counts.files) == ("succeeded", n, 1)
        assert c.projects.progress(project.id).tasks == n
        assert sum(1 for _ in c.tasks.list(project.id, page_size=1000)) == n
    posts = [r for r in recorder.requests if r.method == "POST" and "/imports" in r.url.path]
    assert [r.url.path for r in posts] == [f"/api/v1/projects/{project.id}/imports/files"]
    assert posts[0].headers["Content-Type"].startswith("multipart/form-data")


def test_progress_bar_shows_the_phase_and_counts_in_full(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    project = client.projects.create("P", SCHEMA)
    job = client.imports.tasks(project.id, [{"image": f"https://x/{i}.jpg"} for i in range(1500)])
    bar = capsys.readouterr().err.split("\r")[-1]
    assert f"job {job.id} succeeded: 100%" in bar
    assert "1,500 tasks, 1,500 rows, 0 errors" in bar


def test_progress_bar_counts_one_in_the_singular(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    project = client.projects.create("P", SCHEMA)
    client.imports.tasks(project.id, [{"image": "https://x/1.jpg"}])
    assert "1 task, 1 row, 0 errors" in capsys.readouterr().err.split("\r")[-1]


def test_a_few_large_tasks_go_as_a_file_too(stack: Stack, owner: Member) -> None:
    recorder = Recorder()
    long_text = "word " * 60_000  # 300 KB a task: four of them are past the JSON body size
    with Client(stack.url, owner.token, transport=recorder) as c:
        project = c.projects.create("P", SCHEMA)
        job = c.imports.tasks(
            project.id,
            [{"image": f"https://x/{i}.jpg", "note": long_text} for i in range(4)],
            progress=False,
        )
    assert (job.state, job.counts.tasks) == ("succeeded", 4)
    assert f"/api/v1/projects/{project.id}/imports/files" in recorder.paths("POST")


def test_threshold_boundary(client: Client) -> None:
    project = client.projects.create("P", SCHEMA)
    tasks = [{"image": f"https://x/{i}.jpg"} for i in range(JSON_BODY_MAX_TASKS + 1)]
    job = client.imports.tasks(project.id, tasks, progress=False)
    assert job.counts.tasks == JSON_BODY_MAX_TASKS + 1


def test_malformed_jsonl_raises_import_failed_with_row_errors(
    client: Client, tmp_path: Path
) -> None:
    project = client.projects.create("P", SCHEMA)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"image": "https://x/1.jpg"}\n{"image": \n[1, 2]\n{"data": "not an object"}\n')
    with pytest.raises(ImportFailed) as info:
        client.imports.files(project.id, [bad], progress=False)
    err = info.value
    assert isinstance(err, JobFailed)
    assert err.job.state == "failed" and err.job.counts.tasks == 0
    rows = {(e.file, e.row, e.field) for e in err.errors}
    assert rows == {("bad.jsonl", 2, None), ("bad.jsonl", 3, None), ("bad.jsonl", 4, "data")}
    assert "nothing imported" in str(err)
    assert client.projects.progress(project.id).tasks == 0


def test_skip_invalid_imports_the_valid_rows(client: Client, tmp_path: Path) -> None:
    project = client.projects.create("P", SCHEMA)
    path = tmp_path / "mixed.jsonl"
    path.write_text('{"image": "https://x/1.jpg"}\n"oops"\n{"image": "https://x/2.jpg"}\n')
    job = client.imports.files(project.id, [path], skip_invalid=True, progress=False)
    assert (job.state, job.counts.tasks, job.counts.errors) == ("succeeded", 2, 1)
    assert job.errors[0].row == 2


def test_folder_upload_keeps_subfolder_names(client: Client, tmp_path: Path) -> None:
    project = client.projects.create("P", SCHEMA)
    folder = tmp_path / "shots"
    for name in ("a.png", "sub/b.png", "sub/deeper/c.png"):
        _png(folder / name)
    (folder / ".DS_Store").write_bytes(b"\0junk")
    _png(folder / ".cache" / "skip.png")
    job = client.imports.folder(project.id, folder, progress=False)
    assert (job.state, job.counts.files, job.counts.tasks) == ("succeeded", 3, 3)
    tasks = list(client.tasks.list(project.id))
    assert sorted(t.meta["filename"] for t in tasks) == ["a.png", "sub/b.png", "sub/deeper/c.png"]
    assert all(t.meta["width"] == 8 and t.meta["height"] == 6 for t in tasks)


def test_files_mix_task_files_and_media(client: Client, tmp_path: Path) -> None:
    project = client.projects.create("P", SCHEMA)
    _png(tmp_path / "photo.png")
    (tmp_path / "tasks.json").write_text(json.dumps([{"image": "https://x/1.jpg"}]))
    job = client.imports.files(
        project.id,
        [tmp_path / "photo.png", str(tmp_path / "tasks.json")],
        batch="mixed",
        progress=False,
    )
    assert job.counts.tasks == 2


def test_no_wait_returns_the_queued_job(client: Client) -> None:
    project = client.projects.create("P", SCHEMA)
    job = client.imports.tasks(project.id, [{"image": "https://x/1.jpg"}], wait=False)
    assert job.state in ("queued", "running", "succeeded")
    done = client.jobs.wait(job.id, timeout=30)
    assert done.state == "succeeded" and done.counts.tasks == 1


def test_granted_source(stack: Stack, client: Client, factory: Factory, owner: Member) -> None:
    project = client.projects.create("P", SCHEMA)
    (stack.import_root / "batch1").mkdir()
    (stack.import_root / "batch1" / "t.json").write_text(
        json.dumps([{"image": "https://x/1.jpg"}, {"image": "https://x/2.jpg"}])
    )
    source_id = factory.grant(owner, name="drop")
    [granted] = client.organizations.import_sources(project.organization_id)
    assert (granted.id, granted.name, granted.kind) == (source_id, "drop", "folder")
    job = client.imports.source(project.id, "drop", "batch1", progress=False)
    assert job.counts.tasks == 2
    job = client.imports.source(project.id, source_id, "batch1", progress=False)
    assert job.counts.tasks == 2
    with pytest.raises(InvalidRequest) as info:
        client.imports.source(project.id, source_id, "../../etc", progress=False)
    assert info.value.details["field"] == "source.path"
    with pytest.raises(ValueError, match="no import source named 'other' \\(granted: 'drop'\\)"):
        client.imports.source(project.id, "other", progress=False)
    with pytest.raises(NotFound):
        client.imports.source(project.id, source_id + 1, progress=False)


def test_progress_bar_goes_to_stderr(client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    project = client.projects.create("P", SCHEMA)
    client.imports.tasks(project.id, [{"image": "https://x/1.jpg"}])
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "100%" in captured.err


def test_empty_folder_is_refused_before_any_request(client: Client, tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    (empty / ".hidden").mkdir(parents=True)
    (empty / ".hidden" / "x.png").write_bytes(b"")
    with pytest.raises(FileNotFoundError):
        client.imports.folder(1, empty)


def _bbox(label: str) -> dict[str, Any]:
    geometry = {"x": 1, "y": 1, "width": 2, "height": 2}
    return {"id": "p1", "tool": "objects", "type": "bbox", "label": label, "geometry": geometry}


def test_report_tells_tasks_imported_without_predictions_from_rows_skipped(
    client: Client,
) -> None:
    project = client.projects.create("P", SCHEMA)
    tasks: list[dict[str, Any]] = [
        {"data": {"image": "https://x/1.jpg"}, "predictions": [{"result": [_bbox("car")]}]},
        {"data": {"image": "https://x/2.jpg"}, "predictions": [{"result": [_bbox("Kat")]}]},
        {"data": {"image": "https://x/3.jpg"}, "priority": "high"},
    ]
    job = client.imports.tasks(project.id, tasks, skip_invalid=True, progress=False)
    c = job.counts
    assert (job.state, c.tasks, c.predictions, c.errors) == ("succeeded", 2, 1, 2)
    assert (c.tasks_with_dropped_predictions, c.predictions_dropped, c.rows_skipped) == (1, 1, 1)
    assert [e.scope for e in job.errors] == ["prediction", "row"]
    assert job.report() == (
        "imported 2 tasks; 1 without its invalid prediction (1 dropped); skipped 1 invalid row\n"
        "1 task imported without 1 invalid prediction:\n"
        '  tasks.json row 2 predictions[0].result[0].label: region "p1": unknown label "Kat" '
        'for tool "objects"; expected one of: car, person\n'
        "1 row skipped:\n"
        "  tasks.json row 3 priority: expected an integer, got string"
    )
    with pytest.raises(ImportFailed) as info:
        client.imports.tasks(project.id, tasks, progress=False)
    assert info.value.job.report() == (
        "nothing imported: 2 errors; first: tasks.json row 2 predictions[0].result[0].label: "
        'region "p1": unknown label "Kat" for tool "objects"; expected one of: car, person\n'
        "2 problems:\n"
        '  tasks.json row 2 predictions[0].result[0].label: region "p1": unknown label "Kat" '
        'for tool "objects"; expected one of: car, person\n'
        "  tasks.json row 3 priority: expected an integer, got string"
    )


def test_report_lists_a_few_of_each_group(client: Client) -> None:
    project = client.projects.create("P", SCHEMA)
    tasks = [{"data": {"image": f"https://x/{i}.jpg"}, "priority": "high"} for i in range(8)]
    job = client.imports.tasks(
        project.id, [*tasks, {"image": "ok"}], skip_invalid=True, progress=False
    )
    lines = job.report(limit=3).splitlines()
    assert lines[:2] == ["imported 1 task; skipped 8 invalid rows", "8 rows skipped:"]
    assert lines[2:] == [
        *(f"  tasks.json row {i} priority: expected an integer, got string" for i in (1, 2, 3)),
        "  ... and 5 more in job.errors",
    ]


def test_tasks_with_annotations_are_imported_and_credited(
    stack: Stack, owner: Member, factory: Factory
) -> None:
    member = factory.member(owner, "annotator")
    bad = {**BOX, "label": "dog"}
    tasks: list[dict[str, Any]] = [
        {
            "data": {"image": "https://x/1.jpg"},
            "annotations": [
                {"result": [BOX], "completed_by": member.email, "lead_time": 4.0},
                {"result": [BOX], "completed_by": {"id": 7, "email": "lee@old.example"}},
            ],
        },
        {"data": {"image": "https://x/2.jpg"}, "annotations": [{"result": [bad]}]},
    ]
    with client_for(stack, owner.token) as c:
        project = c.projects.create("P", SCHEMA, overlap=2)
        job = c.imports.tasks(project.id, tasks, progress=False)
        assert job.state == "succeeded", job.report()
        assert (job.counts.tasks, job.counts.annotations) == (2, 2)
        assert (job.counts.imported_annotators, job.counts.annotations_dropped) == (1, 1)
        assert [(e.scope, e.row, e.field) for e in job.errors] == [
            ("annotations", 2, "annotations[0].result[0].label")
        ]
        assert "1 task imported without 1 annotation:" in job.report()
        annotations = list(c.annotations.list(project.id))
        assert len(annotations) == 2 and {a.revision for a in annotations} == {1}
        assert member.user.id in {a.user_id for a in annotations}
        assert c.projects.progress(project.id).tasks == 2
