"""Validate annotation results (Accord's canonical region list) against a label schema and the
media, raising ``Invalid`` errors that name the region and the field.

This module checks what every region has (id, tool, type, label, attributes, score, origin) and
hands the rest to the module of its kind: ``image`` (shapes), ``video`` (frames and tracks),
``text`` (spans, relations) and ``values`` (classifications, text answers, attributes)."""

from __future__ import annotations

from typing import Any

from accord_server.schemas.enums import AnnotationOrigin
from accord_server.schemas.label_schema import (
    GEOMETRIC_TOOL_TYPES,
    AnyTool,
    ClassificationTool,
    LabeledTool,
    LabelSchema,
    LabelSpec,
    TextTool,
)
from accord_server.services.errors import Invalid, field_error
from accord_server.services.results import text, values
from accord_server.services.results.common import (
    Check,
    Json,
    MediaInfo,
    as_number,
    is_id,
    quote,
    unknown,
)
from accord_server.services.results.video import placement


def validate_result(
    schema: LabelSchema,
    result: object,
    media: MediaInfo,
    *,
    require_complete: bool,
    max_regions: int | None = None,
) -> list[dict[str, Any]]:
    """Check a canonical result against the schema and media; return its normalized regions.

    A result of more than ``max_regions`` regions is refused before any region is looked at."""
    if media.kind != schema.media:
        message = f'media kind "{media.kind}" does not match the schema media "{schema.media}"'
        raise _invalid([field_error("media", message, region=None)])
    if not isinstance(result, list):
        raise _invalid([field_error("result", "must be a list of regions", region=None)])
    if max_regions is not None and len(result) > max_regions:
        message = (
            f"at most {max_regions:,} regions per annotation (ACCORD_MAX_REGIONS), "
            f"not {len(result):,}"
        )
        raise _invalid([field_error("result", message, region=None, limit=max_regions)])
    types: dict[str, object] = {}
    for r in result:
        if isinstance(r, dict) and is_id(r.get("id")):
            types.setdefault(r["id"], r.get("type"))
    check = Check(schema, media, types)
    seen_ids: set[str] = set()
    answered: dict[str, str] = {}
    regions: list[Json] = []
    for i, region in enumerate(result):
        if check.full:
            break
        normalized = _region(check, f"result[{i}]", region, seen_ids, answered)
        if normalized is not None:
            regions.append(normalized)
    if require_complete:
        check.region = None
        used = answered.keys() | {r["tool"] for r in regions}
        for tool in schema.tools:
            if tool.required and tool.name not in used:
                todo = (
                    "answer it"
                    if isinstance(tool, ClassificationTool | TextTool)
                    else "add at least one region"
                )
                check.fail("result", f'tool "{tool.name}" is required: {todo}')
    if check.errors:
        raise _invalid(check.errors)
    return regions


_ORIGINS = tuple(AnnotationOrigin)  # a tuple: an origin that is a list or an object is no error
_COMMON_KEYS = {"id", "tool", "type", "attributes", "score", "origin"}
_KEYS: dict[str, set[str]] = {
    **{t: {"label", "geometry", "frame", "track"} for t in GEOMETRIC_TOOL_TYPES},
    "span": {"label", "geometry", "text"},
    "relation": {"label", "geometry"},
    "classification": {"value"},
    "text": {"value"},
}


def _region(
    check: Check, path: str, region: object, seen: set[str], answered: dict[str, str]
) -> Json | None:
    check.region = None
    if not isinstance(region, dict):
        check.fail(path, "must be an object")
        return None
    rid = region.get("id")
    if isinstance(rid, str) and rid:
        check.region = rid
        if rid in seen:
            check.fail(f"{path}.id", f'duplicate region id "{rid}"')
        seen.add(rid)
    else:
        check.fail(f"{path}.id", "required; must be a non-empty string")
    name = region.get("tool")
    tools = [t.name for t in check.schema.tools]
    if name not in tools:
        expected = ", ".join(tools)
        check.fail(f"{path}.tool", f"unknown tool {quote(name)}; expected one of: {expected}")
        return None
    tool = check.schema.tool(str(name))
    if region.get("type") != tool.type:
        message = f'must be "{tool.type}" (the type of tool "{tool.name}"), not '
        check.fail(f"{path}.type", message + quote(region.get("type")))
        return None
    for key in unknown(region, _COMMON_KEYS | _KEYS[tool.type]):
        note = f"a {tool.type} region has no label" if key == "label" else "unknown field"
        check.fail(f"{path}.{key}", note)
    out: Json = {"id": rid, "tool": tool.name, "type": tool.type}
    label = (
        None
        if isinstance(tool, ClassificationTool | TextTool)
        else _label(check, path, region, tool)
    )
    if label is not None:
        out["label"] = label.name
    if isinstance(tool, ClassificationTool | TextTool):
        if tool.name in answered:
            check.fail(
                f"{path}.tool",
                f'tool "{tool.name}" is already answered by region "{answered[tool.name]}"',
            )
        answered.setdefault(tool.name, str(rid))
    _body(check, path, region, tool, out)
    out["attributes"] = values.attributes(check, path, region.get("attributes", {}), label)
    _score_origin(check, path, region, out)
    return out


def _invalid(errors: list[Json]) -> Invalid:
    first = errors[0]
    path, region = first["path"], first.get("region")
    if region is not None and path.startswith("result["):
        head, _, rest = path.partition("]")
        path = f"{head}] (region {quote(region)}){rest}"
    message = f"{path}: {first['message']}" if path else first["message"]
    return Invalid(message, details={"errors": errors})


def _label(check: Check, path: str, region: Json, tool: LabeledTool) -> LabelSpec | None:
    label = region.get("label")
    if label is None:
        check.fail(f"{path}.label", "required")
        return None
    spec: LabelSpec | None = tool.label(label) if isinstance(label, str) else None
    if spec is None:
        expected = ", ".join(lab.name for lab in tool.labels)
        message = f"unknown label {quote(label)} for tool {quote(tool.name)}"
        check.fail(f"{path}.label", f"{message}; expected one of: {expected}")
    return spec


def _body(check: Check, path: str, region: Json, tool: AnyTool, out: Json) -> None:
    """Validate the type-specific part of a region into ``out``."""
    if isinstance(tool, ClassificationTool):
        out["value"] = values.choices(check, f"{path}.value", region.get("value"), tool)
    elif isinstance(tool, TextTool):
        out["value"] = values.text_value(check, f"{path}.value", region.get("value"), tool)
    elif tool.type == "span":
        out["geometry"] = text.span(check, f"{path}.geometry", region.get("geometry"))
        if "text" in region:
            text.span_text(check, path, region["text"], out)
    elif tool.type == "relation":
        out["geometry"] = text.relation(check, f"{path}.geometry", region.get("geometry"))
    else:
        placement(check, path, region, tool, out)


def _score_origin(check: Check, path: str, region: Json, out: Json) -> None:
    if "score" in region:
        score = as_number(region["score"])
        if score is None or not 0 <= score <= 1:
            check.fail(
                f"{path}.score", f"must be a number between 0 and 1, not {quote(region['score'])}"
            )
        else:
            out["score"] = score
    if "origin" in region:
        origin = region["origin"]
        if origin not in _ORIGINS:
            check.fail(f"{path}.origin", f"must be one of: {', '.join(AnnotationOrigin)}")
        else:
            out["origin"] = origin
