"""Factories for tests: organizations, members and tokens through the services, projects and
imports through the API."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accord_server.db.models import User
from accord_server.schemas.enums import SourceKind
from accord_server.services import accounts, import_sources, sessions
from accord_server.testing.stack import Stack


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
    """Makes organizations, members and projects for one test's stack."""

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

    def server_admin(self) -> tuple[User, str]:
        """A new admin of the server (a member of no organization) and an API token."""
        self.counter += 1
        with self.stack.runtime.db.transaction() as session:
            user = accounts.create_user(
                session, email=f"admin{self.counter}@example.com", password="correct horse 3"
            )
            user.is_server_admin = True
            _, token = sessions.create_api_token(session, user=user, name="test")
        return user, token

    def grant(
        self,
        owner: Member,
        folder: Path | None = None,
        *,
        name: str | None = None,
        bucket: str | None = None,
        prefix: str = "",
        profile: str | None = None,
        endpoint_url: str | None = None,
    ) -> int:
        """Grant a folder (default: the stack's first import root) or an S3 prefix to the
        owner's organization, as the operator would at the command line; its id."""
        self.counter += 1
        bounds = import_sources.SourceBounds.from_settings(self.stack.settings)
        with self.stack.runtime.db.transaction() as session:
            source = import_sources.grant_source(
                session,
                organization_id=owner.organization_id,
                name=name or f"source {self.counter}",
                kind=SourceKind.S3 if bucket else SourceKind.FOLDER,
                bounds=bounds,
                by=None,
                path=None if bucket else str(folder or self.stack.import_root),
                bucket=bucket,
                prefix=prefix,
                profile=profile,
                endpoint_url=endpoint_url,
            )
            return source.id

    def token_for(self, email: str, name: str = "test") -> str:
        """A new API token for an existing user (one made through the API, say)."""
        with self.stack.runtime.db.transaction() as session:
            user = accounts.get_user_by_email(session, email)
            assert user is not None, email
            _, token = sessions.create_api_token(session, user=user, name=name)
        return token

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
