"""``client.projects``: create, read, change, delete projects; their progress and yours."""

from __future__ import annotations

import builtins
from pathlib import Path
from typing import Any

from accord._http import HTTP
from accord._models import OwnProgress, Progress, Project


def _schema(label_schema: str | dict[str, Any] | Path) -> str | dict[str, Any]:
    # A Path is a YAML, JSON or Label Studio XML file; a str is the schema text itself (never
    # guessed to be a path).
    if isinstance(label_schema, Path):
        return label_schema.read_text(encoding="utf-8")
    return label_schema


class Projects:
    """Labeling projects."""

    def __init__(self, http: HTTP) -> None:
        self._http = http

    def create(
        self,
        name: str,
        label_schema: str | dict[str, Any] | Path,
        organization_id: int | None = None,
        overlap: int = 1,
        *,
        description: str = "",
        lease_minutes: int = 30,
        blind: bool = True,
        instructions: str = "",
    ) -> Project:
        """A new project; ``label_schema`` is YAML/JSON text, a dict, or a Path to a file.

        ``organization_id`` may be left out when you belong to exactly one organization.
        """
        body: dict[str, Any] = {
            "name": name,
            "label_schema": _schema(label_schema),
            "overlap": overlap,
            "description": description,
            "lease_minutes": lease_minutes,
            "blind": blind,
            "instructions": instructions,
        }
        if organization_id is not None:
            body["organization_id"] = organization_id
        return self._http.send_model(Project, "POST", "/projects", body)

    def get(self, project_id: int) -> Project:
        """One project."""
        return self._http.get_model(Project, f"/projects/{project_id}")

    def list(self, organization_id: int | None = None) -> builtins.list[Project]:
        """Projects in your organizations (or one of them), newest first."""
        return self._http.get_models(Project, "/projects", organization_id=organization_id)

    def update(
        self,
        project_id: int,
        *,
        name: str | None = None,
        label_schema: str | dict[str, Any] | Path | None = None,
        overlap: int | None = None,
        description: str | None = None,
        lease_minutes: int | None = None,
        blind: bool | None = None,
        instructions: str | None = None,
    ) -> Project:
        """Change the given settings (None leaves a setting as it is)."""
        fields: dict[str, Any] = {
            "name": name,
            "overlap": overlap,
            "description": description,
            "lease_minutes": lease_minutes,
            "blind": blind,
            "instructions": instructions,
            "label_schema": None if label_schema is None else _schema(label_schema),
        }
        body = {k: v for k, v in fields.items() if v is not None}
        return self._http.send_model(Project, "PATCH", f"/projects/{project_id}", body)

    def delete(self, project_id: int) -> None:
        """Delete a project with all its tasks and annotations."""
        self._http.request("DELETE", f"/projects/{project_id}")

    def progress(self, project_id: int) -> Progress:
        """Task states, annotation counts, per-annotator counts."""
        return self._http.get_model(Progress, f"/projects/{project_id}/progress")

    def my_progress(self, project_id: int) -> OwnProgress:
        """Your own work in a project: submitted, held (with drafts), skipped, and how many
        tasks the queue could still hand you. Any member may ask (``progress`` is for
        reviewers and above)."""
        return self._http.get_model(OwnProgress, f"/projects/{project_id}/progress/mine")
