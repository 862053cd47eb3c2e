"""Parquet, for Hugging Face ``datasets`` (``load_dataset("parquet", data_files=...)``), pandas
and anything Arrow: one row per task, one file per split (``train.parquet`` ...; ``data.parquet``
without a split), written a row group at a time as tasks come (``row_group_size`` rows, 1,000),
so memory stays flat.

Columns (every row has all of them; null where a task has no value):

- ``task_id`` (int64), ``split`` (string), ``media_name`` (string), ``width``/``height`` (int32);
- ``image`` (the image's URL or key) for image projects, ``text`` for text projects: the column a
  training script reads first, as a plain string;
- ``data``: the task's whole data as a JSON string (fields differ between tasks; a JSON string
  keeps one column type);
- ``results`` and ``predictions``: lists of structs ``{source, annotator, annotation_id,
  origin, score, created_at, updated_at, regions}``, where ``regions`` is the canonical region
  list as a JSON string (regions of different kinds have different shapes; ``json.loads`` gives
  Accord's own).

JSON strings are written with sorted keys and no spaces, so the same tasks give the same bytes
(the file's ``created_by`` names the writing pyarrow version, fixed for a version)."""

from __future__ import annotations

import json
from typing import Any

from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.formats.export import Context, ExportItem, ExportResult, Format

# pyarrow (with numpy) is imported by the writer, not with the registry: a server that never
# writes Parquet does not load it.


def arrow_schema(media: str) -> Any:
    """The file's columns (a ``pyarrow.Schema``) for a project of ``media``."""
    import pyarrow as pa

    result = pa.struct(
        [
            ("source", pa.string()),
            ("annotator", pa.string()),
            ("annotation_id", pa.int64()),
            ("origin", pa.string()),
            ("score", pa.float64()),
            ("created_at", pa.string()),
            ("updated_at", pa.string()),
            ("regions", pa.string()),
        ]
    )
    return pa.schema(
        [
            ("task_id", pa.int64()),
            ("split", pa.string()),
            ("media_name", pa.string()),
            ("width", pa.int32()),
            ("height", pa.int32()),
            (media, pa.string()),
            ("data", pa.string()),
            ("is_gold", pa.bool_()),
            ("results", pa.list_(result)),
            ("predictions", pa.list_(result)),
        ]
    )


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _result(result: ExportResult) -> dict[str, Any]:
    return {
        "source": result.source,
        "annotator": result.annotator,
        "annotation_id": result.annotation_id,
        "origin": result.origin,
        "score": result.score,
        "created_at": result.created_at,
        "updated_at": result.updated_at,
        "regions": _json(result.regions),
    }


class ParquetWriter:
    """Buffers up to ``row_group_size`` rows per split, then writes them as one row group."""

    def __init__(self, schema: LabelSchema, ctx: Context) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        self._pa, self._pq = pa, pq
        self.ctx = ctx
        self.media = "image" if schema.media == "image" else "text"
        self.schema = arrow_schema(self.media)
        self.group = int(ctx.options.get("row_group_size") or 1000)
        self._writers: dict[str, Any] = {}
        self._rows: dict[str, list[dict[str, Any]]] = {}
        ctx.out.mkdir(parents=True, exist_ok=True)

    def write(self, item: ExportItem) -> None:
        """Add one task's row; a full row group is written out."""
        if self.ctx.include_media and item.media_name:
            self.ctx.place_media(item, f"{self.media}s/{item.media_name}")
        value = item.data.get(self.media)
        row = {
            "task_id": item.task_id,
            "split": item.split,
            "media_name": item.media_name,
            "width": item.width,
            "height": item.height,
            self.media: value if isinstance(value, str) else None,
            "data": _json(item.data),
            "is_gold": item.is_gold,
            "results": [_result(r) for r in item.results],
            "predictions": [_result(p) for p in item.predictions],
        }
        name = item.split or "data"
        rows = self._rows.setdefault(name, [])
        rows.append(row)
        if len(rows) >= self.group:
            self._flush(name)

    def _flush(self, name: str) -> None:
        rows = self._rows.pop(name, [])
        writer = self._writers.get(name)
        if writer is None:
            path = self.ctx.out / f"{name}.parquet"
            writer = self._writers[name] = self._pq.ParquetWriter(path, self.schema)
        if rows:
            writer.write_table(self._pa.Table.from_pylist(rows, schema=self.schema))

    def finish(self) -> None:
        """Write the last row groups and close the files (an empty export has an empty
        ``data.parquet`` with the columns)."""
        if not self._rows and not self._writers:
            self._rows["data"] = []
        for name in sorted(self._rows):
            self._flush(name)
        for writer in self._writers.values():
            writer.close()


FORMAT = Format(
    name="parquet",
    title="Parquet (Hugging Face datasets)",
    media=frozenset({"image", "text"}),
    make=ParquetWriter,
    description=(
        "One row per task with the media column, the data and the results (regions as JSON), "
        "one file per split; loads with datasets.load_dataset('parquet', ...)."
    ),
    options={"row_group_size": 1000},
)
