"""The export formats this version offers, by name (``POST /projects/{id}/exports`` ``format``).
Each format module defines its ``FORMAT``; add it to ``_MODULES``' list here."""

from __future__ import annotations

from accord_server.services.formats import conll, label_studio_json, parquet, spacy_docbin
from accord_server.services.formats.export import Format

_FORMATS: list[Format] = []
_FORMATS.append(label_studio_json.FORMAT)
_FORMATS.append(conll.FORMAT)
if spacy_docbin.available():  # an optional extra: listed only where it is installed
    _FORMATS.append(spacy_docbin.FORMAT)
_FORMATS.append(parquet.FORMAT)


EXPORT_FORMATS: dict[str, Format] = {f.name: f for f in _FORMATS}
