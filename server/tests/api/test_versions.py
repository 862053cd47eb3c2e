"""Dataset versions over real HTTP: a version exported again after the project changed gives
the same bytes (COCO and JSONL), the live project does not; the diff counts exactly; equal
content gives an equal hash (``same_as``); the manifest is canonical and downloads by range;
versions are immutable; deletion removes the manifest (kept while another version shares it);
tenancy is a 404 and roles are enforced."""

from __future__ import annotations

import hashlib
from typing import Any

import httpx
import orjson
import pytest

from accord_server.db.models import DatasetVersion
from accord_server.services.exports import source
from scenarios import box, lease, submit
from support import Factory, Member, Stack


def _quality(choice: str) -> dict[str, Any]:
    return {"id": "q", "tool": "quality", "type": "classification", "value": {"choices": [choice]}}


class World:
    """A project of 3 image tasks: task 1 annotated with a car, task 2 with a bike and
    'blurry', task 3 with nothing."""

    def __init__(self, stack: Stack, factory: Factory) -> None:
        self.stack = stack
        self.factory = factory
        self.owner = factory.owner()
        self.annotator = factory.member(self.owner, "annotator")
        self.reviewer = factory.member(self.owner, "reviewer")
        self.manager = factory.member(self.owner, "manager")
        self.project = int(factory.project(self.owner)["id"])
        factory.import_tasks(
            self.owner, self.project, [{"image": f"https://x/{n}.png"} for n in "abc"]
        )
        with self.client() as client:
            items = client.get(f"/api/v1/projects/{self.project}/tasks").json()["items"]
        self.tasks = sorted(int(t["id"]) for t in items)
        t1 = lease(stack, self.annotator, self.project)["task"]["id"]
        submit(stack, self.annotator, t1, [box("r1", "car")], "a1")
        t2 = lease(stack, self.annotator, self.project)["task"]["id"]
        submit(stack, self.annotator, t2, [box("r2", "bike"), _quality("blurry")], "a2")
        assert [t1, t2] == self.tasks[:2]

    def client(self, member: Member | None = None) -> httpx.Client:
        return self.stack.client((member or self.owner).token)

    def freeze(self, name: str, member: Member | None = None, **body: Any) -> dict[str, Any]:
        with self.client(member) as client:
            made = client.post(
                f"/api/v1/projects/{self.project}/versions", json={"name": name, **body}
            )
            assert made.status_code == 202, made.text
            assert made.json()["state"] == "queued" and made.json()["manifest_url"] is None
            self.stack.run_jobs()
            got = client.get(f"/api/v1/versions/{made.json()['id']}")
            assert got.status_code == 200, got.text
            assert got.json()["state"] == "succeeded", got.json()
            return dict(got.json())

    def export(self, **body: Any) -> tuple[dict[str, Any], bytes]:
        with self.client() as client:
            made = client.post(f"/api/v1/projects/{self.project}/exports", json=body)
            assert made.status_code == 202, made.text
            self.stack.run_jobs()
            export = client.get(f"/api/v1/exports/{made.json()['id']}").json()
            assert export["state"] == "succeeded", export
            content = client.get(export["download_url"]).content
        assert hashlib.sha256(content).hexdigest() == export["sha256"]
        return export, content

    def change(self) -> int:
        """Change the project: a newer annotation of task 1 (a person), a new label in the
        schema, a new task; the new task's id."""
        submit(self.stack, self.owner, self.tasks[0], [box("r9", "person")], "o1")
        with self.client() as client:
            schema = client.get(f"/api/v1/projects/{self.project}").json()["label_schema"]
            schema["tools"][0]["labels"].append({"name": "truck"})
            r = client.patch(f"/api/v1/projects/{self.project}", json={"label_schema": schema})
            assert r.status_code == 200, r.text
        self.factory.import_tasks(self.owner, self.project, [{"image": "https://x/d.png"}])
        with self.client() as client:
            items = client.get(f"/api/v1/projects/{self.project}/tasks").json()["items"]
        return max(int(t["id"]) for t in items)


