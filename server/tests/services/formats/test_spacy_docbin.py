"""spaCy DocBin: read back with a blank pipeline, the same entities in doc.ents, every span
(overlaps too) in doc.spans by tool, classifications in doc.cats; files of at most
docs_per_file documents; byte-identical output; drops reported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from export_writers import digest, run_writer

from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.formats.export import ExportItem, ExportResult
from accord_server.services.formats.spacy_docbin import (
    DROP_NO_TOKEN,
    DROP_OVERLAP,
    FORMAT,
    WIDENED,
)

spacy = pytest.importorskip("spacy")
from spacy.tokens import DocBin  # noqa: E402

SCHEMA = LabelSchema.model_validate(
    {
        "media": "text",
        "tools": [
            {"name": "ner", "type": "span", "labels": ["PER", "LOC", "ORG"]},
            {"name": "topic", "type": "classification", "choices": ["news", "sport"]},
        ],
    }
)
TWO_CLASSIFIERS = LabelSchema.model_validate(
    {
        "media": "text",
        "tools": [
            {"name": "ner", "type": "span", "labels": ["PER"]},
            {"name": "topic", "type": "classification", "choices": ["news", "sport"]},
            {"name": "tone", "type": "classification", "choices": ["calm"], "multiple": True},
        ],
    }
)


def _span(rid: str, text: str, word: str, label: str) -> dict[str, Any]:
    start = text.index(word)
    geometry = {"start": start, "end": start + len(word)}
    return {"id": rid, "tool": "ner", "type": "span", "label": label, "geometry": geometry}


def _item(task_id: int, text: str, regions: list[dict[str, Any]], **kw: Any) -> ExportItem:
    result = ExportResult(regions=regions, source="annotation")
    return ExportItem(task_id, {"text": text}, None, results=(result,), **kw)


def _docs(path: Path) -> list[Any]:
    nlp = spacy.blank("en")
    return list(DocBin().from_disk(path).get_docs(nlp.vocab))


TEXT = "🎉 The Bank of New York hired Ana Lopez."


def test_ents_spans_and_cats_read_back_with_a_blank_pipeline(tmp_path: Path) -> None:
    regions = [
        _span("org", TEXT, "Bank of New York", "ORG"),
        _span("loc", TEXT, "New York", "LOC"),  # nested: doc.spans only
        _span("per", TEXT, "Ana Lopez", "PER"),
        {"id": "t", "tool": "topic", "type": "classification", "value": {"choices": ["news"]}},
    ]
    report = run_writer(
        FORMAT, SCHEMA, [_item(1, TEXT, regions), _item(2, "Bo.", [])], tmp_path / "s"
    )
    assert report.dropped == {DROP_OVERLAP: 1}
    first, second = _docs(tmp_path / "s" / "data" / "0000.spacy")
    assert first.text == TEXT
    assert [(e.text, e.label_) for e in first.ents] == [
        ("Bank of New York", "ORG"),
        ("Ana Lopez", "PER"),
    ]
    assert [(s.text, s.label_) for s in first.spans["ner"]] == [
        ("Bank of New York", "ORG"),
        ("New York", "LOC"),
        ("Ana Lopez", "PER"),
    ]
    start = TEXT.index("Ana")  # code points, after the emoji
    assert first.ents[1].start_char == start and first.ents[1].end_char == start + 9
    assert first.cats == {"news": 1.0, "sport": 0.0}
    assert second.text == "Bo." and list(second.ents) == [] and second.cats == {}


def test_files_splits_cats_keys_and_drops(tmp_path: Path) -> None:
    text = "Call Johnson now  "
    regions = [
        {
            "id": "a",
            "tool": "ner",
            "type": "span",
            "label": "PER",
            "geometry": {"start": 6, "end": 12},
        },
        {
            "id": "b",
            "tool": "ner",
            "type": "span",
            "label": "PER",
            "geometry": {"start": 16, "end": 17},
        },
        {"id": "t", "tool": "tone", "type": "classification", "value": {"choices": ["calm"]}},
    ]
    items = [_item(i, text, regions, split="train") for i in range(1, 4)]
    items.append(_item(9, "Ana.", [], split="test"))
    report = run_writer(FORMAT, TWO_CLASSIFIERS, items, tmp_path / "s", docs_per_file=2)
    assert report.dropped == {WIDENED: 3, DROP_NO_TOKEN: 3}
    files = sorted(str(p.relative_to(tmp_path / "s")) for p in (tmp_path / "s").rglob("*.spacy"))
    assert files == ["test/0000.spacy", "train/0000.spacy", "train/0001.spacy"]
    docs = _docs(tmp_path / "s" / "train" / "0000.spacy")
    assert len(docs) == 2 and len(_docs(tmp_path / "s" / "train" / "0001.spacy")) == 1
    assert [(e.text, e.label_) for e in docs[0].ents] == [("Johnson", "PER")]  # widened
    assert docs[0].cats == {"tone:calm": 1.0}


def test_byte_identical_and_empty(tmp_path: Path) -> None:
    items = [_item(1, TEXT, [_span("p", TEXT, "Ana Lopez", "PER")]), _item(2, "Bo and Ana.", [])]
    run_writer(FORMAT, SCHEMA, items, tmp_path / "a")
    run_writer(FORMAT, SCHEMA, items, tmp_path / "b")
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    run_writer(FORMAT, SCHEMA, [], tmp_path / "empty")
    assert _docs(tmp_path / "empty" / "data" / "0000.spacy") == []


def test_without_spacy_the_error_names_the_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from accord_server.services.errors import Invalid
    from accord_server.services.formats import spacy_docbin

    monkeypatch.setattr(spacy_docbin, "available", lambda: False)
    with pytest.raises(Invalid, match=r"pip install 'accord-server\[spacy\]'"):
        run_writer(FORMAT, SCHEMA, [], tmp_path / "s")
