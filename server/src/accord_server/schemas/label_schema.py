"""The typed label schema of a project: media kind, tools, labels (a leaf: pydantic only)."""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from accord_server.schemas.enums import AttributeType, MediaKind, ToolType

GEOMETRIC_TOOL_TYPES: frozenset[str] = frozenset(
    {ToolType.BBOX, ToolType.POLYGON, ToolType.KEYPOINTS, ToolType.MASK}
)
# Which media each tool type may annotate; a type missing here works on every media.
TOOL_MEDIA: dict[str, frozenset[str]] = {
    **{t: frozenset({MediaKind.IMAGE, MediaKind.VIDEO}) for t in GEOMETRIC_TOOL_TYPES},
    ToolType.SPAN: frozenset({MediaKind.TEXT}),
}

_TOOL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")
_COLOR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})$")

# Bounds that keep a schema, and the work of checking one, small whatever is sent (any user
# may ask for a check): a real schema is far inside each of them.
MAX_SCHEMA_CHARS = 256 * 1024
MAX_TOOLS = 100
MAX_LABELS_PER_TOOL = 1000
MAX_LABELS = 5000
"""Labels and choices of all tools together."""
MAX_ATTRIBUTES = 50
MAX_CHOICES = 1000
MAX_KEYPOINTS = 200
MAX_SKELETON = 1000
MAX_NAME_CHARS = 200

NonEmptyStr = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS)]
FiniteFloat = Annotated[float, Field(allow_inf_nan=False, strict=True)]


def _number_text(value: float) -> str:
    """1.0 as "1", 0.5 as "0.5"."""
    return str(int(value)) if value.is_integer() else str(value)


Loc = tuple[str | int, ...]


def _problem(loc: Loc, kind: str, message: str, **ctx: Any) -> InitErrorDetails:
    """One located error, for validators that check several fields or list items at once."""
    return InitErrorDetails(
        type=PydanticCustomError(kind, message, ctx or None), loc=loc, input=None
    )


def _raise_problems(title: str, problems: list[InitErrorDetails]) -> None:
    # pydantic-core re-roots a ValidationError raised inside a validator under the caller's loc,
    # which lets one model validator report errors at precise paths such as skeleton[1].
    if problems:
        raise ValidationError.from_exception_data(title, problems)


def _first_duplicate(values: list[str]) -> str | None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AttributeSpec(_Strict):
    """One attribute a region with this label may carry (e.g. ``occluded: bool``); a number
    may be bounded (``min``, ``max``, both inclusive)."""

    name: NonEmptyStr
    type: AttributeType
    choices: Annotated[list[NonEmptyStr], Field(max_length=MAX_CHOICES)] | None = None
    min: FiniteFloat | None = None
    max: FiniteFloat | None = None

    @model_validator(mode="after")
    def _check_bounds(self) -> Self:
        if self.type != AttributeType.NUMBER:
            if self.min is not None or self.max is not None:
                raise PydanticCustomError(
                    "bounds_not_allowed",
                    'min and max are only allowed for type "number", not "{type}"',
                    {"type": self.type},
                )
        elif self.min is not None and self.max is not None and self.min > self.max:
            raise PydanticCustomError(
                "bounds_order",
                "min ({min}) is greater than max ({max})",
                {"min": _number_text(self.min), "max": _number_text(self.max)},
            )
        return self

    def bounds_text(self) -> str:
        """The allowed numbers in words: "a number between 0 and 1", "a number ≥ 0", …"""
        low, high = self.min, self.max
        if low is not None and high is not None:
            return f"a number between {_number_text(low)} and {_number_text(high)}"
        if low is not None:
            return f"a number ≥ {_number_text(low)}"
        if high is not None:
            return f"a number ≤ {_number_text(high)}"
        return "a finite number"

    def in_bounds(self, value: float) -> bool:
        """Whether ``value`` lies within ``min`` and ``max``."""
        return (self.min is None or value >= self.min) and (self.max is None or value <= self.max)

    @model_validator(mode="after")
    def _check_choices(self) -> Self:
        if self.type == AttributeType.CHOICE:
            if not self.choices:
                raise PydanticCustomError("choices_required", "a choice attribute needs choices")
            duplicate = _first_duplicate(self.choices)
            if duplicate is not None:
                raise PydanticCustomError(
                    "duplicate_choice", 'duplicate choice "{choice}"', {"choice": duplicate}
                )
        elif self.choices is not None:
            raise PydanticCustomError(
                "choices_not_allowed",
                'choices are only allowed for type "choice", not "{type}"',
                {"type": self.type},
            )
        return self


