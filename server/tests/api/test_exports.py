"""Exports over real HTTP: the Accord JSON, JSONL and CSV files hold the right tasks and
results; filter, split and label_map are honoured; what is left out is reported; downloads
answer range requests; the same data gives the same bytes; tenancy, roles, cancel, delete."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from PIL import Image

from scenarios import box, lease, submit
from support import Factory, Member, Stack


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "green").save(out, format="PNG")
    return out.getvalue()


def _quality(choice: str) -> dict[str, Any]:
    return {"id": "q", "tool": "quality", "type": "classification", "value": {"choices": [choice]}}


PREDICTION = {
    "model_version": "yolo-1",
    "score": 0.5,
    "result": [
        {
            "id": "p1",
            "from_name": "objects",
            "to_name": "image",
            "type": "rectanglelabels",
            "original_width": 200,
            "original_height": 100,
            "value": {"x": 10, "y": 20, "width": 50, "height": 50, "rectanglelabels": ["car"]},
        }
    ],
}


class World:
    """A project of 4 image tasks: task 1 annotated by two annotators (first a car, then a
    person, later), task 2 by one (a bike and 'blurry'), tasks 3 and 4 by nobody; task 1 has a
    model's prediction."""

    def __init__(self, stack: Stack, factory: Factory) -> None:
        self.stack = stack
        self.owner = factory.owner()
        self.first = factory.member(self.owner, "annotator")
        self.second = factory.member(self.owner, "annotator")
        self.project = int(factory.project(self.owner, overlap=2)["id"])
        factory.import_tasks(
            self.owner,
            self.project,
            [
                {"data": {"image": "https://x/a.png"}, "predictions": [PREDICTION]},
                {"image": "https://x/b.png"},
                {"image": "https://x/c.png"},
                {"image": "https://x/d.png"},
            ],
        )
        with stack.client(self.owner.token) as client:
            items = client.get(f"/api/v1/projects/{self.project}/tasks").json()["items"]
        self.tasks = [int(t["id"]) for t in items]
        t1 = lease(stack, self.first, self.project)["task"]["id"]
        assert t1 == self.tasks[0]
        submit(stack, self.first, t1, [box("r1", "car")], "f1")
        assert lease(stack, self.second, self.project)["task"]["id"] == t1
        submit(stack, self.second, t1, [box("r2", "person"), _quality("sharp")], "s1")
        t2 = lease(stack, self.first, self.project)["task"]["id"]
        submit(stack, self.first, t2, [box("r3", "bike"), _quality("blurry")], "f2")

    def client(self, member: Member | None = None) -> httpx.Client:
        return self.stack.client((member or self.owner).token)

    def export(self, member: Member | None = None, **body: Any) -> dict[str, Any]:
        """Start an export, run the job, return the export as read afterwards."""
        with self.client(member) as client:
            r = client.post(f"/api/v1/projects/{self.project}/exports", json=body)
            assert r.status_code == 202, r.text
            assert r.json()["state"] == "queued" and r.json()["download_url"] is None
            self.stack.run_jobs()
            got = client.get(f"/api/v1/exports/{r.json()['id']}")
            assert got.status_code == 200, got.text
            return dict(got.json())

    def download(self, export: dict[str, Any], **headers: str) -> httpx.Response:
        with self.client() as client:
            return client.get(f"/api/v1/exports/{export['id']}/download", headers=headers)


def _lines(content: bytes) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in content.splitlines()]


