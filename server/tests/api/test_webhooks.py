"""Webhooks over real HTTP: a receiver on loopback gets every event signed, in order, at least
once (and exactly once after dropping repeated webhook-ids) across an outage; dead after the
last attempt, manual redelivery, ping, refused private URLs, sealed secrets, tenancy."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import standardwebhooks
from sqlalchemy import select, text
from webhook_receiver import Received, Receiver

from accord import webhooks as sdk_webhooks
from accord_server.db.base import utcnow
from accord_server.db.models import Event, WebhookDelivery
from accord_server.jobs.events import default_subscribers, deliver_events
from accord_server.jobs.webhooks import send_webhooks
from accord_server.runtime import Runtime
from accord_server.schemas.enums import EventKind
from accord_server.services import webhooks
from accord_server.services.events import backlog
from accord_server.settings import Settings
from scenarios import box, lease, submit
from support import Factory, Member, Stack, running_stack


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Receivers on loopback are allowed; retries come quickly."""
    return settings.model_copy(
        update={
            "webhook_allow_private": True,
            "webhook_first_backoff_seconds": 0.05,
            "webhook_max_backoff_seconds": 0.2,
            "webhook_max_attempts": 1000,
            "webhook_timeout_seconds": 5,
        }
    )


@pytest.fixture
def stack(settings: Settings) -> Iterator[Stack]:
    with running_stack(settings) as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.down()


def _create(stack: Stack, owner: Member, url: str, **fields: Any) -> dict[str, Any]:
    with stack.client(owner.token) as client:
        made = client.post(
            f"/api/v1/organizations/{owner.organization_id}/webhooks", json={"url": url, **fields}
        )
    assert made.status_code == 201, made.text
    return dict(made.json())


def _pump(stack: Stack, runtime: Runtime | None = None) -> None:
    """One round of what a worker does: deliver the outbox's events, send what is due."""
    deliver_events(stack.runtime)
    send_webhooks(runtime or stack.runtime)


def _open_deliveries(stack: Stack, webhook_id: int) -> int:
    with stack.runtime.db.session() as session:
        return len(
            session.scalars(
                select(WebhookDelivery.id).where(
                    WebhookDelivery.webhook_id == webhook_id,
                    WebhookDelivery.state.in_(("pending", "failed")),
                )
            ).all()
        )


def _pump_until_sent(stack: Stack, webhook_id: int, runtime: Runtime | None = None) -> None:
    deadline = time.monotonic() + 60
    _pump(stack, runtime)
    while _open_deliveries(stack, webhook_id):
        assert time.monotonic() < deadline, "deliveries still open after 60 s"
        time.sleep(0.05)
        _pump(stack, runtime)


def _verified(secret: str, got: Received) -> dict[str, Any]:
    """The body, checked by our SDK's helper and by the standardwebhooks library."""
    body = sdk_webhooks.verify(secret, got.headers, got.body)
    assert standardwebhooks.Webhook(secret).verify(got.body, got.headers) == body
    assert isinstance(body, dict)
    return body


def _deliveries(stack: Stack, webhook_id: int) -> list[WebhookDelivery]:
    with stack.runtime.db.session() as session:
        rows = session.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook_id)
            .order_by(WebhookDelivery.id)
        ).all()
        session.expunge_all()
        return list(rows)


def _make_work(stack: Stack, factory: Factory, owner: Member) -> int:
    """A project with three tasks in a batch, all annotated (overlap 1); its id."""
    project = factory.project(owner)["id"]
    with stack.client(owner.token) as client:
        made = client.post(
            f"/api/v1/projects/{project}/imports",
            json={"tasks": [{"image": f"{n}.png"} for n in range(3)], "batch": "first"},
        )
        assert made.status_code == 202, made.text
    stack.run_jobs()
    for n in range(3):
        task = lease(stack, owner, project)["task"]["id"]
        submit(stack, owner, task, [box()], f"a{n}")
    return int(project)


