"""The export pipeline as its job runs it: a cancel between chunks stops it with nothing
stored; the split and the label mapping as pure rules."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.errors import Invalid
from accord_server.services.exports import pipeline, source
from accord_server.services.exports.options import map_schema, split_of
from accord_server.services.jobs import Cancelled
from support import IMAGE_SCHEMA, Factory, Stack


def test_a_cancel_between_chunks_stops_the_export_and_stores_nothing(
    stack: Stack, factory: Factory, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    owner = factory.owner()
    project = factory.project(owner)["id"]
    factory.import_tasks(owner, project, [{"image": f"https://x/{i}.png"} for i in range(7)])
    with stack.client(owner.token) as client:
        made = client.post(f"/api/v1/projects/{project}/exports", json={"format": "jsonl"})
    export = made.json()
    monkeypatch.setattr(source, "CHUNK", 2)
    calls: list[int] = []
    seen: list[dict[str, Any]] = []

    def checkpoint() -> None:
        calls.append(1)
        if len(calls) == 3:  # after two chunks of two tasks
            raise Cancelled

    db = stack.runtime.db
    scratch = tmp_path / "scratch"
    with pytest.raises(Cancelled):
        pipeline.run_export(
            job_id=export["job"]["id"],
            read=lambda: db.session(write=False),
            write=db.transaction,
            storage=stack.runtime.storage,
            scratch=scratch,
            progress=lambda fraction, phase, counts: seen.append(counts),
            checkpoint=checkpoint,
        )
    assert [c["tasks"] for c in seen] == [0, 2, 4]
    assert seen[0]["total"] == 7
    assert list(scratch.iterdir()) == []  # the work folder is gone
    with stack.client(owner.token) as client:
        got = client.get(f"/api/v1/exports/{export['id']}").json()
        assert got["sha256"] is None and got["download_url"] is None
        assert client.get(f"/api/v1/exports/{export['id']}/download").status_code == 409


def test_split_is_a_function_of_seed_and_task() -> None:
    split = {"train": 0.6, "val": 0.2, "test": 0.2, "seed": 1}
    parts = [split_of(split, task) for task in range(1, 3001)]
    assert parts == [split_of(split, task) for task in range(1, 3001)]
    share = {p: parts.count(p) / len(parts) for p in ("train", "val", "test")}
    assert abs(share["train"] - 0.6) < 0.04 and abs(share["val"] - 0.2) < 0.04
    other = [split_of({**split, "seed": 2}, task) for task in range(1, 3001)]
    assert other != parts
    assert {split_of({"train": 1.0, "val": 0.0, "test": 0.0, "seed": 5}, t) for t in range(99)} == {
        "train"
    }


def test_label_map_renames_merges_and_drops_in_the_schema() -> None:
    schema = LabelSchema.model_validate(IMAGE_SCHEMA)
    mapped = map_schema(schema, {"car": "vehicle", "bike": "vehicle", "person": None})
    objects = next(t for t in mapped.tools if t.name == "objects")
    assert [label.name for label in objects.labels] == ["vehicle"]  # type: ignore[union-attr]
    with pytest.raises(Invalid, match="every label of tool 'outline'"):
        map_schema(schema, {"car": None, "person": None})
