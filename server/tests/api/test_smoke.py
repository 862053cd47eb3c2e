from __future__ import annotations

from support import Factory, Stack


def test_health_and_root_answer(stack: Stack) -> None:
    with stack.client() as client:
        assert client.get("/api/v1/health").json()["status"] == "ok"
        root = client.get("/")
        assert root.status_code == 200


def test_round_trip(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    tasks = [{"image": f"https://example.com/{i}.jpg"} for i in range(5)]
    job = factory.import_tasks(owner, project["id"], tasks)
    assert job["counts"]["tasks"] == 5
    with stack.client(owner.token) as client:
        lease = client.post(f"/api/v1/projects/{project['id']}/next")
        assert lease.status_code == 200, lease.text
        task_id = lease.json()["task"]["id"]
        body = {
            "id": "c1",
            "result": [
                {
                    "id": "r1",
                    "tool": "objects",
                    "type": "bbox",
                    "label": "car",
                    "geometry": {"x": 1, "y": 2, "width": 3, "height": 4},
                }
            ],
        }
        first = client.post(f"/api/v1/tasks/{task_id}/annotations", json=body)
        assert first.status_code == 201, first.text
        again = client.post(f"/api/v1/tasks/{task_id}/annotations", json=body)
        assert again.status_code == 200
        assert again.json()["id"] == first.json()["id"]
        progress = client.get(f"/api/v1/projects/{project['id']}/progress").json()
        assert progress["completed"] == 1 and progress["tasks"] == 5