def test_receiver_down_then_up_gets_every_event_once_in_order(
    stack: Stack, factory: Factory, receiver: Receiver
) -> None:
    owner = factory.owner()
    hook = _create(stack, owner, receiver.url)
    secret = hook["secret"]
    # Down: nothing listens (connection refused) ...
    project = _make_work(stack, factory, owner)
    for _ in range(3):
        _pump(stack)
        time.sleep(0.06)
    attempted = _deliveries(stack, hook["id"])
    assert len(attempted) >= 10
    head, *rest = attempted
    assert head.state == "failed" and head.attempts >= 2 and head.last_status is None
    assert "ConnectError" in (head.last_error or "")
    # ... only the oldest delivery was tried: the later ones wait behind it, in order.
    assert all(d.state == "pending" and d.attempts == 0 for d in rest)
    # ... then answering 503 ...
    receiver.up(status=503)
    for _ in range(3):
        _pump(stack)
        time.sleep(0.06)
    assert receiver.received and {r.answered for r in receiver.received} == {503}
    assert {r.headers["webhook-id"] for r in receiver.received} == {head.message_id}
    # ... then up.
    receiver.status = 200
    _pump_until_sent(stack, hook["id"])

    sent = _deliveries(stack, hook["id"])
    assert all(d.state == "succeeded" for d in sent)
    assert sent[0].attempts > 3 and sent[0].last_status == 200
    first_seen: dict[str, dict[str, Any]] = {}
    for got in receiver.ok():
        first_seen.setdefault(got.headers["webhook-id"], _verified(secret, got))
    # Every delivery arrived; deduplicated by webhook-id, in the order the events happened.
    assert list(first_seen) == [d.message_id for d in sent]
    with stack.runtime.db.session() as session:
        events = session.execute(select(Event.id, Event.kind).order_by(Event.id)).all()
    bodies = list(first_seen.values())
    # The webhook was made first: it hears of every event of the test, in their order.
    assert [d.event_id for d in sent] == [e.id for e in events]
    assert [b["type"] for b in bodies] == [e.kind for e in events]
    types = [b["type"] for b in bodies]
    assert types.count("task.completed") == 3
    assert types.count("annotation.created") == 3
    assert types.count("batch.completed") == 1
    assert types.index("batch.completed") > max(
        i for i, t in enumerate(types) if t == "task.completed"
    )
    assert "import.finished" in types and "task.created" in types
    batch = next(b for b in bodies if b["type"] == "batch.completed")
    assert batch["data"]["tasks"] == 3 and batch["data"]["name"] == "first"
    assert batch["data"]["project_id"] == project
    assert batch["data"]["organization_id"] == owner.organization_id
    completed = next(b for b in bodies if b["type"] == "task.completed")
    assert set(completed["data"]) >= {"task_id", "annotation_id", "project_id"}


def test_dead_after_the_last_attempt_then_the_next_goes_and_redelivery(
    stack: Stack, factory: Factory, receiver: Receiver, settings: Settings
) -> None:
    owner = factory.owner()
    hook = _create(stack, owner, receiver.url, events=["project.created", "project.updated"])
    strict = Runtime(settings=settings.model_copy(update={"webhook_max_attempts": 3}))
    receiver.up(status=503)
    factory.project(owner)  # project.created: this one will die
    deliver_events(stack.runtime)
    for _ in range(40):
        send_webhooks(strict)
        if _deliveries(stack, hook["id"])[0].state == "dead":
            break
        time.sleep(0.06)
    [dead] = _deliveries(stack, hook["id"])
    assert (dead.state, dead.attempts, dead.last_status) == ("dead", 3, 503)
    assert dead.response_excerpt == "down for maintenance"
    assert len(receiver.received) == 3
    # A dead delivery no longer holds the webhook up: the next event goes out.
    receiver.status = 200
    with stack.client(owner.token) as client:
        project = client.get("/api/v1/projects").json()[0]["id"]
        assert client.patch(f"/api/v1/projects/{project}", json={"name": "B"}).status_code == 200
    _pump_until_sent(stack, hook["id"], strict)
    assert [r.answered for r in receiver.received] == [503, 503, 503, 200]
    assert _verified(hook["secret"], receiver.received[-1])["type"] == "project.updated"
    # Redelivery by hand: a new entry in the log, the same webhook-id.
    with stack.client(owner.token) as client:
        again = client.post(f"/api/v1/deliveries/{dead.id}/redeliver")
        assert again.status_code == 202, again.text
        assert again.json()["message_id"] == dead.message_id
        assert again.json()["redelivery_of"] == dead.id
        assert again.json()["state"] == "pending"
    _pump_until_sent(stack, hook["id"], strict)
    last = receiver.received[-1]
    assert last.headers["webhook-id"] == dead.message_id
    assert _verified(hook["secret"], last)["type"] == "project.created"
    with stack.client(owner.token) as client:
        log = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries?limit=2")
    assert log.status_code == 200
    page = log.json()
    assert [d["state"] for d in page["items"]] == ["succeeded", "succeeded"]
    assert page["items"][0]["redelivery_of"] == dead.id
    assert page["items"][0]["next_attempt_at"] is None
    assert page["next_cursor"] == page["items"][1]["id"]
    with stack.client(owner.token) as client:
        rest = client.get(
            f"/api/v1/webhooks/{hook['id']}/deliveries", params={"cursor": page["next_cursor"]}
        ).json()
    assert [d["state"] for d in rest["items"]] == ["dead"] and rest["next_cursor"] is None


