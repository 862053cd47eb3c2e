"""Label Studio labeling configs (XML) as Accord schemas: what converts, and what is refused."""

from __future__ import annotations

import pytest

from accord_server.services.errors import Invalid
from accord_server.services.formats.label_studio_config import schema_from_label_studio
from accord_server.services.label_schemas import parse_label_schema

IMAGE_CONFIG = """
<View>
  <Header value="Label the street"/>
  <Text name="hint" value="Boxes tight around each car"/>
  <Image name="image" value="$image" zoom="true"/>
  <RectangleLabels name="label" toName="image">
    <Label value="Car" background="#FF0000" hotkey="c"/>
    <Label value="Person" background="blue"/>
  </RectangleLabels>
  <PolygonLabels name="road" toName="image"><Label value="Lane"/></PolygonLabels>
  <keypointlabels name="kp" toname="image"><label value="Nose"/></keypointlabels>
  <BrushLabels name="brush" toName="image"><Label value="Sky"/></BrushLabels>
  <Choices name="quality" toName="image" choice="multiple" required="true">
    <Choice value="Blurry"/><Choice value="Dark"/>
  </Choices>
  <TextArea name="notes" toName="image"/>
</View>
"""

TEXT_CONFIG = """
<View>
  <Relations><Relation value="works_for"/></Relations>
  <Labels name="ner" toName="text">
    <Label value="PER"/><Label value="ORG"/>
  </Labels>
  <Text name="text" value="$text"/>
  <Choices name="sentiment" toName="text"><Choice value="pos"/><Choice value="neg"/></Choices>
</View>
"""


def test_an_image_config_becomes_tools_named_after_its_controls() -> None:
    assert schema_from_label_studio(IMAGE_CONFIG) == {
        "media": "image",
        "tools": [
            {
                "name": "label",
                "type": "bbox",
                # A hex background is kept; a CSS colour name is left to Accord's palette.
                "labels": [{"name": "Car", "color": "#FF0000", "hotkey": "c"}, "Person"],
            },
            {"name": "road", "type": "polygon", "labels": ["Lane"]},
            {"name": "kp", "type": "keypoints", "labels": ["Nose"], "keypoints": ["point"]},
            {"name": "brush", "type": "mask", "labels": ["Sky"]},
            {
                "name": "quality",
                "type": "classification",
                "choices": ["Blurry", "Dark"],
                "multiple": True,
                "required": True,
            },
            {"name": "notes", "type": "text", "required": False},
        ],
    }
    schema = parse_label_schema(IMAGE_CONFIG)  # and it is a valid Accord schema
    assert [t.name for t in schema.tools] == ["label", "road", "kp", "brush", "quality", "notes"]


def test_a_text_config_with_spans_and_relations() -> None:
    schema = parse_label_schema(TEXT_CONFIG)
    assert schema.media == "text"
    assert [(t.name, t.type) for t in schema.tools] == [
        ("relations", "relation"),
        ("ner", "span"),
        ("sentiment", "classification"),
    ]
    assert schema.label_names("relations") == ["works_for"]


@pytest.mark.parametrize(
    ("config", "path", "message"),
    [
        (
            '<View><Image name="i" value="$i"/><Rating name="r" toName="i"/></View>',
            '<Rating name="r">',
            "Accord has no tool for this tag",
        ),
        (
            '<View><Image name="i" value="$i"/><Text name="t" value="$t"/>'
            '<Choices name="c" toName="t"><Choice value="a"/></Choices></View>',
            "",
            "an Accord project labels one kind of media; this config has i (image), t (text)",
        ),
        (
            '<View><Image name="i" value="$i"/>'
            '<RectangleLabels name="b" toName="img"><Label value="a"/></RectangleLabels></View>',
            '<RectangleLabels name="b">',
            'toName "img" names no Image, Text, Video or Audio tag',
        ),
        (
            '<View><Image name="i" value="$i"/><RectangleLabels name="b" toName="i"/></View>',
            '<RectangleLabels name="b">',
            "no <Label> inside",
        ),
        (
            '<View><Audio name="a" value="$a"/>'
            '<Labels name="l" toName="a"><Label value="speech"/></Labels></View>',
            '<Labels name="l">',
            "Labels on audio (time segments) are not supported",
        ),
        (
            '<View><Image name="i" value="$i"/>'
            '<Choices name="c" toName="i" perRegion="true"><Choice value="a"/></Choices></View>',
            '<Choices name="c">',
            "per-region controls are not supported",
        ),
        (
            '<View><Image name="i" value="$i"/>'
            '<RectangleLabels name="b" toName="i" value="$options"/></View>',
            '<RectangleLabels name="b">',
            "options loaded from task data are not supported",
        ),
        ('<View><Header value="x"/></View>', "", "no Image, Text, Video or Audio tag"),
        ('<View><Image name="i" value="$i"/></View>', "", "no control tag to label with"),
        ("<View><Image name='i'>\n</View>", "", "not well-formed XML at line 2, column 3"),
        (
            '<!DOCTYPE x [<!ENTITY a "aaaa">]><View><Image name="i" value="&a;"/></View>',
            "",
            "a DOCTYPE or entity declaration is not allowed",
        ),
    ],
)
def test_what_cannot_be_carried_over_is_refused_naming_the_tag(
    config: str, path: str, message: str
) -> None:
    with pytest.raises(Invalid) as caught:
        parse_label_schema(config)
    [error] = caught.value.details["errors"]
    assert error["path"] == path
    assert error["message"].startswith(message)
    assert caught.value.message.startswith("Label Studio config: ")


def test_the_converted_schema_is_still_checked_as_any_schema() -> None:
    config = (
        '<View><Text name="t" value="$t"/>'
        '<RectangleLabels name="b" toName="t"><Label value="a"/></RectangleLabels></View>'
    )
    with pytest.raises(Invalid) as caught:
        parse_label_schema(config)
    assert "tools[0]" in caught.value.message  # a box on text media: Accord's own rule
