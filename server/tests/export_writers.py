"""Helpers for the format writer tests: a writer run over items into a temporary folder."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.formats.export import Context, ExportItem, Format, Report


def run_writer(
    fmt: Format,
    schema: LabelSchema,
    items: Iterable[ExportItem],
    out: Path,
    **options: Any,
) -> Report:
    """Write ``items`` with ``fmt`` into ``out``; the report of what was dropped."""
    report = Report()
    ctx = Context(out=out, staging=out.parent / f"{out.name}-staging", report=report)
    ctx.staging.mkdir(parents=True, exist_ok=True)
    ctx.options = {**fmt.options, **options}
    writer = fmt.make(schema, ctx)
    for item in items:
        writer.write(item)
    writer.finish()
    return report


def digest(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` by relative path, with its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }
