"""``client.tasks``: list (paged transparently), read, delete tasks; their predictions."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence

from accord._http import HTTP
from accord._models import Annotation, Prediction, Task


class Tasks:
    """Tasks of a project."""

    def __init__(self, http: HTTP) -> None:
        self._http = http

    def list(
        self, project_id: int, state: str | None = None, *, page_size: int = 100
    ) -> Iterator[Task]:
        """Every task (in a ``state`` if given) in id order, fetching pages lazily."""
        return self._http.paginate(
            Task, f"/projects/{project_id}/tasks", page_size=page_size, state=state
        )

    def get(self, task_id: int) -> Task:
        """One task."""
        return self._http.get_model(Task, f"/tasks/{task_id}")

    def predictions(self, task_id: int) -> builtins.list[Prediction]:
        """Model predictions on a task."""
        return self._http.get_models(Prediction, f"/tasks/{task_id}/predictions")

    def annotations(self, task_id: int) -> builtins.list[Annotation]:
        """Annotations on a task that you may see."""
        return self._http.get_models(Annotation, f"/tasks/{task_id}/annotations")

    def delete(self, task_id: int) -> None:
        """Delete a task with its annotations."""
        self._http.request("DELETE", f"/tasks/{task_id}")

    def delete_many(self, project_id: int, task_ids: Sequence[int]) -> int:
        """Delete many tasks of a project at once; returns how many were deleted."""
        return self._bulk(project_id, {"task_ids": list(task_ids), "delete": True})

    def set_priority(self, project_id: int, task_ids: Sequence[int], priority: int) -> int:
        """Set the priority of many tasks; returns how many changed."""
        return self._bulk(project_id, {"task_ids": list(task_ids), "priority": priority})

    def _bulk(self, project_id: int, body: dict[str, object]) -> int:
        response = self._http.request("POST", f"/projects/{project_id}/tasks/bulk", json=body)
        return int(response.json()["affected"])
