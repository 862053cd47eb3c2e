"""Media collection (issue 13, finding 2): stored files that no task names any more go, with
their thumbnails; content shared between tasks and projects through its hash stays while any
task names it; files written within the grace period, and the blobs of an import in flight,
stay. Media imported and deleted over real HTTP, on the local store and on S3 (moto)."""

from __future__ import annotations

import io
import os
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from PIL import Image
from sqlalchemy import select

from accord_server.adapters.storage import Storage
from accord_server.db.base import utcnow
from accord_server.db.models import Job, Task
from accord_server.jobs import imports as import_job
from accord_server.jobs.media_gc import schedule_media_gc
from accord_server.services import media_gc
from accord_server.services.jobs import Progress
from accord_server.services.thumbnails import thumbnail_keys
from accord_server.settings import Settings
from support import Factory, Member, Stack, running_stack

DAY = timedelta(days=1)


def _png(color: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), color).save(out, format="PNG")
    return out.getvalue()


def _upload(stack: Stack, member: Member, project_id: int, files: dict[str, bytes]) -> int:
    with stack.client(member.token) as client:
        r = client.post(
            f"/api/v1/projects/{project_id}/imports/files",
            files=[("files", (name, data)) for name, data in files.items()],
        )
    assert r.status_code == 202, r.text
    return int(r.json()["id"])


def _media(stack: Stack, project_id: int) -> dict[str, int]:
    """The project's tasks by media key."""
    with stack.runtime.db.session() as session:
        rows = session.execute(
            select(Task.media_key, Task.id).where(Task.project_id == project_id)
        ).all()
    return {key: task_id for key, task_id in rows}


def _age_local(stack: Stack, age: timedelta) -> None:
    """Make every stored file look written ``age`` ago."""
    when = time.time() - age.total_seconds()
    for folder, _, files in os.walk(stack.settings.data_dir / "media"):
        for name in files:
            os.utime(Path(folder, name), (when, when))


def _collect(stack: Stack, grace: timedelta = DAY, **kwargs: Any) -> media_gc.Collection:
    return media_gc.collect_media(
        read=lambda: stack.runtime.db.session(write=False),
        storage=stack.runtime.storage,
        grace=grace,
        scratch=stack.settings.upload_tmp_dir,
        **kwargs,
    )


def _shared_world(stack: Stack) -> tuple[Member, dict[str, Any], dict[str, Any], str, str, str]:
    """Two projects of one organization and a project of another, sharing one image (the
    same bytes: one stored file); one image only the first project has."""
    factory = Factory(stack)
    owner, other = factory.owner(), factory.owner("Other")
    first, second = factory.project(owner), factory.project(owner)
    elsewhere = factory.project(other)
    shared, own = _png("red"), _png("blue")
    _upload(stack, owner, first["id"], {"shared.png": shared, "own.png": own})
    _upload(stack, owner, second["id"], {"shared.png": shared})
    _upload(stack, other, elsewhere["id"], {"copy.png": shared})
    stack.run_jobs()
    media = _media(stack, first["id"])
    assert len(media) == 2
    (shared_key,) = (
        set(media) & set(_media(stack, second["id"])) & set(_media(stack, elsewhere["id"]))
    )
    (own_key,) = set(media) - {shared_key}
    return owner, first, second, shared_key, own_key, str(elsewhere["id"])


