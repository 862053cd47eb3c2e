"""Media collection: delete the stored files that nothing names any more.

A stored blob (``sha256/...``) is named by the ``media_key`` of a task, of any project (content
is shared between tasks and projects through its hash: deleting one task must not delete what
another shows), or by the files of a job that has not finished (an import's uploaded or inline
task files). Everything else is garbage: the media of deleted tasks and projects, the blobs a
failed or cancelled import stored, the files of finished imports. Collection deletes it, with
its thumbnails (``derived/``), page by page of the store's listing.

An import in flight has stored blobs that no task names yet (they are written in its last
transaction), and an upload stores its files just before its job is recorded. So a blob is
deleted only when nothing has written it since the **cutoff**: the grace period ago
(``media_gc_grace_hours``), or the creation of the oldest unfinished job if that is earlier.
Writing bytes that are stored already counts as a write (``adapters/storage.py`` refreshes the
object's modification time), so an import that stores an old, unnamed blob again protects it.
Each deletion checks the time again (``delete_unless_written_since``), which on a local folder
leaves no moment in which a write could be lost; on S3 a write in the milliseconds between that
check and the delete can be (the window is documented in docs/deployment.md).

The deletion pass also removes what interrupted writes left behind, older than the cutoff: the
store's temporary files, and the upload folders under ``data_dir/tmp`` of a process killed in
the middle of an upload.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from accord_server import wording
from accord_server.adapters.storage import Storage, StoredObject
from accord_server.db.base import utcnow
from accord_server.db.models import Job, Task
from accord_server.schemas.enums import JobKind, JobState
from accord_server.services import jobs as job_service
from accord_server.services.imports.pipeline import SessionOpener
from accord_server.services.thumbnails import thumbnail_keys

PAGE_SIZE = 500
"""Stored files looked up in the database at a time (one IN list; SQLite allows 32,766)."""
UNFINISHED = (JobState.QUEUED, JobState.RUNNING)


@dataclass
class Collection:
    """What a collection found and did (``dry_run``: what it would have deleted)."""

    cutoff: datetime
    dry_run: bool = False
    held_by_job: int | None = None
    """The unfinished job whose creation moved the cutoff earlier, if one did."""
    scanned: int = 0
    named: int = 0
    recent: int = 0
    deleted: int = 0
    deleted_bytes: int = 0
    rewritten: int = 0
    derived: int = 0
    temporary: int = 0
    keys: list[str] = field(default_factory=list)
    """The keys deleted (or that would be), when asked to keep them."""

    def counts(self) -> dict[str, Any]:
        """The job's counts."""
        return {
            "scanned": self.scanned,
            "named": self.named,
            "recent": self.recent,
            "deleted": self.deleted,
            "deleted_bytes": self.deleted_bytes,
            "rewritten": self.rewritten,
            "derived": self.derived,
            "temporary": self.temporary,
        }

    def summary(self) -> str:
        """One line: what was deleted and what was kept, and why."""
        verb = "would delete" if self.dry_run else "deleted"
        parts = [
            f"{verb} {wording.count(self.deleted, 'stored file')} ({_mib(self.deleted_bytes)})"
            f" of {self.scanned:,}",
            f"kept {self.named:,} named by a task or an unfinished job",
            f"{self.recent:,} written since {self.cutoff:%Y-%m-%d %H:%M} UTC",
        ]
        if self.held_by_job is not None:
            parts[-1] += f" (when unfinished job {self.held_by_job} was created)"
        if self.rewritten:
            parts.append(f"{self.rewritten:,} written again while collecting")
        if self.derived:
            parts.append(f"{verb} {wording.count(self.derived, 'thumbnail')}")
        if self.temporary:
            parts.append(f"removed {self.temporary:,} leftovers of interrupted writes")
        return "; ".join(parts)


def _mib(n: int) -> str:
    return f"{n / (1024 * 1024):,.1f} MiB"


def collect_media(
    *,
    read: SessionOpener,
    storage: Storage,
    grace: timedelta,
    scratch: Path | None = None,
    dry_run: bool = False,
    keep_keys: bool = False,
    now: datetime | None = None,
    page_size: int = PAGE_SIZE,
    progress: job_service.Progress | None = None,
    checkpoint: job_service.Checkpoint | None = None,
) -> Collection:
    """Delete the stored files nothing names and nothing wrote since the cutoff (see the module
    docstring), with their thumbnails; with ``scratch``, also the upload folders left there.
    ``read()`` opens a read-only session (one per page: no long transaction)."""
    now = now or utcnow()
    with read() as session:
        cutoff, held_by, held = _cutoff(session, now - grace)
    done = Collection(cutoff=cutoff, dry_run=dry_run, held_by_job=held_by)
    for page in _pages(storage.list_blobs(), page_size):
        if checkpoint is not None:
            checkpoint()
        done.scanned += len(page)
        old = [obj for obj in page if obj.modified < cutoff]
        done.recent += len(page) - len(old)
        with read() as session:
            named = held | _named_by_tasks(session, [obj.key for obj in old])
        for obj in old:
            if obj.key in named:
                done.named += 1
            else:
                _delete(storage, obj, done, keep_keys)
        if progress is not None:
            progress(0.0, "collecting", done.counts())
    if not dry_run:
        done.temporary = storage.sweep_temporary(cutoff)
        if scratch is not None:
            done.temporary += sweep_scratch(scratch, cutoff)
    return done


