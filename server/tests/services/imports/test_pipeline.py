"""The import pipeline at the service level: a real database session, real local storage, and
progress / checkpoint callables that record what they hear."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from sqlalchemy import func, select

from accord_server.adapters.storage import SourceFile
from accord_server.db.models import ImportSource, Job, Project, Task
from accord_server.services import jobs as job_service
from accord_server.services.errors import Invalid
from accord_server.services.imports import pipeline
from accord_server.services.imports.reading import ImportLimits, read_sources
from accord_server.services.imports.writing import write_plan
from support import Factory, Stack

Call = tuple[float, str, dict[str, Any]]


class Recorder:
    """Progress and checkpoint callables that remember their calls; the checkpoint can be
    told to cancel at its n-th call."""

    def __init__(self, cancel_at: int | None = None) -> None:
        self.reports: list[Call] = []
        self.checks = 0
        self.cancel_at = cancel_at

    def progress(self, fraction: float, phase: str, counts: dict[str, Any]) -> None:
        self.reports.append((fraction, phase, dict(counts)))

    def checkpoint(self) -> None:
        self.checks += 1
        if self.cancel_at is not None and self.checks >= self.cancel_at:
            raise job_service.Cancelled


def _limits(stack: Stack, **change: Any) -> ImportLimits:
    return ImportLimits.from_settings(stack.settings.model_copy(update=change))


def _job(stack: Stack, project_id: int, params: dict[str, Any]) -> int:
    with stack.runtime.db.transaction() as session:
        project = session.get(Project, project_id)
        assert project is not None
        job = job_service.create_job(
            session,
            organization_id=project.organization_id,
            kind="import",
            params={"files": [], "source": None, "batch": None, "skip_invalid": False, **params},
            user=None,
            project_id=project_id,
        )
        assert job_service.start_job(session, job_id=job.id) is not None  # as the runner does
        return job.id


def _stored(stack: Stack, name: str, data: bytes) -> dict[str, Any]:
    key = stack.runtime.storage.put_bytes(data)
    return {"name": name, "key": key, "size": len(data)}


def _jsonl(n: int, start: int = 0) -> bytes:
    return b"\n".join(orjson.dumps({"image": f"https://x/{i}"}) for i in range(start, start + n))


def _run(stack: Stack, job_id: int, recorder: Recorder, **limits: Any) -> None:
    db = stack.runtime.db
    pipeline.run_import(
        job_id=job_id,
        read=lambda: db.session(write=False),
        write=db.transaction,
        storage=stack.runtime.storage,
        limits=_limits(stack, **limits),
        progress=recorder.progress,
        checkpoint=recorder.checkpoint,
    )


def _job_row(stack: Stack, job_id: int) -> Job:
    with stack.runtime.db.session(write=False) as session:
        job = session.get(Job, job_id)
        assert job is not None
        return job


def _images(stack: Stack, project_id: int) -> list[str]:
    with stack.runtime.db.session(write=False) as session:
        tasks = session.scalars(select(Task).where(Task.project_id == project_id).order_by(Task.id))
        return [t.data["image"] for t in tasks]


def test_run_import_writes_every_chunk_reports_progress_and_finishes_the_job(
    stack: Stack, factory: Factory
) -> None:
    project = factory.project(factory.owner())
    files = [_stored(stack, "a.jsonl", _jsonl(5)), _stored(stack, "b.jsonl", _jsonl(4, 5))]
    job_id = _job(stack, project["id"], {"files": files, "total_files": 2})
    recorder = Recorder()
    _run(stack, job_id, recorder, import_batch_size=3)
    job = _job_row(stack, job_id)
    assert job.state == "succeeded" and job.progress == 1.0
    assert job.message == "imported 9 tasks"
    assert job.counts == {
        "files": 2,
        "rows": 9,
        "errors": 0,
        "rows_skipped": 0,
        "files_skipped": 0,
        "predictions_dropped": 0,
        "tasks_with_dropped_predictions": 0,
        "tasks_with_dropped_annotations": 0,
        "annotations_dropped": 0,
        "files_imported_before": 0,
        "tasks": 9,
        "predictions": 0,
        "annotations": 0,
        "imported_annotators": 0,
    }
    assert _images(stack, project["id"]) == [f"https://x/{i}" for i in range(9)]
    # "writing" at 50 %, then once per chunk of 3 (each after a checkpoint), the last at 100 %.
    assert [(f, p) for f, p, _ in recorder.reports] == [
        (0.5, "writing"),
        (0.5 + 0.5 * 3 / 9, "writing"),
        (0.5 + 0.5 * 6 / 9, "writing"),
        (1.0, "writing"),
    ]
    assert recorder.reports[-1][2]["tasks"] == 9
    assert recorder.checks == 3


def test_a_cancel_at_a_checkpoint_writes_nothing(stack: Stack, factory: Factory) -> None:
    project = factory.project(factory.owner())
    job_id = _job(stack, project["id"], {"files": [_stored(stack, "a.jsonl", _jsonl(7))]})
    recorder = Recorder(cancel_at=2)  # after the second chunk was inserted
    with pytest.raises(job_service.Cancelled):
        _run(stack, job_id, recorder, import_batch_size=3)
    assert recorder.checks == 2
    assert _images(stack, project["id"]) == []
    assert _job_row(stack, job_id).state == "running"  # the runner records the cancel


def test_bad_rows_fail_the_import_with_the_report(stack: Stack, factory: Factory) -> None:
    project = factory.project(factory.owner())
    bad = b'{"image": "a"}\n{"data": {"image": "b"}, "priority": "high"}\n[1]\n'
    job_id = _job(stack, project["id"], {"files": [_stored(stack, "t.jsonl", bad)]})
    recorder = Recorder()
    _run(stack, job_id, recorder)
    job = _job_row(stack, job_id)
    assert job.state == "failed"
    assert [(e["file"], e["row"], e["field"]) for e in job.errors] == [
        ("t.jsonl", 2, "priority"),
        ("t.jsonl", 3, None),
    ]
    assert job.message.startswith("nothing imported: 2 errors; first: t.jsonl row 2 priority")
    assert job.counts["tasks"] == 0 and recorder.reports == []
    assert _images(stack, project["id"]) == []


def _grant(stack: Stack, source_id: int) -> ImportSource:
    with stack.runtime.db.session(write=False) as session:
        grant = session.get(ImportSource, source_id)
        assert grant is not None
        session.expunge_all()
    return grant


def test_stored_files_keep_their_rows_within_one_chunk_and_others_are_read_again(
    stack: Stack, factory: Factory
) -> None:
    # A stored file cannot change (its key is its content's hash): phase 2 takes the rows
    # phase 1 checked, while all kept rows fit in one write chunk. A folder's files can change,
    # so they are always read again.
    owner = factory.owner()
    project_id = factory.project(owner)["id"]
    root: Path = stack.settings.import_roots[0]
    grant = _grant(stack, factory.grant(owner))
    (root / "drop").mkdir()
    (root / "drop" / "c.jsonl").write_bytes(_jsonl(2, 100))
    params = {
        "files": [
            _stored(stack, "a.jsonl", _jsonl(3)),
            _stored(stack, "b.jsonl", _jsonl(2, 10)),
            _stored(stack, "c.jsonl", _jsonl(1, 20)),
        ],
        "source": {"id": grant.id, "path": "drop"},
    }
    with stack.runtime.db.session(write=False) as session:
        project = session.get(Project, project_id)
        assert project is not None
        session.expunge_all()
    recorder = Recorder()
    plan = read_sources(
        project,
        params=params,
        grant=grant,
        storage=stack.runtime.storage,
        limits=_limits(stack, import_batch_size=4),
        progress=recorder.progress,
        checkpoint=recorder.checkpoint,
    )
    kinds = [type(e).__name__ for e in plan.entries]
    # a (3 rows) is kept; b would make 5 > 4; c (1 row) still fits; the folder's file never.
    assert kinds == ["list", "SourceFile", "list", "SourceFile"]
    assert plan.kept_rows == 4 and plan.row_count == 8
    assert isinstance(plan.entries[1], SourceFile) and plan.entries[1].name == "b.jsonl"
    job_id = _job(stack, project_id, params)
    with stack.runtime.db.transaction() as session:
        counts = write_plan(
            session,
            job_id=job_id,
            project_id=project_id,
            plan=plan,
            default_batch=None,
            batch_size=4,
            progress=recorder.progress,
            checkpoint=recorder.checkpoint,
        )
    assert counts["tasks"] == 8
    assert [e for e in plan.entries if isinstance(e, list)] == [[], []]  # let go once written
    assert _images(stack, project_id) == [
        *(f"https://x/{i}" for i in (0, 1, 2, 10, 11, 20)),
        "https://x/100",
        "https://x/101",
    ]


def test_a_file_changed_between_reading_and_writing_imports_nothing(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    root: Path = stack.settings.import_roots[0]
    (root / "drop").mkdir(parents=True, exist_ok=True)
    tasks = root / "drop" / "tasks.jsonl"
    tasks.write_bytes(b'{"image": "https://x/1"}\n{"image": "https://x/2"}\n')
    grant = _grant(stack, factory.grant(owner))
    params = {"source": {"id": grant.id, "path": "drop"}}
    job_id = _job(stack, project["id"], params)
    # The two phases run by hand, with the file growing in between (as a sync tool still
    # copying it would make it).
    with stack.runtime.db.session(write=False) as session:
        db_project = session.get(Project, project["id"])
        assert db_project is not None
        session.expunge_all()
    recorder = Recorder()
    limits = _limits(stack)
    plan = read_sources(
        db_project,
        params=params,
        grant=grant,
        storage=stack.runtime.storage,
        limits=limits,
        progress=recorder.progress,
        checkpoint=recorder.checkpoint,
    )
    assert plan.row_count == 2
    tasks.write_bytes(tasks.read_bytes() + b'{"image": "https://x/3"}\n')
    with (
        pytest.raises(Invalid, match="changed while it was being imported"),
        stack.runtime.db.transaction() as session,
    ):
        write_plan(
            session,
            job_id=job_id,
            project_id=project["id"],
            plan=plan,
            default_batch=None,
            batch_size=limits.batch_size,
            progress=recorder.progress,
            checkpoint=recorder.checkpoint,
        )
    with stack.runtime.db.session(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Task)) == 0
