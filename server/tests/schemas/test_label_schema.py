"""The typed label schema: shape, normalization and every rule, with exact locations."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from accord_server.schemas.label_schema import (
    BBoxTool,
    ClassificationTool,
    KeypointsTool,
    LabelSchema,
    LabelSpec,
    TextTool,
)

Loc = tuple[str | int, ...]


def example() -> dict[str, Any]:
    return {
        "media": "image",
        "tools": [
            {"name": "objects", "type": "bbox", "labels": ["car", "person", "bike"]},
            {
                "name": "pose",
                "type": "keypoints",
                "labels": ["person"],
                "keypoints": ["nose", "left_eye", "right_eye"],
                "skeleton": [["nose", "left_eye"], ["nose", "right_eye"]],
            },
            {
                "name": "quality",
                "type": "classification",
                "choices": ["sharp", "blurry"],
                "multiple": False,
                "required": True,
            },
            {"name": "notes", "type": "text", "required": False, "max_length": 1000},
            {"name": "rel", "type": "relation", "labels": ["works_for"]},
        ],
    }


def errors(data: dict[str, Any]) -> list[tuple[Loc, str]]:
    with pytest.raises(ValidationError) as info:
        LabelSchema.model_validate(data)
    return [(tuple(e["loc"]), e["msg"]) for e in info.value.errors()]


def one_tool(tool: dict[str, Any], media: str = "image") -> dict[str, Any]:
    return {"media": media, "tools": [tool]}


def test_example_parses_with_typed_tools() -> None:
    schema = LabelSchema.model_validate(example())
    assert schema.media == "image"
    assert [type(t) for t in schema.tools[:4]] == [
        BBoxTool,
        KeypointsTool,
        ClassificationTool,
        TextTool,
    ]
    pose = schema.tool("pose")
    assert isinstance(pose, KeypointsTool)
    assert pose.skeleton == [("nose", "left_eye"), ("nose", "right_eye")]
    quality = schema.tool("quality")
    assert isinstance(quality, ClassificationTool) and quality.required and not quality.multiple


def test_labels_as_strings_and_objects_are_normalized() -> None:
    tool = {
        "name": "objects",
        "type": "bbox",
        "labels": [
            "bike",
            {
                "name": "car",
                "color": "#ff0000",
                "hotkey": "1",
                "attributes": [
                    {"name": "occluded", "type": "bool"},
                    {"name": "kind", "type": "choice", "choices": ["sedan", "suv"]},
                ],
            },
        ],
    }
    schema = LabelSchema.model_validate(one_tool(tool))
    objects = schema.tool("objects")
    assert isinstance(objects, BBoxTool)
    assert objects.labels[0] == LabelSpec(name="bike")
    car = objects.labels[1]
    assert (car.name, car.color, car.hotkey) == ("car", "#ff0000", "1")
    assert [(a.name, a.type, a.choices) for a in car.attributes] == [
        ("occluded", "bool", None),
        ("kind", "choice", ["sedan", "suv"]),
    ]
    assert objects.label("car") is car and objects.label("truck") is None


def test_helpers_tool_and_label_names() -> None:
    schema = LabelSchema.model_validate(example())
    assert schema.tool("objects").name == "objects"
    assert schema.label_names("objects") == ["car", "person", "bike"]
    assert schema.label_names("quality") == ["sharp", "blurry"]
    assert schema.label_names("notes") == []
    with pytest.raises(KeyError):
        schema.tool("missing")
    with pytest.raises(KeyError):
        schema.label_names("missing")


def test_defaults() -> None:
    schema = LabelSchema.model_validate(
        {
            "media": "text",
            "tools": [
                {"name": "q", "type": "classification", "choices": ["a"]},
                {"name": "t", "type": "text"},
            ],
        }
    )
    q, t = schema.tools
    assert isinstance(q, ClassificationTool) and (q.multiple, q.required) == (False, False)
    assert isinstance(t, TextTool) and (t.required, t.max_length) == (False, None)


@pytest.mark.parametrize(
    ("data", "loc"),
    [
        ({**example(), "instructions": "x"}, ("instructions",)),
        (
            one_tool({"name": "o", "type": "bbox", "labels": ["a"], "color": "x"}),
            ("tools", 0, "bbox", "color"),
        ),
        (
            one_tool({"name": "o", "type": "bbox", "labels": [{"name": "a", "key": "1"}]}),
            ("tools", 0, "bbox", "labels", 0, "key"),
        ),
        (
            one_tool(
                {
                    "name": "o",
                    "type": "bbox",
                    "labels": [
                        {"name": "a", "attributes": [{"name": "x", "type": "bool", "d": 1}]}
                    ],
                }
            ),
            ("tools", 0, "bbox", "labels", 0, "attributes", 0, "d"),
        ),
    ],
)
def test_extra_fields_are_forbidden(data: dict[str, Any], loc: Loc) -> None:
    assert errors(data) == [(loc, "Extra inputs are not permitted")]


def test_unknown_media_and_tool_type() -> None:
    assert errors(one_tool({"name": "o", "type": "bbox", "labels": ["a"]}, media="smell"))[0][
        0
    ] == ("media",)
    [(loc, msg)] = errors(one_tool({"name": "o", "type": "cuboid"}))
    assert loc == ("tools", 0)
    assert "'cuboid'" in msg and "'bbox', 'polygon'" in msg


@pytest.mark.parametrize("name", ["objects", "_x", "A1", "my-tool", "a_b-c9"])
def test_tool_name_ok(name: str) -> None:
    LabelSchema.model_validate(one_tool({"name": name, "type": "bbox", "labels": ["a"]}))


@pytest.mark.parametrize("name", ["", "1objects", "-x", "my tool", "a.b", "é"])
def test_tool_name_rejected(name: str) -> None:
    [(loc, msg)] = errors(one_tool({"name": name, "type": "bbox", "labels": ["a"]}))
    assert loc == ("tools", 0, "bbox", "name")
    assert msg.startswith("must start with a letter or '_'")


def test_duplicate_tool_names() -> None:
    data = example()
    data["tools"][3]["name"] = "objects"
    assert errors(data) == [(("tools", 3, "name"), 'duplicate tool name "objects"')]


def test_at_least_one_tool() -> None:
    assert errors({"media": "image", "tools": []}) == [
        (("tools",), "at least one tool is required")
    ]


@pytest.mark.parametrize("kind", ["bbox", "polygon", "mask", "relation"])
def test_duplicate_label(kind: str) -> None:
    data = {
        "media": "image",
        "tools": [
            {"name": "first", "type": "bbox", "labels": ["x"]},
            {"name": "second", "type": kind, "labels": ["car", "bike", {"name": "car"}]},
        ],
    }
    assert errors(data) == [(("tools", 1, kind, "labels"), 'duplicate label "car"')]


def test_labels_required_and_non_empty() -> None:
    assert errors(one_tool({"name": "o", "type": "bbox", "labels": []})) == [
        (("tools", 0, "bbox", "labels"), "at least one label is required")
    ]
    assert errors(one_tool({"name": "o", "type": "bbox"})) == [
        (("tools", 0, "bbox", "labels"), "Field required")
    ]
    [(loc, _)] = errors(one_tool({"name": "o", "type": "bbox", "labels": ["a", ""]}))
    assert loc == ("tools", 0, "bbox", "labels", 1, "name")
    [(loc, _)] = errors(one_tool({"name": "o", "type": "bbox", "labels": ["a", 7]}))
    assert loc == ("tools", 0, "bbox", "labels", 1)


def test_duplicate_hotkey() -> None:
    labels = [{"name": "a", "hotkey": "1"}, {"name": "b", "hotkey": "1"}]
    assert errors(one_tool({"name": "o", "type": "bbox", "labels": labels})) == [
        (("tools", 0, "bbox", "labels"), 'duplicate hotkey "1"')
    ]


@pytest.mark.parametrize("color", ["#fff", "#ff0000", "#FF0000aa"])
def test_color_ok(color: str) -> None:
    labels = [{"name": "a", "color": color}]
    LabelSchema.model_validate(one_tool({"name": "o", "type": "bbox", "labels": labels}))


@pytest.mark.parametrize("color", ["red", "ff0000", "#ff00", "#gg0000"])
def test_color_rejected(color: str) -> None:
    labels = [{"name": "a", "color": color}]
    assert errors(one_tool({"name": "o", "type": "bbox", "labels": labels})) == [
        (("tools", 0, "bbox", "labels", 0, "color"), 'must be a hex color such as "#ff0000"')
    ]


@pytest.mark.parametrize(
    ("attributes", "loc", "message"),
    [
        ([{"name": "k", "type": "choice"}], (0,), "a choice attribute needs choices"),
        (
            [{"name": "k", "type": "choice", "choices": []}],
            (0,),
            "a choice attribute needs choices",
        ),
        (
            [{"name": "k", "type": "choice", "choices": ["a", "a"]}],
            (0,),
            'duplicate choice "a"',
        ),
        (
            [{"name": "k", "type": "bool", "choices": ["a"]}],
            (0,),
            'choices are only allowed for type "choice", not "bool"',
        ),
        (
            [{"name": "k", "type": "bool"}, {"name": "k", "type": "text"}],
            (),
            'duplicate attribute "k"',
        ),
        (
            [{"name": "k", "type": "number", "min": 10, "max": 1.5}],
            (0,),
            "min (10) is greater than max (1.5)",
        ),
        (
            [{"name": "k", "type": "text", "max": 3}],
            (0,),
            'min and max are only allowed for type "number", not "text"',
        ),
        (
            [{"name": "k", "type": "number", "min": "0"}],
            (0, "min"),
            "Input should be a valid number",
        ),
    ],
)
def test_attribute_rules(attributes: list[Any], loc: Loc, message: str) -> None:
    labels = [{"name": "a", "attributes": attributes}]
    assert errors(one_tool({"name": "o", "type": "bbox", "labels": labels})) == [
        (("tools", 0, "bbox", "labels", 0, "attributes", *loc), message)
    ]


def test_attribute_type_must_be_known() -> None:
    labels = [{"name": "a", "attributes": [{"name": "k", "type": "date"}]}]
    [(loc, _)] = errors(one_tool({"name": "o", "type": "bbox", "labels": labels}))
    assert loc == ("tools", 0, "bbox", "labels", 0, "attributes", 0, "type")


def test_classification_choices() -> None:
    base = {"name": "q", "type": "classification"}
    assert errors(one_tool({**base, "choices": []})) == [
        (("tools", 0, "classification", "choices"), "at least one choice is required")
    ]
    assert errors(one_tool({**base, "choices": ["a", "b", "a"]})) == [
        (("tools", 0, "classification", "choices"), 'duplicate choice "a"')
    ]
    assert errors(one_tool(base)) == [(("tools", 0, "classification", "choices"), "Field required")]
    [(loc, _)] = errors(one_tool({**base, "choices": ["a", ""]}))
    assert loc == ("tools", 0, "classification", "choices", 1)


def test_classification_takes_no_labels() -> None:
    [(loc, msg)] = errors(
        one_tool({"name": "q", "type": "classification", "choices": ["a"], "labels": ["a"]})
    )
    assert (loc, msg) == (
        ("tools", 0, "classification", "labels"),
        "Extra inputs are not permitted",
    )


def test_text_max_length_positive() -> None:
    [(loc, _)] = errors(one_tool({"name": "t", "type": "text", "max_length": 0}))
    assert loc == ("tools", 0, "text", "max_length")


def keypoints_tool(**changes: Any) -> dict[str, Any]:
    tool = {"name": "pose", "type": "keypoints", "labels": ["person"], "keypoints": ["a", "b"]}
    return {**tool, **changes}


def test_keypoints_required_unique() -> None:
    tool = keypoints_tool()
    del tool["keypoints"]
    assert errors(one_tool(tool)) == [(("tools", 0, "keypoints", "keypoints"), "Field required")]
    assert errors(one_tool(keypoints_tool(keypoints=[]))) == [
        (("tools", 0, "keypoints", "keypoints"), "at least one keypoint is required")
    ]
    assert errors(one_tool(keypoints_tool(keypoints=["a", "b", "a"]))) == [
        (("tools", 0, "keypoints", "keypoints"), 'duplicate keypoint "a"')
    ]


def test_skeleton_names_declared_keypoints() -> None:
    tool = keypoints_tool(skeleton=[["a", "b"], ["a", "c"], ["d", "b"], ["b", "b"]])
    assert errors(one_tool(tool)) == [
        (
            ("tools", 0, "keypoints", "skeleton", 1, 1),
            'unknown keypoint "c"; expected one of: a, b',
        ),
        (
            ("tools", 0, "keypoints", "skeleton", 2, 0),
            'unknown keypoint "d"; expected one of: a, b',
        ),
        (("tools", 0, "keypoints", "skeleton", 3), 'skeleton edge joins "b" to itself'),
    ]


def test_skeleton_entries_are_pairs() -> None:
    [(loc, _)] = errors(one_tool(keypoints_tool(skeleton=[["a", "b", "a"]])))
    assert loc == ("tools", 0, "keypoints", "skeleton", 0)


def test_keypoint_fields_only_on_keypoints_tool() -> None:
    [(loc, _)] = errors(one_tool({"name": "o", "type": "bbox", "labels": ["a"], "keypoints": []}))
    assert loc == ("tools", 0, "bbox", "keypoints")


def tool_of(kind: str) -> dict[str, Any]:
    if kind == "classification":
        return {"name": "t", "type": kind, "choices": ["a"]}
    if kind == "text":
        return {"name": "t", "type": kind}
    if kind == "keypoints":
        return keypoints_tool(name="t")
    return {"name": "t", "type": kind, "labels": ["a"]}


MEDIA_OK = {
    "bbox": {"image", "video"},
    "polygon": {"image", "video"},
    "keypoints": {"image", "video"},
    "mask": {"image", "video"},
    "span": {"text"},
    "classification": {"image", "text", "video", "audio", "pointcloud"},
    "text": {"image", "text", "video", "audio", "pointcloud"},
}


@pytest.mark.parametrize("media", ["image", "text", "video", "audio", "pointcloud"])
@pytest.mark.parametrize("kind", sorted(MEDIA_OK))
def test_media_tool_compatibility(media: str, kind: str) -> None:
    data = one_tool(tool_of(kind), media=media)
    if media in MEDIA_OK[kind]:
        LabelSchema.model_validate(data)
        return
    allowed = " or ".join(sorted(MEDIA_OK[kind]))
    assert errors(data) == [
        (
            ("tools", 0, "type"),
            f'tool type "{kind}" does not work on {media} media (only on {allowed})',
        )
    ]


@pytest.mark.parametrize(
    ("media", "other", "ok"),
    [
        ("text", "span", True),
        ("image", "bbox", True),
        ("video", "polygon", True),
        ("image", "mask", True),
        ("image", "keypoints", True),
        ("image", "classification", False),
        ("audio", "text", False),
    ],
)
def test_relation_needs_span_or_geometric_tool(media: str, other: str, ok: bool) -> None:
    data = {
        "media": media,
        "tools": [tool_of(other), {"name": "rel", "type": "relation", "labels": ["r"]}],
    }
    if ok:
        LabelSchema.model_validate(data)
    else:
        assert errors(data) == [
            (
                ("tools", 1, "type"),
                "a relation tool needs a span or geometric tool whose regions it links",
            )
        ]


def test_relation_alone_is_rejected() -> None:
    [(loc, msg)] = errors(one_tool({"name": "rel", "type": "relation", "labels": ["r"]}))
    assert loc == ("tools", 0, "type") and msg.startswith("a relation tool needs")


def test_several_schema_level_problems_are_all_reported() -> None:
    data = {
        "media": "text",
        "tools": [
            {"name": "a", "type": "bbox", "labels": ["x"]},
            {"name": "a", "type": "classification", "choices": ["y"]},
        ],
    }
    assert [loc for loc, _ in errors(data)] == [("tools", 0, "type"), ("tools", 1, "name")]
