"""Text spans (``[start, end)`` in Unicode code points) and relations between regions. Text
metrics (span F1, token-level agreement) belong beside these."""

from __future__ import annotations

from accord_server.schemas.enums import ToolType
from accord_server.schemas.label_schema import GEOMETRIC_TOOL_TYPES
from accord_server.services.results.common import Check, Json, as_int, fields, is_id, quote

_LINKABLE = GEOMETRIC_TOOL_TYPES | {ToolType.SPAN}


def span(check: Check, path: str, geometry: object) -> Json | None:
    """The ``{start, end}`` of a span, checked against the text's length when it is known."""
    g = fields(check, path, geometry, {"start", "end"})
    if g is None:
        return None
    start, end = as_int(g.get("start")), as_int(g.get("end"))
    for key, value in (("start", start), ("end", end)):
        if value is None:
            check.fail(f"{path}.{key}", "required; must be an integer")
    if start is None or end is None:
        return None
    length = check.media.text_length
    if start < 0:
        check.fail(f"{path}.start", f"must be >= 0, not {start}")
    elif start >= end:
        check.fail(path, f"start ({start}) must be less than end ({end})")
    elif length is not None and end > length:
        check.fail(f"{path}.end", f"end ({end}) is past the end of the text ({length} code points)")
    else:
        return {"start": start, "end": end}
    return None


def span_text(check: Check, path: str, text: object, out: Json) -> None:
    """The span's copy of its text, which must be as long as the span."""
    span = out.get("geometry")
    if not isinstance(text, str):
        check.fail(f"{path}.text", "must be a string")
    elif span is not None and len(text) != span["end"] - span["start"]:
        covers = span["end"] - span["start"]
        check.fail(f"{path}.text", f"has {len(text)} code points but the span covers {covers}")
    else:
        out["text"] = text


def relation(check: Check, path: str, geometry: object) -> Json | None:
    """The ``{from, to}`` of a relation: two other spans or shapes of the same result."""
    g = fields(check, path, geometry, {"from", "to"})
    if g is None:
        return None
    ends = {key: g.get(key) for key in ("from", "to")}
    for key, rid in ends.items():
        if not is_id(rid):
            check.fail(f"{path}.{key}", "required; must be a region id")
        elif rid not in check.region_types:
            check.fail(f"{path}.{key}", f"no region with id {quote(rid)} in the result")
        elif rid == check.region:
            check.fail(f"{path}.{key}", "a relation cannot point at itself")
        else:
            kind = check.region_types[str(rid)]
            if not isinstance(kind, str) or kind not in _LINKABLE:
                message = f"region {quote(rid)} is a {kind} region; relations link spans or shapes"
                check.fail(f"{path}.{key}", message)
    if is_id(ends["from"]) and ends["from"] == ends["to"]:
        check.fail(path, "from and to must be different regions")
    return dict(ends)
