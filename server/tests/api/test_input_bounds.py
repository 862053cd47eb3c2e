"""Integers out of range are refused (422, naming the parameter), never a 500 (issue 13,
finding 8): SQLite holds signed 64-bit integers (2**63 raised OverflowError in the driver),
PostgreSQL's priority is a 32-bit column (2**40 raised NumericValueOutOfRange)."""

from __future__ import annotations

import re
import types
from collections.abc import Iterator
from typing import Annotated, Any, Union, get_args, get_origin

import httpx
from fastapi.routing import APIRoute

from accord_server.api.v1 import v1_routes
from support import Factory, Stack

TOO_LARGE = 2**63


def _is_int(annotation: Any) -> bool:
    """``int``, also when ``Annotated`` with constraints or optional."""
    if get_origin(annotation) is Annotated:
        return _is_int(get_args(annotation)[0])
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_is_int(a) for a in get_args(annotation) if a is not type(None))
    return annotation is int


def _int_params(route: APIRoute, where: str) -> list[str]:
    params = route.dependant.path_params if where == "path" else route.dependant.query_params
    return [p.name for p in params if _is_int(p.field_info.annotation)]


def _url(route: APIRoute, values: dict[str, object]) -> str:
    def fill(match: re.Match[str]) -> str:
        name = match.group(1).split(":")[0]
        return str(values.get(name, "x" if name == "key" else 1))

    return re.sub(r"\{([^}]+)\}", fill, route.path)


def _routes() -> Iterator[APIRoute]:
    for route in v1_routes():
        assert isinstance(route, APIRoute)
        yield route


def _names(response: httpx.Response, field: str) -> bool:
    """Whether a 422 answer names ``field`` (among the request's errors, or as the one)."""
    details = response.json().get("details", {})
    named = details.get("field") == field
    named |= any(e["path"] == field for e in details.get("errors", []))
    return response.status_code == 422 and named


def _misses(client: httpx.Client, route: APIRoute, url: str, params: Any, field: str) -> list[str]:
    found = []
    for method in sorted(route.methods):
        response = client.request(method, url, params=params)
        if not _names(response, field):
            found.append(f"{method} {url} {params or ''}: {response.status_code} {response.text}")
    return found


def test_the_walk_finds_the_int_parameters() -> None:
    routes = list(_routes())
    assert sum(len(_int_params(r, "path")) for r in routes) >= 45
    queries = {(r.path, name) for r in routes for name in _int_params(r, "query")}
    assert ("/api/v1/projects/{project_id}/tasks/table", "offset") in queries
    assert ("/api/v1/projects", "organization_id") in queries


def test_every_int_path_parameter_refuses_values_out_of_range(
    stack: Stack, factory: Factory
) -> None:
    # 2**63 went to the database as it was: SQLite's driver raised OverflowError (a 500) on
    # tasks, projects, jobs, annotations ...; an id is never below 1 either.
    owner = factory.owner()
    misses: list[str] = []
    with stack.client(owner.token) as client:
        for route in _routes():
            for name in _int_params(route, "path"):
                for value in (TOO_LARGE, -1, 0):
                    misses += _misses(client, route, _url(route, {name: value}), None, name)
    assert not misses, "\n".join(misses)


def test_every_int_query_parameter_refuses_values_out_of_range(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    misses: list[str] = []
    with stack.client(owner.token) as client:
        for route in _routes():
            url = _url(
                route, {"project_id": project["id"], "organization_id": owner.organization_id}
            )
            for name in _int_params(route, "query"):
                for value in (TOO_LARGE, -1):
                    misses += _misses(client, route, url, {name: value}, name)
    assert not misses, "\n".join(misses)


def test_ids_in_bodies_are_bounded(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    with stack.client(owner.token) as client:
        created = client.post(
            "/api/v1/projects",
            json={
                "organization_id": TOO_LARGE,
                "name": "p",
                "label_schema": project["label_schema"],
            },
        )
        bulk = client.post(
            f"/api/v1/projects/{project['id']}/tasks/bulk",
            json={"task_ids": [1, TOO_LARGE], "delete": True},
        )
    assert _names(created, "organization_id"), created.text
    assert _names(bulk, "task_ids[1]"), bulk.text


def test_a_priority_past_the_column_is_refused(stack: Stack, factory: Factory) -> None:
    # PostgreSQL's tasks.priority is a 32-bit integer: 2**40 was a 500 there.
    owner = factory.owner()
    project = factory.project(owner)
    job = factory.import_tasks(owner, project["id"], [{"image": "a.png"}])
    assert job["counts"]["tasks"] == 1
    with stack.client(owner.token) as client:
        task_id = client.get(f"/api/v1/projects/{project['id']}/tasks").json()["items"][0]["id"]
        for priority in (2**40, 2**31, -(2**31) - 1):
            bulk = client.post(
                f"/api/v1/projects/{project['id']}/tasks/bulk",
                json={"task_ids": [task_id], "priority": priority},
            )
            assert _names(bulk, "priority"), bulk.text
        for priority in (2**31 - 1, -(2**31)):
            bulk = client.post(
                f"/api/v1/projects/{project['id']}/tasks/bulk",
                json={"task_ids": [task_id], "priority": priority},
            )
            assert bulk.status_code == 200, bulk.text
            assert client.get(f"/api/v1/tasks/{task_id}").json()["priority"] == priority


def test_an_imported_row_with_a_priority_past_the_column_is_a_row_error(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    rows = [
        {"data": {"image": "a.png"}, "priority": 5},
        {"data": {"image": "b.png"}, "priority": 2**40},
        {"image": "c.png", "priority": -(2**31) - 1},
    ]
    with stack.client(owner.token) as client:
        for skip_invalid in (False, True):
            started = client.post(
                f"/api/v1/projects/{project['id']}/imports",
                json={"tasks": rows, "skip_invalid": skip_invalid},
            )
            assert started.status_code == 202, started.text
            stack.run_jobs()
            job = client.get(f"/api/v1/jobs/{started.json()['id']}").json()
            problems = [(e["row"], e["field"], e["scope"]) for e in job["errors"]]
            assert problems == [(2, "priority", "row"), (3, "priority", "row")], job
            assert job["errors"][0]["message"] == (
                f"{2**40} is out of range: a priority is between -2147483648 and 2147483647"
            )
            assert job["state"] == ("succeeded" if skip_invalid else "failed"), job
            assert job["attempts"] == 1
        csv = "image,priority\na.png,1\nb.png,99999999999\n"
        started = client.post(
            f"/api/v1/projects/{project['id']}/imports/files",
            files={"files": ("t.csv", csv.encode(), "text/csv")},
        )
        stack.run_jobs()
        job = client.get(f"/api/v1/jobs/{started.json()['id']}").json()
        assert [(e["row"], e["field"]) for e in job["errors"]] == [(3, "priority")], job
        tasks = client.get(f"/api/v1/projects/{project['id']}/tasks").json()["items"]
    assert sorted(t["priority"] for t in tasks) == [5]