def _cutoff(session: Session, cutoff: datetime) -> tuple[datetime, int | None, set[str]]:
    """The cutoff (moved back to the creation of the oldest unfinished job), that job, and the
    files the unfinished jobs name."""
    unfinished = session.execute(
        select(Job.id, Job.created_at, Job.params).where(
            Job.state.in_(UNFINISHED), Job.kind != JobKind.MEDIA_GC
        )
    ).all()
    held_by = None
    held: set[str] = set()
    for job_id, created_at, params in unfinished:
        held.update(str(f["key"]) for f in (params or {}).get("files") or [] if "key" in f)
        if created_at < cutoff:
            cutoff, held_by = created_at, job_id
    return cutoff, held_by, held


def _named_by_tasks(session: Session, keys: list[str]) -> set[str]:
    if not keys:
        return set()
    return set(session.scalars(select(Task.media_key).where(Task.media_key.in_(keys)).distinct()))


def _delete(storage: Storage, obj: StoredObject, done: Collection, keep_keys: bool) -> None:
    derived = thumbnail_keys(obj.key)
    if done.dry_run:
        gone = True
        done.derived += sum(storage.exists(key) for key in derived)
    else:
        # The thumbnails first: a collection stopped in between leaves the blob, which the next
        # one finds again, never thumbnails whose blob is gone (nothing would find them).
        for key in derived:
            if storage.exists(key):
                storage.delete(key)
                done.derived += 1
        gone = storage.delete_unless_written_since(obj.key, done.cutoff)
    if not gone:
        done.rewritten += 1
        return
    done.deleted += 1
    done.deleted_bytes += obj.size
    if keep_keys:
        done.keys.append(obj.key)


def _pages(objects: Iterable[StoredObject], size: int) -> Iterator[list[StoredObject]]:
    iterator = iter(objects)
    while page := list(islice(iterator, size)):
        yield page


def sweep_scratch(directory: Path, before: datetime) -> int:
    """Remove the upload folders under ``directory`` in which nothing was written since
    ``before`` (a request removes its own; these are what a killed process left)."""
    if not directory.is_dir():
        return 0
    removed = 0
    for entry in directory.iterdir():
        latest = _latest_write(entry)
        if latest is not None and latest < before.timestamp():
            if entry.is_dir() and not entry.is_symlink():
                shutil.rmtree(entry, ignore_errors=True)
            else:
                entry.unlink(missing_ok=True)
            removed += 1
    return removed


def _latest_write(path: Path) -> float | None:
    try:
        latest = path.lstat().st_mtime
        if path.is_dir() and not path.is_symlink():
            for folder, _, files in os.walk(path):
                for name in files:
                    latest = max(latest, Path(folder, name).lstat().st_mtime)
    except FileNotFoundError:
        return None  # removed meanwhile (its request ended)
    return latest


# --- the job ---------------------------------------------------------------------------------


def schedule_collection(session: Session, *, every: timedelta) -> Job | None:
    """A queued ``media_gc`` job, unless one was created less than ``every`` ago or one is
    queued or running (whichever worker asks first, at the same moment too: a unique index
    lets one exist at a time); the caller enqueues it after commit."""
    last = session.scalar(select(func.max(Job.created_at)).where(Job.kind == JobKind.MEDIA_GC))
    if last is not None and utcnow() - last < every:
        return None
    try:
        with session.begin_nested():
            return job_service.create_job(
                session, organization_id=None, kind=JobKind.MEDIA_GC, params={}, user=None
            )
    except IntegrityError:
        return None


def run_collection(
    *,
    job_id: int,
    read: SessionOpener,
    write: SessionOpener,
    storage: Storage,
    grace: timedelta,
    scratch: Path | None,
    progress: job_service.Progress,
    checkpoint: job_service.Checkpoint,
) -> Collection:
    """Run the ``media_gc`` job ``job_id``: collect, then record its counts and summary."""
    with read() as session:
        attempt = session.scalar(select(Job.attempts).where(Job.id == job_id)) or 0
    done = collect_media(
        read=read,
        storage=storage,
        grace=grace,
        scratch=scratch,
        progress=progress,
        checkpoint=checkpoint,
    )
    with write() as session:
        job_service.finish_job(
            session,
            job_id=job_id,
            state=JobState.SUCCEEDED,
            counts=done.counts(),
            message=done.summary(),
            attempt=attempt,
        )
    return done


__all__ = [
    "Collection",
    "collect_media",
    "run_collection",
    "schedule_collection",
    "sweep_scratch",
]
