"""``client.versions``: freeze a project's labels into a dataset version (a background job),
list, read and compare versions, and pull one: export it in a format, wait for the export and
download it (resuming, SHA-256 checked) through ``client.exports``. The same version pulled in
the same format gives the same bytes whenever it is pulled."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from accord._http import HTTP
from accord._models import DatasetVersion, Project, VersionDiff
from accord._resources.exports import Exports
from accord._resources.jobs import Jobs


def _id(value: int | Project | DatasetVersion) -> int:
    return value if isinstance(value, int) else value.id


class Versions:
    """Create, read, list, compare, rename, delete and pull dataset versions."""

    def __init__(self, http: HTTP, jobs: Jobs, exports: Exports) -> None:
        self._http = http
        self._jobs = jobs
        self._exports = exports

    def create(
        self,
        project: int | Project,
        *,
        name: str,
        description: str = "",
        result: str = "latest",
        filter: Mapping[str, Any] | None = None,
        wait: bool = True,
        progress: bool = True,
        timeout: float | None = None,
    ) -> DatasetVersion:
        """Freeze the project's tasks (or the ``filter``'s) with their ``result`` (``latest``,
        ``all`` or ``ground_truth``) into a new version; frozen when ``wait`` (the default)."""
        body: dict[str, Any] = {"name": name, "description": description, "result": result}
        if filter is not None:
            body["filter"] = dict(filter)
        version = self._http.send_model(
            DatasetVersion, "POST", f"/projects/{_id(project)}/versions", body
        )
        return self.wait(version, progress=progress, timeout=timeout) if wait else version

    def get(self, version: int | DatasetVersion) -> DatasetVersion:
        """A version as it is now."""
        return self._http.get_model(DatasetVersion, f"/versions/{_id(version)}")

    def list(self, project: int | Project, *, limit: int = 100) -> list[DatasetVersion]:
        """A project's versions, newest first."""
        return self._http.get_models(
            DatasetVersion, f"/projects/{_id(project)}/versions", limit=limit
        )

    def wait(
        self, version: int | DatasetVersion, *, progress: bool = True, timeout: float | None = None
    ) -> DatasetVersion:
        """Wait until the version is frozen (or its job failed: ``JobFailed``)."""
        found = version if isinstance(version, DatasetVersion) else self.get(version)
        self._jobs.wait(found.job.id, progress=progress, timeout=timeout)
        return self.get(found.id)

    def diff(self, version: int | DatasetVersion, against: int | DatasetVersion) -> VersionDiff:
        """What changed from ``against`` to ``version``: tasks added, removed and changed,
        regions added and removed per label."""
        return self._http.get_model(
            VersionDiff, f"/versions/{_id(version)}/diff", against=_id(against)
        )

    def rename(
        self,
        version: int | DatasetVersion,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> DatasetVersion:
        """Change a version's name or description (its content never changes)."""
        body = {k: v for k, v in (("name", name), ("description", description)) if v is not None}
        return self._http.send_model(DatasetVersion, "PATCH", f"/versions/{_id(version)}", body)

    def delete(self, version: int | DatasetVersion) -> None:
        """Delete a version and its manifest."""
        self._http.request("DELETE", f"/versions/{_id(version)}")

    def pull(
        self,
        version: int | DatasetVersion,
        path: Path | str,
        *,
        format: str = "coco",
        include_media: bool = False,
        split: Mapping[str, Any] | None = None,
        label_map: Mapping[str, str | None] | None = None,
        options: Mapping[str, Any] | None = None,
        progress: bool = True,
        timeout: float | None = None,
        resume: bool = True,
    ) -> Path:
        """Export the version in ``format``, wait for the export and download its file to
        ``path`` (a folder, made when missing and its name has no suffix: the file keeps its
        name; or a file name); the file's path. Resumes a partial file and checks the SHA-256."""
        target = Path(path)
        if not target.exists() and not target.suffix:
            target.mkdir(parents=True)
        found = version if isinstance(version, DatasetVersion) else self.get(version)
        export = self._exports.create(
            found.project_id,
            format=format,
            version=found.id,
            include_media=include_media,
            split=split,
            label_map=label_map,
            options=options,
            progress=progress,
            timeout=timeout,
        )
        return self._exports.download(export, target, resume=resume)