def test_a_version_exports_the_same_bytes_after_the_project_changed(
    stack: Stack, factory: Factory
) -> None:
    w = World(stack, factory)
    v1 = w.freeze("first", description="the first labels")
    assert v1["number"] == 1 and v1["name"] == "first"
    assert (v1["task_count"], v1["result_count"], v1["prediction_count"]) == (3, 2, 0)
    assert v1["label_counts"] == {"bike": 1, "blurry": 1, "car": 1}
    assert v1["same_as"] is None and len(v1["content_hash"]) == 64
    coco1, coco_bytes = w.export(format="coco", version=v1["id"])
    jsonl1, jsonl_bytes = w.export(format="jsonl", version=v1["id"])
    assert coco1["options"]["version"] == v1["id"] and coco1["task_count"] == 3
    live_before, _ = w.export(format="jsonl")
    assert live_before["sha256"] == jsonl1["sha256"]  # frozen = what the project was then

    new_task = w.change()

    coco2, coco_again = w.export(format="coco", version=v1["id"])
    jsonl2, jsonl_again = w.export(format="jsonl", version=v1["id"])
    assert coco_again == coco_bytes and coco2["sha256"] == coco1["sha256"]
    assert jsonl_again == jsonl_bytes and jsonl2["sha256"] == jsonl1["sha256"]
    assert b"truck" not in coco_again  # the frozen schema, not today's
    live, _ = w.export(format="jsonl")
    assert live["sha256"] != jsonl1["sha256"] and live["task_count"] == 4
    records = [orjson.loads(line) for line in jsonl_again.splitlines()]
    assert [r["id"] for r in records] == w.tasks
    assert [a["result"][0]["label"] for a in records[0]["annotations"]] == ["car"]

    v2 = w.freeze("second")
    assert v2["number"] == 2 and v2["task_count"] == 4 and v2["same_as"] is None
    assert v2["content_hash"] != v1["content_hash"]
    with w.client() as client:
        diff = client.get(f"/api/v1/versions/{v2['id']}/diff", params={"against": v1["id"]})
        assert diff.status_code == 200, diff.text
        body = diff.json()
        assert body["tasks"] == {"added": 1, "removed": 0, "changed": 1, "unchanged": 2}
        assert body["task_ids"] == {"added": [new_task], "removed": [], "changed": [w.tasks[0]]}
        assert body["labels"] == {
            "car": {"added": 0, "removed": 1},
            "person": {"added": 1, "removed": 0},
        }
        assert body["schema_changed"] is True and body["same_content"] is False
        back = client.get(f"/api/v1/versions/{v1['id']}/diff", params={"against": v2["id"]})
        assert back.json()["tasks"] == {"added": 0, "removed": 1, "changed": 1, "unchanged": 2}
        assert back.json()["labels"]["car"] == {"added": 1, "removed": 0}

    # Nothing changed since v2: the same hash, and v3 says it is the same as v2.
    v3 = w.freeze("third")
    assert v3["content_hash"] == v2["content_hash"] and v3["same_as"] == v2["id"]
    assert v3["manifest_sha256"] == v2["manifest_sha256"]
    with w.client() as client:
        same = client.get(f"/api/v1/versions/{v3['id']}/diff", params={"against": v2["id"]})
        assert same.json()["same_content"] is True
        assert same.json()["tasks"] == {"added": 0, "removed": 0, "changed": 0, "unchanged": 4}
        listed = client.get(f"/api/v1/projects/{w.project}/versions").json()
        assert [v["number"] for v in listed] == [3, 2, 1]


