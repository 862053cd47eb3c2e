"""PUT /tasks/{id}/media-size: the size of an image imported by URL, reported by the workspace
that loaded it, recorded once (checked against the stored file when there is one), and then
the bounds every shape on the task is checked against."""

from __future__ import annotations

import io
import threading
import uuid
from typing import Any

import boto3
import pytest
from PIL import Image
from sqlalchemy import select, update

from accord_server.db.models import Task
from accord_server.settings import Settings
from scenarios import box, lease
from support import TEXT_SCHEMA, Factory, Member, Stack, running_stack


def _size(stack: Stack, member: Member, task_id: int, width: Any, height: Any) -> Any:
    with stack.client(member.token) as client:
        return client.put(
            f"/api/v1/tasks/{task_id}/media-size", json={"width": width, "height": height}
        )


def _meta(stack: Stack, task_id: int) -> dict[str, Any]:
    with stack.runtime.db.session(write=False) as session:
        return dict(session.scalar(select(Task.meta).where(Task.id == task_id)) or {})


def _url_task(stack: Stack, factory: Factory) -> tuple[Member, Member, int]:
    """An owner, an annotator, and the task imported by URL the annotator now holds."""
    owner = factory.owner()
    project = factory.project(owner)
    factory.import_tasks(owner, project["id"], [{"image": "https://images.example/a.jpg"}])
    annotator = factory.member(owner, "annotator")
    task_id = int(lease(stack, annotator, project["id"])["task"]["id"])
    return owner, annotator, task_id


def _submit(stack: Stack, member: Member, task_id: int, region: dict[str, Any], cid: str) -> Any:
    with stack.client(member.token) as client:
        return client.post(
            f"/api/v1/tasks/{task_id}/annotations", json={"id": cid, "result": [region]}
        )


def test_a_reported_size_bounds_the_shapes_of_a_task_imported_by_url(
    stack: Stack, factory: Factory
) -> None:
    _, annotator, task_id = _url_task(stack, factory)
    assert _meta(stack, task_id) == {}
    r = _size(stack, annotator, task_id, 100, 80)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "task_id": task_id,
        "width": 100,
        "height": 80,
        "source": "client",
        "recorded": True,
    }
    assert _meta(stack, task_id) == {"width": 100, "height": 80, "size_source": "client"}
    # The box reaches past the right edge: refused, as on an uploaded image of that size.
    outside = box(geometry={"x": 90, "y": 10, "width": 20, "height": 10})
    r = _submit(stack, annotator, task_id, outside, "c1")
    assert r.status_code == 422, r.text
    assert r.json()["message"] == (
        'result[0] (region "b1").geometry: box extends outside the image '
        "(x + width = 110.0 > image width 100)"
    )
    inside = box(geometry={"x": 80, "y": 10, "width": 20, "height": 10})
    assert _submit(stack, annotator, task_id, inside, "c2").status_code == 201


def test_the_first_size_wins_and_is_never_overwritten(stack: Stack, factory: Factory) -> None:
    owner, annotator, task_id = _url_task(stack, factory)
    assert _size(stack, annotator, task_id, 100, 80).json()["recorded"] is True
    again = _size(stack, owner, task_id, 100, 80)
    assert again.status_code == 200 and again.json()["recorded"] is False
    other = _size(stack, owner, task_id, 800, 600)
    assert other.status_code == 409, other.text
    assert other.json()["message"] == (
        f"task {task_id}: its image is already known to be 100 x 80; 800 x 600 is not recorded"
    )
    assert other.json()["details"] == {"width": 100, "height": 80}
    assert _meta(stack, task_id) == {"width": 100, "height": 80, "size_source": "client"}


def test_concurrent_reports_record_one_size(stack: Stack, factory: Factory) -> None:
    owner, _, task_id = _url_task(stack, factory)
    sizes = [(100 + i, 80) for i in range(6)]
    barrier = threading.Barrier(len(sizes))
    answers: dict[tuple[int, int], int] = {}

    def report(size: tuple[int, int]) -> None:
        with stack.client(owner.token) as client:
            barrier.wait()
            r = client.put(
                f"/api/v1/tasks/{task_id}/media-size", json={"width": size[0], "height": size[1]}
            )
        answers[size] = r.status_code

    threads = [threading.Thread(target=report, args=(s,)) for s in sizes]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    winners = [s for s, status in answers.items() if status == 200]
    assert len(winners) == 1, answers
    assert sorted(answers.values()) == [200] + [409] * (len(sizes) - 1)
    meta = _meta(stack, task_id)
    assert (meta["width"], meta["height"]) == winners[0]


def _png(width: int, height: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "green").save(out, format="PNG")
    return out.getvalue()


