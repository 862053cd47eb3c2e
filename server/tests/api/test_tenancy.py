"""Another organization's ids answer 404 for every resource type, never 403 or data."""

from __future__ import annotations

import io

from PIL import Image

from support import Factory, Stack


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), "red").save(out, format="PNG")
    return out.getvalue()


def test_every_resource_of_another_tenant_is_404(stack: Stack, factory: Factory) -> None:
    alice = factory.owner("Alice")
    annotator = factory.member(alice, "annotator")
    project = factory.project(alice)
    pid = project["id"]
    with stack.client(alice.token) as client:
        upload = client.post(
            f"/api/v1/projects/{pid}/imports/files",
            files=[("files", ("a.png", _png(), "image/png"))],
        )
        assert upload.status_code == 202, upload.text
        job_id = upload.json()["id"]
    stack.run_jobs()
    with stack.client(annotator.token) as client:
        lease = client.post(f"/api/v1/projects/{pid}/next").json()
        task = lease["task"]
        ann = client.post(
            f"/api/v1/tasks/{task['id']}/annotations",
            json={
                "id": "a1",
                "result": [
                    {
                        "id": "r",
                        "tool": "objects",
                        "type": "bbox",
                        "label": "car",
                        "geometry": {"x": 1, "y": 1, "width": 5, "height": 5},
                    }
                ],
            },
        )
        assert ann.status_code == 201, ann.text
    media = task["data"]["image"]
    org = alice.organization_id
    task_id, ann_id = task["id"], ann.json()["id"]

    mallory = factory.owner("Mallory")
    requests = [
        ("GET", f"/api/v1/organizations/{org}", None),
        ("GET", f"/api/v1/organizations/{org}/members", None),
        (
            "POST",
            f"/api/v1/organizations/{org}/members",
            {"email": "m@x.io", "role": "owner", "password": "12345678"},
        ),
        ("PATCH", f"/api/v1/organizations/{org}/members/{alice.user.id}", {"role": "annotator"}),
        ("DELETE", f"/api/v1/organizations/{org}/members/{alice.user.id}", None),
        ("GET", f"/api/v1/projects/{pid}", None),
        ("PATCH", f"/api/v1/projects/{pid}", {"name": "pwned"}),
        ("DELETE", f"/api/v1/projects/{pid}", None),
        ("GET", f"/api/v1/projects/{pid}/progress", None),
        ("GET", f"/api/v1/projects/{pid}/tasks", None),
        ("POST", f"/api/v1/projects/{pid}/tasks/bulk", {"task_ids": [task_id], "delete": True}),
        ("POST", f"/api/v1/projects/{pid}/imports", {"tasks": [{"image": "x"}]}),
        ("POST", f"/api/v1/projects/{pid}/next", None),
        ("GET", f"/api/v1/projects/{pid}/annotations", None),
        ("GET", media, None),
        ("GET", f"/api/v1/tasks/{task_id}", None),
        ("DELETE", f"/api/v1/tasks/{task_id}", None),
        ("GET", f"/api/v1/tasks/{task_id}/predictions", None),
        ("GET", f"/api/v1/tasks/{task_id}/annotations", None),
        ("POST", f"/api/v1/tasks/{task_id}/skip", None),
        ("PUT", f"/api/v1/tasks/{task_id}/draft", {"draft": {}}),
        ("POST", f"/api/v1/tasks/{task_id}/annotations", {"id": "x", "result": []}),
        ("GET", f"/api/v1/annotations/{ann_id}", None),
        ("PATCH", f"/api/v1/annotations/{ann_id}", {"result": []}),
        ("DELETE", f"/api/v1/annotations/{ann_id}", None),
        ("GET", f"/api/v1/annotations/{ann_id}/revisions", None),
        ("GET", f"/api/v1/jobs/{job_id}", None),
        ("POST", f"/api/v1/jobs/{job_id}/cancel", None),
    ]
    with stack.client(mallory.token) as client:
        for method, url, body in requests:
            response = client.request(method, url, json=body)
            assert response.status_code == 404, (method, url, response.status_code, response.text)
            assert response.json()["code"] == "not_found"
        assert client.get("/api/v1/projects").json() == []
    # Nothing changed.
    with stack.client(alice.token) as client:
        assert client.get(f"/api/v1/projects/{pid}").json()["name"] == project["name"]
        assert client.get(f"/api/v1/tasks/{task_id}").status_code == 200
        assert client.get(f"/api/v1/annotations/{ann_id}").status_code == 200


def test_annotator_sees_only_tasks_handed_to_them(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    factory.import_tasks(owner, project["id"], [{"image": "a"}, {"image": "b"}])
    annotator = factory.member(owner, "annotator")
    with stack.client(annotator.token) as client:
        assert client.get(f"/api/v1/projects/{project['id']}/tasks").status_code == 403
        task_id = client.post(f"/api/v1/projects/{project['id']}/next").json()["task"]["id"]
        assert client.get(f"/api/v1/tasks/{task_id}").status_code == 200
        other = task_id + 1 if task_id == 1 else task_id - 1
        assert client.get(f"/api/v1/tasks/{other}").status_code == 404