def test_jsonl_holds_each_task_with_its_latest_annotation_and_predictions(
    stack: Stack, factory: Factory
) -> None:
    w = World(stack, factory)
    export = w.export(format="jsonl")
    assert export["state"] == "succeeded", export
    assert export["task_count"] == 4 and export["report"] == {"dropped": []}
    assert export["file_name"].endswith("tasks.jsonl")
    got = w.download(export)
    assert got.status_code == 200
    assert got.headers["accept-ranges"] == "bytes"
    assert hashlib.sha256(got.content).hexdigest() == export["sha256"]
    assert len(got.content) == export["size"]
    records = _lines(got.content)
    assert [r["id"] for r in records] == w.tasks
    first = records[0]
    # The latest annotation: the second annotator's, made after the first one's.
    assert [a["completed_by"] for a in first["annotations"]] == [w.second.email]
    assert [r.get("label") for r in first["annotations"][0]["result"]] == ["person", None]
    assert first["annotations"][0]["origin"] == "human"
    assert first["annotations"][0]["created_at"]
    assert first["predictions"][0]["model_version"] == "yolo-1"
    assert first["predictions"][0]["score"] == 0.5
    assert first["data"] == {"image": "https://x/a.png"}
    assert records[2]["annotations"] == [] and "split" not in records[2]
    with w.client() as client:
        job = client.get(f"/api/v1/jobs/{export['job']['id']}").json()
    assert job["kind"] == "export" and job["counts"]["tasks"] == 4 and job["progress"] == 1


def test_all_results_json_and_csv(stack: Stack, factory: Factory) -> None:
    w = World(stack, factory)
    export = w.export(format="json", result="all")
    records = orjson.loads(w.download(export).content)
    assert [r["id"] for r in records] == w.tasks
    assert [a["completed_by"] for a in records[0]["annotations"]] == [
        w.first.email,
        w.second.email,
    ]
    table = w.export(format="csv", result="all")
    assert table["file_name"].endswith("tasks.csv")
    rows = list(csv.DictReader(io.StringIO(w.download(table).text)))
    assert [int(r["task_id"]) for r in rows] == [w.tasks[0], w.tasks[0], *w.tasks[1:]]
    by = {(int(r["task_id"]), r["annotator"]): r for r in rows}
    one = by[(w.tasks[0], w.first.email)]
    assert (one["objects.car"], one["objects.person"], one["quality"]) == ("1", "0", "")
    two = by[(w.tasks[0], w.second.email)]
    assert (two["objects.car"], two["objects.person"], two["quality"]) == ("0", "1", "sharp")
    bike = by[(w.tasks[1], w.first.email)]
    assert (bike["objects.bike"], bike["quality"], bike["image"]) == (
        "1",
        "blurry",
        "https://x/b.png",
    )
    assert by[(w.tasks[3], "")]["objects.car"] == ""


def test_filter_split_and_label_map(stack: Stack, factory: Factory) -> None:
    w = World(stack, factory)
    # The data manager's filter: tasks with a "car" or "bike" label (the first and second).
    export = w.export(
        format="jsonl",
        result="all",
        filter={"label": "bike"},
        label_map={"bike": "cycle", "car": None},
    )
    records = _lines(w.download(export).content)
    assert [r["id"] for r in records] == [w.tasks[1]]
    assert [r.get("label") for r in records[0]["annotations"][0]["result"]] == ["cycle", None]
    mapped = w.export(format="jsonl", result="all", label_map={"car": None, "sharp": "crisp"})
    first = _lines(w.download(mapped).content)[0]
    kept = [[(r.get("label"), r.get("value")) for r in a["result"]] for a in first["annotations"]]
    assert kept == [[], [("person", None), (None, {"choices": ["crisp"]})]]
    # A dropped label is counted in the report, with the task, never silently.
    assert mapped["report"]["dropped"] == [
        {
            "reason": "regions whose label the label_map drops (mapped to null)",
            "count": 2,  # the first annotator's car and the prediction's car
            "task_ids": [w.tasks[0]],
        }
    ]
    split = {"train": 0.5, "val": 0.25, "test": 0.25, "seed": 7}
    a = _lines(w.download(w.export(format="jsonl", split=split)).content)
    b = _lines(w.download(w.export(format="jsonl", split=split, filter={"state": "new"})).content)
    parts = {r["id"]: r["split"] for r in a}
    assert set(parts.values()) <= {"train", "val", "test"}
    # The same seed puts a task in the same part, whatever else is exported with it.
    assert {r["id"]: r["split"] for r in b} == {t: parts[t] for t in w.tasks[2:]}