def test_a_stored_image_is_checked_against_its_file(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    with stack.client(owner.token) as client:
        r = client.post(
            f"/api/v1/projects/{project['id']}/imports/files",
            files=[("files", ("a.png", _png(32, 24), "image/png"))],
        )
        assert r.status_code == 202
        stack.run_jobs()
        stored = client.get(f"/api/v1/projects/{project['id']}/tasks").json()["items"][0]
    factory.import_tasks(owner, project["id"], [{"image": stored["data"]["image"]}])
    with stack.runtime.db.transaction() as session:
        by_url = session.scalar(select(Task.id).where(Task.media_key.is_(None)))
        # An upload whose size was never recorded (as if from before sizes were kept).
        session.execute(update(Task).where(Task.id == stored["id"]).values(meta={"mime": "x"}))
    for task_id in (stored["id"], by_url):
        assert task_id is not None
        bogus = _size(stack, owner, task_id, 999, 999)
        assert bogus.status_code == 422, bogus.text
        assert bogus.json()["message"] == "width: the stored image is 32 x 24, not 999 x 999"
        assert "width" not in _meta(stack, task_id)
        right = _size(stack, owner, task_id, 32, 24)
        assert right.status_code == 200 and right.json()["source"] == "file"
        assert _meta(stack, task_id)["size_source"] == "file"


def test_an_image_stored_in_s3_is_checked_against_its_file(
    settings: Settings, s3_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in (("AWS_ACCESS_KEY_ID", "t"), ("AWS_SECRET_ACCESS_KEY", "t")):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    bucket = f"media-{uuid.uuid4().hex[:8]}"
    boto3.client("s3", endpoint_url=s3_endpoint).create_bucket(Bucket=bucket)
    configured = settings.model_copy(
        update={"s3_endpoint_url": s3_endpoint, "storage_url": f"s3://{bucket}/accord"}
    )
    with running_stack(configured) as stack:
        factory = Factory(stack)
        owner = factory.owner()
        project = factory.project(owner)
        with stack.client(owner.token) as client:
            r = client.post(
                f"/api/v1/projects/{project['id']}/imports/files",
                files=[("files", ("a.png", _png(32, 24), "image/png"))],
            )
            assert r.status_code == 202
            stack.run_jobs()
            task_id = client.get(f"/api/v1/projects/{project['id']}/tasks").json()["items"][0]["id"]
        with stack.runtime.db.transaction() as session:
            session.execute(update(Task).where(Task.id == task_id).values(meta={}))
        bogus = _size(stack, owner, task_id, 320, 240)
        assert bogus.status_code == 422
        assert bogus.json()["message"] == "width: the stored image is 32 x 24, not 320 x 240"
        assert _size(stack, owner, task_id, 32, 24).json()["source"] == "file"


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [
        (0, 80, "width: must be a whole number of pixels from 1 to 65,535, not 0"),
        (100, -3, "height: must be a whole number of pixels from 1 to 65,535, not -3"),
        (70_000, 80, "width: must be a whole number of pixels from 1 to 65,535, not 70000"),
        (
            60_000,
            60_000,
            "width: an image of 60000 x 60000 has 3,600,000,000 pixels, more than the "
            "178,956,970 an image may have here",
        ),
    ],
)
def test_absurd_sizes_are_refused(
    stack: Stack, factory: Factory, width: int, height: int, message: str
) -> None:
    _, annotator, task_id = _url_task(stack, factory)
    r = _size(stack, annotator, task_id, width, height)
    assert r.status_code == 422 and r.json()["message"] == message
    assert _meta(stack, task_id) == {}


def test_who_may_report(stack: Stack, factory: Factory) -> None:
    owner, annotator, task_id = _url_task(stack, factory)
    # Another organization's owner, an annotator the task was not handed to, and a reviewer
    # (who sees it but may not annotate it): NotFound, and nothing recorded.
    outsider = factory.owner("Elsewhere")
    for caller in (outsider, factory.member(owner, "annotator"), factory.member(owner, "reviewer")):
        r = _size(stack, caller, task_id, 100, 80)
        assert r.status_code == 404 and r.json()["code"] == "not_found", r.text
    assert _meta(stack, task_id) == {}
    assert _size(stack, owner, 10**9, 100, 80).status_code == 404
    text = factory.project(owner, TEXT_SCHEMA)
    factory.import_tasks(owner, text["id"], [{"text": "hello"}])
    text_task = int(lease(stack, annotator, text["id"])["task"]["id"])
    r = _size(stack, annotator, text_task, 100, 80)
    assert r.status_code == 422
    assert r.json()["message"] == (
        f"task {text_task} is a text task: only an image has a size to record"
    )


def test_the_pixel_limit_is_the_servers(settings: Settings) -> None:
    with running_stack(settings.model_copy(update={"max_image_pixels": 10_000})) as stack:
        factory = Factory(stack)
        _, annotator, task_id = _url_task(stack, factory)
        assert _size(stack, annotator, task_id, 101, 100).status_code == 422
        assert _size(stack, annotator, task_id, 100, 100).status_code == 200