def test_ping_is_signed_and_logged(stack: Stack, factory: Factory, receiver: Receiver) -> None:
    owner = factory.owner()
    hook = _create(stack, owner, receiver.url, description="CI pipeline")
    receiver.up()
    with stack.client(owner.token) as client:
        queued = client.post(f"/api/v1/webhooks/{hook['id']}/ping")
    assert queued.status_code == 202, queued.text
    assert queued.json()["kind"] == "webhook.ping" and queued.json()["state"] == "pending"
    send_webhooks(stack.runtime)
    [got] = receiver.received
    body = _verified(hook["secret"], got)
    assert body["type"] == "webhook.ping"
    assert body["data"] == {
        "webhook_id": hook["id"],
        "organization_id": owner.organization_id,
        "project_id": None,
    }
    assert got.headers["webhook-id"] == queued.json()["message_id"]
    assert got.headers["Content-Type"] == "application/json"
    # A signature made with another secret is refused by both checkers.
    with pytest.raises(sdk_webhooks.InvalidSignature):
        sdk_webhooks.verify("whsec_" + "A" * 43 + "=", got.headers, got.body)
    with pytest.raises(standardwebhooks.WebhookVerificationError):
        standardwebhooks.Webhook("whsec_" + "A" * 43 + "=").verify(got.body, got.headers)
    with stack.client(owner.token) as client:
        [logged] = client.get(f"/api/v1/webhooks/{hook['id']}/deliveries").json()["items"]
    assert logged["state"] == "succeeded" and logged["last_status"] == 200
    assert logged["response_excerpt"] == '{"ok": true}' and logged["duration_ms"] > 0


def test_private_urls_are_refused_when_not_allowed(
    stack: Stack, factory: Factory, receiver: Receiver, settings: Settings
) -> None:
    owner = factory.owner()
    closed = Runtime(settings=settings.model_copy(update={"webhook_allow_private": False}))
    # At creation (the app of this test allows them: ask the service as a closed server would).
    with stack.client(owner.token) as client:
        for url, why in (
            ("ftp://example.com/x", "only http and https"),
            ("http://user:pw@203.0.113.9/", "user name or password"),
        ):
            refused = client.post(
                f"/api/v1/organizations/{owner.organization_id}/webhooks", json={"url": url}
            )
            assert refused.status_code == 422, refused.text
            assert why in refused.json()["message"]
    # At send time: a webhook saved while allowed, sent by a server that does not allow them.
    receiver.up()
    hook = _create(stack, owner, f"http://localhost:{receiver.port}/x", events=["project.created"])
    factory.project(owner)
    deliver_events(stack.runtime)
    send_webhooks(closed)
    [tried] = _deliveries(stack, hook["id"])
    assert tried.state == "failed" and tried.last_status is None
    assert "refused" in (tried.last_error or "") and "loopback" in (tried.last_error or "")
    assert receiver.received == []
    # The same server, allowing them: sent.
    _pump_until_sent(stack, hook["id"])
    assert len(receiver.received) == 1


def test_the_api_refuses_private_urls_with_the_setting_off(
    tmp_path: Any, database_url: str
) -> None:
    closed = Settings(
        data_dir=tmp_path / "closed",
        database_url=database_url,
        embedded_worker=False,
        secret_key="accord-tests-secret-key-not-for-production",
    )
    with running_stack(closed) as stack:
        owner = Factory(stack).owner()
        with stack.client(owner.token) as client:
            for url in (
                "http://127.0.0.1:9/",
                "http://localhost/",
                "http://[::1]/",
                "http://[::ffff:127.0.0.1]/",
                "http://10.1.2.3/",
                "http://169.254.169.254/latest/meta-data/",
                "http://100.64.0.1/",
                "http://0.0.0.0/",
            ):
                refused = client.post(
                    f"/api/v1/organizations/{owner.organization_id}/webhooks", json={"url": url}
                )
                assert refused.status_code == 422, (url, refused.text)
                assert "ACCORD_WEBHOOK_ALLOW_PRIVATE" in refused.json()["message"], url
            public = client.post(
                f"/api/v1/organizations/{owner.organization_id}/webhooks",
                json={"url": "https://93.184.215.14/hook"},
            )
            assert public.status_code == 201, public.text


