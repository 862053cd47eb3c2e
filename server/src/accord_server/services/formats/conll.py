"""CoNLL-2003 NER: one token per line, tag in the last column, a blank line between sentences,
IOB2 tags (``B-X`` opens every entity), a ``-DOCSTART-`` line before each task's text.

Lines are ``token _ _ TAG``: CoNLL-2003's four columns (word, part of speech, chunk, entity) with
the two Accord does not know left as ``_``; readers take the first column and the last.

- Tokens come from ``spans.tokenize`` (words and single punctuation characters, offsets in code
  points), sentences end after ``.``/``!``/``?`` and at line breaks (``spans.sentences``).
- The tags come from the span regions of one span tool (option ``tool``; the schema's first
  span tool by default) in the task's first result.
- A span that starts or ends inside a token is widened to whole tokens, and counted.
- Entities cannot overlap in IOB2: of overlapping or nested spans (after widening) the longest
  is kept (the outer one; the earlier of equal ones), the others are dropped and counted.
- A label's whitespace becomes ``_`` (a tag is one column).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from typing import IO, Any

from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.formats.export import Context, ExportItem, Format
from accord_server.services.formats.spans import (
    DROP_NO_TEXT,
    one_result,
    sentences,
    span_tool,
    spans_of,
    tokenize,
    without_overlaps,
)

DROP_OVERLAP = "overlapping or nested spans (IOB2 holds one entity per token; the longest kept)"
DROP_NO_TOKEN = "spans that cover no token (only whitespace)"
WIDENED = "spans not on token boundaries (widened to whole tokens)"
DROP_OTHER = "regions other than spans of the exported tool"
DOCSTART = "-DOCSTART- -X- -X- O"
_SPACE = re.compile(r"\s+")


def token_ranges(
    item: ExportItem,
    spans: list[dict[str, Any]],
    tokens: list[tuple[int, int]],
    drop: Callable[..., None],
) -> tuple[list[tuple[int, int]], list[str]]:
    """Each span as the ``[first, stop)`` token indices it covers (widened to whole tokens,
    counted), with its label; spans over no token are dropped."""
    starts = [s for s, _ in tokens]
    ends = [e for _, e in tokens]
    ranges: list[tuple[int, int]] = []
    labels: list[str] = []
    for span in spans:
        start, end = span["geometry"]["start"], span["geometry"]["end"]
        first = bisect_right(ends, start)  # the first token ending after the span starts
        stop = bisect_left(starts, end)  # past the last token starting before the span ends
        if first >= stop:
            drop(DROP_NO_TOKEN, task_id=item.task_id)
            continue
        if starts[first] != start or ends[stop - 1] != end:
            drop(WIDENED, task_id=item.task_id)
        ranges.append((first, stop))
        labels.append(str(span["label"]))
    return ranges, labels


def tag_name(label: str) -> str:
    """A label as the tag's type: whitespace as ``_``."""
    return _SPACE.sub("_", label)


class ConllWriter:
    """Writes ``<split>.conll`` (``data.conll`` without a split), a task at a time."""

    def __init__(self, schema: LabelSchema, ctx: Context) -> None:
        self.ctx = ctx
        self.tool = span_tool(schema, ctx.options.get("tool")).name
        ctx.out.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, IO[str]] = {}

    def _file(self, split: str | None) -> IO[str]:
        name = split or "data"
        if name not in self._files:
            path = self.ctx.out / f"{name}.conll"
            self._files[name] = path.open("w", encoding="utf-8", newline="\n")
        return self._files[name]

    def write(self, item: ExportItem) -> None:
        """Write one task as a document of sentences."""
        report = self.ctx.report
        text = item.text
        if text is None:
            report.drop(DROP_NO_TEXT, task_id=item.task_id)
            return
        result = one_result(item, report)
        regions = result.regions if result else []
        spans = spans_of(regions, self.tool)
        if len(spans) < len(regions):
            report.drop(DROP_OTHER, len(regions) - len(spans), task_id=item.task_id)
        tokens = tokenize(text)
        tags = self._tags(item, spans, [(t.start, t.end) for t in tokens])
        out = self._file(item.split)
        out.write(f"{DOCSTART}\n\n")
        for sentence in sentences(text, tokens):
            out.writelines(f"{tokens[i].text} _ _ {tags[i]}\n" for i in sentence)
            out.write("\n")

    def _tags(
        self, item: ExportItem, spans: list[dict[str, Any]], tokens: list[tuple[int, int]]
    ) -> list[str]:
        report = self.ctx.report
        ranges, labels = token_ranges(item, spans, tokens, report.drop)
        labels = [tag_name(label) for label in labels]
        kept = without_overlaps(ranges)
        if len(kept) < len(ranges):
            report.drop(DROP_OVERLAP, len(ranges) - len(kept), task_id=item.task_id)
        tags = ["O"] * len(tokens)
        for k in kept:
            first, stop = ranges[k]
            tags[first] = f"B-{labels[k]}"
            for i in range(first + 1, stop):
                tags[i] = f"I-{labels[k]}"
        return tags

    def finish(self) -> None:
        """Close the files (an empty export still has ``data.conll``)."""
        if not self._files:
            self._file(None)
        for handle in self._files.values():
            handle.close()


FORMAT = Format(
    name="conll",
    title="CoNLL-2003 (NER)",
    media=frozenset({"text"}),
    make=ConllWriter,
    description=(
        "One token per line with its IOB2 tag, sentences separated by blank lines, from the "
        "spans of one span tool; overlapping spans keep the longest."
    ),
    options={"tool": None},
)
