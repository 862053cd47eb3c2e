"""The Label Studio, CoNLL, spaCy and Parquet writers give the same bytes in two processes with
different string hash seeds (set and dict order that varied would show here, not in one
process)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("spacy")
pytest.importorskip("pyarrow")

SCRIPT = """
import sys
from pathlib import Path
from export_writers import digest, run_writer
from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.formats import conll, label_studio_json, parquet, spacy_docbin
from accord_server.services.formats.export import ExportItem, ExportResult

schema = LabelSchema.model_validate({"media": "text", "tools": [
    {"name": "ner", "type": "span", "labels": ["PER", "LOC", "ORG"]},
    {"name": "t", "type": "classification", "choices": ["a", "b"]},
]})
text = "The Bank of New York hired Ana Lopez and Bo in Zürich."
def span(rid, label, start, end):
    geometry = {"start": start, "end": end}
    return {"id": rid, "tool": "ner", "type": "span", "label": label, "geometry": geometry}

regions = [
    span("1", "ORG", 4, 20),
    span("2", "LOC", 12, 20),
    span("3", "PER", 27, 36),
    {"id": "4", "tool": "t", "type": "classification", "value": {"choices": ["b"]}},
]
items = [
    ExportItem(i, {"text": text, "k": {"z": 1, "a": 2}}, None,
               results=(ExportResult(regions, "annotation"),), split=("train", "val")[i % 2])
    for i in range(20)
]
out = Path(sys.argv[1])
for module in (spacy_docbin, parquet, conll, label_studio_json):
    run_writer(module.FORMAT, schema, items, out / module.FORMAT.name)
for name, sha in digest(out).items():
    print(name, sha)
"""


def _run(out: Path, seed: str) -> str:
    tests = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONHASHSEED": seed}
    env["PYTHONPATH"] = os.pathsep.join([str(tests), *sys.path])
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(out)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return done.stdout


def test_same_bytes_across_processes(tmp_path: Path) -> None:
    first = _run(tmp_path / "a", "1")
    second = _run(tmp_path / "b", "4242")
    assert first == second
    assert "spacy/train/0000.spacy" in first and "parquet/val.parquet" in first
