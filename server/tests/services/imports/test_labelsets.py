"""Importing a label set (what a format's reader gives): media matching, tool names, crediting,
counts and the per-item report. The label sets are built here; the readers test themselves."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from accord_server.db.models import Annotation, Event, Prediction, Project, Task, User
from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.errors import Invalid
from accord_server.services.formats.labels import LabelResult, LabelSet, LabelTask
from accord_server.services.imports.labelsets import (
    LABEL_READERS,
    LabelReport,
    assign_tools,
    label_reader,
    schema_from_label_set,
    write_label_set,
)
from support import IMAGE_SCHEMA, Factory, Stack


def _box(label: str, x: float = 1) -> dict[str, Any]:
    return {"type": "bbox", "label": label, "geometry": {"x": x, "y": 1, "width": 5, "height": 5}}


def _media(name: str) -> dict[str, Any]:
    """A media file's row as phase 1 makes it (the file itself is not needed here)."""
    return {
        "data": {"image": f"https://x/{name}", "filename": name},
        "meta": {"filename": f"upload/{name}", "width": 100, "height": 80},
    }


def _write(stack: Stack, project_id: int, label_set: LabelSet, media: list[Any]) -> LabelReport:
    with stack.runtime.db.transaction() as session:
        project = session.get(Project, project_id)
        assert project is not None
        return write_label_set(
            session, job_id=None, project=project, label_set=label_set, media=media, batch_size=2
        )


