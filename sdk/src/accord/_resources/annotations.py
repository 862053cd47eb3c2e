"""``client.annotations``: submit (idempotent, retried), read, revise, delete."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from accord._http import HTTP
from accord._models import Annotation, AnnotationRevision


class Annotations:
    """Annotations of tasks."""

    def __init__(self, http: HTTP) -> None:
        self._http = http

    def submit(
        self,
        task_id: int,
        result: Sequence[Any],
        *,
        id: str | None = None,
        lead_time: float | None = None,
    ) -> Annotation:
        """Submit your annotation of a task.

        ``id`` (default: a new uuid4 hex) makes the submit idempotent: network errors and
        502/503/504 answers are retried with the same id, so a retry never duplicates.
        """
        body: dict[str, Any] = {"id": id or uuid.uuid4().hex, "result": list(result)}
        if lead_time is not None:
            body["lead_time"] = lead_time
        response = self._http.request(
            "POST", f"/tasks/{task_id}/annotations", json=body, retry=True
        )
        return Annotation.model_validate(response.json())

    def list(self, project_id: int, *, page_size: int = 100) -> Iterator[Annotation]:
        """Every annotation of a project you may see, in id order, fetching pages lazily."""
        return self._http.paginate(
            Annotation, f"/projects/{project_id}/annotations", page_size=page_size
        )

    def get(self, annotation_id: int) -> Annotation:
        """One annotation."""
        return self._http.get_model(Annotation, f"/annotations/{annotation_id}")

    def update(
        self, annotation_id: int, result: Sequence[Any], *, lead_time: float | None = None
    ) -> Annotation:
        """Replace the result; the previous one is kept as a revision."""
        body: dict[str, Any] = {"result": list(result)}
        if lead_time is not None:
            body["lead_time"] = lead_time
        return self._http.send_model(Annotation, "PATCH", f"/annotations/{annotation_id}", body)

    def delete(self, annotation_id: int) -> None:
        """Delete an annotation; its task goes back to the queue for one more."""
        self._http.request("DELETE", f"/annotations/{annotation_id}")

    def revisions(self, annotation_id: int) -> builtins.list[AnnotationRevision]:
        """Every revision of an annotation, oldest first."""
        return self._http.get_models(AnnotationRevision, f"/annotations/{annotation_id}/revisions")