def test_the_manifest_is_canonical_and_downloads_by_range(stack: Stack, factory: Factory) -> None:
    w = World(stack, factory)
    v1 = w.freeze("v")
    with w.client() as client:
        got = client.get(v1["manifest_url"])
        assert got.status_code == 200 and got.headers["accept-ranges"] == "bytes"
        assert hashlib.sha256(got.content).hexdigest() == v1["manifest_sha256"]
        assert len(got.content) == v1["manifest_size"]
        tail = client.get(v1["manifest_url"], headers={"Range": "bytes=10-"})
        assert tail.status_code == 206 and tail.content == got.content[10:]
    lines = got.content.splitlines(keepends=True)
    assert len(lines) == 3
    for line in lines:
        record = orjson.loads(line)
        assert line == orjson.dumps(record, option=orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE)
        assert set(record) == {
            "data",
            "id",
            "is_gold",
            "media_key",
            "meta",
            "predictions",
            "results",
        }
    first = orjson.loads(lines[0])
    assert first["id"] == w.tasks[0]
    assert first["results"][0]["annotator"] == w.annotator.email
    assert first["results"][0]["regions"][0]["label"] == "car"
    # The content hash: SHA-256 of the canonical schema, a newline, and the manifest.
    schema = orjson.dumps(v1["label_schema"], option=orjson.OPT_SORT_KEYS)
    assert hashlib.sha256(schema + b"\n" + got.content).hexdigest() == v1["content_hash"]


