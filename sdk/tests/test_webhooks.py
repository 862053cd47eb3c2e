"""``client.webhooks`` and ``accord.webhooks.verify`` against the real server, with a receiver
on loopback; and the ``accord webhooks`` commands."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from accord_server.jobs.webhooks import send_webhooks
from accord_server.settings import Settings
from accord_server.testing import Factory, Member, Stack, free_port, running_stack
from support import SCHEMA, client_for

from accord import Client, Forbidden, InvalidRequest, InvalidSignature, NotFound, webhooks
from accord._cli import main


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    """The real app, allowed to call a receiver on loopback."""
    allowed = settings.model_copy(update={"webhook_allow_private": True})
    with running_stack(allowed, background_jobs=True) as running:
        yield running


class Receiver:
    def __init__(self) -> None:
        self.got: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.got.append((dict(self.headers.items()), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.port}/hook"


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.server.shutdown()
    made.server.server_close()


def test_webhooks_through_the_sdk(
    client: Client, owner: Member, stack: Stack, factory: Factory, receiver: Receiver
) -> None:
    org = owner.organization_id
    project = client.projects.create("P", SCHEMA, organization_id=org)
    hook = client.webhooks.create(
        org, receiver.url, events=["webhook.ping", "project.updated"][1:], project_id=project.id
    )
    assert hook.secret.startswith("whsec_") and hook.events == ["project.updated"]
    assert [h.id for h in client.webhooks.list(org)] == [hook.id]
    assert "secret" not in client.webhooks.get(hook.id).model_dump()
    changed = client.webhooks.update(hook.id, description="ci", project_id=None)
    assert (changed.description, changed.project_id) == ("ci", None)
    with pytest.raises(InvalidRequest, match="unknown event kind"):
        client.webhooks.update(hook.id, events=["nope"])

    ping = client.webhooks.ping(hook.id)
    assert ping.kind == "webhook.ping" and ping.state == "pending"
    send_webhooks(stack.runtime)
    [(headers, body)] = receiver.got
    event = webhooks.verify(hook.secret, headers, body)
    assert event["type"] == "webhook.ping" and headers["webhook-id"] == ping.message_id
    with pytest.raises(InvalidSignature):
        webhooks.verify(hook.secret, headers, body + b" ")

    [logged] = list(client.webhooks.deliveries(hook.id))
    assert (logged.state, logged.last_status, logged.attempts) == ("succeeded", 204, 1)
    again = client.webhooks.redeliver(logged.id)
    assert again.message_id == logged.message_id and again.redelivery_of == logged.id
    rotated = client.webhooks.rotate_secret(hook.id)
    assert rotated.secret != hook.secret
    send_webhooks(stack.runtime)
    headers, body = receiver.got[-1]
    assert webhooks.verify(rotated.secret, headers, body)["type"] == "webhook.ping"
    assert [d.id for d in client.webhooks.deliveries(hook.id, page_size=1)] == [
        again.id,
        logged.id,
    ]

    manager = factory.member(owner, "manager")
    with client_for(stack, manager.token) as theirs, pytest.raises(Forbidden):
        theirs.webhooks.list(org)
    client.webhooks.delete(hook.id)
    with pytest.raises(NotFound):
        client.webhooks.get(hook.id)


def test_webhooks_commands(
    client: Client,
    owner: Member,
    stack: Stack,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ACCORD_URL", stack.url)
    monkeypatch.setenv("ACCORD_TOKEN", owner.token)
    org = str(owner.organization_id)
    assert main(["webhooks", "create", org, receiver.url, "--event", "task.created"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["secret"].startswith("whsec_") and made["events"] == ["task.created"]
    assert main(["webhooks", "list", org]) == 0
    assert [h["id"] for h in json.loads(capsys.readouterr().out)] == [made["id"]]
    assert main(["webhooks", "ping", str(made["id"])]) == 0
    assert json.loads(capsys.readouterr().out)["kind"] == "webhook.ping"
    send_webhooks(stack.runtime)
    assert main(["webhooks", "deliveries", str(made["id"])]) == 0
    [logged] = json.loads(capsys.readouterr().out)
    assert logged["state"] == "succeeded"
    headers, body = receiver.got[0]
    assert webhooks.verify(made["secret"], headers, body)["data"]["webhook_id"] == made["id"]
    assert main(["webhooks", "delete", str(made["id"])]) == 0
    capsys.readouterr()
    assert main(["webhooks", "delete", str(made["id"])]) == 1
    assert "not found" in capsys.readouterr().err
