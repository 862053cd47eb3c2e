"""The worker's delivery loop: events recorded by requests reach the subscribers by themselves."""

from __future__ import annotations

import time

from sqlalchemy import select

from accord_server.db.models import Event, ProjectStats
from accord_server.jobs.events import DeliveryLoop
from support import Factory, Stack


def test_the_loop_delivers_what_requests_record(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    pid = factory.project(owner)["id"]
    factory.import_tasks(owner, pid, [{"image": "https://example.com/a.png"}])
    with stack.client(owner.token) as client:
        task = client.post(f"/api/v1/projects/{pid}/next").json()["task"]
        region = {"id": "q", "tool": "quality", "type": "classification"}
        region["value"] = {"choices": ["sharp"]}
        r = client.post(
            f"/api/v1/tasks/{task['id']}/annotations", json={"id": "x", "result": [region]}
        )
        assert r.status_code == 201, r.text
    loop = DeliveryLoop(stack.runtime, interval=0.05)
    loop.start()
    try:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with stack.runtime.db.session() as session:
                waiting = session.scalar(select(Event.id).where(Event.delivered_at.is_(None)))
                built = session.get(ProjectStats, pid) is not None
            if waiting is None and built:
                break
            time.sleep(0.05)
    finally:
        loop.stop()
    assert waiting is None and built
    with stack.runtime.db.session() as session:
        kinds = session.scalars(select(Event.kind).order_by(Event.id)).all()
    assert kinds[-1] == "task.completed"  # derived by the loop's delivery, and delivered too
    with stack.client(owner.token) as client:
        stats = client.get(f"/api/v1/projects/{pid}/stats").json()
    assert stats["labels"] == [{"tool": "quality", "label": "sharp", "count": 1}]