def test_freezing_reads_in_bounded_chunks_and_gives_the_same_bytes(
    stack: Stack, factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Memory flat by design: records are read CHUNK tasks at a time; the chunk size changes
    nothing in the manifest."""
    w = World(stack, factory)
    w.factory.import_tasks(w.owner, w.project, [{"image": f"https://x/m{i}.png"} for i in range(6)])
    big = w.freeze("big chunks")
    sizes: list[int] = []
    real = source.live_records

    def spying(*args: Any, **kwargs: Any) -> Any:
        for chunk in real(*args, **kwargs):
            sizes.append(len(chunk))
            yield chunk

    monkeypatch.setattr(source, "CHUNK", 2)
    monkeypatch.setattr("accord_server.services.datasets.live_records", spying)
    small = w.freeze("small chunks")
    assert sizes == [2, 2, 2, 2, 1]
    assert small["manifest_sha256"] == big["manifest_sha256"]
    assert small["same_as"] == big["id"]


def test_versions_are_immutable_and_deleting_removes_the_manifest(
    stack: Stack, factory: Factory
) -> None:
    w = World(stack, factory)
    v1 = w.freeze("one")
    v2 = w.freeze("two")  # the same content: it shares v1's manifest
    assert v2["same_as"] == v1["id"]
    with w.stack.runtime.db.transaction() as session:
        version = session.get(DatasetVersion, v1["id"])
        assert version is not None
        key = version.manifest_key
    assert key is not None and stack.runtime.storage.exists(key)
    with w.client() as client:
        renamed = client.patch(
            f"/api/v1/versions/{v1['id']}", json={"name": "renamed", "description": "d"}
        )
        assert renamed.status_code == 200, renamed.text
        assert renamed.json()["name"] == "renamed" and renamed.json()["description"] == "d"
        assert renamed.json()["content_hash"] == v1["content_hash"]
        for field in ({"task_count": 9}, {"label_schema": {}}, {"filter": {}}):
            assert client.patch(f"/api/v1/versions/{v1['id']}", json=field).status_code == 422
        assert client.get(f"/api/v1/versions/{v1['id']}").json()["task_count"] == 3
        # A version still being frozen is neither deleted nor exported.
        queued = client.post(f"/api/v1/projects/{w.project}/versions", json={"name": "q"})
        assert client.delete(f"/api/v1/versions/{queued.json()['id']}").status_code == 409
        early = client.post(
            f"/api/v1/projects/{w.project}/exports",
            json={"format": "jsonl", "version": queued.json()["id"]},
        )
        assert early.status_code == 409, early.text
        assert client.get(f"/api/v1/versions/{queued.json()['id']}/manifest").status_code == 409
        stack.run_jobs()
        # Deleting one of two versions sharing a manifest keeps it for the other.
        assert client.delete(f"/api/v1/versions/{v1['id']}").status_code == 204
        assert client.get(f"/api/v1/versions/{v1['id']}").status_code == 404
        assert stack.runtime.storage.exists(key)
        assert client.get(f"/api/v1/versions/{v2['id']}/manifest").status_code == 200
        assert client.delete(f"/api/v1/versions/{v2['id']}").status_code == 204
        assert client.delete(f"/api/v1/versions/{queued.json()['id']}").status_code == 204
    assert not stack.runtime.storage.exists(key)


def test_exports_of_a_version_refuse_a_filter_a_result_and_another_project(
    stack: Stack, factory: Factory
) -> None:
    w = World(stack, factory)
    v1 = w.freeze("one")
    other = int(factory.project(w.owner)["id"])
    with w.client() as client:
        url = f"/api/v1/projects/{w.project}/exports"
        r = client.post(url, json={"format": "jsonl", "version": v1["id"], "result": "all"})
        assert r.status_code == 422 and r.json()["details"]["field"] == "result", r.text
        r = client.post(
            url, json={"format": "jsonl", "version": v1["id"], "filter": {"label": "car"}}
        )
        assert r.status_code == 422 and r.json()["details"]["field"] == "filter", r.text
        r = client.post(
            f"/api/v1/projects/{other}/exports", json={"format": "jsonl", "version": v1["id"]}
        )
        assert r.status_code == 422 and r.json()["details"]["field"] == "version", r.text


def test_another_organizations_versions_are_404_and_roles_are_enforced(
    stack: Stack, factory: Factory
) -> None:
    w = World(stack, factory)
    v1 = w.freeze("one", member=w.manager)
    v2 = w.freeze("two")
    outsider = factory.owner("Elsewhere")
    theirs = int(factory.project(outsider)["id"])
    with w.client(outsider) as client:
        for path in (
            f"/api/v1/versions/{v1['id']}",
            f"/api/v1/versions/{v1['id']}/manifest",
            f"/api/v1/versions/{v1['id']}/diff?against={v2['id']}",
        ):
            assert client.get(path).status_code == 404, path
        assert client.patch(f"/api/v1/versions/{v1['id']}", json={"name": "x"}).status_code == 404
        assert client.delete(f"/api/v1/versions/{v1['id']}").status_code == 404
        assert client.get(f"/api/v1/projects/{w.project}/versions").status_code == 404
        assert (
            client.post(f"/api/v1/projects/{w.project}/versions", json={"name": "x"}).status_code
            == 404
        )
        r = client.post(
            f"/api/v1/projects/{theirs}/exports", json={"format": "jsonl", "version": v1["id"]}
        )
        assert r.status_code == 404, r.text
    # Diffing against another organization's version is a 404 too.
    their_version_id = _their_version(stack, factory, outsider, theirs)
    with w.client() as client:
        r = client.get(f"/api/v1/versions/{v1['id']}/diff", params={"against": their_version_id})
        assert r.status_code == 404, r.text
    for member in (w.reviewer, w.annotator):
        with w.client(member) as client:
            assert client.get(f"/api/v1/versions/{v1['id']}").status_code == 403
            assert client.get(f"/api/v1/projects/{w.project}/versions").status_code == 403
            made = client.post(f"/api/v1/projects/{w.project}/versions", json={"name": "x"})
            assert made.status_code == 403
            assert client.delete(f"/api/v1/versions/{v1['id']}").status_code == 403
    with w.client() as client:
        assert client.get(f"/api/v1/versions/{v1['id']}").status_code == 200


def _their_version(stack: Stack, factory: Factory, owner: Member, project: int) -> int:
    factory.import_tasks(owner, project, [{"image": "https://y/1.png"}])
    with stack.client(owner.token) as client:
        made = client.post(f"/api/v1/projects/{project}/versions", json={"name": "theirs"})
        assert made.status_code == 202, made.text
        stack.run_jobs()
    return int(made.json()["id"])
