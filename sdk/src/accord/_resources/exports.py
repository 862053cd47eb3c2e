"""``client.exports``: export a project in a format (a background job), wait for it with a
progress bar, and download the file, resuming a partial download with HTTP range requests."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from accord._exceptions import AccordError
from accord._http import HTTP
from accord._models import DatasetVersion, Export, ExportFormat, Project
from accord._resources.jobs import Jobs

CHUNK = 1024 * 1024


def _id(value: int | Project | Export) -> int:
    return value if isinstance(value, int) else value.id


class Exports:
    """Start, read, wait for, download and delete exports."""

    def __init__(self, http: HTTP, jobs: Jobs) -> None:
        self._http = http
        self._jobs = jobs

    def formats(self) -> list[ExportFormat]:
        """The export formats the server offers."""
        return self._http.get_models(ExportFormat, "/export-formats")

    def create(
        self,
        project: int | Project,
        *,
        format: str,
        result: str = "latest",
        include_media: bool = False,
        split: Mapping[str, Any] | None = None,
        label_map: Mapping[str, str | None] | None = None,
        filter: Mapping[str, Any] | None = None,
        options: Mapping[str, Any] | None = None,
        version: int | DatasetVersion | None = None,
        wait: bool = True,
        progress: bool = True,
        timeout: float | None = None,
    ) -> Export:
        """Export a project: ``format`` (``client.exports.formats()``), ``result`` (``latest``,
        ``all`` or ``ground_truth``), ``split`` (``{"train": .8, "val": .1, "test": .1,
        "seed": 0}``), ``label_map`` (``{old: new or None}``), ``filter`` (the data manager's
        task filter, e.g. ``{"state": "completed"}``), the format's ``options``. With
        ``version``, that dataset version is exported (the same bytes every time) instead of
        the live project: it has its own results and tasks, so ``result`` and ``filter`` are
        left out. Returns the export, finished when ``wait`` (the default)."""
        body: dict[str, Any] = {"format": format, "include_media": include_media}
        if version is None:
            body["result"] = result
        else:
            body["version"] = version if isinstance(version, int) else version.id
            if result != "latest":
                body["result"] = result  # the server says why it is refused
        for name, value in (
            ("split", split),
            ("label_map", label_map),
            ("filter", filter),
            ("options", options),
        ):
            if value is not None:
                body[name] = dict(value)
        export = self._http.send_model(Export, "POST", f"/projects/{_id(project)}/exports", body)
        return self.wait(export, progress=progress, timeout=timeout) if wait else export

    def get(self, export: int | Export) -> Export:
        """An export as it is now."""
        return self._http.get_model(Export, f"/exports/{_id(export)}")

    def list(self, project: int | Project, *, limit: int = 100) -> list[Export]:
        """A project's exports, newest first."""
        return self._http.get_models(Export, f"/projects/{_id(project)}/exports", limit=limit)

    def wait(
        self, export: int | Export, *, progress: bool = True, timeout: float | None = None
    ) -> Export:
        """Wait until the export's job ends (``progress``: a tqdm bar on stderr); the finished
        export. Raises ``JobFailed`` when it failed or was cancelled, ``WaitTimeout`` past
        ``timeout`` seconds."""
        found = export if isinstance(export, Export) else self.get(export)
        self._jobs.wait(found.job.id, progress=progress, timeout=timeout)
        return self.get(found.id)

    def delete(self, export: int | Export) -> None:
        """Delete an export and its file."""
        self._http.request("DELETE", f"/exports/{_id(export)}")

    def download(self, export: int | Export, path: Path | str, *, resume: bool = True) -> Path:
        """Download a finished export's file to ``path`` (a folder: the file keeps its name);
        the file's path. With ``resume`` a partial file there is completed with a range request
        (only if it is a part of the same file: the server checks the SHA-256 it was made
        with); the whole file is checked against the export's SHA-256 at the end."""
        found = export if isinstance(export, Export) else self.get(export)
        if found.state != "succeeded" or found.size is None or not found.file_name:
            raise AccordError(f"export {found.id} has no file to download: it is {found.state}")
        target = Path(path)
        if target.is_dir():
            target = target / found.file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        have = target.stat().st_size if resume and target.is_file() else 0
        if have > found.size:
            have = 0
        if have < found.size:
            self._fetch(found, target, have)
        digest = _sha256(target)
        if digest != found.sha256:
            target.unlink(missing_ok=True)
            raise AccordError(
                f"export {found.id}: the downloaded file's SHA-256 is {digest}, not "
                f"{found.sha256}; it was removed, download it again"
            )
        return target

    def _fetch(self, export: Export, target: Path, have: int) -> None:
        headers = {}
        if have:
            headers = {"Range": f"bytes={have}-", "If-Range": f'"{export.sha256}"'}
        url = f"/exports/{export.id}/download"
        with self._http.client.stream("GET", url, headers=headers) as response:
            if response.status_code >= 400:
                response.read()
                self._http._check(response)
            mode = "ab" if response.status_code == 206 else "wb"
            with target.open(mode) as out:
                for chunk in response.iter_bytes(CHUNK):
                    out.write(chunk)


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()
