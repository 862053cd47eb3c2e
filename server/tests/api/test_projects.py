"""Projects: schema validation on save, refusing changes that orphan used labels, settings."""

from __future__ import annotations

from sqlalchemy import select

from accord_server.db.models import Project, Task
from support import IMAGE_SCHEMA, Factory, Stack

DUPLICATE = """\
media: image
tools:
  - name: objects
    type: bbox
    labels: [car, person]
  - name: more
    type: polygon
    labels: [car, bike, car]
"""


def test_schema_error_names_the_path(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    with stack.client(owner.token) as client:
        r = client.post("/api/v1/projects", json={"name": "P", "label_schema": DUPLICATE})
    assert r.status_code == 422
    body = r.json()
    assert body["code"] == "invalid"
    assert body["message"].startswith('tools[1].labels: duplicate label "car"')
    assert body["details"]["errors"][0]["path"] == "tools[1].labels"
    with stack.runtime.db.session() as session:
        assert session.scalar(select(Project.id)) is None


def test_create_read_update_delete(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, overlap=2, instructions="# Hi", blind=False)
    assert project["media"] == "image" and project["overlap"] == 2 and not project["blind"]
    pid = project["id"]
    with stack.client(owner.token) as client:
        assert [p["id"] for p in client.get("/api/v1/projects").json()] == [pid]
        r = client.patch(f"/api/v1/projects/{pid}", json={"name": "Renamed", "lease_minutes": 5})
        assert r.status_code == 200 and r.json()["name"] == "Renamed"
        assert r.json()["lease_minutes"] == 5 and r.json()["overlap"] == 2
        bad = client.patch(f"/api/v1/projects/{pid}", json={"overlap": 0})
        assert bad.status_code == 422 and bad.json()["message"].startswith("overlap")
        unknown = client.patch(f"/api/v1/projects/{pid}", json={"colour": "red"})
        assert unknown.status_code == 422 and "colour" in unknown.json()["message"]
        assert client.delete(f"/api/v1/projects/{pid}").status_code == 204
        assert client.get(f"/api/v1/projects/{pid}").status_code == 404


def test_roles_below_manager_cannot_create_or_change(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    for role in ("reviewer", "annotator"):
        member = factory.member(owner, role)
        with stack.client(member.token) as client:
            r = client.post("/api/v1/projects", json={"name": "x", "label_schema": IMAGE_SCHEMA})
            assert r.status_code == 403 and r.json()["code"] == "forbidden"
            r = client.patch(f"/api/v1/projects/{project['id']}", json={"name": "x"})
            assert r.status_code == 403
            assert client.get(f"/api/v1/projects/{project['id']}").status_code == 200
    manager = factory.member(owner, "manager")
    with stack.client(manager.token) as client:
        r = client.patch(f"/api/v1/projects/{project['id']}", json={"name": "ok"})
        assert r.status_code == 200


def _annotate(stack: Stack, token: str, project_id: int, label: str) -> None:
    with stack.client(token) as client:
        task = client.post(f"/api/v1/projects/{project_id}/next").json()["task"]
        r = client.post(
            f"/api/v1/tasks/{task['id']}/annotations",
            json={
                "id": f"c-{task['id']}",
                "result": [
                    {
                        "id": "r1",
                        "tool": "objects",
                        "type": "bbox",
                        "label": label,
                        "geometry": {"x": 0, "y": 0, "width": 1, "height": 1},
                    }
                ],
            },
        )
        assert r.status_code == 201, r.text


def test_schema_change_that_orphans_used_labels_is_refused(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    pid = project["id"]
    factory.import_tasks(owner, pid, [{"image": "a"}, {"image": "b"}])
    _annotate(stack, owner.token, pid, "car")
    without_car = {
        "media": "image",
        "tools": [
            {"name": "objects", "type": "bbox", "labels": ["person", "bike"]},
            {"name": "outline", "type": "polygon", "labels": ["car", "person"]},
            {"name": "quality", "type": "classification", "choices": ["sharp", "blurry"]},
        ],
    }
    with stack.client(owner.token) as client:
        r = client.patch(f"/api/v1/projects/{pid}", json={"label_schema": without_car})
        assert r.status_code == 409
        assert r.json()["message"] == (
            'label_schema: the change would orphan labels in use: objects: "car" (1 annotation)'
        )
        assert (
            client.get(f"/api/v1/projects/{pid}").json()["label_schema"]["tools"][0]["labels"][0][
                "name"
            ]
            == "car"
        )
        # Removing an unused label, or adding one, is fine.
        unused_gone = {
            **without_car,
            "tools": [
                {"name": "objects", "type": "bbox", "labels": ["car", "person", "truck"]},
                *without_car["tools"][1:],
            ],
        }
        ok = client.patch(f"/api/v1/projects/{pid}", json={"label_schema": unused_gone})
        assert ok.status_code == 200, ok.text
        # Changing the type of a tool in use is refused as well.
        retyped = {
            **unused_gone,
            "tools": [
                {"name": "objects", "type": "polygon", "labels": ["car", "person", "truck"]},
                *unused_gone["tools"][1:],
            ],
        }
        r = client.patch(f"/api/v1/projects/{pid}", json={"label_schema": retyped})
        assert r.status_code == 409 and 'tool "objects"' in r.json()["message"]


def test_overlap_change_moves_open_slots(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, overlap=1)
    pid = project["id"]
    factory.import_tasks(owner, pid, [{"image": "a"}])
    _annotate(stack, owner.token, pid, "car")
    annotator = factory.member(owner, "annotator")
    with stack.client(annotator.token) as client:
        assert client.post(f"/api/v1/projects/{pid}/next").status_code == 204
    with stack.client(owner.token) as client:
        assert client.patch(f"/api/v1/projects/{pid}", json={"overlap": 2}).status_code == 200
        assert (
            client.get(f"/api/v1/projects/{pid}/tasks").json()["items"][0]["state"] == "in_progress"
        )
    with stack.client(annotator.token) as client:
        assert client.post(f"/api/v1/projects/{pid}/next").status_code == 200
    with stack.runtime.db.session() as session:
        assert session.scalar(select(Task.open_slots)) == 0


LABEL_STUDIO_CONFIG = """<View>
  <Image name="image" value="$image"/>
  <RectangleLabels name="label" toName="image">
    <Label value="Car" background="#FF0000"/>
    <Label value="Person"/>
  </RectangleLabels>
</View>"""


def test_a_label_studio_project_moves_over_config_and_predictions(
    stack: Stack, factory: Factory
) -> None:
    # The config is pasted as the schema; Label Studio tasks with predictions are imported;
    # the predictions land on the tool named like their from_name.
    owner = factory.owner()
    project = factory.project(owner, schema=LABEL_STUDIO_CONFIG)
    assert project["label_schema"]["tools"][0]["name"] == "label"
    assert project["schema_source"].startswith("media: image\ntools:\n- name: label\n")
    prediction = {
        "model_version": "yolo",
        "score": 0.9,
        "result": [
            {
                "id": "a1",
                "from_name": "label",
                "to_name": "image",
                "type": "rectanglelabels",
                "original_width": 640,
                "original_height": 480,
                "value": {"x": 10, "y": 10, "width": 20, "height": 20, "rectanglelabels": ["Car"]},
            }
        ],
    }
    job = factory.import_tasks(
        owner,
        project["id"],
        [{"data": {"image": "https://x/1.jpg"}, "predictions": [prediction]}],
    )
    assert job["counts"]["predictions"] == 1
    with stack.client(owner.token) as client:
        task = client.get(f"/api/v1/projects/{project['id']}/tasks").json()["items"][0]
        [stored] = client.get(f"/api/v1/tasks/{task['id']}/predictions").json()
        assert stored["result"][0]["tool"] == "label"
        assert stored["result"][0]["label"] == "Car"
        assert stored["result"][0]["geometry"]["x"] == 64.0
        # The same config checked before saving, as the web app's editor does.
        checked = client.post(
            "/api/v1/label-schemas/validate", json={"label_schema": LABEL_STUDIO_CONFIG}
        )
        assert checked.status_code == 200 and checked.json()["media"] == "image"
        refused = client.post(
            "/api/v1/label-schemas/validate",
            json={"label_schema": LABEL_STUDIO_CONFIG.replace("RectangleLabels", "Taxonomy")},
        )
    assert refused.status_code == 422
    assert refused.json()["details"]["errors"][0]["path"] == '<Taxonomy name="label">'


def test_validate_reports_the_line_of_an_unknown_key(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    source = "media: image\ntools:\n  - name: o\n    type: bbox\n    lables:\n      - car\n"
    with stack.client(owner.token) as client:
        r = client.post("/api/v1/label-schemas/validate", json={"label_schema": source})
    assert r.status_code == 422
    assert {"path": "tools[0].lables", "message": "unknown field", "line": 5} in r.json()[
        "details"
    ]["errors"]
