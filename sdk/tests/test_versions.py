"""client.versions and ``accord versions``: freeze, list, pull (the same bytes after the project
changed), diff, rename, delete, tenancy, the CLI's output."""

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
        project.id, [{"image": f"https://x/{i}.jpg"} for i in range(6)], progress=False
    )
    lease = client.queue.next(project.id)
    assert lease is not None
    client.annotations.submit(lease.task.id, [BOX])
    return project.id


def test_create_pull_diff_and_delete(client: Client, tmp_path: Path) -> None:
    project = _project_with_work(client)
    v1 = client.versions.create(project, name="first", progress=False)
    assert v1.state == "succeeded" and v1.number == 1 and v1.task_count == 6
    assert v1.label_counts == {"car": 1} and v1.content_hash
    first = client.versions.pull(v1, tmp_path / "a", format="jsonl", progress=False)
    coco = client.versions.pull(v1.id, tmp_path / "c", progress=False)
    assert coco.suffix == ".json"
    # The project changes: a new task, a new annotation.
    client.imports.tasks(project, [{"image": "https://x/new.jpg"}], progress=False)
    lease = client.queue.next(project)
    assert lease is not None
    client.annotations.submit(lease.task.id, [BOX])
    again = client.versions.pull(v1, tmp_path / "b", format="jsonl", progress=False)
    assert again.read_bytes() == first.read_bytes()
    coco_again = client.versions.pull(v1, tmp_path / "d", progress=False)
    assert (
        hashlib.sha256(coco_again.read_bytes()).digest()
        == hashlib.sha256(coco.read_bytes()).digest()
    )
    v2 = client.versions.create(project, name="second", progress=False)
    changes = client.versions.diff(v2, v1)
    assert changes.tasks == {"added": 1, "removed": 0, "changed": 1, "unchanged": 5}
    assert changes.labels == {"car": {"added": 1, "removed": 0}}
    assert [v.id for v in client.versions.list(project)] == [v2.id, v1.id]
    assert client.versions.rename(v1, name="renamed").name == "renamed"
    with pytest.raises(InvalidRequest, match="result"):
        client.exports.create(project, format="jsonl", version=v1, result="all")
    client.versions.delete(v1)
    with pytest.raises(NotFound):
        client.versions.get(v1.id)


def test_another_organization_cannot_read_it(
    stack: Stack, factory: Factory, client: Client, tmp_path: Path
) -> None:
    project = _project_with_work(client)
    version = client.versions.create(project, name="v", progress=False)
    outsider = factory.owner("Elsewhere")
    with client_for(stack, outsider.token) as other:
        with pytest.raises(NotFound):
            other.versions.get(version.id)
        with pytest.raises(NotFound):
            other.versions.pull(version.id, tmp_path, progress=False)
        with pytest.raises(NotFound):
            other.versions.create(project, name="x")


def test_cli_versions(
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
    base = ["versions", "create", str(project), "--no-progress", "--json"]
    assert main([*base, "--name", "one"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert one["state"] == "succeeded" and one["task_count"] == 6
    assert main(["versions", "create", str(project), "--name", "two", "--no-progress"]) == 0
    assert f"same content as version {one['id']}" in capsys.readouterr().out
    assert main(["versions", "list", str(project), "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [v["name"] for v in listed] == ["two", "one"]
    out = tmp_path / "out"
    code = main(
        [
            "versions",
            "pull",
            str(one["id"]),
            "--format",
            "jsonl",
            "-o",
            str(out),
            "--json",
            "--no-progress",
        ]
    )
    assert code == 0
    path = Path(json.loads(capsys.readouterr().out)["path"])
    assert path.parent == out and len(path.read_bytes().splitlines()) == 6
    assert main(["versions", "diff", str(listed[0]["id"]), str(one["id"]), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["same_content"] is True
    assert main(["versions", "diff", str(listed[0]["id"]), str(one["id"])]) == 0
    assert "0 added, 0 removed, 0 changed, 6 unchanged" in capsys.readouterr().out
    assert main(["versions", "pull", "999999", "--no-progress"]) == 1
    assert "not found" in capsys.readouterr().err