class LabelSpec(_Strict):
    """A label of a tool; written either as a bare string or as an object."""

    name: NonEmptyStr
    color: str | None = None
    hotkey: Annotated[str, Field(min_length=1, max_length=16)] | None = None
    attributes: list[AttributeSpec] = Field(default_factory=list, max_length=MAX_ATTRIBUTES)

    @field_validator("color")
    @classmethod
    def _check_color(cls, color: str | None) -> str | None:
        if color is not None and not _COLOR.match(color):
            raise PydanticCustomError("color", 'must be a hex color such as "#ff0000"')
        return color

    @field_validator("attributes")
    @classmethod
    def _unique_attributes(cls, attributes: list[AttributeSpec]) -> list[AttributeSpec]:
        duplicate = _first_duplicate([a.name for a in attributes])
        if duplicate is not None:
            raise PydanticCustomError(
                "duplicate_attribute", 'duplicate attribute "{name}"', {"name": duplicate}
            )
        return attributes

    def attribute(self, name: str) -> AttributeSpec | None:
        """The declared attribute called ``name``, if any."""
        return next((a for a in self.attributes if a.name == name), None)


class _Tool(_Strict):
    name: Annotated[str, Field(max_length=MAX_NAME_CHARS)]
    # A submit (not a draft) must use a required tool: at least one region of a region tool,
    # an answer to a classification or text tool.
    required: bool = False

    @field_validator("name")
    @classmethod
    def _check_name(cls, name: str) -> str:
        if not _TOOL_NAME.match(name):
            raise PydanticCustomError(
                "tool_name",
                "must start with a letter or '_' and contain only letters, digits, '_' or '-'",
            )
        return name


class _LabeledTool(_Tool):
    labels: Annotated[list[LabelSpec], Field(max_length=MAX_LABELS_PER_TOOL)]

    @field_validator("labels", mode="before")
    @classmethod
    def _labels_from_strings(cls, labels: Any) -> Any:
        if isinstance(labels, list):
            return [{"name": lab} if isinstance(lab, str) else lab for lab in labels]
        return labels

    @field_validator("labels")
    @classmethod
    def _check_labels(cls, labels: list[LabelSpec]) -> list[LabelSpec]:
        if not labels:
            raise PydanticCustomError("labels_required", "at least one label is required")
        duplicate = _first_duplicate([lab.name for lab in labels])
        if duplicate is not None:
            raise PydanticCustomError(
                "duplicate_label", 'duplicate label "{label}"', {"label": duplicate}
            )
        hotkey = _first_duplicate([lab.hotkey for lab in labels if lab.hotkey is not None])
        if hotkey is not None:
            raise PydanticCustomError(
                "duplicate_hotkey", 'duplicate hotkey "{hotkey}"', {"hotkey": hotkey}
            )
        return labels

    def label(self, name: str) -> LabelSpec | None:
        """The label called ``name``, if the tool declares it."""
        return next((lab for lab in self.labels if lab.name == name), None)


# Each tool's ``type`` is spelled as a string Literal: pydantic picks the tool by it (and names
# the tags in its errors), mypy narrows on it. tests/schemas/test_enums.py holds these tags to
# exactly the values of ``ToolType``.


class BBoxTool(_LabeledTool):
    """Axis-aligned (optionally rotated) boxes."""

    type: Literal["bbox"]


class PolygonTool(_LabeledTool):
    """Closed polygons of three or more points."""

    type: Literal["polygon"]


class KeypointsTool(_LabeledTool):
    """A fixed list of named keypoints per instance, with an optional skeleton."""

    type: Literal["keypoints"]
    keypoints: Annotated[list[NonEmptyStr], Field(max_length=MAX_KEYPOINTS)]
    skeleton: list[tuple[NonEmptyStr, NonEmptyStr]] = Field(
        default_factory=list, max_length=MAX_SKELETON
    )

    @field_validator("keypoints")
    @classmethod
    def _check_keypoints(cls, keypoints: list[str]) -> list[str]:
        if not keypoints:
            raise PydanticCustomError("keypoints_required", "at least one keypoint is required")
        duplicate = _first_duplicate(keypoints)
        if duplicate is not None:
            raise PydanticCustomError(
                "duplicate_keypoint", 'duplicate keypoint "{name}"', {"name": duplicate}
            )
        return keypoints

    @model_validator(mode="after")
    def _check_skeleton(self) -> Self:
        declared = set(self.keypoints)
        expected = ", ".join(self.keypoints)
        problems: list[InitErrorDetails] = []
        for i, (a, b) in enumerate(self.skeleton):
            for j, end in enumerate((a, b)):
                if end not in declared:
                    problems.append(
                        _problem(
                            ("skeleton", i, j),
                            "unknown_keypoint",
                            'unknown keypoint "{name}"; expected one of: {expected}',
                            name=end,
                            expected=expected,
                        )
                    )
            if a == b:
                problems.append(
                    _problem(
                        ("skeleton", i),
                        "skeleton_loop",
                        'skeleton edge joins "{name}" to itself',
                        name=a,
                    )
                )
        _raise_problems(type(self).__name__, problems)
        return self


