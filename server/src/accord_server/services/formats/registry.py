"""The export formats this version offers, by name (``POST /projects/{id}/exports`` ``format``).
Each format module defines its ``FORMAT``; add it to ``_MODULES``' list here."""

from __future__ import annotations

from accord_server.services.formats import cvat, voc
from accord_server.services.formats.export import Format

_FORMATS: list[Format] = [
    voc.FORMAT,
    cvat.FORMAT,
]


EXPORT_FORMATS: dict[str, Format] = {f.name: f for f in _FORMATS}
