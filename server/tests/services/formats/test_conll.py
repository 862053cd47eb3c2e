"""CoNLL-2003: tokens, sentences and IOB2 tags read back by spaCy's CoNLL converter with the
same entities; overlaps keep the longest, widened spans and other drops are counted; the output
is byte-identical; a schema without the tool is refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from export_writers import digest, run_writer

from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.errors import Invalid
from accord_server.services.formats.conll import (
    DOCSTART,
    DROP_NO_TOKEN,
    DROP_OTHER,
    DROP_OVERLAP,
    FORMAT,
    WIDENED,
)
from accord_server.services.formats.export import ExportItem, ExportResult
from accord_server.services.formats.spans import (
    DROP_MORE_RESULTS,
    DROP_NO_TEXT,
    sentences,
    tokenize,
    without_overlaps,
)

SCHEMA = LabelSchema.model_validate(
    {
        "media": "text",
        "tools": [
            {"name": "ner", "type": "span", "labels": ["PER", "LOC", "ORG", "New Place"]},
            {"name": "other", "type": "span", "labels": ["X"]},
            {"name": "topic", "type": "classification", "choices": ["a", "b"]},
        ],
    }
)


def _span(rid: str, start: int, end: int, label: str, tool: str = "ner") -> dict[str, Any]:
    return {
        "id": rid,
        "tool": tool,
        "type": "span",
        "label": label,
        "geometry": {"start": start, "end": end},
    }


def _item(task_id: int, text: str, regions: list[dict[str, Any]], **kw: Any) -> ExportItem:
    return ExportItem(
        task_id=task_id,
        data={"text": text},
        media_name=None,
        results=(ExportResult(regions=regions, source="annotation"),),
        **kw,
    )


TEXT = "Ana Lopez flew to New York.\nShe met 🎉 Bo at Acme Corp!"


def _spans_of_text() -> list[dict[str, Any]]:
    def at(word: str) -> tuple[int, int]:
        start = TEXT.index(word)
        return start, start + len(word)

    return [
        _span("a", *at("Ana Lopez"), "PER"),
        _span("b", *at("New York"), "LOC"),
        _span("c", *at("Bo"), "PER"),  # after the emoji: code points
        _span("d", *at("Acme Corp"), "ORG"),
    ]


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").split("\n")


def test_tokens_sentences_and_iob2_tags(tmp_path: Path) -> None:
    report = run_writer(FORMAT, SCHEMA, [_item(1, TEXT, _spans_of_text())], tmp_path / "c")
    assert report.dropped == {}
    lines = _lines(tmp_path / "c" / "data.conll")
    assert lines[:2] == [DOCSTART, ""]
    rows = [line.split(" ") for line in lines[2:]]
    assert [r[0] if r != [""] else "" for r in rows] == [
        *["Ana", "Lopez", "flew", "to", "New", "York", "."],
        "",
        *["She", "met", "🎉", "Bo", "at", "Acme", "Corp", "!"],
        "",
        "",
    ]
    tags = [r[-1] for r in rows if r != [""]]
    assert tags == [
        *["B-PER", "I-PER", "O", "O", "B-LOC", "I-LOC", "O"],
        *["O", "O", "O", "B-PER", "O", "B-ORG", "I-ORG", "O"],
    ]
    assert all(len(r) == 4 and r[1:3] == ["_", "_"] for r in rows if r != [""])


def test_spacy_reads_the_same_entities(tmp_path: Path) -> None:
    spacy = pytest.importorskip("spacy")
    from spacy.training.converters import conll_ner_to_docs

    items = [
        _item(1, TEXT, _spans_of_text()),
        _item(2, "Bo works at Acme.", [_span("x", 0, 2, "PER")]),
    ]
    run_writer(FORMAT, SCHEMA, items, tmp_path / "c")
    content = (tmp_path / "c" / "data.conll").read_text(encoding="utf-8")
    docs = list(conll_ner_to_docs(content, n_sents=1, no_print=True))
    ents = [(e.text, e.label_) for doc in docs for e in doc.ents]
    assert ents == [
        ("Ana Lopez", "PER"),
        ("New York", "LOC"),
        ("Bo", "PER"),
        ("Acme Corp", "ORG"),
        ("Bo", "PER"),
    ]
    assert spacy.blank("en")  # the converter's documents need no trained pipeline


def test_overlaps_keep_the_longest_and_are_counted(tmp_path: Path) -> None:
    text = "The Bank of New York Mellon opened"
    spans = [
        _span("inner", 12, 20, "LOC"),  # New York, nested in the organisation
        _span("outer", 4, 27, "ORG"),  # Bank of New York Mellon
        _span("cross", 16, 34, "PER"),  # York Mellon opened: crosses the outer's end
        _span("other", 0, 3, "X", tool="other"),
        {"id": "t", "tool": "topic", "type": "classification", "value": {"choices": ["a"]}},
    ]
    report = run_writer(FORMAT, SCHEMA, [_item(7, text, spans)], tmp_path / "c")
    assert report.dropped == {DROP_OVERLAP: 2, DROP_OTHER: 2}
    assert report.examples[DROP_OVERLAP] == [7]
    tags = [line.split(" ")[-1] for line in _lines(tmp_path / "c" / "data.conll")[2:] if line]
    assert tags == ["O", "B-ORG", "I-ORG", "I-ORG", "I-ORG", "I-ORG", "O"]


def test_spans_off_token_boundaries_are_widened_and_reported(tmp_path: Path) -> None:
    text = "Call Johnson now, in  "
    spans = [
        _span("part", 6, 12, "PER"),  # "ohnson": inside a token
        _span("blank", 21, 22, "LOC"),  # whitespace only
        _span("label", 18, 20, "New Place"),
    ]
    report = run_writer(FORMAT, SCHEMA, [_item(3, text, spans)], tmp_path / "c")
    assert report.dropped == {WIDENED: 1, DROP_NO_TOKEN: 1}
    rows = [line.split(" ") for line in _lines(tmp_path / "c" / "data.conll")[2:] if line]
    assert [(r[0], r[-1]) for r in rows] == [
        ("Call", "O"),
        ("Johnson", "B-PER"),
        ("now", "O"),
        (",", "O"),
        ("in", "B-New_Place"),
    ]


def test_splits_other_results_and_tasks_without_text(tmp_path: Path) -> None:
    two = ExportItem(
        task_id=2,
        data={"text": "Bo."},
        media_name=None,
        results=(
            ExportResult(regions=[_span("x", 0, 2, "PER")], source="annotation"),
            ExportResult(regions=[], source="annotation"),
        ),
        split="val",
    )
    items = [
        _item(1, "Ana.", [], split="train"),
        two,
        ExportItem(task_id=3, data={"image": "x"}, media_name=None),
    ]
    report = run_writer(FORMAT, SCHEMA, items, tmp_path / "c")
    assert report.dropped == {DROP_MORE_RESULTS: 1, DROP_NO_TEXT: 1}
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == ["train.conll", "val.conll"]
    assert "Bo _ _ B-PER" in _lines(tmp_path / "c" / "val.conll")


def test_byte_identical_option_tool_and_refusals(tmp_path: Path) -> None:
    items = [_item(1, TEXT, [*_spans_of_text(), _span("o", 0, 3, "X", tool="other")])]
    run_writer(FORMAT, SCHEMA, items, tmp_path / "a")
    run_writer(FORMAT, SCHEMA, items, tmp_path / "b")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    run_writer(FORMAT, SCHEMA, items, tmp_path / "o", tool="other")
    tags = [line.split(" ")[-1] for line in _lines(tmp_path / "o" / "data.conll")[2:] if line]
    assert tags[:2] == ["B-X", "O"]
    with pytest.raises(Invalid, match="no span tool named 'topic'"):
        run_writer(FORMAT, SCHEMA, items, tmp_path / "x", tool="topic")
    no_spans = LabelSchema.model_validate(
        {"media": "text", "tools": [{"name": "t", "type": "classification", "choices": ["a"]}]}
    )
    with pytest.raises(Invalid, match="no span tool"):
        run_writer(FORMAT, no_spans, items, tmp_path / "y")
    run_writer(FORMAT, SCHEMA, [], tmp_path / "empty")
    assert (tmp_path / "empty" / "data.conll").read_bytes() == b""


def test_tokenizer_sentences_and_the_overlap_rule() -> None:
    text = "Don't e-mail U.S. staff: 3.14 ok?\nYes"
    tokens = tokenize(text)
    assert [t.text for t in tokens] == [
        "Don't", "e-mail", "U.S", ".", "staff", ":", "3.14", "ok", "?", "Yes",
    ]  # fmt: skip
    assert all(text[t.start : t.end] == t.text for t in tokens)
    assert sentences(text, tokens) == [[0, 1, 2, 3], [4, 5, 6, 7, 8], [9]]
    assert without_overlaps([(0, 2), (1, 5), (5, 6), (0, 4)]) == [2, 3]
    assert without_overlaps([(0, 2), (2, 4), (1, 3)]) == [0, 1]  # equal length: the earliest
