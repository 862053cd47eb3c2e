"""Spans of text for the NER formats (CoNLL-2003, spaCy DocBin): which spans fit a format that
cannot nest them, a tokenizer with offsets, sentence boundaries, and the choice of the one
labeling of a task those formats hold.

Offsets are Unicode code points (Python string indices), as in Accord's span regions and spaCy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from accord_server.schemas.label_schema import LabelSchema, SpanTool
from accord_server.services.errors import Invalid, field_error
from accord_server.services.formats.export import ExportItem, ExportResult, Json, Report

TOKEN = re.compile(r"\w+(?:['’\-.]\w+)*|[^\w\s]", re.UNICODE)
"""A word (letters, digits, ``_``, joined by an inner apostrophe, hyphen or dot: ``don't``,
``e-mail``, ``U.S``, ``3.14``) or one punctuation character."""
SENTENCE_END = frozenset({".", "!", "?", "…", "。", "！", "？"})

DROP_MORE_RESULTS = "results beyond the first of a task (the format holds one labeling per text)"
DROP_NO_TEXT = "tasks without text"


@dataclass(frozen=True)
class Token:
    text: str
    start: int
    end: int


def tokenize(text: str) -> list[Token]:
    """The tokens of ``text`` with their ``[start, end)`` code point offsets: words and single
    punctuation characters; whitespace separates and is never part of a token."""
    return [Token(m.group(), m.start(), m.end()) for m in TOKEN.finditer(text)]


def sentences(text: str, tokens: list[Token]) -> list[list[int]]:
    """Token indices by sentence: a sentence ends after ``.``, ``!``, ``?`` (or ``…``, and the
    full-width ones) and at a line break between two tokens."""
    out: list[list[int]] = []
    current: list[int] = []
    for i, token in enumerate(tokens):
        if current and "\n" in text[tokens[i - 1].end : token.start]:
            out.append(current)
            current = []
        current.append(i)
        if token.text in SENTENCE_END:
            out.append(current)
            current = []
    if current:
        out.append(current)
    return out


def span_tool(schema: LabelSchema, name: object) -> SpanTool:
    """The span tool an export tags with: the one named by the ``tool`` option, else the
    schema's first span tool."""
    tools = [t for t in schema.tools if isinstance(t, SpanTool)]
    if name is None or name == "":
        if not tools:
            raise Invalid(
                "the schema has no span tool to export",
                details={"errors": [field_error("options.tool", "no span tool in the schema")]},
            )
        return tools[0]
    for tool in tools:
        if tool.name == name:
            return tool
    names = ", ".join(t.name for t in tools) or "none"
    message = f"no span tool named {name!r}; span tools: {names}"
    raise Invalid(message, details={"errors": [field_error("options.tool", message)]})


def one_result(item: ExportItem, report: Report) -> ExportResult | None:
    """The labeling a single-labeling format writes for a task: its first result (the export
    orders them), the others counted as dropped."""
    if len(item.results) > 1:
        report.drop(DROP_MORE_RESULTS, len(item.results) - 1, task_id=item.task_id)
    return item.results[0] if item.results else None


def spans_of(regions: Iterable[Json], tool: str) -> list[Json]:
    """The span regions of ``tool``, by start, longest first."""
    spans = [r for r in regions if r.get("type") == "span" and r.get("tool") == tool]
    return sorted(spans, key=lambda r: (r["geometry"]["start"], -r["geometry"]["end"], r["id"]))


def without_overlaps(ranges: list[tuple[int, int]]) -> list[int]:
    """Indices of the ranges ``[start, end)`` kept when none may overlap: longest first (the
    outer of nested spans), then the earliest; the kept indices in their given order."""
    order = sorted(range(len(ranges)), key=lambda i: (-(ranges[i][1] - ranges[i][0]), ranges[i]))
    kept: list[int] = []
    for i in order:
        start, end = ranges[i]
        if all(end <= ranges[k][0] or start >= ranges[k][1] for k in kept):
            kept.append(i)
    return sorted(kept)
