"""Parse label schemas (YAML or JSON) into typed ones, raising errors that name the path and
line; the labels a schema defines and a result uses."""

from __future__ import annotations

import json
from typing import Any

import yaml
from pydantic import ValidationError

from accord_server.schemas.enums import ToolType
from accord_server.schemas.label_schema import MAX_SCHEMA_CHARS, LabelSchema
from accord_server.services.errors import Invalid, field_error
from accord_server.services.formats.label_studio_config import (
    looks_like_label_studio,
    schema_from_label_studio,
)

__all__ = ["parse_label_schema", "result_label_keys", "schema_label_keys"]

Json = dict[str, Any]
Loc = tuple[str | int, ...]

MAX_ERRORS = 50
"""Errors reported for one schema; the rest are counted in a last entry."""


class _Loader(yaml.SafeLoader):
    """YAML without aliases: ``*name`` repeats a node without repeating its text, so a 126 KiB
    schema fanned out to 3,000,000 labels (minutes of checking, a 91 MiB error list). A schema
    writes its lists out instead."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            event: yaml.AliasEvent = self.peek_event()  # type: ignore[no-untyped-call]
            raise yaml.composer.ComposerError(
                None,
                None,
                f"aliases (*{event.anchor}) are not allowed in a label schema; "
                "write the repeated part out",
                event.start_mark if isinstance(event.start_mark, yaml.Mark) else None,
            )
        return super().compose_node(parent, index)


# --- label schemas ---------------------------------------------------------------------------


def parse_label_schema(source: str | bytes | dict[str, Any]) -> LabelSchema:
    """Parse a schema from YAML or JSON text, a Label Studio config (XML), or a parsed dict;
    raise ``Invalid`` on problems."""
    text: str | None = None
    if isinstance(source, bytes):
        try:
            source = source.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise _invalid([field_error("", f"schema is not valid UTF-8 ({exc.reason})")]) from exc
    if isinstance(source, str) and len(source) > MAX_SCHEMA_CHARS:
        message = f"schema is {len(source):,} characters long; at most {MAX_SCHEMA_CHARS:,}"
        raise _invalid([field_error("", message)])
    if isinstance(source, str) and looks_like_label_studio(source):
        data: object = schema_from_label_studio(source)
    elif isinstance(source, str):
        text = source
        data = _load_text(source)
    else:
        data = source
    if not isinstance(data, dict):
        raise _invalid([field_error("", "schema must be a mapping with media and tools")])
    try:
        return LabelSchema.model_validate(data)
    except ValidationError as exc:
        lines = _yaml_lines(text) if text is not None else None
        found = exc.errors(include_url=False)
        errors = [_schema_error(err, data, lines) for err in found[:MAX_ERRORS]]
        if len(found) > MAX_ERRORS:
            more = len(found) - MAX_ERRORS
            errors.append(field_error("", f"and {more:,} more problems not listed"))
        raise _invalid(errors) from exc


def _load_text(text: str) -> object:
    if text.lstrip().startswith("{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            where = f"line {exc.lineno}, column {exc.colno}"
            error = field_error("", f"invalid JSON at {where}: {exc.msg}", line=exc.lineno)
            raise _invalid([error]) from exc
    try:
        return yaml.load(text, Loader=_Loader)  # a SafeLoader that refuses aliases
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "syntax error"
        if mark is None:
            raise _invalid([field_error("", f"invalid YAML: {problem}")]) from exc
        where = f"line {mark.line + 1}, column {mark.column + 1}"
        error = field_error("", f"invalid YAML at {where}: {problem}", line=mark.line + 1)
        raise _invalid([error]) from exc
    except yaml.YAMLError as exc:
        raise _invalid([field_error("", f"invalid YAML: {exc}")]) from exc


def _yaml_lines(text: str) -> yaml.Node | None:
    # JSON is YAML except that YAML refuses tabs as indentation; valid JSON has tabs only
    # between tokens (never raw inside strings), so spaces in their place keep every line.
    if text.lstrip().startswith("{"):
        text = text.replace("\t", " ")
    try:
        return yaml.compose(text, Loader=_Loader)
    except yaml.YAMLError:
        return None


def _line_of(node: yaml.Node | None, loc: Loc) -> int | None:
    """1-based line of what ``loc`` names: the key's line for a mapping entry (an unknown key,
    a bad value, a list under its key), the item's line for a list item; where ``loc`` goes
    past the text (a missing field), the line of the deepest part that is there."""
    if node is None:
        return None
    line = int(node.start_mark.line)
    for part in loc:
        if isinstance(node, yaml.MappingNode):
            entry = next(((k, v) for k, v in node.value if k.value == part), None)
            if entry is None:
                break
            line, node = int(entry[0].start_mark.line), entry[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            if not 0 <= part < len(node.value):
                break
            node = node.value[part]
            line = int(node.start_mark.line)
        else:
            break
    return line + 1


def _schema_error(err: Any, data: dict[str, Any], lines: yaml.Node | None) -> Json:
    loc = _strip_tag(tuple(err["loc"]), data)
    kind, message = err["type"], str(err["msg"])
    allowed = ", ".join(ToolType)
    if kind == "union_tag_invalid":
        loc += ("type",)
        message = f'unknown tool type "{err["ctx"]["tag"]}"; expected one of: {allowed}'
    elif kind == "union_tag_not_found":
        loc += ("type",)
        message = f"field required; expected one of: {allowed}"
    elif kind == "missing":
        message = "field required"
    elif kind == "extra_forbidden":
        message = "unknown field"
    elif isinstance(err.get("input"), bool):
        # A label or choice written yes/no: pydantic's "valid string" or "valid dictionary or
        # instance of LabelSpec" does not tell the user that YAML changed their word.
        message = (
            f"read as {str(err['input']).lower()}, not text (YAML reads unquoted yes, no, on, "
            'off, true and false as booleans): quote it, e.g. "yes"'
        )
    extra: dict[str, Any] = {}
    line = _line_of(lines, loc)
    if line is not None:
        extra["line"] = line
    return field_error(_path(loc), message, **extra)


def _strip_tag(loc: Loc, data: dict[str, Any]) -> Loc:
    """Drop the union tag pydantic inserts after ``tools[i]`` (``tools.0.bbox.labels``)."""
    if len(loc) >= 3 and loc[0] == "tools" and isinstance(loc[1], int):
        tools = data.get("tools")
        if isinstance(tools, list) and 0 <= loc[1] < len(tools):
            tool = tools[loc[1]]
            if isinstance(tool, dict) and tool.get("type") == loc[2]:
                return loc[:2] + loc[3:]
    return loc


def _path(loc: Loc) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _invalid(errors: list[Json]) -> Invalid:
    first = errors[0]
    message = f"{first['path']}: {first['message']}" if first["path"] else first["message"]
    return Invalid(message, details={"errors": errors})


def schema_label_keys(schema: LabelSchema) -> set[tuple[str, str]]:
    """(tool name, label or choice) pairs the schema defines."""
    return {(tool.name, name) for tool in schema.tools for name in schema.label_names(tool.name)}


def result_label_keys(result: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """(tool name, label or choice) pairs a canonical result uses."""
    keys: set[tuple[str, str]] = set()
    for region in result:
        tool = region.get("tool")
        if not isinstance(tool, str):
            continue
        label = region.get("label")
        if isinstance(label, str):
            keys.add((tool, label))
        value = region.get("value")
        choices = value.get("choices") if isinstance(value, dict) else None
        if isinstance(choices, list):
            keys.update((tool, c) for c in choices if isinstance(c, str))
    return keys