def test_the_secret_is_shown_once_and_sealed_in_the_database(
    stack: Stack, factory: Factory, receiver: Receiver
) -> None:
    owner = factory.owner()
    hook = _create(stack, owner, receiver.url)
    secret = hook["secret"]
    assert secret.startswith("whsec_") and len(sdk_webhooks._key(secret)) == 32
    with stack.client(owner.token) as client:
        answers = [
            client.get(f"/api/v1/webhooks/{hook['id']}"),
            client.get(f"/api/v1/organizations/{owner.organization_id}/webhooks"),
            client.patch(f"/api/v1/webhooks/{hook['id']}", json={"description": "x"}),
        ]
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert "secret" not in answer.text and secret[6:] not in answer.text
    with stack.runtime.db.session() as session:
        raw = session.execute(
            text("SELECT secret_encrypted FROM webhooks WHERE id = :id"), {"id": hook["id"]}
        ).scalar_one()
    assert secret not in raw and secret[6:] not in raw
    assert stack.runtime.secret_box.open(raw) == secret
    # Rotation: a new secret, shown once; the next message is signed with it only.
    with stack.client(owner.token) as client:
        rotated = client.post(f"/api/v1/webhooks/{hook['id']}/rotate-secret")
        assert rotated.status_code == 200, rotated.text
        client.post(f"/api/v1/webhooks/{hook['id']}/ping")
    fresh = rotated.json()["secret"]
    assert fresh != secret and fresh.startswith("whsec_")
    receiver.up()
    send_webhooks(stack.runtime)
    [got] = receiver.received
    assert _verified(fresh, got)["type"] == "webhook.ping"
    with pytest.raises(sdk_webhooks.InvalidSignature):
        sdk_webhooks.verify(secret, got.headers, got.body)


def test_another_organizations_webhooks_are_not_found(
    stack: Stack, factory: Factory, receiver: Receiver
) -> None:
    owner = factory.owner("Acme")
    hook = _create(stack, owner, receiver.url)
    with stack.client(owner.token) as client:
        ping = client.post(f"/api/v1/webhooks/{hook['id']}/ping").json()
    outsider = factory.owner("Elsewhere")
    elsewhere = factory.project(outsider)["id"]
    with stack.client(outsider.token) as client:
        for method, path in (
            ("GET", f"/api/v1/webhooks/{hook['id']}"),
            ("PATCH", f"/api/v1/webhooks/{hook['id']}"),
            ("DELETE", f"/api/v1/webhooks/{hook['id']}"),
            ("POST", f"/api/v1/webhooks/{hook['id']}/rotate-secret"),
            ("POST", f"/api/v1/webhooks/{hook['id']}/ping"),
            ("GET", f"/api/v1/webhooks/{hook['id']}/deliveries"),
            ("POST", f"/api/v1/deliveries/{ping['id']}/redeliver"),
            ("GET", f"/api/v1/organizations/{owner.organization_id}/webhooks"),
            ("POST", f"/api/v1/organizations/{owner.organization_id}/webhooks"),
        ):
            body = {"url": receiver.url} if method in ("POST", "PATCH") else None
            answer = client.request(method, path, json=body)
            assert answer.status_code == 404, (method, path, answer.text)
            assert answer.json()["code"] == "not_found"
    # A project of another organization cannot scope a webhook.
    with stack.client(owner.token) as client:
        refused = client.post(
            f"/api/v1/organizations/{owner.organization_id}/webhooks",
            json={"url": receiver.url, "project_id": elsewhere},
        )
    assert refused.status_code == 422 and "project_id" in refused.json()["message"]
    # Nor do another organization's events reach the webhook.
    receiver.up()
    factory.project(outsider)
    _pump_until_sent(stack, hook["id"])
    assert [_verified(hook["secret"], r)["type"] for r in receiver.received] == ["webhook.ping"]


