"""client.annotations: idempotent submit with retries, read, update, revisions, delete."""

from __future__ import annotations

from support import BOX, SCHEMA, Member, Stack
from transports import LoseAnswers, ProxyErrors

from accord import Client, ServerError


def _lease_task(client: Client) -> tuple[int, int]:
    project = client.projects.create("P", SCHEMA)
    client.imports.tasks(
        project.id,
        [{"image": "https://img.example/a.jpg"}, {"image": "https://img.example/b.jpg"}],
        progress=False,
    )
    lease = client.queue.next(project.id)
    assert lease is not None
    return project.id, lease.task.id


def test_submit_twice_with_the_same_id_returns_the_same_annotation(client: Client) -> None:
    project_id, task_id = _lease_task(client)
    first = client.annotations.submit(task_id, [BOX], id="my-client-id-1", lead_time=3.0)
    again = client.annotations.submit(task_id, [BOX], id="my-client-id-1", lead_time=3.0)
    assert again.id == first.id
    assert first.client_id == "my-client-id-1"
    assert len(list(client.annotations.list(project_id))) == 1


def test_generated_ids_are_uuid4_hex(client: Client) -> None:
    _, task_id = _lease_task(client)
    annotation = client.annotations.submit(task_id, [BOX])
    assert len(annotation.client_id) == 32
    int(annotation.client_id, 16)


def test_lost_answer_is_retried_with_the_same_id(
    stack: Stack, owner: Member, client: Client
) -> None:
    project_id, task_id = _lease_task(client)
    transport = LoseAnswers("/annotations", times=2)
    with Client(stack.url, owner.token, transport=transport, retry_backoff=0.01) as flaky:
        annotation = flaky.annotations.submit(task_id, [BOX])
    posts = [r for r in transport.requests if r.method == "POST"]
    assert len(posts) == 3
    assert len({r.content for r in posts}) == 1  # the same body, so the same id
    assert [a.id for a in client.annotations.list(project_id)] == [annotation.id]


def test_proxy_503_is_retried(stack: Stack, owner: Member, client: Client) -> None:
    project_id, task_id = _lease_task(client)
    transport = ProxyErrors("/annotations", status=503, times=1)
    with Client(stack.url, owner.token, transport=transport, retry_backoff=0.01) as flaky:
        annotation = flaky.annotations.submit(task_id, [BOX])
    assert len(transport.paths("POST")) == 2
    assert [a.id for a in client.annotations.list(project_id)] == [annotation.id]


def test_retries_give_up_with_server_error(stack: Stack, owner: Member, client: Client) -> None:
    _, task_id = _lease_task(client)
    transport = ProxyErrors("/annotations", status=502, times=10)
    with Client(
        stack.url, owner.token, transport=transport, max_retries=2, retry_backoff=0.01
    ) as flaky:
        try:
            flaky.annotations.submit(task_id, [BOX])
            raise AssertionError("expected ServerError")
        except ServerError as exc:
            assert exc.status_code == 502
            assert "Bad gateway" in exc.message
    assert len(transport.paths("POST")) == 3


def test_update_revisions_get_delete(client: Client) -> None:
    project_id, task_id = _lease_task(client)
    annotation = client.annotations.submit(task_id, [BOX])
    person = {**BOX, "label": "person"}
    updated = client.annotations.update(annotation.id, [person], lead_time=2.0)
    assert updated.revision == 2
    assert updated.result[0]["label"] == "person"
    assert client.annotations.get(annotation.id).result[0]["label"] == "person"
    revisions = client.annotations.revisions(annotation.id)
    assert revisions[0].result[0]["label"] == "car"
    client.annotations.delete(annotation.id)
    assert list(client.annotations.list(project_id)) == []


def test_list_pages(client: Client) -> None:
    project = client.projects.create("P", SCHEMA, overlap=1)
    client.imports.tasks(
        project.id, [{"image": f"https://img.example/{i}.jpg"} for i in range(7)], progress=False
    )
    while (lease := client.queue.next(project.id)) is not None:
        client.annotations.submit(lease.task.id, [BOX])
    annotations = list(client.annotations.list(project.id, page_size=3))
    assert len(annotations) == 7
    assert len({a.task_id for a in annotations}) == 7
