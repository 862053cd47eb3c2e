"""An import from start to end: read and check everything, then write all or nothing.

Phase 1 (``reading.py``, progress 0-50 %) parses task files and probes media, collecting a
per-row error report; nothing is written but media blobs. Phase 2 (``writing.py``, 50-100 %)
inserts tasks and predictions in bulk chunks inside ONE transaction, which also records the
job's end (``finish_import``), so a failed, cancelled or killed import leaves no task behind and
a finished one is never run again. Neither phase keeps more than a chunk of task rows in memory
(a small JSON array file is decoded whole; larger ones, JSON lines and CSV row by row): the
worker's memory does not grow with the size of the import.

The job (``jobs/imports.py``) owns the transactions: it hands in how to open a read session
and the write transaction, and how to report progress and check for a cancel request.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy.orm import Session

from accord_server import wording
from accord_server.adapters.storage import Storage
from accord_server.db.models import ImportSource, Job, Project
from accord_server.schemas.enums import JobState
from accord_server.services import import_sources
from accord_server.services import jobs as job_service
from accord_server.services.errors import Invalid, NotFound
from accord_server.services.imports.label_import import run_label_import
from accord_server.services.imports.reading import ImportLimits, Plan, read_sources
from accord_server.services.imports.report import ERROR_SCOPES
from accord_server.services.imports.writing import write_plan

__all__ = ["ImportLimits", "SessionOpener", "finish_import", "imported_message", "run_import"]

SessionOpener = Callable[[], AbstractContextManager[Session]]


def run_import(
    *,
    job_id: int,
    read: SessionOpener,
    write: SessionOpener,
    storage: Storage,
    limits: ImportLimits,
    progress: job_service.Progress,
    checkpoint: job_service.Checkpoint,
) -> None:
    """Run the import job ``job_id`` end to end (see the module docstring). ``read()`` opens a
    read-only session; ``write()`` opens a transaction that commits when its block ends."""
    # Millions of small row objects make the cyclic collector rescan them again and again;
    # they hold no cycles, so pause it for the job.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        _run(job_id, read, write, storage, limits, progress, checkpoint)
    finally:
        if was_enabled:
            gc.enable()


def _run(
    job_id: int,
    read: SessionOpener,
    write: SessionOpener,
    storage: Storage,
    limits: ImportLimits,
    progress: job_service.Progress,
    checkpoint: job_service.Checkpoint,
) -> None:
    with read() as session:
        job = session.get(Job, job_id)
        assert job is not None
        project = session.get(Project, job.project_id) if job.project_id else None
        if project is None:
            raise Invalid(f"project {job.project_id} no longer exists")
        grant = _granted(session, job.params, project, limits)
        session.expunge_all()
    params: dict[str, Any] = job.params
    attempt = job.attempts  # the job's end is recorded only while this attempt holds it
    if params.get("labels_format"):
        run_label_import(
            job_id=job_id,
            project=project,
            params=params,
            grant=grant,
            attempt=attempt,
            write=write,
            storage=storage,
            limits=limits,
            progress=progress,
            checkpoint=checkpoint,
        )
        return
    plan = read_sources(
        project,
        params=params,
        grant=grant,
        storage=storage,
        limits=limits,
        progress=progress,
        checkpoint=checkpoint,
    )
    nothing = not plan.row_count and not plan.error_count
    if nothing or (plan.error_count and not params.get("skip_invalid")):
        with write() as session:
            finish_import(session, job_id=job_id, plan=plan, written=None, attempt=attempt)
        return
    progress(0.5, "writing", plan.counts())
    with write() as session:
        written = write_plan(
            session,
            job_id=job_id,
            project_id=project.id,
            plan=plan,
            default_batch=params.get("batch"),
            batch_size=limits.batch_size,
            progress=progress,
            checkpoint=checkpoint,
        )
        finish_import(session, job_id=job_id, plan=plan, written=written, attempt=attempt)


def _granted(
    session: Session, params: dict[str, Any], project: Project, limits: ImportLimits
) -> ImportSource | None:
    """The import source the job names, if still granted to the project's organization and
    allowed by the settings in force (Invalid fails the job, with the reason)."""
    source = params.get("source")
    if not source:
        return None
    if "id" not in source:
        raise Invalid(
            "source: this import was queued before import sources were granted per organization "
            "and reads none; import again from a source granted to the organization",
            details={"field": "source"},
        )
    try:
        grant = import_sources.granted_source(
            session, organization_id=project.organization_id, source_id=int(source["id"])
        )
    except NotFound:
        raise Invalid(
            f"source: import source {source.get('name', source['id'])!r} is no longer granted "
            "to this organization",
            details={"field": "source"},
        ) from None
    import_sources.check_grant(grant, limits.sources)
    return grant


def finish_import(
    session: Session, *, job_id: int, plan: Plan, written: dict[str, Any] | None, attempt: int
) -> None:
    """Record how an import ended, in the transaction that wrote its tasks (``written``, their
    counts) or, when nothing is written, in one of its own: the one place an import ends. Raises
    ``jobs.Superseded`` when ``attempt`` was taken over meanwhile (its worker was thought dead):
    the transaction rolls back, and the tasks are written once, by the attempt that holds the
    job."""
    if written is not None:
        job_service.finish_job(
            session,
            job_id=job_id,
            state=JobState.SUCCEEDED,
            counts=written,
            errors=plan.errors,
            message=imported_message(written["tasks"], plan, written.get("annotations", 0)),
            attempt=attempt,
        )
    elif plan.error_count:
        job_service.finish_job(
            session,
            job_id=job_id,
            state=JobState.FAILED,
            counts=plan.counts(tasks=0, predictions=0, annotations=0),
            errors=plan.errors,
            message=f"nothing imported: {wording.count(plan.error_count, 'error')}; "
            f"first: {_first(plan.errors)}",
            attempt=attempt,
        )
    else:
        job_service.finish_job(
            session,
            job_id=job_id,
            state=JobState.FAILED,
            counts=plan.counts(tasks=0, predictions=0, annotations=0),
            message="nothing to import: no tasks or media files found",
            attempt=attempt,
        )


def imported_message(tasks: int, plan: Plan, annotations: int = 0) -> str:
    """What an import that wrote ``tasks`` (and ``annotations``) did, exactly: the tasks
    imported without some of their predictions or their annotations are imported (importing
    again would duplicate them), unlike the rows and files skipped; the files imported before;
    and how many image sizes its URLs told."""
    tally = plan.tally
    parts = [f"imported {wording.count(tasks, 'task')}"]
    if annotations:
        parts[0] += f" with {wording.count(annotations, 'annotation')}"
    if n := tally.tasks_with_dropped_predictions:
        dropped = tally.predictions_dropped
        invalid = "invalid prediction" if dropped == 1 else "invalid predictions"
        parts.append(f"{n:,} without {_their(n)} {invalid} ({dropped:,} dropped)")
    if n := tally.tasks_with_dropped_annotations:
        left_out = wording.count(tally.annotations_dropped, "annotation")
        parts.append(f"{n:,} without {left_out} that could not be imported")
    if n := tally.files_imported_before:
        parts.append(
            f"{wording.count(n, 'file')} imported before (its tasks written again as new ones)"
            if n == 1
            else f"{n:,} files imported before (their tasks written again as new ones)"
        )
    skipped = [
        wording.count(n, noun)
        for n, noun in ((tally.rows_skipped, "invalid row"), (tally.files_skipped, "invalid file"))
        if n
    ]
    if skipped:
        parts.append("skipped " + " and ".join(skipped))
    if tried := plan.url_sizes.tried:
        read = len(plan.url_sizes.found)
        parts.append(f"read the size of {read:,} of {wording.count(tried, 'image URL')}")
    return "; ".join(parts)


def _their(n: int) -> str:
    return "its" if n == 1 else "their"


def _first(errors: list[dict[str, Any]]) -> str:
    e = next((e for e in errors if e.get("scope") in ERROR_SCOPES), errors[0])
    where = e["file"] + (f" row {e['row']}" if e.get("row") else "")
    where += f" {e['field']}" if e.get("field") else ""
    msg = e["message"]
    return msg if msg.startswith(e["file"]) else f"{where}: {msg}"
