"""The annotation queue: next task, skip, drafts."""

from __future__ import annotations

from fastapi.responses import Response

from accord_server.api.deps import CurrentUser, SessionDep, api_router, inline, one_write
from accord_server.api.v1.tasks import task_read
from accord_server.schemas.common import Id
from accord_server.schemas.tasks import DraftUpdate, LeaseRead
from accord_server.services import projects, queue, tasks

router = api_router(prefix="/api/v1", tags=["queue"])


@router.post(
    "/projects/{project_id}/next",
    response_model=LeaseRead,
    responses={204: {"description": "No task left for you in this project."}},
)
@inline
@one_write
def next_task(project_id: Id, session: SessionDep, user: CurrentUser) -> LeaseRead | Response:
    """Your current task, or the highest-priority task you have not seen, under a lease."""
    project = projects.get_project_access_or_raise(session, project_id=project_id, user_id=user.id)
    lease = queue.next_task(session, project=project, user=user)
    if lease is None:
        return Response(status_code=204)
    return LeaseRead(
        task=task_read(lease.task, project.overlap),
        assignment_id=lease.assignment.id,
        lease_expires_at=lease.assignment.lease_expires_at,
        resumed=lease.resumed,
        draft=lease.assignment.draft,
    )


@router.post("/tasks/{task_id}/skip", status_code=204)
@inline
def skip_task(task_id: Id, session: SessionDep, user: CurrentUser) -> None:
    """Give a task back; you will not get it again."""
    task, project, _ = tasks.get_task_or_raise(session, task_id=task_id, user=user)
    queue.skip_task(session, project=project, task_id=task.id, user=user)


@router.put("/tasks/{task_id}/draft", status_code=204)
@inline
@one_write
def save_draft(task_id: Id, body: DraftUpdate, session: SessionDep, user: CurrentUser) -> None:
    """Autosave your work in progress on a task you hold."""
    access = tasks.get_task_access_or_raise(session, task_id=task_id, user_id=user.id)
    queue.save_draft(session, task_id=access.task_id, hold=access.hold, draft=body.draft)
