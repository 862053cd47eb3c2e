"""Projects: CRUD and progress."""

from __future__ import annotations

from accord_server.api.deps import CurrentUser, SessionDep, api_router
from accord_server.schemas.common import Id
from accord_server.schemas.projects import (
    LabelSchemaRead,
    LabelSchemaValidate,
    OwnProgressRead,
    ProjectCreate,
    ProjectProgressRead,
    ProjectRead,
    ProjectStatsRead,
    ProjectUpdate,
)
from accord_server.services import accounts, projects, queue, stats
from accord_server.services.errors import Invalid
from accord_server.services.label_schemas import parse_label_schema
from accord_server.services.permissions import Action

router = api_router(prefix="/api/v1/projects", tags=["projects"])


@router.post("", response_model=ProjectRead, status_code=201)
def create_project(body: ProjectCreate, session: SessionDep, user: CurrentUser) -> ProjectRead:
    """A new project; the label schema is validated (errors name the path in it)."""
    org_id = body.organization_id
    if org_id is None:
        rows = accounts.list_memberships(session, user=user)
        if len(rows) != 1:
            raise Invalid(
                "organization_id: required when you belong to several organizations",
                details={"field": "organization_id"},
            )
        org_id = rows[0][0].organization_id
    membership = accounts.get_membership_or_raise(session, organization_id=org_id, user=user)
    project = projects.create_project(
        session,
        membership=membership,
        user=user,
        name=body.name,
        label_schema=body.label_schema,
        description=body.description,
        overlap=body.overlap,
        lease_minutes=body.lease_minutes,
        blind=body.blind,
        instructions=body.instructions,
    )
    return ProjectRead.model_validate(project)


@router.get("", response_model=list[ProjectRead])
def list_projects(
    session: SessionDep, user: CurrentUser, organization_id: Id | None = None
) -> list[ProjectRead]:
    """Projects in your organizations, newest first."""
    return [
        ProjectRead.model_validate(p)
        for p in projects.list_projects(session, user=user, organization_id=organization_id)
    ]


@router.get("/{project_id}", response_model=ProjectRead)
def get_project(project_id: Id, session: SessionDep, user: CurrentUser) -> ProjectRead:
    """One project."""
    project, _ = projects.get_project_or_raise(session, project_id=project_id, user=user)
    return ProjectRead.model_validate(project)


@router.patch("/{project_id}", response_model=ProjectRead)
def update_project(
    project_id: Id, body: ProjectUpdate, session: SessionDep, user: CurrentUser
) -> ProjectRead:
    """Change settings or the schema; a schema change that orphans used labels is refused."""
    project, membership = projects.get_project_or_raise(session, project_id=project_id, user=user)
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    for required in ("name", "label_schema", "overlap", "lease_minutes", "blind"):
        if required in changes and changes[required] is None:
            raise Invalid(f"{required}: cannot be null", details={"field": required})
    project = projects.update_project(
        session, project=project, membership=membership, changes=changes
    )
    return ProjectRead.model_validate(project)


@router.delete("/{project_id}", status_code=204)
def delete_project(project_id: Id, session: SessionDep, user: CurrentUser) -> None:
    """Delete a project with all its tasks and annotations."""
    project, membership = projects.get_project_or_raise(session, project_id=project_id, user=user)
    projects.delete_project(session, project=project, membership=membership)


@router.get("/{project_id}/progress", response_model=ProjectProgressRead)
def get_progress(project_id: Id, session: SessionDep, user: CurrentUser) -> ProjectProgressRead:
    """Task states, annotation counts, per-annotator counts."""
    project, _ = projects.get_project_or_raise(
        session, project_id=project_id, user=user, action=Action.PROJECT_PROGRESS
    )
    return ProjectProgressRead.model_validate(projects.project_progress(session, project=project))


@router.get("/{project_id}/progress/mine", response_model=OwnProgressRead)
def get_own_progress(project_id: Id, session: SessionDep, user: CurrentUser) -> OwnProgressRead:
    """Your own work here: submitted, held (with drafts), skipped, and how many tasks the queue
    could still hand you. Any member may ask; it counts only the caller's rows."""
    project, _ = projects.get_project_or_raise(session, project_id=project_id, user=user)
    return OwnProgressRead.model_validate(
        queue.own_progress(session, project_id=project.id, user=user)
    )


@router.get("/{project_id}/stats", response_model=ProjectStatsRead)
def get_stats(project_id: Id, session: SessionDep, user: CurrentUser) -> ProjectStatsRead:
    """Label distribution, annotations per day and per annotator, for the dashboard."""
    project, _ = projects.get_project_or_raise(
        session, project_id=project_id, user=user, action=Action.PROJECT_PROGRESS
    )
    return ProjectStatsRead.model_validate(stats.project_stats(session, project=project))


schema_router = api_router(prefix="/api/v1/label-schemas", tags=["projects"])


@schema_router.post("/validate", response_model=LabelSchemaRead)
def validate_label_schema(body: LabelSchemaValidate, user: CurrentUser) -> LabelSchemaRead:
    """Check a label schema as it is typed: the normalized schema, or 422 naming the path
    (and line) of every problem."""
    schema = parse_label_schema(body.label_schema)
    return LabelSchemaRead(
        media=schema.media, label_schema=schema.model_dump(mode="json", exclude_none=True)
    )