def test_project_scope_and_event_kinds_filter_what_is_sent(
    stack: Stack, factory: Factory, receiver: Receiver
) -> None:
    owner = factory.owner()
    mine = factory.project(owner)["id"]
    other = factory.project(owner)["id"]
    hook = _create(
        stack, owner, receiver.url, project_id=mine, events=["project.updated", "task.created"]
    )
    assert hook["project_id"] == mine
    with stack.client(owner.token) as client:
        for project in (other, mine):
            assert client.patch(f"/api/v1/projects/{project}", json={"name": "n"}).is_success
    factory.import_tasks(owner, other, [{"image": "x.png"}])
    factory.import_tasks(owner, mine, [{"image": "y.png"}])
    receiver.up()
    _pump_until_sent(stack, hook["id"])
    bodies = [_verified(hook["secret"], r) for r in receiver.received]
    assert [b["type"] for b in bodies] == ["project.updated", "task.created"]
    assert {b["data"]["project_id"] for b in bodies} == {mine}
    # Unknown kinds are refused; "*" stands for all.
    with stack.client(owner.token) as client:
        bad = client.patch(f"/api/v1/webhooks/{hook['id']}", json={"events": ["task.exploded"]})
        assert bad.status_code == 422 and "task.exploded" in bad.json()["message"]
        every = client.patch(
            f"/api/v1/webhooks/{hook['id']}", json={"events": ["*", "task.created"]}
        )
        assert every.json()["events"] == ["*"]
        whole = client.patch(f"/api/v1/webhooks/{hook['id']}", json={"project_id": None})
        assert whole.json()["project_id"] is None


def test_inactive_and_deleted_webhooks_get_nothing(
    stack: Stack, factory: Factory, receiver: Receiver
) -> None:
    owner = factory.owner()
    hook = _create(stack, owner, receiver.url, active=False)
    gone = _create(stack, owner, receiver.url)
    with stack.client(owner.token) as client:
        assert client.delete(f"/api/v1/webhooks/{gone['id']}").status_code == 204
        assert client.get(f"/api/v1/webhooks/{gone['id']}").status_code == 404
    factory.project(owner)
    receiver.up()
    _pump(stack)
    assert receiver.received == [] and _deliveries(stack, hook["id"]) == []


def test_a_failing_subscriber_does_not_hold_up_the_webhooks(
    stack: Stack, factory: Factory, receiver: Receiver
) -> None:
    owner = factory.owner()
    hook = _create(stack, owner, receiver.url)
    subscribers = default_subscribers()

    def broken(session: Any, events: Any) -> None:
        raise RuntimeError("this subscriber is broken")

    subscribers.register("broken", broken, kinds=set(EventKind))
    factory.project(owner)
    deliver_events(stack.runtime, subscribers=subscribers)
    receiver.up()
    send_webhooks(stack.runtime)
    assert [_verified(hook["secret"], r)["type"] for r in receiver.received] == ["project.created"]
    with stack.runtime.db.session() as session:
        kept = backlog(session, subscriber="broken")
        assert len(kept) == 1 and "broken" in (kept[0].error or "")


def test_a_delivery_is_claimed_by_one_sender(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    hook = _create(stack, owner, "https://93.184.215.14/hook")
    with stack.client(owner.token) as client:
        ping = client.post(f"/api/v1/webhooks/{hook['id']}/ping").json()
    now = utcnow()
    with stack.runtime.db.transaction() as session:
        assert webhooks.due_deliveries(session, now=now, limit=10) == [ping["id"]]
        first = webhooks.claim_delivery(
            session, delivery_id=ping["id"], now=now, lease=timedelta(minutes=1)
        )
        assert first is not None and first.message_id == ping["message_id"]
        # Another sender, a moment later: already taken, and no longer due.
        again = webhooks.claim_delivery(
            session, delivery_id=ping["id"], now=now, lease=timedelta(minutes=1)
        )
        assert again is None
        assert webhooks.due_deliveries(session, now=now, limit=10) == []
        # Its sender died: once the lease is over, it is due again (at least once).
        later = now + timedelta(minutes=2)
        assert webhooks.due_deliveries(session, now=later, limit=10) == [ping["id"]]


def test_the_secret_key_is_required_on_postgresql(tmp_path: Any, database_url: str) -> None:
    bare = Settings(data_dir=tmp_path / "bare", database_url=database_url, embedded_worker=False)
    with running_stack(bare) as stack:
        owner = Factory(stack).owner()
        with stack.client(owner.token) as client:
            made = client.post(
                f"/api/v1/organizations/{owner.organization_id}/webhooks",
                json={"url": "https://93.184.215.14/hook"},
            )
    if database_url.startswith("sqlite"):  # the embedded default makes and keeps one
        assert made.status_code == 201, made.text
        assert (tmp_path / "bare" / "secret_key").is_file()
    else:
        assert made.status_code == 503, made.text
        assert "ACCORD_SECRET_KEY" in made.json()["message"]
        assert not (tmp_path / "bare" / "secret_key").exists()
