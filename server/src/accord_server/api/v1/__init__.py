"""Version 1 of the JSON API."""

from fastapi import FastAPI

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


def include_v1(app: FastAPI) -> None:
    """All v1 routes under /api/v1, each router included straight into the app: every level of
    nested routers is another walk over routes that FastAPI takes on every request.

    The annotators' hot path comes first: FastAPI tries the routes in order, each one a regex
    match and some bookkeeping (measured: a submit walked 38 routes before its own)."""
    for module in (queue, annotations, auth, tasks, projects, organizations, imports, jobs):
        app.include_router(module.router, prefix="/api/v1")
    app.include_router(projects.schema_router, prefix="/api/v1")
