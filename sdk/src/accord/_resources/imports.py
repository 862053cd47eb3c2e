"""``client.imports``: tasks, files, a local folder, or an import source granted to the
project's organization (a server folder or an S3 prefix)."""

from __future__ import annotations

import itertools
import json
import mimetypes
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import IO, Any, Literal

from accord._http import HTTP
from accord._models import ImportSource, Job, Project
from accord._resources.jobs import Jobs

# Up to this many tasks, and this many bytes of them, go as one JSON body; more are streamed as
# a JSON-lines file upload, which the server stores without building one giant request object
# in memory (and it refuses JSON bodies over its max_json_bytes, 16 MB by default).
JSON_BODY_MAX_TASKS = 1000
JSON_BODY_MAX_BYTES = 1024 * 1024
_SPOOL_BYTES = 16 * 1024 * 1024


LabelsFormat = Literal["coco", "yolo", "voc", "cvat", "label_studio"]
LABELS_FORMATS: tuple[str, ...] = ("coco", "yolo", "voc", "cvat", "label_studio")
"""The formats of existing labels a server reads (``client.imports.labels``)."""


def zip_folder(root: Path, into: IO[bytes]) -> None:
    """Write every file of a folder (hidden ones left out, as ``folder_entries`` does) into a
    ZIP archive, named relative to the folder."""
    with zipfile.ZipFile(into, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, path in folder_entries(root):
            zf.write(path, name)


def folder_entries(root: Path) -> list[tuple[str, Path]]:
    """Every file under ``root`` with its relative POSIX name (``sub/a.jpg``), hidden ones left out.

    Hidden files and folders (``.DS_Store``, ``.git/``) are skipped: they are never tasks.
    """
    if not root.is_dir():
        raise NotADirectoryError(f"{root}: not a folder")
    entries = []
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root)
        if path.is_file() and not any(part.startswith(".") for part in rel.parts):
            entries.append((rel.as_posix(), path))
    if not entries:
        raise FileNotFoundError(f"{root}: no files to import")
    return entries