def test_label_tasks_are_matched_to_media_and_written_with_their_tools(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    member = factory.member(owner, "annotator")
    project = factory.project(owner, overlap=2)
    pid = project["id"]
    factory.import_tasks(owner, pid, [{"image": "https://x/b.png", "filename": "b.png"}])

    def tasks() -> Iterator[LabelTask]:
        yield LabelTask(
            "imgs/a.png",
            annotations=[
                LabelResult([_box("car")], annotator=member.email),
                LabelResult([_box("person")], annotator="cvat-user"),
            ],
            predictions=[LabelResult([_box("bike")], score=0.9, model_version="yolo")],
        )
        yield LabelTask("b.png", annotations=[LabelResult([_box("car")], annotator="cvat-user")])
        yield LabelTask("missing.png", annotations=[LabelResult([_box("car")])])
        yield LabelTask(
            "c.png",
            annotations=[
                LabelResult([_box("dog")], annotator="ann"),
                LabelResult([_box("car", x=500)], annotator="bob"),
                LabelResult([_box("car")]),
            ],
        )

    label_set = LabelSet(media="image", labels={"bbox": ["car", "person", "bike"]}, tasks=tasks())
    media = [_media("a.png"), _media("c.png"), _media("d.png")]
    report = _write(stack, pid, label_set, media)
    assert report.counts() == {
        "tasks": 3,
        "tasks_labelled": 1,
        "annotations": 4,
        "predictions": 1,
        "items_skipped": 1,
        "annotations_dropped": 2,
        "predictions_dropped": 0,
        "imported_annotators": 2,
    }
    assert [(p["file"], p["field"], p["scope"]) for p in report.problems] == [
        ("missing.png", None, "row"),
        ("c.png", "annotations[0].result[0].tool", "annotations"),
        ("c.png", "annotations[1].result[0].geometry", "annotations"),
    ]
    assert report.problems[1]["message"] == "no bbox tool with the label 'dog'"
    with stack.runtime.db.session() as session:
        by_name = {t.data["filename"]: t for t in session.scalars(select(Task))}
        assert sorted(by_name) == ["a.png", "b.png", "c.png", "d.png"]
        a, b, c, d = (by_name[n] for n in ("a.png", "b.png", "c.png", "d.png"))
        assert [(t.annotation_count, t.open_slots) for t in (a, b, c, d)] == [
            (2, 0),
            (1, 1),
            (1, 1),
            (0, 2),
        ]
        on_a = session.scalars(select(Annotation).where(Annotation.task_id == a.id)).all()
        assert {x.result[0]["tool"] for x in on_a} == {"objects"}
        assert member.user.id in {x.user_id for x in on_a}
        cvat = session.scalars(select(User).where(User.import_key == "name:cvat-user")).one()
        assert cvat.name == "cvat-user" and not cvat.is_active
        on_b = session.scalars(select(Annotation.user_id).where(Annotation.task_id == b.id)).all()
        assert on_b == [cvat.id]
        prediction = session.scalars(select(Prediction)).one()
        assert (prediction.task_id, prediction.score, prediction.model_version) == (
            a.id,
            0.9,
            "yolo",
        )
        events = session.scalars(select(Event.kind).where(Event.kind == "annotation.created")).all()
        assert len(events) == 4
    # The same person again, on a task they have annotated already: reported, not doubled.
    again = LabelSet(
        media="image",
        labels={},
        tasks=iter(
            [LabelTask("b.png", annotations=[LabelResult([_box("car")], annotator="cvat-user")])]
        ),
    )
    report = _write(stack, pid, again, [])
    assert report.annotations == 0 and report.annotations_dropped == 1
    assert report.problems[0]["message"] == "cvat-user has an annotation of this task already"


def test_a_new_projects_schema_comes_from_the_label_set(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    label_set = LabelSet(
        media="image",
        labels={
            "bbox": ["cat", "dog"],
            "keypoints": ["person"],
            "classification": ["day", "night"],
        },
        tasks=iter([]),
        keypoints={"person": ["nose", "left_eye", "right_eye"]},
        skeletons={"person": [("nose", "left_eye"), ("nose", "right_eye")]},
    )
    schema = schema_from_label_set(label_set)
    project = factory.project(owner, schema=schema)
    assert [t["name"] for t in project["label_schema"]["tools"]] == [
        "bbox",
        "keypoints",
        "classification",
    ]
    labels = LabelSet(
        media="image",
        labels=label_set.labels,
        tasks=iter(
            [
                LabelTask(
                    "p.png",
                    width=100,
                    height=80,
                    annotations=[
                        LabelResult(
                            [_box("dog"), {"type": "classification", "label": "night"}],
                            annotator="someone@old.example",
                        )
                    ],
                )
            ]
        ),
    )
    report = _write(stack, project["id"], labels, [_media("p.png")])
    assert report.annotations == 1, report.problems
    with stack.runtime.db.session() as session:
        result = session.scalars(select(Annotation.result)).one()
    assert [(r["tool"], r.get("label"), r.get("value")) for r in result] == [
        ("bbox", "dog", None),
        ("classification", None, {"choices": ["night"]}),
    ]


def test_assign_tools_refuses_a_region_two_tools_could_hold() -> None:
    schema = LabelSchema.model_validate(
        {
            **IMAGE_SCHEMA,
            "tools": [
                {"name": "a", "type": "bbox", "labels": ["car"]},
                {"name": "b", "type": "bbox", "labels": ["car", "bus"]},
            ],
        }
    )
    assert assign_tools(schema, [_box("bus")])[0]["tool"] == "b"
    with pytest.raises(Invalid, match="more than one bbox tool with the label 'car'"):
        assign_tools(schema, [_box("car")])


def test_a_label_set_of_other_media_is_refused(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    with pytest.raises(Invalid, match="a text label set cannot be imported into an image project"):
        _write(stack, project["id"], LabelSet(media="text", labels={}, tasks=iter([])), [])


def test_a_label_format_is_one_entry_of_the_readers(monkeypatch: pytest.MonkeyPatch) -> None:
    assert sorted(LABEL_READERS) == ["coco", "cvat", "label_studio", "voc", "yolo"]
    with pytest.raises(
        Invalid,
        match="'pascal' is not a label format this server reads "
        r"\(it reads: coco, cvat, label_studio, voc, yolo\)",
    ):
        label_reader("pascal")

    def read(folder: Any, problem: Any) -> LabelSet:
        return LabelSet(media="image", labels={}, tasks=iter([]))

    monkeypatch.setitem(LABEL_READERS, "coco", read)
    assert label_reader("COCO") is read
