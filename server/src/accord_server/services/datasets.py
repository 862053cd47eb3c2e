"""Dataset versions: a project's tasks and chosen results frozen into one immutable manifest,
exported later in any format byte for byte as it was, and compared with another version.

A version is asked for (``create_version``: checked like an export's request, recorded with
its queued job and the project's label schema at that moment), then frozen by its job
(``freeze_version``): the selected tasks are read as records (``services/exports/source.py``,
the same selection and records the exports use) in task id order, a chunk at a time, and
written as the **manifest**: canonical JSONL, one record a line, keys sorted, no spaces. The
manifest is stored under a key derived from its SHA-256 (content-addressed), streamed from a
scratch file. The version's **content hash** is the SHA-256 of the canonical schema, a newline,
and the manifest: equal content, equal hash, whenever and however it was selected.

Freezing content equal to an earlier version's is not refused: the new version is recorded
(its number, name and who asked are its own) with ``same_as`` naming the earliest version of
the project with the same hash, and both share the stored manifest.

A version is immutable: its name and description may be edited, nothing else. Deleting one
removes its manifest from storage unless another version shares it.

``diff_versions`` merges two manifests streamed side by side in task id order: memory holds a
record of each, the counts, and the first ``DIFF_EXAMPLES`` task ids of each kind."""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from accord_server.adapters.storage import Storage, derived_key, key_for_digest
from accord_server.db.base import utcnow
from accord_server.db.models import DatasetVersion, Job, Membership, Project, User
from accord_server.schemas.enums import EventKind, ExportResultChoice, JobKind, JobState
from accord_server.services import jobs, projects
from accord_server.services.errors import Conflict, Invalid, NotFound
from accord_server.services.events import record
from accord_server.services.exports.options import check_result, task_filters
from accord_server.services.exports.source import (
    Record,
    canonical_line,
    count_live,
    iter_manifest,
    live_records,
)
from accord_server.services.imports.pipeline import SessionOpener
from accord_server.services.permissions import Action, authorize
from accord_server.services.task_table import filter_conditions

DIFF_EXAMPLES = 100
"""Task ids listed per kind of change in a diff (all are counted)."""
MANIFEST_TYPE = "application/x-ndjson"
_CHUNK = 1024 * 1024


def create_version(
    session: Session,
    *,
    project_id: int,
    user: User,
    name: str,
    description: str = "",
    result: str = "latest",
    filter: Mapping[str, Any] | None = None,
) -> DatasetVersion:
    """Check a version request and record it with its queued job (the caller enqueues the job
    after commit); it takes the next number of the project. NotFound when the user cannot see
    the project, Forbidden for a role that may not freeze, Invalid naming the field."""
    project, _ = projects.get_project_or_raise(
        session, project_id=project_id, user=user, action=Action.VERSION_CREATE
    )
    choice = check_result(result)
    stored_filter = {k: v for k, v in dict(filter or {}).items() if v is not None}
    filter_conditions(session, project, task_filters(stored_filter))  # a bad state is refused now
    # Numbers are per project: lock the project row so two requests do not take the same one.
    session.execute(select(Project.id).where(Project.id == project.id).with_for_update())
    last = session.scalar(
        select(func.max(DatasetVersion.number)).where(DatasetVersion.project_id == project.id)
    )
    job = jobs.create_job(
        session,
        organization_id=project.organization_id,
        kind=JobKind.DATASET_VERSION,
        params={},
        user=user,
        project_id=project.id,
    )
    version = DatasetVersion(
        organization_id=project.organization_id,
        project_id=project.id,
        number=int(last or 0) + 1,
        name=name,
        description=description,
        job_id=job.id,
        created_by=user.id,
        options={"result": str(choice)},
        filter=stored_filter,
        label_schema=dict(project.label_schema),
        task_count=0,
        result_count=0,
        prediction_count=0,
        label_counts={},
    )
    session.add(version)
    session.flush()
    job.params = {"version_id": version.id}
    session.flush()
    return version


def get_version_or_raise(
    session: Session, *, version_id: int, user: User, action: Action = Action.VERSION_READ
) -> tuple[DatasetVersion, Job]:
    """A version of the user's organization, for roles that may do ``action`` (NotFound for
    another organization's, Forbidden for a role that may not)."""
    row = session.execute(
        select(DatasetVersion, Job, Membership)
        .join(Job, Job.id == DatasetVersion.job_id)
        .join(Membership, Membership.organization_id == DatasetVersion.organization_id)
        .where(DatasetVersion.id == version_id, Membership.user_id == user.id)
    ).first()
    if row is None:
        raise NotFound(f"dataset version {version_id} not found")
    version, job, membership = row
    authorize(membership.role, action)
    return version, job


