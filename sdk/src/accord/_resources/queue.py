"""``client.queue``: the annotation queue — next task, skip, drafts."""

from __future__ import annotations

from typing import Any

from accord._http import HTTP
from accord._models import Lease


class Queue:
    """Work a project's queue as the current user."""

    def __init__(self, http: HTTP) -> None:
        self._http = http

    def next(self, project_id: int) -> Lease | None:
        """Your current task or the next one, under a lease; None when nothing is left."""
        response = self._http.request("POST", f"/projects/{project_id}/next")
        if response.status_code == 204:
            return None
        return Lease.model_validate(response.json())

    def skip(self, task_id: int) -> None:
        """Give a task back; you will not get it again."""
        self._http.request("POST", f"/tasks/{task_id}/skip")

    def save_draft(self, task_id: int, draft: Any) -> None:
        """Autosave work in progress on a task you hold (comes back as ``Lease.draft``)."""
        self._http.request("PUT", f"/tasks/{task_id}/draft", json={"draft": draft}, retry=True)
