"""Imports: every source kind, the per-row error report, all-or-nothing, hostile input."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import orjson
import pytest
from PIL import Image
from sqlalchemy import func, select

from accord_server.db.models import Batch, Prediction, Task
from accord_server.services.imports import parsers
from accord_server.settings import Settings
from support import TEXT_SCHEMA, Factory, Member, Stack, png_claiming, running_stack


def _png(width: int = 32, height: int = 24) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "green").save(out, format="PNG")
    return out.getvalue()


def _upload(
    stack: Stack, member: Member, project_id: int, files: list[tuple[str, bytes]], **form: Any
) -> dict[str, Any]:
    with stack.client(member.token) as client:
        r = client.post(
            f"/api/v1/projects/{project_id}/imports/files",
            files=[("files", (name, data)) for name, data in files],
            data={k: str(v).lower() for k, v in form.items()},
        )
        assert r.status_code == 202, r.text
        stack.run_jobs()
        return dict(client.get(f"/api/v1/jobs/{r.json()['id']}").json())


def _task_count(stack: Stack) -> int:
    with stack.runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Task)) or 0)


def test_json_jsonl_csv_files_with_predictions_and_batches(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    tasks_json = orjson.dumps(
        [
            {
                "data": {"image": "https://x/1.jpg"},
                "predictions": [
                    {
                        "model_version": "yolo-1",
                        "score": 0.8,
                        "result": [
                            {
                                "id": "p1",
                                "from_name": "objects",
                                "to_name": "image",
                                "type": "rectanglelabels",
                                "original_width": 200,
                                "original_height": 100,
                                "value": {
                                    "x": 10,
                                    "y": 20,
                                    "width": 50,
                                    "height": 50,
                                    "rectanglelabels": ["car"],
                                },
                            }
                        ],
                    }
                ],
            },
            {"image": "https://x/2.jpg"},
        ]
    )
    jsonl = b'{"image": "https://x/3.jpg"}\n\n{"data": {"image": "https://x/4.jpg"}, "batch": "b2"}'
    csv = b"image,priority,batch\nhttps://x/5.jpg,7,b1\nhttps://x/6.jpg,0,\n"
    job = _upload(
        stack,
        owner,
        project["id"],
        [("a.json", tasks_json), ("b.jsonl", jsonl), ("c.csv", csv)],
        batch="default",
    )
    assert job["state"] == "succeeded", job
    assert job["counts"] == {
        "files": 3,
        "rows": 6,
        "errors": 0,
        "rows_skipped": 0,
        "files_skipped": 0,
        "predictions_dropped": 0,
        "tasks_with_dropped_predictions": 0,
        "tasks_with_dropped_annotations": 0,
        "annotations_dropped": 0,
        "files_imported_before": 0,
        "tasks": 6,
        "predictions": 1,
        "annotations": 0,
        "imported_annotators": 0,
    }
    assert job["progress"] == 1.0
    with stack.runtime.db.session() as session:
        prediction = session.scalars(select(Prediction)).one()
        assert prediction.model_version == "yolo-1" and prediction.score == 0.8
        region = prediction.result[0]
        assert region["geometry"]["x"] == 20 and region["geometry"]["width"] == 100
        assert region["geometry"]["y"] == 20 and region["geometry"]["height"] == 50
        batches = {b.id: b.name for b in session.scalars(select(Batch))}
        by_image = {
            t.data["image"]: (t.priority, batches.get(t.batch_id))
            for t in session.scalars(select(Task))
        }
    assert by_image["https://x/5.jpg"] == (7, "b1")
    assert by_image["https://x/4.jpg"] == (0, "b2")
    assert by_image["https://x/6.jpg"] == (0, "default")
    with stack.client(owner.token) as client:
        task_id = client.get(f"/api/v1/projects/{project['id']}/tasks").json()["items"][0]["id"]
        preds = client.get(f"/api/v1/tasks/{task_id}/predictions").json()
        assert preds[0]["model_version"] == "yolo-1"


def _prediction(model_version: str) -> dict[str, Any]:
    return {
        "model_version": model_version,
        "result": [
            {
                "from_name": "objects",
                "to_name": "image",
                "type": "rectanglelabels",
                "original_width": 100,
                "original_height": 100,
                "value": {"x": 1, "y": 1, "width": 5, "height": 5, "rectanglelabels": ["car"]},
            }
        ],
    }


def test_rows_keep_their_order_and_predictions_across_chunks(settings: Settings) -> None:
    # Chunks of 3 rows: the rows of a file, a media file between two task files, and the
    # predictions of each row must land on that row's task, whatever chunk it falls in.
    with running_stack(settings.model_copy(update={"import_batch_size": 3})) as stack:
        factory = Factory(stack)
        owner = factory.owner()
        project = factory.project(owner)
        first = b"\n".join(
            orjson.dumps(
                {"data": {"image": f"https://x/a{i}"}, "predictions": [_prediction(f"m-a{i}")]}
                if i % 2
                else {"image": f"https://x/a{i}"}
            )
            for i in range(7)
        )
        second = b"image\nhttps://x/b0\nhttps://x/b1\n"
        job = _upload(
            stack,
            owner,
            project["id"],
            [("1.jsonl", first), ("2.png", _png()), ("3.csv", second)],
        )
        assert job["state"] == "succeeded", job
        assert job["counts"]["tasks"] == 10 and job["counts"]["predictions"] == 3
        with stack.runtime.db.session() as session:
            tasks = list(session.scalars(select(Task).order_by(Task.id)))
            models = dict(
                session.execute(select(Prediction.task_id, Prediction.model_version)).all()
            )
    images = [t.data.get("filename") or t.data["image"] for t in tasks]
    assert images == [f"https://x/a{i}" for i in range(7)] + [
        "2.png",
        "https://x/b0",
        "https://x/b1",
    ]
    assert {tasks[i].data["image"]: m for i, t in enumerate(tasks) if (m := models.get(t.id))} == {
        f"https://x/a{i}": f"m-a{i}" for i in (1, 3, 5)
    }


def test_malformed_jsonl_line_fails_the_whole_import(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    good = b"\n".join(orjson.dumps({"image": f"https://x/{i}"}) for i in range(50))
    bad = b'{"image": "a"}\n{"image": \n{"image": "c"}\n'
    job = _upload(stack, owner, project["id"], [("good.jsonl", good), ("bad.jsonl", bad)])
    assert job["state"] == "failed"
    assert job["counts"]["tasks"] == 0 and job["counts"]["errors"] == 1
    error = job["errors"][0]
    assert error["file"] == "bad.jsonl" and error["row"] == 2
    assert job["message"].startswith("nothing imported: 1 error; first: bad.jsonl row 2")
    assert _task_count(stack) == 0


def test_skip_invalid_imports_the_valid_rows(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    csv = b"image,priority\nhttps://x/1,1\nhttps://x/2,high\nhttps://x/3,2,extra\n"
    job = _upload(stack, owner, project["id"], [("t.csv", csv)], skip_invalid=True)
    assert job["state"] == "succeeded"
    assert job["counts"]["tasks"] == 1 and job["counts"]["errors"] == 2
    assert [(e["row"], e["field"]) for e in job["errors"]] == [(3, "priority"), (4, None)]
    assert job["message"] == "imported 1 task; skipped 2 invalid rows"
    assert job["counts"]["rows_skipped"] == 2 and job["counts"]["predictions_dropped"] == 0
    assert _task_count(stack) == 1


def test_skip_invalid_imports_nothing_of_a_file_broken_deep_inside(
    stack: Stack, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A large .json array is read an element at a time: its syntax error turns up after rows
    # were read. The file counts as unusable, as a small one decoded whole would.
    monkeypatch.setattr(parsers, "JSON_WHOLE_MAX_BYTES", 0)
    owner = factory.owner()
    project = factory.project(owner)
    broken = b'[{"image": "https://x/1", "batch": "from-broken"}, {"image": "https://x/2"}, {'
    good = b'[{"image": "https://x/3"}]'
    job = _upload(
        stack,
        owner,
        project["id"],
        [("broken.json", broken), ("good.json", good)],
        skip_invalid=True,
    )
    assert job["state"] == "succeeded", job
    assert job["counts"]["tasks"] == 1 and job["counts"]["errors"] == 1
    error = job["errors"][0]
    assert (error["file"], error["row"], error["scope"]) == ("broken.json", 0, "file")
    assert job["counts"]["files_skipped"] == 1 and job["counts"]["rows_skipped"] == 0
    assert job["message"] == "imported 1 task; skipped 1 invalid file"
    assert error["message"].startswith("invalid JSON after task 2: ")
    with stack.runtime.db.session() as session:
        assert [t.data["image"] for t in session.scalars(select(Task))] == ["https://x/3"]
        assert session.scalar(select(func.count()).select_from(Batch)) == 0


def test_media_files_are_probed_and_bad_ones_named(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    truncated = _png(400, 300)[:200]
    job = _upload(
        stack,
        owner,
        project["id"],
        [
            ("ok.png", _png(32, 24)),
            ("corrupt.png", truncated),
            ("bomb.png", png_claiming(30000, 30000)),
            ("notes.jpg", b"just some text, not an image"),
        ],
    )
    assert job["state"] == "failed"
    messages = {e["file"]: e["message"] for e in job["errors"]}
    assert set(messages) == {"corrupt.png", "bomb.png", "notes.jpg"}
    assert "decompression bomb" in messages["bomb.png"]
    assert messages["notes.jpg"] == "notes.jpg: content is text, not an image"
    assert messages["corrupt.png"].startswith("corrupt.png: ")
    assert _task_count(stack) == 0
    job = _upload(stack, owner, project["id"], [("dir/ok.png", _png(32, 24))])
    assert job["state"] == "succeeded"
    with stack.client(owner.token) as client:
        task = client.get(f"/api/v1/projects/{project['id']}/tasks").json()["items"][0]
        assert task["meta"]["width"] == 32 and task["meta"]["height"] == 24
        assert task["data"]["filename"] == "ok.png"
        media = client.get(task["data"]["image"])
        assert media.status_code == 200 and media.content == _png(32, 24)
        assert media.headers["content-type"] == "image/png"
        # the key is the project's: through another project (even the owner's own) it is a 404
        other = factory.project(owner)
        key = task["data"]["image"].rsplit("/media/", 1)[1]
        elsewhere = client.get(f"/api/v1/projects/{other['id']}/media/{key}")
        assert elsewhere.status_code == 404 and elsewhere.json()["code"] == "not_found"
        unknown = client.get(f"/api/v1/projects/{project['id']}/media/{'0' * 64}")
        assert unknown.status_code == 404


def test_text_files_become_text_tasks(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT_SCHEMA)
    job = _upload(
        stack, owner, project["id"], [("a.txt", "Héllo wörld 🎉".encode()), ("b.png", _png())]
    )
    assert job["state"] == "failed"
    assert job["errors"][0]["message"] == "b.png: an image file cannot be a task of a text project"
    job = _upload(stack, owner, project["id"], [("a.txt", "Héllo wörld 🎉".encode())])
    assert job["state"] == "succeeded"
    with stack.runtime.db.session() as session:
        task = session.scalars(select(Task)).one()
    assert task.data["text"] == "Héllo wörld 🎉" and task.meta["text_length"] == 13


def test_path_tricks_are_refused(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    source = factory.grant(owner)
    with stack.client(owner.token) as client:
        r = client.post(
            f"/api/v1/projects/{project['id']}/imports/files",
            files=[("files", ("ok.png", _png())), ("files", ("../../etc/passwd.png", _png()))],
        )
        assert r.status_code == 422
        assert r.json()["message"].startswith("files[1]: ")
        assert "'..' is not allowed" in r.json()["message"]
        r = client.post(
            f"/api/v1/projects/{project['id']}/imports",
            json={"source": {"id": source, "path": "../"}},
        )
        assert r.status_code == 422 and r.json()["details"]["field"] == "source.path"
        for path in ("/etc", "a/../../b", "..\\x"):
            r = client.post(
                f"/api/v1/projects/{project['id']}/imports",
                json={"source": {"id": source, "path": path}},
            )
            assert r.status_code == 422 and r.json()["details"]["field"] == "source.path", path
    assert _task_count(stack) == 0


def test_symlink_escaping_the_folder_fails_the_import(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    root = stack.settings.import_roots[0]
    (root / "set").mkdir()
    (root / "set" / "a.png").write_bytes(_png())
    outside = root.parent / "secret.png"
    outside.write_bytes(_png())
    (root / "set" / "link.png").symlink_to(outside)
    source = factory.grant(owner)
    with stack.client(owner.token) as client:
        r = client.post(
            f"/api/v1/projects/{project['id']}/imports",
            json={"source": {"id": source, "path": "set"}},
        )
        stack.run_jobs()
        job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
    assert job["state"] == "failed"
    assert "outside" in job["errors"][0]["message"]
    assert _task_count(stack) == 0


def test_folder_import(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    root: Path = stack.settings.import_roots[0]
    for sub in ("x", "x/y"):
        (root / sub).mkdir(parents=True, exist_ok=True)
        (root / sub / "img.png").write_bytes(_png(10 + len(sub), 10))
    source = factory.grant(owner)
    with stack.client(owner.token) as client:
        r = client.post(
            f"/api/v1/projects/{project['id']}/imports",
            json={"source": {"id": source, "path": "x"}},
        )
        assert r.status_code == 202
        stack.run_jobs()
        job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
    assert job["state"] == "succeeded", job
    with stack.runtime.db.session() as session:
        names = sorted(t.meta["filename"] for t in session.scalars(select(Task)))
    assert names == ["img.png", "y/img.png"]


def test_cancel_a_queued_import(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    with stack.client(owner.token) as client:
        r = client.post(
            f"/api/v1/projects/{project['id']}/imports", json={"tasks": [{"image": "a"}]}
        )
        cancelled = client.post(f"/api/v1/jobs/{r.json()['id']}/cancel")
        assert cancelled.json()["state"] == "cancelled"
        stack.run_jobs()
        assert client.get(f"/api/v1/jobs/{r.json()['id']}").json()["state"] == "cancelled"
        again = client.post(f"/api/v1/jobs/{r.json()['id']}/cancel")
        assert again.status_code == 409
    assert _task_count(stack) == 0


def test_annotator_cannot_import(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    annotator = factory.member(owner, "annotator")
    with stack.client(annotator.token) as client:
        r = client.post(
            f"/api/v1/projects/{project['id']}/imports", json={"tasks": [{"image": "a"}]}
        )
    assert r.status_code == 403


def test_inline_tasks_report_bad_rows_by_index_and_field(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    url = f"/api/v1/projects/{project['id']}/imports"
    tasks: list[Any] = [
        {"image": "https://x/1"},
        {"data": {"image": "https://x/2"}, "priority": "high"},
        {"data": 3},
        {"data": {"image": "https://x/4"}, "batch": "b"},
    ]
    with stack.client(owner.token) as client:
        # The request refuses what is not a task object at all, naming its index...
        r = client.post(url, json={"tasks": [*tasks, 5]})
        assert r.status_code == 422
        assert r.json()["message"].startswith("tasks[4]: ")
        assert [e["path"] for e in r.json()["details"]["errors"]] == ["tasks[4]"]
        r = client.post(url, json={"tasks": []})
        assert r.status_code == 422 and r.json()["message"] == "tasks: the list is empty"
        # ... the job every bad row, as row index + 1 with its field; nothing is written.
        r = client.post(url, json={"tasks": tasks})
        assert r.status_code == 202
        stack.run_jobs()
        job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
        assert job["state"] == "failed"
        assert [(e["file"], e["row"], e["field"]) for e in job["errors"]] == [
            ("tasks.json", 2, "priority"),
            ("tasks.json", 3, "data"),
        ]
        assert job["message"] == (
            "nothing imported: 2 errors; first: tasks.json row 2 priority: "
            "expected an integer, got string"
        )
        assert _task_count(stack) == 0
        r = client.post(url, json={"tasks": tasks, "skip_invalid": True})
        stack.run_jobs()
        job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
    assert job["state"] == "succeeded" and job["counts"]["tasks"] == 2
    assert job["counts"]["errors"] == 2
    with stack.runtime.db.session() as session:
        images = [t.data["image"] for t in session.scalars(select(Task).order_by(Task.id))]
    assert images == ["https://x/1", "https://x/4"]


def _box(label: str, region_id: str = "p1") -> dict[str, Any]:
    return {
        "id": region_id,
        "tool": "objects",
        "type": "bbox",
        "label": label,
        "geometry": {"x": 1, "y": 1, "width": 5, "height": 5},
    }


REPORT_TASKS: list[Any] = [
    {"data": {"image": "https://x/1"}, "predictions": [{"result": [_box("car")]}]},
    {"data": {"image": "https://x/2"}, "predictions": [{"result": [_box("Kat")]}]},
    {"data": {"image": "https://x/3"}, "priority": "high"},
    {
        "data": {"image": "https://x/4"},
        "predictions": [{"result": [_box("car")]}, {"result": [_box("dog", "p2")]}],
    },
    {
        "data": {"image": "https://x/5"},
        "annotations": [{"result": [_box("car")]}, {"result": [_box("Kat")]}],
    },
]


def test_report_tells_tasks_imported_without_predictions_from_rows_skipped(
    stack: Stack, factory: Factory
) -> None:
    # Row 2's only prediction and row 4's second name labels the schema lacks: with
    # skip_invalid their tasks are imported without them, which is not "skipped rows" (a
    # re-import would duplicate those tasks). Row 3 is refused whole; row 5's first annotation
    # is imported, its second (an unknown label) dropped, and the report says so.
    owner = factory.owner()
    project = factory.project(owner)
    url = f"/api/v1/projects/{project['id']}/imports"
    with stack.client(owner.token) as client:
        r = client.post(url, json={"tasks": REPORT_TASKS, "skip_invalid": True})
        assert r.status_code == 202
        stack.run_jobs()
        job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
    assert job["state"] == "succeeded", job
    assert job["message"] == (
        "imported 4 tasks with 1 annotation; 2 without their invalid predictions (2 dropped); "
        "1 without 1 annotation that could not be imported; skipped 1 invalid row"
    )
    assert {k: job["counts"][k] for k in job["counts"] if k != "files"} == {
        "rows": 4,
        "tasks": 4,
        "predictions": 2,
        "errors": 3,
        "rows_skipped": 1,
        "files_skipped": 0,
        "predictions_dropped": 2,
        "tasks_with_dropped_predictions": 2,
        "tasks_with_dropped_annotations": 1,
        "annotations_dropped": 1,
        "files_imported_before": 0,
        "annotations": 1,
        "imported_annotators": 1,
    }
    report = [(e["scope"], e["row"], e["field"]) for e in job["errors"]]
    assert report == [
        ("prediction", 2, "predictions[0].result[0].label"),
        ("row", 3, "priority"),
        ("prediction", 4, "predictions[1].result[0].label"),
        ("annotations", 5, "annotations[1].result[0].label"),
    ]
    kat = job["errors"][0]
    assert kat["file"] == "tasks.json"
    assert kat["message"] == (
        'region "p1": unknown label "Kat" for tool "objects"; expected one of: car, person, bike'
    )
    assert job["errors"][3]["message"] == (
        'region "p1": unknown label "Kat" for tool "objects"; expected one of: car, person, bike'
    )
    with stack.runtime.db.session() as session:
        tasks = {t.data["image"]: t.id for t in session.scalars(select(Task))}
        predicted = [
            (task_id, p.result[0]["label"])
            for task_id, p in session.execute(select(Prediction.task_id, Prediction))
        ]
    assert sorted(tasks) == ["https://x/1", "https://x/2", "https://x/4", "https://x/5"]
    assert sorted(predicted) == [(tasks["https://x/1"], "car"), (tasks["https://x/4"], "car")]


def test_all_or_nothing_fails_on_an_invalid_prediction_not_on_annotations(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    url = f"/api/v1/projects/{project['id']}/imports"
    with stack.client(owner.token) as client:
        r = client.post(url, json={"tasks": REPORT_TASKS})
        stack.run_jobs()
        job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
        assert job["state"] == "failed"
        assert job["message"] == (
            "nothing imported: 3 errors; first: tasks.json row 2 "
            'predictions[0].result[0].label: region "p1": unknown label "Kat" for tool '
            '"objects"; expected one of: car, person, bike'
        )
        assert job["counts"]["tasks"] == 0 and job["counts"]["errors"] == 3
        assert _task_count(stack) == 0
        # An invalid annotation alone does not fail an import: the tasks are imported, the
        # report says what was left out.
        r = client.post(url, json={"tasks": [REPORT_TASKS[0], REPORT_TASKS[4]]})
        stack.run_jobs()
        job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
    assert job["state"] == "succeeded", job
    assert job["message"] == (
        "imported 2 tasks with 1 annotation; 1 without 1 annotation that could not be imported"
    )
    assert [(e["scope"], e["row"]) for e in job["errors"]] == [("annotations", 2)]


def test_a_nul_character_refuses_its_row_on_the_first_attempt(
    stack: Stack, factory: Factory
) -> None:
    # PostgreSQL cannot store U+0000 in text or JSONB: the write failed as an internal error,
    # and the job stayed running/retrying for good (issue 13, finding 3). One rule on both
    # databases: the row is refused, naming where the character is.
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT_SCHEMA)
    url = f"/api/v1/projects/{project['id']}/imports"
    tasks = [
        {"text": "fine"},
        {"text": "nul\u0000here"},
        {"data": {"text": "ok", "meta": {"k\u0000ey": 1}}},
        {"data": {"text": "ok"}, "batch": "b\u0000"},
        {"text": "ok", "tags": ["a", "b\u0000"]},
    ]
    with stack.client(owner.token) as client:
        r = client.post(url, json={"tasks": tasks})
        assert r.status_code == 202
        stack.run_jobs()
        job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
        assert job["state"] == "failed" and job["attempts"] == 1, job
        assert [(e["row"], e["field"]) for e in job["errors"]] == [
            (2, "data.text"),
            (3, "data.meta"),
            (4, "batch"),
            (5, "data.tags[1]"),
        ]
        assert job["message"] == (
            "nothing imported: 4 errors; first: tasks.json row 2 data.text: contains a NUL "
            "character (U+0000), which cannot be stored; remove it"
        )
        assert _task_count(stack) == 0
        r = client.post(url, json={"tasks": tasks, "skip_invalid": True, "batch": "day 1"})
        stack.run_jobs()
        job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
        assert job["state"] == "succeeded" and job["attempts"] == 1, job
        assert job["counts"]["tasks"] == 1 and job["counts"]["errors"] == 4
        # The same in a CSV cell (a raw NUL byte) and in a text file.
        csv = _upload(stack, owner, project["id"], [("t.csv", b"text\nfine\nnul\x00\n")])
        assert csv["state"] == "failed" and csv["attempts"] == 1, csv
        assert [(e["row"], e["field"]) for e in csv["errors"]] == [(3, "data.text")]
        txt = _upload(stack, owner, project["id"], [("a.txt", b"one\x00two")])
        assert txt["state"] == "failed" and txt["attempts"] == 1, txt
        assert txt["errors"][0]["message"] == (
            "a.txt: text contains a NUL character (U+0000) at character 3, which cannot be "
            "stored; remove it"
        )
        # A default batch given with the request is refused with it.
        r = client.post(url, json={"tasks": [{"text": "x"}], "batch": "day\u0000"})
        assert r.status_code == 422, r.text
        assert r.json()["message"] == (
            "batch: contains a NUL character (U+0000), which cannot be stored; remove it"
        )
    with stack.runtime.db.session() as session:
        assert [t.data["text"] for t in session.scalars(select(Task))] == ["fine"]


def test_data_the_database_refuses_fails_the_job_on_the_first_attempt(
    stack: Stack, factory: Factory
) -> None:
    # Data the database refuses (a DataError; a priority past PostgreSQL's 32-bit column did
    # it before the rows checked it) is refused again on every retry: the job ends at once with
    # the database's reason instead of as an internal error retried. Here a trigger refuses
    # every task as invalid data; SQLite has no such error class (its driver raises none).
    if stack.runtime.db.is_sqlite:
        pytest.skip("SQLite's driver raises no DataError")
    statements = [
        "CREATE FUNCTION refuse_tasks() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'value \"3000000000\" is out of range' USING ERRCODE = '22003'; "
        "END $$",
        "CREATE TRIGGER refuse_tasks BEFORE INSERT ON tasks "
        "FOR EACH ROW EXECUTE FUNCTION refuse_tasks()",
    ]
    owner = factory.owner()
    project = factory.project(owner)
    with stack.runtime.db.write_engine.begin() as conn:
        for statement in statements:
            conn.exec_driver_sql(statement)
    try:
        with stack.client(owner.token) as client:
            r = client.post(
                f"/api/v1/projects/{project['id']}/imports",
                json={"tasks": [{"image": "https://x/1", "priority": 3}]},
            )
            stack.run_jobs()
            job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
    finally:
        with stack.runtime.db.write_engine.begin() as conn:
            conn.exec_driver_sql("DROP TRIGGER refuse_tasks ON tasks")
            conn.exec_driver_sql("DROP FUNCTION refuse_tasks()")
    assert job["attempts"] == 1, job
    assert job["state"] == "failed", job
    assert job["message"] == 'the database refused the data: value "3000000000" is out of range'
    assert _task_count(stack) == 0
