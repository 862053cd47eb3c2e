"""Reports: an annotator reports a task that cannot be annotated as it is (it leaves the queue);
managers read the reports and resolve them (it comes back)."""

from __future__ import annotations

from fastapi import Response

from accord_server.api.deps import CurrentUser, SessionDep, api_router
from accord_server.schemas.common import Id
from accord_server.schemas.enums import ReportReason
from accord_server.schemas.tasks import (
    PersonRead,
    TaskReportCreate,
    TaskReportRead,
    TaskReportResolve,
)
from accord_server.services import reports
from accord_server.services.accounts import Person
from accord_server.services.reports import ReportEntry

router = api_router(prefix="/api/v1", tags=["reports"])


def _person(person: Person | None) -> PersonRead | None:
    if person is None:
        return None
    return PersonRead(id=person.id, name=person.name, email=person.email)


def report_read(entry: ReportEntry) -> TaskReportRead:
    """A report as the API shows it, with the people it names."""
    r = entry.report
    return TaskReportRead(
        id=r.id,
        task_id=r.task_id,
        project_id=r.project_id,
        reason=ReportReason(r.reason),
        note=r.note,
        reporter=_person(entry.reporter),
        created_at=r.created_at,
        resolved_at=r.resolved_at,
        resolved_by=_person(entry.resolver),
        resolution_note=r.resolution_note,
    )


@router.post(
    "/tasks/{task_id}/reports",
    response_model=TaskReportRead,
    status_code=201,
    responses={200: {"model": TaskReportRead, "description": "Your open report on it already."}},
)
def report_task(
    task_id: Id, body: TaskReportCreate, response: Response, session: SessionDep, user: CurrentUser
) -> TaskReportRead:
    """Report a task that cannot be annotated as it is: it leaves the queue for everyone until
    a manager resolves the report, and your lease on it ends. Reporting it again while your
    report is open answers that report (200)."""
    entry, created = reports.report_task(
        session, task_id=task_id, user=user, reason=body.reason, note=body.note
    )
    if not created:
        response.status_code = 200
    return report_read(entry)


@router.get("/tasks/{task_id}/reports", response_model=list[TaskReportRead])
def list_reports(task_id: Id, session: SessionDep, user: CurrentUser) -> list[TaskReportRead]:
    """Every report of a task, open and resolved, newest first (managers and up)."""
    return [report_read(e) for e in reports.list_reports(session, task_id=task_id, user=user)]


@router.post("/tasks/{task_id}/reports/resolve", response_model=list[TaskReportRead])
def resolve_reports(
    task_id: Id, body: TaskReportResolve, session: SessionDep, user: CurrentUser
) -> list[TaskReportRead]:
    """Resolve every open report of a task (managers and up), after fixing its data if need be:
    it is back in the queue, also for those who reported it. The reports resolved now (an
    empty list when none was open)."""
    resolved = reports.resolve_reports(session, task_id=task_id, user=user, note=body.note)
    return [report_read(e) for e in resolved]
