"""The export formats this version offers, by name (``POST /projects/{id}/exports`` ``format``).
Each format module defines its ``FORMAT``(s); add them to ``_FORMATS`` here."""

from __future__ import annotations

from accord_server.services.formats import (
    coco,
    conll,
    cvat,
    label_studio_json,
    parquet,
    spacy_docbin,
    voc,
    yolo,
)
from accord_server.services.formats.accord_json import JSON_FORMAT, JSONL_FORMAT
from accord_server.services.formats.csv_table import CSV_FORMAT
from accord_server.services.formats.export import Format

_FORMATS: list[Format] = [
    coco.FORMAT,
    yolo.FORMAT,
    voc.FORMAT,
    cvat.FORMAT,
    label_studio_json.FORMAT,
    JSON_FORMAT,
    JSONL_FORMAT,
    CSV_FORMAT,
    conll.FORMAT,
    parquet.FORMAT,
]
if spacy_docbin.available():  # an optional extra: listed only where it is installed
    _FORMATS.append(spacy_docbin.FORMAT)


EXPORT_FORMATS: dict[str, Format] = {f.name: f for f in _FORMATS}
