"""``client.tasks``: list (paged transparently), read, change the data of, delete tasks; their
predictions; report tasks and resolve reports."""

from __future__ import annotations

import builtins
from collections.abc import Iterator, Sequence
from typing import Any

from accord._http import HTTP
from accord._models import Annotation, Prediction, Task, TaskReport


class Tasks:
    """Tasks of a project."""

    def __init__(self, http: HTTP) -> None:
        self._http = http

    def list(
        self,
        project_id: int,
        state: str | None = None,
        *,
        reported: bool | None = None,
        page_size: int = 100,
    ) -> Iterator[Task]:
        """Every task (in a ``state`` if given; with an open report if ``reported`` is True,
        without one if False) in id order, fetching pages lazily."""
        return self._http.paginate(
            Task,
            f"/projects/{project_id}/tasks",
            page_size=page_size,
            state=state,
            reported=reported,
        )

    def get(self, task_id: int) -> Task:
        """One task."""
        return self._http.get_model(Task, f"/tasks/{task_id}")

    def update(self, task_id: int, *, data: dict[str, Any]) -> Task:
        """Replace a task's data (managers and up), e.g. to fix what a report found; refused
        (``Conflict``) while the task has annotations."""
        response = self._http.request("PATCH", f"/tasks/{task_id}", json={"data": data})
        return Task.model_validate(response.json())

    def predictions(self, task_id: int) -> builtins.list[Prediction]:
        """Model predictions on a task."""
        return self._http.get_models(Prediction, f"/tasks/{task_id}/predictions")

    def annotations(self, task_id: int) -> builtins.list[Annotation]:
        """Annotations on a task that you may see."""
        return self._http.get_models(Annotation, f"/tasks/{task_id}/annotations")

    def report(self, task_id: int, reason: str, note: str = "") -> TaskReport:
        """Report a task that cannot be annotated as it is (``reason``: ``broken_media``,
        ``wrong_data`` or ``other``): it leaves the queue until a manager resolves the report,
        and your lease on it ends. Reporting it again while your report is open returns that
        report."""
        body = {"reason": reason, "note": note}
        response = self._http.request("POST", f"/tasks/{task_id}/reports", json=body, retry=True)
        return TaskReport.model_validate(response.json())

    def reports(self, task_id: int) -> builtins.list[TaskReport]:
        """Every report of a task, open and resolved, newest first (managers and up)."""
        return self._http.get_models(TaskReport, f"/tasks/{task_id}/reports")

    def resolve_reports(self, task_id: int, note: str = "") -> builtins.list[TaskReport]:
        """Resolve every open report of a task (managers and up): it is back in the queue.
        Returns the reports resolved now (none when none was open)."""
        response = self._http.request(
            "POST", f"/tasks/{task_id}/reports/resolve", json={"note": note}, retry=True
        )
        return [TaskReport.model_validate(x) for x in response.json()]

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