def test_media_by_url_is_reported_and_stored_media_is_zipped(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    project = factory.project(owner)["id"]
    with stack.client(owner.token) as client:
        r = client.post(
            f"/api/v1/projects/{project}/imports/files",
            files=[("files", ("photos/a b.png", _png(20, 10))), ("files", ("c.png", _png(8, 6)))],
        )
        assert r.status_code == 202, r.text
        stack.run_jobs()
        client.post(
            f"/api/v1/projects/{project}/imports", json={"tasks": [{"image": "https://x/u.png"}]}
        )
        stack.run_jobs()

        def run() -> dict[str, Any]:
            made = client.post(
                f"/api/v1/projects/{project}/exports",
                json={"format": "json", "include_media": True},
            )
            assert made.status_code == 202, made.text
            stack.run_jobs()
            return dict(client.get(f"/api/v1/exports/{made.json()['id']}").json())

        first, second = run(), run()
        assert first["state"] == "succeeded", first
        assert first["file_name"].endswith(".zip") and first["content_type"] == "application/zip"
        # The same data gives the same bytes (fixed zip times, sorted entries).
        assert first["sha256"] == second["sha256"]
        body = client.get(first["download_url"]).content
    assert hashlib.sha256(body).hexdigest() == first["sha256"]
    with zipfile.ZipFile(io.BytesIO(body)) as zf:
        names = zf.namelist()
        records = orjson.loads(zf.read("tasks.json"))
        assert names == sorted(names)
        assert all(i.date_time == (1980, 1, 1, 0, 0, 0) for i in zf.infolist())
        media = [r["media"] for r in records if "media" in r]
        assert len(media) == 3 and len(set(media)) == 3
        stored = [m for m in media if m in names]
        assert len(stored) == 2 and any(m.endswith("_a_b.png") for m in stored)
        with Image.open(io.BytesIO(zf.read(next(m for m in stored if "a_b" in m)))) as im:
            assert im.size == (20, 10)
        sized = next(r for r in records if r["media"] in stored and r["media"].endswith("a_b.png"))
        assert (sized["width"], sized["height"]) == (20, 10)
    [dropped] = first["report"]["dropped"]
    assert dropped["count"] == 1 and "URL" in dropped["reason"]


def test_range_requests_resume_a_download(stack: Stack, factory: Factory) -> None:
    w = World(stack, factory)
    export = w.export(format="jsonl")
    full = w.download(export).content
    size = len(full)
    part = w.download(export, Range="bytes=10-")
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 10-{size - 1}/{size}"
    assert part.content == full[10:]
    middle = w.download(export, Range="bytes=3-7")
    assert (middle.status_code, middle.content) == (206, full[3:8])
    assert w.download(export, Range="bytes=-5").content == full[-5:]
    # Resuming is only for the same file: another ETag answers the whole file.
    stale = w.download(export, Range="bytes=10-", **{"If-Range": '"other"'})
    assert (stale.status_code, stale.content) == (200, full)
    same = w.download(export, Range="bytes=10-", **{"If-Range": f'"{export["sha256"]}"'})
    assert same.status_code == 206
    past = w.download(export, Range=f"bytes={size}-")
    assert past.status_code == 416 and past.headers["content-range"] == f"bytes */{size}"


def test_the_same_data_gives_the_same_bytes(stack: Stack, factory: Factory) -> None:
    w = World(stack, factory)
    for fmt in ("json", "jsonl", "csv"):
        a, b = w.export(format=fmt, result="all"), w.export(format=fmt, result="all")
        assert a["sha256"] == b["sha256"], fmt
        assert w.download(a).content == w.download(b).content


def test_another_organization_sees_no_export_and_annotators_cannot_export(
    stack: Stack, factory: Factory
) -> None:
    w = World(stack, factory)
    export = w.export(format="jsonl")
    outsider = factory.owner("Elsewhere")
    with stack.client(outsider.token) as client:
        for path in (f"/api/v1/exports/{export['id']}", f"/api/v1/exports/{export['id']}/download"):
            r = client.get(path)
            assert r.status_code == 404, r.text
        assert client.delete(f"/api/v1/exports/{export['id']}").status_code == 404
        made = client.post(f"/api/v1/projects/{w.project}/exports", json={"format": "jsonl"})
        assert made.status_code == 404
    with w.client(w.first) as client:
        made = client.post(f"/api/v1/projects/{w.project}/exports", json={"format": "jsonl"})
        assert made.status_code == 403, made.text
        assert client.get(f"/api/v1/exports/{export['id']}/download").status_code == 403
        assert client.get(f"/api/v1/projects/{w.project}/exports").status_code == 403
    with w.client() as client:
        listed = client.get(f"/api/v1/projects/{w.project}/exports").json()
        assert [e["id"] for e in listed] == [export["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"format": "nope"}, "format"),
        ({"format": "jsonl", "result": "consensus"}, "result"),
        ({"format": "jsonl", "result": "reviewed"}, "result"),
        ({"format": "jsonl", "split": {"train": 0.5, "val": 0.1, "test": 0.1}}, "split"),
        ({"format": "jsonl", "label_map": {"truck": "car"}}, "label_map"),
        ({"format": "jsonl", "label_map": {"sharp": None, "blurry": None}}, "label_map"),
        ({"format": "jsonl", "options": {"pretty": True}}, "options.pretty"),
        ({"format": "jsonl", "filter": {"state": "odd"}}, "state"),
    ],
)
def test_bad_requests_name_the_field(
    stack: Stack, factory: Factory, body: dict[str, Any], field: str
) -> None:
    owner = factory.owner()
    project = factory.project(owner)["id"]
    with stack.client(owner.token) as client:
        r = client.post(f"/api/v1/projects/{project}/exports", json=body)
        assert r.status_code == 422, r.text
        assert r.json()["details"]["field"] == field, r.json()
        assert client.get(f"/api/v1/projects/{project}/exports").json() == []


def test_cancel_and_delete(stack: Stack, factory: Factory) -> None:
    w = World(stack, factory)
    with w.client() as client:
        made = client.post(f"/api/v1/projects/{w.project}/exports", json={"format": "csv"}).json()
        assert client.delete(f"/api/v1/exports/{made['id']}").status_code == 409
        cancelled = client.post(f"/api/v1/jobs/{made['job']['id']}/cancel")
        assert cancelled.json()["state"] == "cancelled"
        stack.run_jobs()
        got = client.get(f"/api/v1/exports/{made['id']}").json()
        assert got["state"] == "cancelled" and got["download_url"] is None
        assert client.get(f"/api/v1/exports/{made['id']}/download").status_code == 409
        done = w.export(format="csv")
        stored = Path(w.stack.runtime.storage.root) / "derived" / "export"  # type: ignore[attr-defined]
        assert len([p for p in stored.rglob("*") if p.is_file()]) == 1
        assert client.delete(f"/api/v1/exports/{done['id']}").status_code == 204
        assert client.get(f"/api/v1/exports/{done['id']}").status_code == 404
        assert client.get(f"/api/v1/exports/{done['id']}/download").status_code == 404
        # The stored file goes with the export; its job stays, as the record of what ran.
        assert [p for p in stored.rglob("*") if p.is_file()] == []
        assert client.get(f"/api/v1/jobs/{done['job']['id']}").json()["state"] == "succeeded"


def test_formats_are_listed(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    with stack.client(owner.token) as client:
        formats = {f["name"]: f for f in client.get("/api/v1/export-formats").json()}
    assert {"json", "jsonl", "csv"} <= set(formats)
    assert "image" in formats["jsonl"]["media"] and formats["csv"]["title"] == "CSV"
