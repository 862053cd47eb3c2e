"""client.tasks: transparent pagination, state filter, read, delete, bulk."""

from __future__ import annotations

import pytest
from support import BOX, SCHEMA, Factory, Member, Stack, client_for
from transports import Recorder

from accord import Client, Forbidden, NotFound


def _project_with_tasks(client: Client, n: int) -> int:
    project = client.projects.create("P", SCHEMA)
    client.imports.tasks(
        project.id,
        [{"image": f"https://img.example/{i}.jpg", "i": i} for i in range(n)],
        progress=False,
    )
    return project.id


def test_list_pages_transparently(stack: Stack, owner: Member, client: Client) -> None:
    project_id = _project_with_tasks(client, 23)
    recorder = Recorder()
    with Client(stack.url, owner.token, transport=recorder) as c:
        tasks = list(c.tasks.list(project_id, page_size=5))
    assert [t.data["i"] for t in tasks] == list(range(23))
    assert len({t.id for t in tasks}) == 23
    pages = [r for r in recorder.requests if r.url.path.endswith("/tasks")]
    assert len(pages) == 5  # 5+5+5+5+3: the short page ends it
    assert pages[0].url.params.get("cursor") is None
    assert all(r.url.params["limit"] == "5" for r in pages)


def test_list_exact_multiple_ends_on_an_empty_page(client: Client) -> None:
    project_id = _project_with_tasks(client, 10)
    assert len(list(client.tasks.list(project_id, page_size=5))) == 10


def test_list_is_lazy(client: Client) -> None:
    project_id = _project_with_tasks(client, 12)
    iterator = client.tasks.list(project_id, page_size=4)
    first = next(iterator)
    assert first.data["i"] == 0


def test_list_by_state(client: Client) -> None:
    project_id = _project_with_tasks(client, 6)
    lease = client.queue.next(project_id)
    assert lease is not None
    client.annotations.submit(lease.task.id, [BOX])
    assert [t.id for t in client.tasks.list(project_id, state="completed")] == [lease.task.id]
    assert len(list(client.tasks.list(project_id, state="new", page_size=2))) == 5


def test_get_delete_and_bulk(client: Client) -> None:
    project_id = _project_with_tasks(client, 5)
    ids = [t.id for t in client.tasks.list(project_id)]
    task = client.tasks.get(ids[0])
    assert task.project_id == project_id and task.state == "new"
    assert client.tasks.predictions(ids[0]) == []
    assert client.tasks.annotations(ids[0]) == []
    client.tasks.delete(ids[0])
    try:
        client.tasks.get(ids[0])
        raise AssertionError("expected NotFound")
    except NotFound as exc:
        assert exc.status_code == 404
    assert client.tasks.set_priority(project_id, ids[1:3], 10) == 2
    assert client.tasks.get(ids[1]).priority == 10
    assert client.tasks.delete_many(project_id, ids[3:]) == 2
    assert [t.id for t in client.tasks.list(project_id)] == ids[1:3]


def test_report_list_reported_and_resolve(
    stack: Stack, owner: Member, factory: Factory, client: Client
) -> None:
    project_id = _project_with_tasks(client, 3)
    annotator = factory.member(owner, "annotator")
    with client_for(stack, annotator.token) as worker:
        lease = worker.queue.next(project_id)
        assert lease is not None
        report = worker.tasks.report(lease.task.id, "broken_media", "404 on the bucket")
        assert report.open and report.reason == "broken_media"
        assert report.reporter is not None and report.reporter.id == annotator.user.id
        assert worker.tasks.report(lease.task.id, "broken_media").id == report.id  # idempotent
        with pytest.raises(Forbidden):
            worker.tasks.resolve_reports(lease.task.id)
        served = worker.queue.next(project_id)  # the report ended the lease: another task
        assert served is not None and served.task.id != lease.task.id

    reported = list(client.tasks.list(project_id, reported=True))
    assert [(t.id, t.open_reports) for t in reported] == [(lease.task.id, 1)]
    assert lease.task.id not in {t.id for t in client.tasks.list(project_id, reported=False)}
    progress = client.projects.progress(project_id)
    assert (progress.reported_tasks, progress.open_reports) == (1, 1)
    assert [r.note for r in client.tasks.reports(lease.task.id)] == ["404 on the bucket"]

    fixed = client.tasks.update(lease.task.id, data={"image": "https://img.example/ok.jpg"})
    assert fixed.data == {"image": "https://img.example/ok.jpg"} and fixed.open_reports == 1
    (resolved,) = client.tasks.resolve_reports(lease.task.id, note="re-uploaded")
    assert not resolved.open and resolved.resolution_note == "re-uploaded"
    assert resolved.resolved_by is not None and resolved.resolved_by.id == owner.user.id
    assert client.tasks.resolve_reports(lease.task.id) == []
    assert list(client.tasks.list(project_id, reported=True)) == []
    assert client.tasks.get(lease.task.id).open_reports == 0
    with client_for(stack, annotator.token) as worker:
        assert served is not None
        worker.queue.skip(served.task.id)
        again = worker.queue.next(project_id)  # back in the queue, for its reporter too
        assert again is not None and again.task.id == lease.task.id
        assert again.task.data == {"image": "https://img.example/ok.jpg"}
        with pytest.raises(Forbidden):
            worker.tasks.update(lease.task.id, data={})
