"""Test helpers: the stack and factories (shared with the server's tests), an SDK client for the
stack, the label schema used throughout."""

from __future__ import annotations

from accord_server.testing import Factory, Member, Stack

from accord import Client

__all__ = ["BOX", "PASSWORD", "SCHEMA", "SCHEMA_YAML", "Factory", "Member", "Stack", "client_for"]

#: The password the tests give the members they add through the SDK.
PASSWORD = "correct horse battery"


def client_for(stack: Stack, token: str) -> Client:
    """An SDK client for this server (fast retries: tests should not sleep)."""
    return Client(stack.url, token, retry_backoff=0.01)


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