def test_shared_media_stays_while_any_task_names_it(stack: Stack) -> None:
    owner, first, second, shared, own, elsewhere = _shared_world(stack)
    storage = stack.runtime.storage
    with stack.client(owner.token) as client:
        for key in (shared, own):  # thumbnails made, then stored
            r = client.get(f"/api/v1/projects/{first['id']}/media/{key}/thumbnail?size=64")
            assert r.status_code == 200
        # The first project deletes both its tasks: the shared image is still the second
        # project's (and another organization's), the other one is nobody's.
        for task_id in _media(stack, first["id"]).values():
            assert client.delete(f"/api/v1/tasks/{task_id}").status_code == 204
    assert storage.exists(thumbnail_keys(shared)[0]) and storage.exists(thumbnail_keys(own)[0])
    _age_local(stack, 2 * DAY)

    # Through the queue, as a worker runs it.
    job_id = schedule_media_gc(stack.runtime)
    assert job_id is not None
    assert stack.run_jobs() == 1
    with stack.runtime.db.session() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.state == "succeeded", job.message
        assert job.organization_id is None
        assert job.counts["deleted"] == 1 and job.counts["derived"] == 1
    assert not storage.exists(own) and not storage.exists(thumbnail_keys(own)[0])
    assert storage.exists(shared) and storage.exists(thumbnail_keys(shared)[0])
    with stack.client(owner.token) as client:
        r = client.get(f"/api/v1/projects/{second['id']}/media/{shared}")
        assert r.status_code == 200 and r.content == _png("red")
        # No organization sees the server's own job.
        assert client.get(f"/api/v1/jobs/{job_id}").status_code == 404

    # The second project goes too: the other organization's task still names the image.
    with stack.client(owner.token) as client:
        assert client.delete(f"/api/v1/projects/{second['id']}").status_code == 204
    assert _collect(stack).deleted == 0
    assert storage.exists(shared)
    # Once no task names it, it goes, with its thumbnail.
    with stack.runtime.db.transaction() as session:
        session.execute(Task.__table__.delete().where(Task.project_id == int(elsewhere)))
    done = _collect(stack)
    assert (done.deleted, done.derived) == (1, 1)
    assert not storage.exists(shared) and not storage.exists(thumbnail_keys(shared)[0])


def test_only_files_unwritten_for_the_grace_period_go(stack: Stack) -> None:
    storage = stack.runtime.storage
    old, young = storage.put_bytes(b"left by a failed import"), storage.put_bytes(b"just now")
    when = time.time() - (DAY + timedelta(minutes=1)).total_seconds()
    os.utime(stack.settings.data_dir / "media" / old, (when, when))
    dry = _collect(stack, dry_run=True, keep_keys=True)
    assert (dry.deleted, dry.recent, dry.keys) == (1, 1, [old])
    assert storage.exists(old)  # a dry run deletes nothing
    done = _collect(stack)
    assert (done.scanned, done.deleted, done.recent) == (2, 1, 1)
    assert not storage.exists(old) and storage.exists(young)
    # Storing the same bytes again counts as a write: they are young again.
    again = storage.put_bytes(b"just now")
    os.utime(stack.settings.data_dir / "media" / again, (when, when))
    assert storage.put_bytes(b"just now") == again
    assert _collect(stack).deleted == 0 and storage.exists(again)


