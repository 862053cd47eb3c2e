"""spaCy's binary training format (``DocBin``, ``.spacy`` files), read with a blank pipeline:
``DocBin().from_disk(path).get_docs(spacy.blank("en").vocab)``.

- Each task's text is tokenized by ``spacy.blank(lang)`` (option ``lang``, ``xx``: spaCy's
  multi-language rules); offsets are code points on both sides.
- Every span tool's spans go to ``doc.spans[<tool name>]``, overlapping or not; the spans of one
  tool (option ``tool``, the first span tool by default) also go to ``doc.ents``, which cannot
  overlap: of overlapping spans the longest is kept there (as in CoNLL), the others counted.
- A span that starts or ends inside a token is widened to whole tokens, and counted.
- Classifications go to ``doc.cats``: each choice of an answered tool, 1.0 if chosen and 0.0 if
  not (keys are the choices; ``tool:choice`` when the schema has several classification tools).
- Files hold at most ``docs_per_file`` documents (1,000), so memory stays flat:
  ``<split>/0000.spacy``, ``0001.spacy`` ... (``data/`` without a split); ``spacy train`` takes
  the folder as a corpus path.

spaCy is an optional extra (``pip install 'accord-server[spacy]'``): the writer says so when it
is missing."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

from accord_server.schemas.label_schema import ClassificationTool, LabelSchema, SpanTool
from accord_server.services.errors import Invalid, field_error
from accord_server.services.formats.export import Context, ExportItem, Format
from accord_server.services.formats.spans import (
    DROP_NO_TEXT,
    one_result,
    span_tool,
    without_overlaps,
)

DROP_OVERLAP = "overlapping spans left out of doc.ents (all are in doc.spans; the longest kept)"
DROP_NO_TOKEN = "spans that cover no token (only whitespace)"
WIDENED = "spans not on token boundaries (widened to whole tokens)"
MISSING = "the spaCy export needs spaCy: pip install 'accord-server[spacy]'"


def available() -> bool:
    """Whether spaCy is installed."""
    return importlib.util.find_spec("spacy") is not None


class SpacyWriter:
    """Writes DocBin files of ``docs_per_file`` documents, per split."""

    def __init__(self, schema: LabelSchema, ctx: Context) -> None:
        if not available():
            raise Invalid(MISSING, details={"errors": [field_error("format", MISSING)]})
        import spacy
        from spacy.tokens import DocBin

        self._docbin = DocBin
        self.ctx = ctx
        self.ents_tool = span_tool(schema, ctx.options.get("tool")).name
        self.span_tools = [t.name for t in schema.tools if isinstance(t, SpanTool)]
        self.classifiers = [t for t in schema.tools if isinstance(t, ClassificationTool)]
        self.nlp = spacy.blank(str(ctx.options.get("lang") or "xx"))
        self.per_file = int(ctx.options.get("docs_per_file") or 1000)
        self._bins: dict[str, Any] = {}
        self._files: dict[str, int] = {}
        ctx.out.mkdir(parents=True, exist_ok=True)

    def write(self, item: ExportItem) -> None:
        """Add one task's Doc to its split's current file."""
        text = item.text
        if text is None:
            self.ctx.report.drop(DROP_NO_TEXT, task_id=item.task_id)
            return
        result = one_result(item, self.ctx.report)
        regions = result.regions if result else []
        doc = self.nlp.make_doc(text)
        for name in self.span_tools:
            spans = self._spans(item, doc, regions, name)
            doc.spans[name] = spans
            if name == self.ents_tool:
                ranges = [(s.start, s.end) for s in spans]
                kept = without_overlaps(ranges)
                if len(kept) < len(spans):
                    self.ctx.report.drop(DROP_OVERLAP, len(spans) - len(kept), task_id=item.task_id)
                doc.ents = [spans[k] for k in kept]
        doc.cats = self._cats(regions)
        name = item.split or "data"
        docbin = self._bins.get(name)
        if docbin is None:
            docbin = self._bins[name] = self._docbin(attrs=["ORTH", "ENT_IOB", "ENT_TYPE"])
        docbin.add(doc)
        if len(docbin) >= self.per_file:
            self._flush(name)

    def _spans(
        self, item: ExportItem, doc: Any, regions: list[dict[str, Any]], tool: str
    ) -> list[Any]:
        out = []
        for region in regions:
            if region.get("type") != "span" or region.get("tool") != tool:
                continue
            start, end = region["geometry"]["start"], region["geometry"]["end"]
            span = doc.char_span(start, end, label=region["label"], alignment_mode="expand")
            if span is None or len(span) == 0:
                self.ctx.report.drop(DROP_NO_TOKEN, task_id=item.task_id)
                continue
            if span.start_char != start or span.end_char != end:
                self.ctx.report.drop(WIDENED, task_id=item.task_id)
            out.append(span)
        return sorted(out, key=lambda s: (s.start, -s.end, s.label_))

    def _cats(self, regions: list[dict[str, Any]]) -> dict[str, float]:
        answers = {
            r["tool"]: r["value"]["choices"] for r in regions if r.get("type") == "classification"
        }
        cats: dict[str, float] = {}
        for tool in self.classifiers:
            if tool.name not in answers:
                continue
            for choice in tool.choices:
                key = choice if len(self.classifiers) == 1 else f"{tool.name}:{choice}"
                cats[key] = 1.0 if choice in answers[tool.name] else 0.0
        return cats

    def _flush(self, name: str) -> None:
        docbin = self._bins.pop(name)
        number = self._files.get(name, 0)
        self._files[name] = number + 1
        folder: Path = self.ctx.out / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{number:04d}.spacy").write_bytes(docbin.to_bytes())

    def finish(self) -> None:
        """Write the last file of each split (an empty export has ``data/0000.spacy``)."""
        if not self._bins and not self._files:
            self._bins["data"] = self._docbin(attrs=["ORTH", "ENT_IOB", "ENT_TYPE"])
        for name in sorted(self._bins):
            self._flush(name)


FORMAT = Format(
    name="spacy",
    title="spaCy DocBin",
    media=frozenset({"text"}),
    make=SpacyWriter,
    description=(
        "spaCy's .spacy training files: spans in doc.spans by tool, non-overlapping entities in "
        "doc.ents, classifications in doc.cats. Needs the spacy extra."
    ),
    options={"tool": None, "lang": "xx", "docs_per_file": 1000},
)
