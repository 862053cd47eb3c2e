"""Values: a classification's choices, a text answer, and the attributes a region's label
declares. Agreement on values (kappa, alpha) belongs beside these."""

from __future__ import annotations

from accord_server.schemas.enums import AttributeType
from accord_server.schemas.label_schema import (
    AttributeSpec,
    ClassificationTool,
    LabelSpec,
    TextTool,
)
from accord_server.services.results.common import Check, Json, as_number, fields, quote


def choices(check: Check, path: str, value: object, tool: ClassificationTool) -> Json | None:
    """The ``{choices}`` of a classification: known, distinct, one unless ``multiple``."""
    v = fields(check, path, value, {"choices"})
    if v is None:
        return None
    choices = v.get("choices")
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        check.fail(f"{path}.choices", "required; must be a list of strings")
        return None
    for i, choice in enumerate(choices):
        if choice not in tool.choices:
            expected = ", ".join(tool.choices)
            message = f'unknown choice "{choice}" for tool "{tool.name}"; expected one of: '
            check.fail(f"{path}.choices[{i}]", message + expected)
        elif choice in choices[:i]:
            check.fail(f"{path}.choices[{i}]", f'duplicate choice "{choice}"')
    if not choices:
        check.fail(f"{path}.choices", "must name at least one choice")
    elif len(choices) > 1 and not tool.multiple:
        check.fail(f"{path}.choices", f'tool "{tool.name}" takes exactly one choice')
    return {"choices": list(choices)}


def text_value(check: Check, path: str, value: object, tool: TextTool) -> Json | None:
    """The ``{text}`` of a text answer, at most ``max_length`` characters."""
    v = fields(check, path, value, {"text"})
    if v is None:
        return None
    text = v.get("text")
    if not isinstance(text, str):
        check.fail(f"{path}.text", "required; must be a string")
        return None
    if tool.max_length is not None and len(text) > tool.max_length:
        check.fail(f"{path}.text", f"is {len(text)} characters long; at most {tool.max_length}")
    return {"text": text}


def attributes(check: Check, path: str, value: object, label: LabelSpec | None) -> Json:
    """A region's attributes: free-form unless its label declares them, numbers as floats."""
    here = f"{path}.attributes"
    if not isinstance(value, dict):
        check.fail(here, "must be an object")
        return {}
    if label is None or not label.attributes:
        return dict(value)
    expected = ", ".join(a.name for a in label.attributes)
    for key, item in value.items():
        spec = label.attribute(key)
        if spec is None:
            message = f'unknown attribute {quote(key)} for label "{label.name}"; '
            check.fail(f"{here}.{key}", f"{message}expected one of: {expected}")
        elif not _attribute_ok(spec, item):
            check.fail(f"{here}.{key}", _attribute_hint(spec) + f", not {quote(item)}")
    return {k: float(v) if as_number(v) is not None else v for k, v in value.items()}


def _attribute_ok(spec: AttributeSpec, value: object) -> bool:
    if spec.type == AttributeType.BOOL:
        return isinstance(value, bool)
    if spec.type == AttributeType.NUMBER:
        number = as_number(value)
        return number is not None and spec.in_bounds(number)
    if spec.type == AttributeType.CHOICE:
        return isinstance(value, str) and value in (spec.choices or [])
    return isinstance(value, str)


def _attribute_hint(spec: AttributeSpec) -> str:
    if spec.type == AttributeType.CHOICE:
        return f"must be one of: {', '.join(spec.choices or [])}"
    names = {"bool": "true or false", "number": spec.bounds_text(), "text": "a string"}
    return f"must be {names[spec.type]}"
