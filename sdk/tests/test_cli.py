"""The ``accord`` CLI, called as ``main([...])`` and once as the installed console script."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import SCHEMA, Member, Stack

from accord import Client
from accord._cli import main


@pytest.fixture
def env(stack: Stack, owner: Member, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_URL", stack.url)
    monkeypatch.setenv("ACCORD_TOKEN", owner.token)


def _json(capsys: pytest.CaptureFixture[str]) -> object:
    return json.loads(capsys.readouterr().out)


def test_projects_list(env: None, client: Client, capsys: pytest.CaptureFixture[str]) -> None:
    project = client.projects.create("Listed", SCHEMA)
    assert main(["projects", "list"]) == 0
    out = _json(capsys)
    assert isinstance(out, list) and [p["id"] for p in out] == [project.id]


def test_import_files_and_folders_then_progress_and_next(
    env: None, client: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = client.projects.create("P", SCHEMA)
    (tmp_path / "one.json").write_text(json.dumps([{"image": "https://x/1.jpg"}]))
    folder = tmp_path / "more"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "two.jsonl").write_text(
        '{"image": "https://x/2.jpg"}\n{"image": "https://x/3.jpg"}\n'
    )
    code = main(
        [
            "import",
            str(project.id),
            str(tmp_path / "one.json"),
            str(folder),
            "--batch",
            "cli",
            "--no-progress",
        ]
    )
    assert code == 0
    job = _json(capsys)
    assert isinstance(job, dict)
    assert (job["state"], job["counts"]["tasks"], job["counts"]["files"]) == ("succeeded", 3, 2)

    assert main(["progress", str(project.id)]) == 0
    progress = _json(capsys)
    assert isinstance(progress, dict) and progress["tasks"] == 3
    assert main(["progress", str(project.id), "--mine"]) == 0
    mine = {"submitted": 0, "leased": 0, "drafts": 0, "skipped": 0, "available": 3}
    assert _json(capsys) == mine | {"more_available": False}

    assert main(["next", str(project.id)]) == 0
    lease = _json(capsys)
    assert isinstance(lease, dict) and lease["task"]["project_id"] == project.id


def test_next_on_an_empty_queue_prints_null(
    env: None, client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    project = client.projects.create("P", SCHEMA)
    assert main(["next", str(project.id)]) == 3
    assert _json(capsys) is None


def test_failed_import_prints_the_job_and_exits_1(
    env: None, client: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = client.projects.create("P", SCHEMA)
    (tmp_path / "bad.jsonl").write_text("{nope\n")
    assert main(["import", str(project.id), str(tmp_path / "bad.jsonl"), "--no-progress"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["errors"][0]["row"] == 1
    assert captured.err.startswith("accord: job ")


def test_api_error_exits_1(env: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["progress", "999"]) == 1
    assert "404 not_found" in capsys.readouterr().err


def test_missing_url(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("ACCORD_URL", raising=False)
    assert main(["projects", "list"]) == 1
    assert "ACCORD_URL" in capsys.readouterr().err


def test_console_script(stack: Stack, owner: Member, client: Client) -> None:
    client.projects.create("From a subprocess", SCHEMA)
    script = Path(sys.executable).with_name("accord")
    environ = {**os.environ, "ACCORD_URL": stack.url, "ACCORD_TOKEN": owner.token}
    done = subprocess.run(
        [str(script), "projects", "list"],
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)[0]["name"] == "From a subprocess"


def test_a_closed_stdout_ends_quietly(stack: Stack, owner: Member, client: Client) -> None:
    """`accord projects list | head`: the reader is gone before anything is written."""
    client.projects.create("Nobody reads this", SCHEMA)
    script = Path(sys.executable).with_name("accord")
    environ = {**os.environ, "ACCORD_URL": stack.url, "ACCORD_TOKEN": owner.token}
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        done = subprocess.run(
            [str(script), "projects", "list"],
            env=environ,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write_end)
    assert (done.returncode, done.stderr) == (141, "")


def test_import_says_what_it_left_out_on_stderr(
    env: None, client: Client, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = client.projects.create("P", SCHEMA)
    geometry = {"x": 1, "y": 1, "width": 2, "height": 2}
    region = {"id": "p1", "tool": "objects", "type": "bbox", "label": "Kat", "geometry": geometry}
    rows = [
        {"data": {"image": "https://x/1.jpg"}},
        {"data": {"image": "https://x/2.jpg"}, "predictions": [{"result": [region]}]},
    ]
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows))
    args = ["import", str(project.id), str(path), "--skip-invalid", "--no-progress"]
    assert main(args) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["counts"]["tasks_with_dropped_predictions"] == 1
    assert captured.err == (
        "accord: imported 2 tasks; 1 without its invalid prediction (1 dropped)\n"
        "1 task imported without 1 invalid prediction:\n"
        '  t.jsonl row 2 predictions[0].result[0].label: region "p1": unknown label "Kat" '
        'for tool "objects"; expected one of: car, person\n'
    )