def list_versions(
    session: Session, *, project_id: int, user: User, limit: int = 100
) -> list[tuple[DatasetVersion, Job]]:
    """A project's versions, newest first."""
    projects.get_project_or_raise(
        session, project_id=project_id, user=user, action=Action.VERSION_READ
    )
    rows = session.execute(
        select(DatasetVersion, Job)
        .join(Job, Job.id == DatasetVersion.job_id)
        .where(DatasetVersion.project_id == project_id)
        .order_by(DatasetVersion.number.desc())
        .limit(limit)
    )
    return [(version, job) for version, job in rows]


def rename_version(
    version: DatasetVersion, *, name: str | None = None, description: str | None = None
) -> None:
    """Edit a version's name or description: the only things of a version that change."""
    if name is not None:
        version.name = name
    if description is not None:
        version.description = description


def require_frozen(version: DatasetVersion, job: Job) -> str:
    """A frozen version's manifest key (Conflict until its job succeeded)."""
    if job.state != JobState.SUCCEEDED or version.manifest_key is None:
        raise Conflict(
            f"dataset version {version.id} is not frozen yet: its job is {job.state}",
            details={"state": job.state, "version_id": version.id},
        )
    return version.manifest_key


def delete_version(
    session: Session, *, version: DatasetVersion, job: Job, storage: Storage
) -> None:
    """Delete a version and its manifest (kept while another version shares it); one still
    being frozen is refused (cancel its job first)."""
    if job.state in (JobState.QUEUED, JobState.RUNNING):
        raise Conflict(
            f"dataset version {version.id} is {job.state}: cancel its job ({job.id}) first",
            details={"state": job.state, "job_id": job.id},
        )
    key = version.manifest_key
    session.delete(version)
    session.flush()
    if key is not None:
        shared = session.scalar(select(func.count()).where(DatasetVersion.manifest_key == key))
        if not shared:
            storage.delete(key)


def region_labels(regions: list[Any]) -> Iterator[str]:
    """The labels a result's regions carry: each region's ``label`` and each chosen choice."""
    for region in regions:
        if not isinstance(region, dict):
            continue
        label = region.get("label")
        if isinstance(label, str):
            yield label
        value = region.get("value")
        if isinstance(value, dict) and isinstance(value.get("choices"), list):
            yield from (c for c in value["choices"] if isinstance(c, str))


