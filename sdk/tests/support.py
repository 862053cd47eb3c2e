"""Test helpers: the running stack, an organization owner, the label schema used throughout."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from accord_server.runtime import Runtime
from accord_server.services import accounts, sessions
from huey import Huey

from accord import Client

PASSWORD = "correct horse battery"


@dataclass
class Stack:
    """A running server for one test."""

    url: str
    runtime: Runtime
    huey: Huey
    import_root: Path
    worker_paused: threading.Event

    def token_for(self, email: str, name: str = "test") -> str:
        """A new API token for an existing user, made through the services."""
        with self.runtime.db.transaction() as session:
            user = accounts.get_user_by_email(session, email)
            assert user is not None, email
            _, token = sessions.create_api_token(session, user=user, name=name)
        return str(token)

    def client(self, token: str) -> Client:
        """An SDK client for this server (fast retries: tests should not sleep)."""
        return Client(self.url, token, retry_backoff=0.01)


@dataclass
class Owner:
    """The owner of a fresh organization, with an API token."""

    email: str
    organization_id: int
    token: str


def make_owner(stack: Stack, email: str, org_name: str) -> Owner:
    """A new user owning a new organization, with a token (through the services)."""
    with stack.runtime.db.transaction() as session:
        user = accounts.create_user(session, email=email, password=PASSWORD)
        org = accounts.create_organization(session, name=org_name, owner=user)
        _, token = sessions.create_api_token(session, user=user, name="test")
    return Owner(email=email, organization_id=org.id, token=token)


SCHEMA_YAML = """\
media: image
tools:
  - name: objects
    type: bbox
    labels: [car, person]
"""
SCHEMA = {
    "media": "image",
    "tools": [{"name": "objects", "type": "bbox", "labels": ["car", "person"]}],
}
BOX = {
    "id": "r1",
    "tool": "objects",
    "type": "bbox",
    "label": "car",
    "geometry": {"x": 1, "y": 2, "width": 3, "height": 4},
}
