"""The data manager's table, batches, bulk actions, stats and live schema validation."""

from __future__ import annotations

from typing import Any

from support import TEXT_SCHEMA, Factory, Member, Stack

CLASSES = {
    "media": "text",
    "tools": [
        {"name": "ner", "type": "span", "labels": ["PER", "LOC"]},
        {"name": "topic", "type": "classification", "choices": ["sport", "news"]},
    ],
}


def _annotate(stack: Stack, member: Member, project_id: int, result: list[dict[str, Any]]) -> int:
    with stack.client(member.token) as client:
        task = client.post(f"/api/v1/projects/{project_id}/next").json()["task"]
        r = client.post(
            f"/api/v1/tasks/{task['id']}/annotations",
            json={"id": f"a{task['id']}", "result": result, "lead_time": 3.0},
        )
        assert r.status_code == 201, r.text
        return int(task["id"])


def test_table_filters_sort_window_and_total(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=CLASSES, overlap=1)
    pid = project["id"]
    tasks = [
        {
            "data": {"text": f"Ada in Paris {i}"},
            "priority": i % 3,
            "predictions": [{"score": i / 10, "result": []}],
        }
        for i in range(10)
    ]
    factory.import_tasks(owner, pid, tasks)
    annotator = factory.member(owner, "annotator")
    loc = _annotate(
        stack,
        annotator,
        pid,
        [
            {
                "id": "s",
                "tool": "ner",
                "type": "span",
                "label": "LOC",
                "geometry": {"start": 7, "end": 12},
            }
        ],
    )
    sport = _annotate(
        stack,
        owner,
        pid,
        [{"id": "c", "tool": "topic", "type": "classification", "value": {"choices": ["sport"]}}],
    )
    url = f"/api/v1/projects/{pid}/tasks/table"
    with stack.client(owner.token) as client:
        everything = client.get(url, params={"limit": 4}).json()
        assert everything["total"] == 10 and len(everything["items"]) == 4
        window = client.get(url, params={"offset": 8, "limit": 4}).json()
        assert [t["id"] for t in window["items"]] == [9, 10]
        by_label = client.get(url, params={"label": "LOC"}).json()
        assert [t["id"] for t in by_label["items"]] == [loc] and by_label["total"] == 1
        by_choice = client.get(url, params={"label": "sport"}).json()
        assert [t["id"] for t in by_choice["items"]] == [sport]
        mine = client.get(url, params={"annotator_id": annotator.user.id}).json()
        assert [t["id"] for t in mine["items"]] == [loc]
        assert mine["items"][0]["annotators"] == [annotator.user.id]
        scored = client.get(url, params={"min_score": 0.75}).json()
        assert sorted(t["max_score"] for t in scored["items"]) == [0.8, 0.9]
        done = client.get(url, params={"state": "completed"}).json()
        assert {t["id"] for t in done["items"]} == {loc, sport}
        ordered = client.get(url, params={"sort": "-priority", "limit": 10}).json()["items"]
        assert [t["priority"] for t in ordered] == sorted(
            (t["priority"] for t in ordered), reverse=True
        )
        bad = client.get(url, params={"sort": "colour"})
        assert bad.status_code == 422 and bad.json()["details"]["field"] == "sort"


def test_bulk_move_to_batch_and_list_batches(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT_SCHEMA)
    pid = project["id"]
    factory.import_tasks(owner, pid, [{"text": str(i)} for i in range(5)])
    with stack.client(owner.token) as client:
        r = client.post(
            f"/api/v1/projects/{pid}/tasks/bulk", json={"task_ids": [1, 2, 3], "batch": "urgent"}
        )
        assert r.json() == {"affected": 3}
        batches = client.get(f"/api/v1/projects/{pid}/batches").json()
        assert [(b["name"], b["tasks"]) for b in batches] == [("urgent", 3)]
        batch_id = batches[0]["id"]
        table = client.get(
            f"/api/v1/projects/{pid}/tasks/table", params={"batch_id": batch_id}
        ).json()
        assert table["total"] == 3
        assert client.post(
            f"/api/v1/projects/{pid}/tasks/bulk", json={"task_ids": [4], "priority": 9}
        ).json() == {"affected": 1}
        assert client.post(
            f"/api/v1/projects/{pid}/tasks/bulk", json={"task_ids": [5], "delete": True}
        ).json() == {"affected": 1}
        assert client.get(f"/api/v1/projects/{pid}/tasks/table").json()["total"] == 4


def test_stats(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=CLASSES, overlap=1)
    pid = project["id"]
    factory.import_tasks(owner, pid, [{"text": "Ada in Paris"} for _ in range(3)])
    for choice in ("sport", "sport", "news"):
        _annotate(
            stack,
            owner,
            pid,
            [
                {
                    "id": "c",
                    "tool": "topic",
                    "type": "classification",
                    "value": {"choices": [choice]},
                }
            ],
        )
    with stack.client(owner.token) as client:
        stats = client.get(f"/api/v1/projects/{pid}/stats").json()
    assert stats["labels"] == [
        {"tool": "topic", "label": "sport", "count": 2},
        {"tool": "topic", "label": "news", "count": 1},
    ]
    assert sum(d["annotations"] for d in stats["throughput"]) == 3
    assert stats["annotators"] == [
        {"user_id": owner.user.id, "email": owner.email, "annotations": 3, "mean_lead_time": 3.0}
    ]


def test_live_schema_validation(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    with stack.client(owner.token) as client:
        ok = client.post(
            "/api/v1/label-schemas/validate",
            json={
                "label_schema": "media: image\ntools:\n  - {name: o, type: bbox, labels: [car]}\n"
            },
        )
        assert ok.status_code == 200
        assert ok.json()["media"] == "image"
        assert ok.json()["label_schema"]["tools"][0]["labels"][0]["name"] == "car"
        bad = client.post(
            "/api/v1/label-schemas/validate",
            json={
                "label_schema": "media: image\ntools:\n  - name: o\n    type: bbox\n"
                "    labels: [car, car]\n"
            },
        )
        assert bad.status_code == 422
        error = bad.json()["details"]["errors"][0]
        assert error["path"] == "tools[0].labels" and error["line"] == 5