def _label_counts(results: list[Any]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for result in results:
        for label in region_labels(result.get("regions") or []):
            counts[label] = counts.get(label, 0) + 1
    return counts


def freeze_version(
    *,
    job_id: int,
    read: SessionOpener,
    write: SessionOpener,
    storage: Storage,
    scratch: Path,
    progress: jobs.Progress,
    checkpoint: jobs.Checkpoint,
) -> None:
    """Run the freezing job ``job_id``: write the manifest, store it, record the version's
    hash and counts, end the job and record ``dataset_version.created`` in one transaction."""
    with read() as session:
        job = session.get(Job, job_id)
        if job is None:
            raise NotFound(f"job {job_id} not found")
        version = session.get(DatasetVersion, int(job.params["version_id"]))
        if version is None:
            raise Invalid(f"dataset version of job {job_id} no longer exists")
        project = session.get(Project, version.project_id)
        if project is None:
            raise Invalid(f"project {version.project_id} no longer exists")
        attempt = job.attempts
        choice = ExportResultChoice(version.options.get("result", ExportResultChoice.LATEST))
        total = count_live(session, project, version.filter, choice)
        session.expunge_all()
    scratch.mkdir(parents=True, exist_ok=True)
    schema_bytes = orjson.dumps(version.label_schema, option=orjson.OPT_SORT_KEYS)
    content = hashlib.sha256(schema_bytes + b"\n")
    manifest = hashlib.sha256()
    counts = {"tasks": 0, "results": 0, "predictions": 0}
    labels: dict[str, int] = {}
    progress(0.0, "freezing", {"tasks": 0, "total": total})
    with tempfile.TemporaryDirectory(dir=scratch, prefix=f"version-{version.id}-") as tmp:
        path = Path(tmp) / "manifest.jsonl"
        with path.open("wb") as out:
            for chunk in live_records(read, project, version.filter, choice):
                checkpoint()
                for rec in chunk:
                    line = canonical_line(rec)
                    out.write(line)
                    manifest.update(line)
                    content.update(line)
                    counts["results"] += len(rec["results"])
                    counts["predictions"] += len(rec["predictions"])
                    for label, n in _label_counts(rec["results"]).items():
                        labels[label] = labels.get(label, 0) + n
                counts["tasks"] += len(chunk)
                done = counts["tasks"]
                progress(0.9 * done / max(total, 1), "freezing", {"tasks": done, "total": total})
        checkpoint()
        digest = manifest.hexdigest()
        key = derived_key("dataset", key_for_digest(digest), "manifest")
        progress(0.95, "storing", {"tasks": counts["tasks"]})
        storage.put_derived_file(key, path, content_type=MANIFEST_TYPE)
        size = path.stat().st_size
    with write() as session:
        finish_version(
            session,
            version_id=version.id,
            job_id=job_id,
            attempt=attempt,
            stored={"key": key, "sha256": digest, "size": size},
            content_hash=content.hexdigest(),
            counts=counts,
            labels=labels,
        )


def finish_version(
    session: Session,
    *,
    version_id: int,
    job_id: int,
    attempt: int,
    stored: Mapping[str, Any],
    content_hash: str,
    counts: Mapping[str, int],
    labels: Mapping[str, int],
) -> None:
    """Record a frozen version (manifest, hash, counts, ``same_as``), end its job succeeded and
    record ``dataset_version.created``, in one transaction; ``jobs.Superseded`` when the
    attempt was taken over meanwhile."""
    version = session.get(DatasetVersion, version_id)
    if version is None:
        raise NotFound(f"dataset version {version_id} not found")
    tasks = counts["tasks"]
    jobs.finish_job(
        session,
        job_id=job_id,
        state=JobState.SUCCEEDED,
        counts={"tasks": tasks, "total": tasks, "bytes": stored["size"]},
        message=f"froze {tasks:,} task{'s' if tasks != 1 else ''}",
        attempt=attempt,
    )
    same_as = session.scalar(
        select(DatasetVersion.id)
        .where(
            DatasetVersion.project_id == version.project_id,
            DatasetVersion.content_hash == content_hash,
            DatasetVersion.id != version.id,
        )
        .order_by(DatasetVersion.number)
        .limit(1)
    )
    version.manifest_key = stored["key"]
    version.manifest_sha256 = stored["sha256"]
    version.manifest_size = stored["size"]
    version.content_hash = content_hash
    version.same_as_id = same_as
    version.task_count = tasks
    version.result_count = counts["results"]
    version.prediction_count = counts["predictions"]
    version.label_counts = dict(sorted(labels.items()))
    version.finished_at = utcnow()
    record(
        session,
        EventKind.DATASET_VERSION_CREATED,
        organization_id=version.organization_id,
        project_id=version.project_id,
        payload={
            "version_id": version.id,
            "job_id": job_id,
            "number": version.number,
            "name": version.name,
            "task_count": tasks,
            "content_hash": content_hash,
            "same_as": same_as,
        },
    )
    session.flush()


def diff_versions(
    storage: Storage, new: DatasetVersion, old: DatasetVersion, *, examples: int = DIFF_EXAMPLES
) -> dict[str, Any]:
    """What changed from ``old`` to ``new``: tasks added (in ``new`` only), removed (in ``old``
    only), changed (in both, with different results), unchanged; region counts added and
    removed per label; the first ``examples`` task ids of each kind. Both manifests are
    streamed side by side in task id order."""
    if new.manifest_key is None or old.manifest_key is None:
        raise Conflict("both dataset versions must be frozen to compare them")
    counts = {"added": 0, "removed": 0, "changed": 0, "unchanged": 0}
    ids: dict[str, list[int]] = {"added": [], "removed": [], "changed": []}
    labels: dict[str, dict[str, int]] = {}

    def note(kind: str, task_id: int) -> None:
        counts[kind] += 1
        if kind in ids and len(ids[kind]) < examples:
            ids[kind].append(task_id)

    def regions(before: Record | None, after: Record | None) -> None:
        was = _label_counts(before["results"]) if before else {}
        now = _label_counts(after["results"]) if after else {}
        for label in was.keys() | now.keys():
            delta = now.get(label, 0) - was.get(label, 0)
            if delta:
                entry = labels.setdefault(label, {"added": 0, "removed": 0})
                entry["added" if delta > 0 else "removed"] += abs(delta)

    a = iter_manifest(storage, old.manifest_key)
    b = iter_manifest(storage, new.manifest_key)
    left, right = next(a, None), next(b, None)
    while left is not None or right is not None:
        if right is None or (left is not None and left["id"] < right["id"]):
            assert left is not None
            note("removed", int(left["id"]))
            regions(left, None)
            left = next(a, None)
        elif left is None or right["id"] < left["id"]:
            note("added", int(right["id"]))
            regions(None, right)
            right = next(b, None)
        else:
            if left["results"] == right["results"]:
                note("unchanged", int(left["id"]))
            else:
                note("changed", int(left["id"]))
                regions(left, right)
            left, right = next(a, None), next(b, None)
    return {
        "version_id": new.id,
        "against": old.id,
        "same_content": new.content_hash == old.content_hash,
        "schema_changed": new.label_schema != old.label_schema,
        "tasks": counts,
        "labels": {name: labels[name] for name in sorted(labels)},
        "task_ids": ids,
    }
