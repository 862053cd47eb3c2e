"""Label Studio labeling configs (the ``<View>`` XML) turned into Accord label schemas.

A project moving from Label Studio pastes its config where a schema goes. Each control tag
becomes a tool of the same name, so that the ``from_name`` of Label Studio predictions and
annotations imported later names that tool. What Accord has no tool for (ratings, taxonomies,
per-region choices, video tracking, labels loaded from task data…) is refused with the tag it is
about, rather than dropped: the config converts whole or not at all.

Tag and attribute names compare case-insensitively, as in Label Studio. A config with a DOCTYPE
(and so entities) is refused before parsing.
"""

from __future__ import annotations

import re
from typing import Any
from xml.etree import ElementTree

from accord_server.services.errors import Invalid, field_error

Json = dict[str, Any]

# Object tags: what they show, and Accord's media kind for it.
_OBJECTS = {"image": "image", "text": "text", "video": "video", "audio": "audio"}
# Labeled region controls and the Accord tool type each becomes.
_LABELED = {
    "rectanglelabels": "bbox",
    "polygonlabels": "polygon",
    "keypointlabels": "keypoints",
    "brushlabels": "mask",
    "labels": "span",
}
# Tags that only arrange or decorate the page.
_LAYOUT = {"view", "header", "style", "filter", "collapse", "panel", "block", "hypertext-style"}
_HEX_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")
_SPELLING = {
    "rectanglelabels": "RectangleLabels",
    "polygonlabels": "PolygonLabels",
    "keypointlabels": "KeyPointLabels",
    "brushlabels": "BrushLabels",
    "labels": "Labels",
    "choices": "Choices",
    "textarea": "TextArea",
    "relations": "Relations",
}
SUPPORTED = (
    "Image, Text, Video or Audio (one of them), RectangleLabels, PolygonLabels, "
    "KeyPointLabels, BrushLabels, Labels (on Text), Choices, TextArea, Relations"
)


def looks_like_label_studio(text: str) -> bool:
    """Whether schema text is XML (a Label Studio config) rather than YAML or JSON."""
    return text.lstrip().startswith("<")


def _fail(where: str, message: str) -> Invalid:
    prefix = "Label Studio config: "
    text = f"{prefix}{where}: {message}" if where else f"{prefix}{message}"
    return Invalid(text, details={"errors": [field_error(where, message)]})


def _attrs(element: ElementTree.Element) -> dict[str, str]:
    return {key.lower(): value for key, value in element.attrib.items()}


def _where(element: ElementTree.Element) -> str:
    name = _attrs(element).get("name")
    tag = _SPELLING.get(element.tag.lower(), element.tag)
    return f'<{tag} name="{name}">' if name else f"<{tag}>"


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"true", "1", "yes"}


def _labels(element: ElementTree.Element, tag: str, where: str) -> list[Json | str]:
    """The labels inside a control; one with neither colour nor hotkey as a plain name."""
    labels = [_label(child, where) for child in _children(element, tag)]
    return [label["name"] if len(label) == 1 else label for label in labels]


def _label(element: ElementTree.Element, where: str) -> Json:
    attrs = _attrs(element)
    value = attrs.get("value", "").strip()
    if not value:
        raise _fail(where, f"<{element.tag}> without a value")
    label: Json = {"name": value}
    color = attrs.get("background", "").strip()
    if _HEX_COLOR.match(color):
        label["color"] = color  # a CSS colour name has no place in a hex field: Accord picks one
    hotkey = attrs.get("hotkey", "").strip()
    if hotkey:
        label["hotkey"] = hotkey
    return label


def _children(element: ElementTree.Element, tag: str) -> list[ElementTree.Element]:
    return [child for child in element.iter() if child.tag.lower() == tag and child is not element]


def _parse(text: str) -> ElementTree.Element:
    if re.search(r"<!\s*(DOCTYPE|ENTITY)", text, re.IGNORECASE):
        raise _fail("", "a DOCTYPE or entity declaration is not allowed")
    try:
        return ElementTree.fromstring(text)
    except ElementTree.ParseError as exc:
        line, column = exc.position
        raise _fail("", f"not well-formed XML at line {line}, column {column + 1}") from None


def schema_from_label_studio(text: str) -> Json:
    """The Accord schema (as data, to be validated as any schema is) of a Label Studio config.

    Raises ``Invalid`` naming the tag for anything it cannot carry over."""
    root = _parse(text)
    objects: dict[str, str] = {}
    for element in root.iter():
        kind = _OBJECTS.get(element.tag.lower())
        if kind is None:
            continue
        attrs = _attrs(element)
        if "$" not in attrs.get("value", "$"):
            continue  # static content shown to annotators (an instruction), not data to label
        name = attrs.get("name")
        if not name:
            raise _fail(_where(element), "an object tag needs a name")
        objects[name] = kind
    media = set(objects.values())
    if not media:
        raise _fail("", "no Image, Text, Video or Audio tag to label")
    if len(media) > 1:
        listing = ", ".join(f"{name} ({kind})" for name, kind in objects.items())
        raise _fail("", f"an Accord project labels one kind of media; this config has {listing}")
    tools: list[Json] = []
    for element in root.iter():
        tool = _tool(element, objects)
        if tool is not None:
            tools.append(tool)
    if not tools:
        raise _fail("", f"no control tag to label with (supported: {SUPPORTED})")
    return {"media": media.pop(), "tools": tools}


def _tool(element: ElementTree.Element, objects: dict[str, str]) -> Json | None:
    tag = element.tag.lower()
    attrs = _attrs(element)
    where = _where(element)
    if tag in _OBJECTS or tag in _LAYOUT or tag in {"label", "choice", "relation"}:
        return None
    if tag == "relations":
        labels = _labels(element, "relation", where)
        return {"name": "relations", "type": "relation", "labels": labels or ["related"]}
    if tag not in _LABELED and tag not in {"choices", "textarea"}:
        raise _fail(where, f"Accord has no tool for this tag (supported: {SUPPORTED})")
    name = attrs.get("name", "").strip()
    if not name:
        raise _fail(where, "a control tag needs a name")
    target = attrs.get("toname", "").split(",")[0].strip()
    if target not in objects:
        raise _fail(where, f'toName "{target}" names no Image, Text, Video or Audio tag')
    if _truthy(attrs.get("perregion")):
        raise _fail(where, "per-region controls are not supported; give the labels attributes")
    if "value" in attrs and attrs["value"].startswith("$"):
        raise _fail(where, "options loaded from task data are not supported; list them")
    if tag in _LABELED:
        kind = _LABELED[tag]
        if kind == "span" and objects[target] != "text":
            raise _fail(where, f"Labels on {objects[target]} (time segments) are not supported")
        if attrs.get("choice", "single").strip().lower() == "multiple":
            raise _fail(where, 'choice="multiple": an Accord region has one label')
        labels = _labels(element, "label", where)
        if not labels:
            raise _fail(where, "no <Label> inside")
        tool: Json = {"name": name, "type": kind, "labels": labels}
        if kind == "keypoints":
            tool["keypoints"] = ["point"]  # Label Studio's key points stand alone, one a region
        return tool
    if tag == "choices":
        choices = [_label(child, where)["name"] for child in _children(element, "choice")]
        if not choices:
            raise _fail(where, "no <Choice> inside")
        return {
            "name": name,
            "type": "classification",
            "choices": choices,
            "multiple": attrs.get("choice", "single").strip().lower() == "multiple",
            "required": _truthy(attrs.get("required")),
        }
    return {"name": name, "type": "text", "required": _truthy(attrs.get("required"))}
