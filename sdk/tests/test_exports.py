"""client.exports and ``accord export``: create and wait, download and resume a partial file,
the report, tenancy errors, the CLI's output."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from support import BOX, SCHEMA, Factory, Member, Stack, client_for

from accord import Client, InvalidRequest, NotFound
from accord._cli import main


def _project_with_work(client: Client) -> int:
    project = client.projects.create("P", SCHEMA)
    client.imports.tasks(
        project.id, [{"image": f"https://x/{i}.jpg"} for i in range(20)], progress=False
    )
    lease = client.queue.next(project.id)
    assert lease is not None
    client.annotations.submit(lease.task.id, [BOX])
    return project.id


def test_create_wait_download_and_resume(client: Client, tmp_path: Path) -> None:
    project = _project_with_work(client)
    assert {"json", "jsonl", "csv"} <= {f.name for f in client.exports.formats()}
    export = client.exports.create(project, format="jsonl", progress=False)
    assert export.state == "succeeded" and export.task_count == 20
    assert export.job.counts.tasks == 20
    path = client.exports.download(export, tmp_path)
    assert export.file_name is not None and path == tmp_path / export.file_name
    full = path.read_bytes()
    assert hashlib.sha256(full).hexdigest() == export.sha256
    records = [json.loads(line) for line in full.splitlines()]
    labelled = [r for r in records if r["annotations"]]
    assert [r["annotations"][0]["result"][0]["label"] for r in labelled] == ["car"]
    # A partial file is completed, not downloaded again.
    path.write_bytes(full[:100])
    assert client.exports.download(export, path) == path
    assert path.read_bytes() == full
    # A file that is not a part of this one is replaced by the whole file.
    path.write_bytes(b"x" * 50)
    client.exports.download(export, path, resume=False)
    assert path.read_bytes() == full
    assert [e.id for e in client.exports.list(project)] == [export.id]
    client.exports.delete(export)
    with pytest.raises(NotFound):
        client.exports.get(export.id)


def test_the_report_and_a_refused_request(client: Client) -> None:
    project = _project_with_work(client)
    export = client.exports.create(project, format="json", label_map={"car": None}, progress=False)
    [dropped] = export.report.dropped
    assert dropped.count == 1 and "label_map" in dropped.reason
    with pytest.raises(InvalidRequest, match="consensus"):
        client.exports.create(project, format="json", result="consensus")


def test_another_organization_cannot_read_it(
    stack: Stack, factory: Factory, client: Client
) -> None:
    project = _project_with_work(client)
    export = client.exports.create(project, format="csv", progress=False)
    outsider = factory.owner("Elsewhere")
    with client_for(stack, outsider.token) as other:
        with pytest.raises(NotFound):
            other.exports.get(export.id)
        with pytest.raises(NotFound):
            other.exports.create(project, format="csv")


def test_cli_export(
    stack: Stack,
    owner: Member,
    client: Client,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ACCORD_URL", stack.url)
    monkeypatch.setenv("ACCORD_TOKEN", owner.token)
    project = _project_with_work(client)
    out = tmp_path / "out"
    code = main(
        [
            "export",
            str(project),
            "--format",
            "jsonl",
            "-o",
            str(out),
            "--split",
            "0.5,0.25,0.25:3",
            "--label-map",
            "car=vehicle",
            "--json",
            "--no-progress",
        ]
    )
    assert code == 0
    printed = json.loads(capsys.readouterr().out)
    path = Path(printed["path"])
    assert path.parent == out and printed["export"]["state"] == "succeeded"
    records = [json.loads(line) for line in path.read_bytes().splitlines()]
    assert {r["split"] for r in records} <= {"train", "val", "test"}
    assert [r["annotations"][0]["result"][0]["label"] for r in records if r["annotations"]] == [
        "vehicle"
    ]
    assert main(["export", str(project), "--format", "csv", "-o", str(out), "--no-progress"]) == 0
    assert Path(capsys.readouterr().out.strip()).name.endswith("tasks.csv")
    assert main(["export", str(project), "--format", "nope", "--no-progress"]) == 1
    assert "not an export format" in capsys.readouterr().err
