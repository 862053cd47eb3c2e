"""Imports read the sizes of images given by URL when ``import_probe_urls`` is on (a local
HTTP server here, never the internet), and the tasks' shapes are bounds-checked from the
start; off (the default), nothing is fetched."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson
import pytest
from images_http import ImageServer, image_server, jpeg_turned, png
from sqlalchemy import select

from accord_server.db.models import Task
from accord_server.settings import Settings
from scenarios import box, lease
from support import Factory, Stack, running_stack


@pytest.fixture
def web() -> Iterator[ImageServer]:
    with image_server() as server:
        server.files["/a.png"] = png(40, 30)
        server.files["/turned.jpg"] = jpeg_turned(40, 30)
        server.files["/notes.txt"] = b"not an image, only words " * 20
        server.files["/slow.png"] = png(10, 10)
        server.slow.add("/slow.png")
        server.redirects["/to-file"] = "file:///etc/passwd"
        yield server


def _sizes(stack: Stack) -> dict[str, dict[str, Any]]:
    with stack.runtime.db.session(write=False) as session:
        tasks = session.scalars(select(Task).order_by(Task.id))
        return {str(t.data["image"]): t.meta for t in tasks}


def _probing(settings: Settings, **more: Any) -> Settings:
    return settings.model_copy(
        update={"import_probe_urls": True, "import_probe_timeout": 0.5, **more}
    )


def test_an_import_reads_the_sizes_of_image_urls(settings: Settings, web: ImageServer) -> None:
    urls = [web.url(p) for p in ("/a.png", "/turned.jpg", "/missing.png", "/notes.txt")]
    urls += [web.url("/slow.png"), web.url("/to-file"), web.url("/a.png"), "http://127.0.0.1:1/b"]
    # Batches of 2: the uploaded file's rows are not kept, so the write phase reads it again
    # and must give its rows the sizes read before.
    with running_stack(_probing(settings, import_batch_size=2)) as stack:
        factory = Factory(stack)
        owner = factory.owner()
        project = factory.project(owner)
        rows: list[dict[str, Any]] = [{"image": u} for u in urls]
        rows.append({"image": [web.url("/a.png")]})  # not a URL: left alone, no error
        jsonl = b"\n".join(orjson.dumps(r) for r in rows)
        with stack.client(owner.token) as client:
            r = client.post(
                f"/api/v1/projects/{project['id']}/imports/files",
                files=[("files", ("t.jsonl", jsonl))],
            )
            assert r.status_code == 202
            stack.run_jobs()
            job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
        assert job["state"] == "succeeded", job
        assert job["message"] == "imported 9 tasks; read the size of 2 of 7 image URLs"
        assert (job["counts"]["image_urls_probed"], job["counts"]["image_sizes_read"]) == (7, 2)
        sizes = _sizes(stack)
        assert sizes[web.url("/a.png")] == {"width": 40, "height": 30, "size_source": "url"}
        assert sizes[web.url("/turned.jpg")] == {"width": 30, "height": 40, "size_source": "url"}
        for path in ("/missing.png", "/notes.txt", "/slow.png", "/to-file"):
            assert sizes[web.url(path)] == {}, path
        assert web.requests.count("/a.png") == 1  # one read per URL, not per row
        # A shape past the image's edge is refused from the first submit on.
        task_id = int(lease(stack, owner, project["id"])["task"]["id"])
        with stack.client(owner.token) as client:
            outside = box(geometry={"x": 30, "y": 1, "width": 20, "height": 5})
            r = client.post(
                f"/api/v1/tasks/{task_id}/annotations", json={"id": "c1", "result": [outside]}
            )
        assert r.status_code == 422, r.text
        assert (
            "box extends outside the image (x + width = 50.0 > image width 40)"
            in (r.json()["message"])
        )


def test_inline_tasks_kept_from_the_first_phase_get_their_sizes(
    settings: Settings, web: ImageServer
) -> None:
    with running_stack(_probing(settings)) as stack:
        factory = Factory(stack)
        owner = factory.owner()
        project = factory.project(owner)
        job = factory.import_tasks(owner, project["id"], [{"image": web.url("/a.png")}])
        assert job["counts"]["image_sizes_read"] == 1
        assert _sizes(stack)[web.url("/a.png")]["width"] == 40


def test_at_most_import_probe_max_urls_are_read(settings: Settings, web: ImageServer) -> None:
    web.files["/b.png"] = png(5, 5)
    with running_stack(_probing(settings, import_probe_max=1)) as stack:
        factory = Factory(stack)
        owner = factory.owner()
        project = factory.project(owner)
        tasks = [{"image": web.url("/a.png")}, {"image": web.url("/b.png")}]
        job = factory.import_tasks(owner, project["id"], tasks)
        assert job["message"] == "imported 2 tasks; read the size of 1 of 1 image URL"
        assert web.requests == ["/a.png"]
        assert _sizes(stack)[web.url("/b.png")] == {}


def test_off_by_default_nothing_is_fetched(
    stack: Stack, factory: Factory, web: ImageServer
) -> None:
    assert stack.settings.import_probe_urls is False
    owner = factory.owner()
    project = factory.project(owner)
    job = factory.import_tasks(owner, project["id"], [{"image": web.url("/a.png")}])
    assert job["message"] == "imported 1 task"
    assert "image_urls_probed" not in job["counts"]
    assert web.requests == []
    assert _sizes(stack)[web.url("/a.png")] == {}
