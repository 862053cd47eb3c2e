"""Parquet: read back with pyarrow and Hugging Face datasets (rows, columns, values), row groups
written as tasks come, one file per split, byte-identical output, an empty export readable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from export_writers import digest, run_writer

from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.formats.export import ExportItem, ExportResult
from accord_server.services.formats.parquet import FORMAT

pq = pytest.importorskip("pyarrow.parquet")

IMAGE = LabelSchema.model_validate(
    {"media": "image", "tools": [{"name": "box", "type": "bbox", "labels": ["car"]}]}
)
TEXT = LabelSchema.model_validate(
    {"media": "text", "tools": [{"name": "ner", "type": "span", "labels": ["PER"]}]}
)

BOX = {
    "id": "b1",
    "tool": "box",
    "type": "bbox",
    "label": "car",
    "geometry": {"x": 1.5, "y": 2.0, "width": 3.0, "height": 4.0, "rotation": 0.0},
}


def _item(task_id: int, split: str | None = None) -> ExportItem:
    return ExportItem(
        task_id=task_id,
        data={"image": f"s3://bucket/{task_id}.jpg", "site": "é", "n": task_id},
        media_name=f"{task_id:06d}.jpg",
        width=640,
        height=480,
        results=(
            ExportResult(
                regions=[BOX],
                source="annotation",
                annotation_id=10 + task_id,
                annotator="ann@example.com",
                origin="human",
                created_at="2026-01-01T00:00:00Z",
            ),
        ),
        predictions=(ExportResult(regions=[], source="prediction", annotator="m1", score=0.9),),
        split=split,
        is_gold=task_id == 2,
    )


def test_rows_columns_and_values_read_back_with_pyarrow(tmp_path: Path) -> None:
    report = run_writer(
        FORMAT, IMAGE, [_item(i) for i in range(1, 6)], tmp_path / "p", row_group_size=2
    )
    assert report.dropped == {}
    parquet = pq.ParquetFile(tmp_path / "p" / "data.parquet")
    assert parquet.metadata.num_rows == 5
    assert parquet.metadata.num_row_groups == 3  # 2 + 2 + 1: written as the tasks came
    table = parquet.read()
    assert table.column_names == [
        "task_id", "split", "media_name", "width", "height", "image", "data", "is_gold",
        "results", "predictions",
    ]  # fmt: skip
    rows: list[dict[str, Any]] = table.to_pylist()
    assert [r["task_id"] for r in rows] == [1, 2, 3, 4, 5]
    first = rows[0]
    assert first["image"] == "s3://bucket/1.jpg" and first["media_name"] == "000001.jpg"
    assert (first["width"], first["height"], first["split"]) == (640, 480, None)
    assert json.loads(first["data"]) == {"image": "s3://bucket/1.jpg", "site": "é", "n": 1}
    assert [r["is_gold"] for r in rows] == [False, True, False, False, False]
    [result] = first["results"]
    assert json.loads(result.pop("regions")) == [BOX]
    assert result == {
        "source": "annotation",
        "annotator": "ann@example.com",
        "annotation_id": 11,
        "origin": "human",
        "score": None,
        "created_at": "2026-01-01T00:00:00Z",
        "updated_at": None,
    }
    [prediction] = first["predictions"]
    assert prediction["annotator"] == "m1" and prediction["score"] == 0.9
    assert json.loads(prediction["regions"]) == []


def test_hugging_face_datasets_loads_the_splits(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # local files: never ask the Hub
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    datasets = pytest.importorskip("datasets")
    for flag in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE"):
        if hasattr(datasets.config, flag):
            monkeypatch.setattr(datasets.config, flag, True)
    items = [_item(1, "train"), _item(2, "test"), _item(3, "train")]
    run_writer(FORMAT, IMAGE, items, tmp_path / "p")
    assert sorted(p.name for p in (tmp_path / "p").iterdir()) == ["test.parquet", "train.parquet"]
    loaded = datasets.load_dataset(
        "parquet",
        data_files={s: str(tmp_path / "p" / f"{s}.parquet") for s in ("train", "test")},
        cache_dir=str(tmp_path / "hf-cache"),
    )
    assert loaded["train"].num_rows == 2 and loaded["test"].num_rows == 1
    train = loaded["train"]
    assert train["task_id"] == [1, 3] and train["split"] == ["train", "train"]
    assert train["image"] == ["s3://bucket/1.jpg", "s3://bucket/3.jpg"]
    assert json.loads(train[0]["results"][0]["regions"]) == [BOX]
    # The column's type as datasets holds it (its Features API differs between versions).
    results_type = train.data.schema.field("results").type
    assert results_type.value_type.field("annotation_id").type == pa.int64()


def test_text_projects_have_a_text_column(tmp_path: Path) -> None:
    item = ExportItem(task_id=4, data={"text": "Bo 🎉"}, media_name=None)
    run_writer(FORMAT, TEXT, [item], tmp_path / "p")
    [row] = pq.read_table(tmp_path / "p" / "data.parquet").to_pylist()
    assert row["text"] == "Bo 🎉" and "image" not in row
    assert row["results"] == [] and row["width"] is None


def test_byte_identical_and_empty(tmp_path: Path) -> None:
    items = [_item(i, "train" if i % 2 else "val") for i in range(1, 8)]
    run_writer(FORMAT, IMAGE, items, tmp_path / "a", row_group_size=3)
    run_writer(FORMAT, IMAGE, items, tmp_path / "b", row_group_size=3)
    assert digest(tmp_path / "a") == digest(tmp_path / "b")
    run_writer(FORMAT, IMAGE, [], tmp_path / "empty")
    table = pq.read_table(tmp_path / "empty" / "data.parquet")
    assert table.num_rows == 0 and "results" in table.column_names