def test_the_files_of_queued_imports_and_an_import_in_flight_stay(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    factory = Factory(stack)
    owner = factory.owner()
    project = factory.project(owner)
    storage = stack.runtime.storage
    # An image once stored, then deleted with its task long ago: nothing names it now; a
    # folder import brings it back, with a new one.
    revived, fresh = _png("green"), _png("yellow")
    revived_key = storage.put_bytes(revived)
    folder = stack.import_root / "batch"
    folder.mkdir()
    (folder / "old.png").write_bytes(revived)
    (folder / "new.png").write_bytes(fresh)
    granted = factory.grant(owner)
    queued = _upload(stack, owner, project["id"], {"later.jsonl": b'{"image": "https://x/1"}'})
    with stack.client(owner.token) as client:
        r = client.post(
            f"/api/v1/projects/{project['id']}/imports",
            json={"source": {"id": granted, "path": "batch"}},
        )
        assert r.status_code == 202, r.text
        running = int(r.json()["id"])
    _age_local(stack, 2 * DAY)  # the old image, and the queued import's file
    with stack.runtime.db.transaction() as session:  # both imports were queued long ago
        for job_id in (queued, running):
            found = session.get(Job, job_id)
            assert found is not None
            found.created_at = utcnow() - 2 * DAY

    # Run the folder import until it has stored its media and not yet written its tasks.
    stored, go = threading.Event(), threading.Event()
    real_progress = import_job.progress_for

    def pausing_progress(runtime: Any, job_id: int) -> Progress:
        report = real_progress(runtime, job_id)

        def progress(fraction: float, phase: str, counts: dict[str, Any]) -> None:
            report(fraction, phase, counts)
            if phase == "writing" and not stored.is_set():
                stored.set()
                assert go.wait(30)

        return progress

    monkeypatch.setattr(import_job, "progress_for", pausing_progress)
    with stack.runtime.db.transaction() as session:  # the worker passes the queued one by
        session.get(Job, queued).state = "cancelled"  # type: ignore[union-attr]
    worker = threading.Thread(target=stack.run_jobs)
    worker.start()
    try:
        assert stored.wait(30)
        with stack.runtime.db.transaction() as session:
            session.get(Job, queued).state = "queued"  # type: ignore[union-attr]
        assert not _media(stack, project["id"])  # no task names the new blobs yet
        # No grace period at all: only what the unfinished jobs hold keeps them.
        done = _collect(stack, now=utcnow(), grace=timedelta(0))
    finally:
        go.set()
        worker.join(30)
    assert done.deleted == 0, done.summary()
    assert done.held_by_job in (queued, running)
    with stack.client(owner.token) as client:
        job = client.get(f"/api/v1/jobs/{running}").json()
        assert job["state"] == "succeeded", job
        keys = _media(stack, project["id"])
        assert revived_key in keys and len(keys) == 2
        for key in keys:
            r = client.get(f"/api/v1/projects/{project['id']}/media/{key}")
            assert r.status_code == 200, key


def test_upload_folders_left_by_a_killed_process_go(stack: Stack) -> None:
    tmp = stack.settings.upload_tmp_dir
    left, current = tmp / "upload-left", tmp / "upload-current"
    for folder in (left, current):
        folder.mkdir(parents=True)
        (folder / "0000000").write_bytes(b"part of a file")
    when = time.time() - 2 * DAY.total_seconds()
    for path in (left, left / "0000000"):
        os.utime(path, (when, when))
    os.utime(current, (when, when))  # an old folder whose file is still being written
    assert _collect(stack).temporary == 1
    assert not left.exists() and current.exists()


# --- S3 ----------------------------------------------------------------------------------------


@pytest.fixture
def s3_stack(
    settings: Settings, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Stack]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"media-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    configured = settings.model_copy(
        update={"s3_endpoint_url": s3_endpoint, "storage_url": f"s3://{bucket}/accord"}
    )
    with running_stack(configured) as stack:
        yield stack


def test_collection_on_s3(s3_stack: Stack) -> None:
    stack = s3_stack
    owner, first, second, shared, own, _ = _shared_world(stack)
    storage: Storage = stack.runtime.storage
    with stack.client(owner.token) as client:
        r = client.get(f"/api/v1/projects/{first['id']}/media/{own}/thumbnail?size=64")
        assert r.status_code == 200
        for task_id in _media(stack, first["id"]).values():
            assert client.delete(f"/api/v1/tasks/{task_id}").status_code == 204
    unnamed = storage.put_bytes(b"written just now, named by nothing")
    # S3 keeps its own times: look from two days ahead instead of making files old, except
    # for a file written "then" (after the cutoff).
    later = utcnow() + 2 * DAY
    assert _collect(stack, now=later - DAY - timedelta(hours=1)).deleted == 0  # all too young
    done = _collect(stack, now=later, keep_keys=True)
    assert sorted(done.keys) == sorted([own, unnamed]), done.summary()
    assert done.derived == 1
    assert not storage.exists(own) and not storage.exists(thumbnail_keys(own)[0])
    assert storage.exists(shared)
    with stack.client(owner.token) as client:
        assert client.get(f"/api/v1/projects/{second['id']}/media/{shared}").status_code == 200
    # A blob written again after the cutoff is not deleted by a collection that listed it
    # before (it looks at the time again just before deleting).
    again = storage.put_bytes(b"old but written again")
    assert not storage.delete_unless_written_since(again, utcnow() - timedelta(minutes=5))
    assert storage.exists(again)