class MaskTool(_LabeledTool):
    """Per-pixel masks stored as COCO run-length encoding."""

    type: Literal["mask"]


class SpanTool(_LabeledTool):
    """Labeled ``[start, end)`` ranges of text, in Unicode code points."""

    type: Literal["span"]


class RelationTool(_LabeledTool):
    """Labeled directed links between two other regions."""

    type: Literal["relation"]


class ClassificationTool(_Tool):
    """A question about the whole item with fixed choices."""

    type: Literal["classification"]
    choices: Annotated[list[NonEmptyStr], Field(max_length=MAX_CHOICES)]
    multiple: bool = False

    @field_validator("choices")
    @classmethod
    def _check_choices(cls, choices: list[str]) -> list[str]:
        if not choices:
            raise PydanticCustomError("choices_required", "at least one choice is required")
        duplicate = _first_duplicate(choices)
        if duplicate is not None:
            raise PydanticCustomError(
                "duplicate_choice", 'duplicate choice "{choice}"', {"choice": duplicate}
            )
        return choices


class TextTool(_Tool):
    """Free text about the whole item."""

    type: Literal["text"]
    max_length: Annotated[int, Field(ge=1)] | None = None


LabeledTool = BBoxTool | PolygonTool | KeypointsTool | MaskTool | SpanTool | RelationTool
AnyTool = LabeledTool | ClassificationTool | TextTool
Tool = Annotated[AnyTool, Field(discriminator="type")]


class LabelSchema(_Strict):
    """A project's label schema: what media it annotates and with which tools."""

    media: MediaKind
    tools: Annotated[list[Tool], Field(max_length=MAX_TOOLS)]

    @field_validator("tools")
    @classmethod
    def _at_least_one_tool(cls, tools: list[Tool]) -> list[Tool]:
        if not tools:
            raise PydanticCustomError("tools_required", "at least one tool is required")
        return tools

    @model_validator(mode="after")
    def _check_tools(self) -> Self:
        problems: list[InitErrorDetails] = []
        seen: set[str] = set()
        links = any(t.type in GEOMETRIC_TOOL_TYPES or t.type == "span" for t in self.tools)
        for i, tool in enumerate(self.tools):
            if tool.name in seen:
                problems.append(
                    _problem(
                        ("tools", i, "name"),
                        "duplicate_tool",
                        'duplicate tool name "{name}"',
                        name=tool.name,
                    )
                )
            seen.add(tool.name)
            allowed = TOOL_MEDIA.get(tool.type)
            if allowed is not None and self.media not in allowed:
                problems.append(
                    _problem(
                        ("tools", i, "type"),
                        "tool_media",
                        'tool type "{type}" does not work on {media} media (only on {allowed})',
                        type=tool.type,
                        media=self.media,
                        allowed=" or ".join(sorted(allowed)),
                    )
                )
            if tool.type == "relation" and not links:
                problems.append(
                    _problem(
                        ("tools", i, "type"),
                        "relation_without_targets",
                        "a relation tool needs a span or geometric tool whose regions it links",
                    )
                )
        labels = sum(len(_label_names(tool)) for tool in self.tools)
        if labels > MAX_LABELS:
            problems.append(
                _problem(
                    ("tools",),
                    "too_many_labels",
                    "{count} labels and choices in all; at most {limit} are allowed",
                    count=labels,
                    limit=MAX_LABELS,
                )
            )
        _raise_problems(type(self).__name__, problems)
        return self

    def tool(self, name: str) -> AnyTool:
        """The tool called ``name``; raises ``KeyError`` if there is none."""
        for tool in self.tools:
            if tool.name == name:
                return tool
        raise KeyError(name)

    def label_names(self, tool_name: str) -> list[str]:
        """Label names of a tool (choices for a classification, none for text)."""
        return _label_names(self.tool(tool_name))


def _label_names(tool: AnyTool) -> list[str]:
    if isinstance(tool, ClassificationTool):
        return list(tool.choices)
    if isinstance(tool, TextTool):
        return []
    return [lab.name for lab in tool.labels]
