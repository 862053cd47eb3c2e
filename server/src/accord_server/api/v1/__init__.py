"""Version 1 of the JSON API."""

from fastapi import APIRouter

from accord_server.api.v1 import (
    annotations,
    auth,
    imports,
    jobs,
    organizations,
    projects,
    queue,
    tasks,
)


def make_router() -> APIRouter:
    """All v1 routes under /api/v1."""
    router = APIRouter(prefix="/api/v1")
    for module in (auth, organizations, projects, tasks, imports, queue, annotations, jobs):
        router.include_router(module.router)
    router.include_router(projects.schema_router)
    return router