class Imports:
    """Start imports; each returns the ``Job``, finished when ``wait=True`` (the default)."""

    def __init__(self, http: HTTP, jobs: Jobs) -> None:
        self._http = http
        self._jobs = jobs

    def tasks(
        self,
        project_id: int,
        tasks: Iterable[dict[str, Any]],
        *,
        batch: str | None = None,
        skip_invalid: bool = False,
        wait: bool = True,
        progress: bool = True,
    ) -> Job:
        """Import tasks given as dicts (Label Studio task JSON or plain data objects).

        A task may carry ``"predictions"`` and ``"annotations"``: ``[{"result": [...],
        "completed_by": "ann@example.com", "lead_time": 12.5, "created_at": "..."}]`` in
        Accord's region shape or Label Studio's (``completed_by`` may be Label Studio's user id
        or ``{"id", "email"}``). Each annotation is checked as a submit is, credited to the
        member with that email, else to a non-login imported annotator named after the source
        person, and counts toward the task's overlap; one that cannot be imported is reported
        in ``job.errors`` (scope ``annotations``) and its task is imported without it.

        More than ``JSON_BODY_MAX_TASKS`` tasks, or more than ``JSON_BODY_MAX_BYTES`` of them,
        are uploaded as a ``tasks.jsonl`` file; the iterable is read once and may be a
        generator.
        """
        iterator = iter(tasks)
        head = list(itertools.islice(iterator, JSON_BODY_MAX_TASKS + 1))
        lines = [json.dumps(task, separators=(",", ":")).encode() for task in head]
        if len(head) <= JSON_BODY_MAX_TASKS and sum(map(len, lines)) <= JSON_BODY_MAX_BYTES:
            body: dict[str, Any] = {"tasks": head, "skip_invalid": skip_invalid}
            return self._start_json(project_id, body, batch, wait, progress)
        rest = (json.dumps(task, separators=(",", ":")).encode() for task in iterator)
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as spool:
            for line in itertools.chain(lines, rest):
                spool.write(line)
                spool.write(b"\n")
            spool.seek(0)
            files = [("files", ("tasks.jsonl", spool, "application/x-ndjson"))]
            job = self._upload(project_id, files, batch, skip_invalid)
        return self._finish(job, wait, progress)

    def files(
        self,
        project_id: int,
        paths: Sequence[Path | str],
        *,
        batch: str | None = None,
        skip_invalid: bool = False,
        wait: bool = True,
        progress: bool = True,
    ) -> Job:
        """Upload files as one import: task files (.json, .jsonl, .csv, .tsv) or media files."""
        entries = [(Path(p).name, Path(p)) for p in paths]
        return self.upload(
            project_id,
            entries,
            batch=batch,
            skip_invalid=skip_invalid,
            wait=wait,
            progress=progress,
        )

    def folder(
        self,
        project_id: int,
        local_path: Path | str,
        *,
        batch: str | None = None,
        skip_invalid: bool = False,
        wait: bool = True,
        progress: bool = True,
    ) -> Job:
        """Upload every file of a local folder, recursively, named relative to it."""
        return self.upload(
            project_id,
            folder_entries(Path(local_path)),
            batch=batch,
            skip_invalid=skip_invalid,
            wait=wait,
            progress=progress,
        )

    def upload(
        self,
        project_id: int,
        entries: Sequence[tuple[str, Path]],
        *,
        batch: str | None = None,
        skip_invalid: bool = False,
        wait: bool = True,
        progress: bool = True,
    ) -> Job:
        """Upload ``(name, path)`` pairs as one import; ``name`` may hold folders (``a/b.jpg``)."""
        if not entries:
            raise ValueError("paths: nothing to upload")
        with ExitStack() as stack:
            files: list[tuple[str, tuple[str, IO[bytes], str]]] = []
            for name, path in entries:
                kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
                files.append(("files", (name, stack.enter_context(path.open("rb")), kind)))
            job = self._upload(project_id, files, batch, skip_invalid)
        return self._finish(job, wait, progress)

    def labels(
        self,
        project: int | Project,
        path: Path | str,
        *,
        format: LabelsFormat = "coco",
        schema_from_labels: bool = False,
        skip_invalid: bool = False,
        wait: bool = True,
        progress: bool = True,
    ) -> Job:
        """Import existing labels in ``format`` (``coco``, ``yolo``, ``voc``, ``cvat``,
        ``label_studio``): a ZIP archive of an export, or its folder (zipped on the fly), with
        the annotation file(s) and the images; a lone annotation file goes as itself (its
        items then match images the project has by file name).

        ``schema_from_labels=True`` replaces the project's schema with one built from the
        labels found (a new project, or one without annotations); otherwise each region goes to
        the project's tool of its type that has its label, and one it lacks is reported per
        item in ``job.errors``. Annotators are credited by email where the format names them
        (Label Studio), else to non-login imported annotators. The server refuses an archive
        whose entries leave the folder, are symbolic links, or pass its limits, naming the
        entry (``InvalidRequest``)."""
        if format not in LABELS_FORMATS:
            raise ValueError(f"format: {format!r} is not one of {', '.join(LABELS_FORMATS)}")
        project_id = project.id if isinstance(project, Project) else int(project)
        source = Path(path)
        fields = {
            "labels_format": format,
            "schema_from_labels": "true" if schema_from_labels else "false",
        }
        with ExitStack() as stack:
            body: IO[bytes]
            if source.is_dir():
                body = stack.enter_context(tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES))
                zip_folder(source, body)
                body.seek(0)
                name = f"{source.resolve().name or 'labels'}.zip"
            elif source.is_file():
                body = stack.enter_context(source.open("rb"))
                name = source.name
            else:
                raise FileNotFoundError(f"{source}: no such file or folder")
            kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
            files = [("files", (name, body, kind))]
            job = self._upload(project_id, files, None, skip_invalid, fields)
        return self._finish(job, wait, progress)

    def source(
        self,
        project_id: int,
        source: int | str,
        path: str = "",
        *,
        batch: str | None = None,
        skip_invalid: bool = False,
        wait: bool = True,
        progress: bool = True,
    ) -> Job:
        """Import every file of an import source granted to the project's organization (its id
        or name: ``client.organizations.import_sources()``), or of the folder ``path`` in it."""
        if isinstance(source, str):
            source = self._source_id(project_id, source)
        body = {"source": {"id": source, "path": path}, "skip_invalid": skip_invalid}
        return self._start_json(project_id, body, batch, wait, progress)

    def _source_id(self, project_id: int, name: str) -> int:
        project = self._http.get_model(Project, f"/projects/{project_id}")
        sources = self._http.get_models(
            ImportSource, f"/organizations/{project.organization_id}/import-sources"
        )
        for granted in sources:
            if granted.name == name:
                return granted.id
        known = ", ".join(repr(s.name) for s in sources) or "none"
        raise ValueError(f"source: no import source named {name!r} (granted: {known})")

    def _start_json(
        self, project_id: int, body: dict[str, Any], batch: str | None, wait: bool, progress: bool
    ) -> Job:
        if batch is not None:
            body["batch"] = batch
        job = self._http.send_model(Job, "POST", f"/projects/{project_id}/imports", body)
        return self._finish(job, wait, progress)

    def _upload(
        self,
        project_id: int,
        files: Any,
        batch: str | None,
        skip_invalid: bool,
        fields: dict[str, str] | None = None,
    ) -> Job:
        data = {"skip_invalid": "true" if skip_invalid else "false", **(fields or {})}
        if batch is not None:
            data["batch"] = batch
        response = self._http.request(
            "POST", f"/projects/{project_id}/imports/files", files=files, data=data
        )
        return Job.model_validate(response.json())

    def _finish(self, job: Job, wait: bool, progress: bool) -> Job:
        return self._jobs.wait(job.id, progress=progress) if wait else job
