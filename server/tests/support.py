"""Test helpers shared by the test modules: the running stack, factories, schemas."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import uvicorn
from huey import Huey
from sqlalchemy import Engine, event

from accord_server.app import create_app, make_runtime
from accord_server.db.models import User
from accord_server.jobs.queue import drain
from accord_server.runtime import Runtime
from accord_server.services import accounts, sessions, token_use
from accord_server.settings import Settings


@dataclass
class Stack:
    """A running Accord for one test: runtime, job queue and a live HTTP server."""

    settings: Settings
    runtime: Runtime
    huey: Huey
    url: str

    def run_jobs(self) -> int:
        """Run every queued job now, through the real queue (what a worker would do)."""
        return drain(self.huey)

    def client(self, token: str | None = None) -> httpx.Client:
        """An HTTP client, authenticated with an API token when given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.Client(base_url=self.url, headers=headers, timeout=60)


@contextmanager
def running_stack(settings: Settings) -> Iterator[Stack]:
    """The app for ``settings`` served by uvicorn on a free port in a background thread."""
    runtime, huey = make_runtime(settings)
    app = create_app(settings, runtime=runtime)
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("test server did not start")
        time.sleep(0.01)
    try:
        yield Stack(settings=settings, runtime=runtime, huey=huey, url=f"http://127.0.0.1:{port}")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        runtime.close()


@contextmanager
def statements_run(engine: Engine) -> Iterator[list[tuple[str, bool]]]:
    """Record each statement sent meanwhile: its first word, and whether it ran outside a
    transaction (the driver's autocommit). The background writes of API token use, which
    no request waits for, are left out."""
    seen: list[tuple[str, bool]] = []

    def executed(conn: Any, _cursor: Any, statement: str, *_: object) -> None:
        if threading.current_thread().name == token_use.THREAD_NAME:
            return
        seen.append((statement.split()[0], conn.connection.driver_connection.autocommit))

    event.listen(engine, "before_cursor_execute", executed)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", executed)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Member:
    """A user with a role in an organization, and an API token."""

    user: User
    organization_id: int
    role: str
    token: str
    email: str
    password: str


class Factory:
    """Makes organizations, members and projects straight through the services."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.counter = 0

    def owner(self, org_name: str = "Org") -> Member:
        """A new organization and its owner."""
        self.counter += 1
        email, password = f"owner{self.counter}@example.com", "correct horse 1"
        with self.stack.runtime.db.transaction() as session:
            user = accounts.create_user(session, email=email, password=password)
            org = accounts.create_organization(
                session, name=f"{org_name} {self.counter}", owner=user
            )
            _, token = sessions.create_api_token(session, user=user, name="test")
        return Member(user, org.id, "owner", token, email, password)

    def member(self, owner: Member, role: str) -> Member:
        """A new user with ``role`` in the owner's organization."""
        self.counter += 1
        email, password = f"{role}{self.counter}@example.com", "correct horse 2"
        with self.stack.runtime.db.transaction() as session:
            actor = accounts.get_membership_or_raise(
                session, organization_id=owner.organization_id, user=owner.user
            )
            _, user = accounts.add_member(
                session, actor=actor, email=email, role=role, password=password
            )
            _, token = sessions.create_api_token(session, user=user, name="test")
        return Member(user, owner.organization_id, role, token, email, password)

    def project(
        self, owner: Member, schema: str | dict[str, Any] | None = None, **fields: Any
    ) -> dict[str, Any]:
        """A project created through the API."""
        with self.stack.client(owner.token) as client:
            response = client.post(
                "/api/v1/projects",
                json={
                    "organization_id": owner.organization_id,
                    "name": "Project",
                    "label_schema": schema or IMAGE_SCHEMA,
                    **fields,
                },
            )
        assert response.status_code == 201, response.text
        return dict(response.json())

    def import_tasks(
        self, owner: Member, project_id: int, tasks: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Import tasks through the API and run the job; returns the finished job."""
        with self.stack.client(owner.token) as client:
            response = client.post(f"/api/v1/projects/{project_id}/imports", json={"tasks": tasks})
            assert response.status_code == 202, response.text
            self.stack.run_jobs()
            job = client.get(f"/api/v1/jobs/{response.json()['id']}").json()
        assert job["state"] == "succeeded", job
        return dict(job)


IMAGE_SCHEMA = {
    "media": "image",
    "tools": [
        {"name": "objects", "type": "bbox", "labels": ["car", "person", "bike"]},
        {"name": "outline", "type": "polygon", "labels": ["car", "person"]},
        {"name": "quality", "type": "classification", "choices": ["sharp", "blurry"]},
    ],
}
TEXT_SCHEMA = {
    "media": "text",
    "tools": [{"name": "ner", "type": "span", "labels": ["PER", "ORG", "LOC"]}],
}
