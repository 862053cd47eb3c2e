"""Task-file parsing: JSON, JSON lines, CSV/TSV, Label Studio predictions."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from accord_server.services.errors import Invalid, TooLarge
from accord_server.services.imports import parsers
from accord_server.services.imports.parsers import (
    ParseResult,
    RowError,
    TaskIn,
    infer_format,
    parse_tasks,
)


def _errors(result: ParseResult) -> list[tuple[int, str | None]]:
    return [(e.row, e.field) for e in result.errors]


# --- JSON ------------------------------------------------------------------------------------


def test_json_array_of_wrapped_and_bare_items() -> None:
    items: list[Any] = [
        {"data": {"image": "a.jpg"}, "priority": 5, "batch": "b1", "is_gold": True, "id": 9},
        {"image": "b.jpg", "meta": {"x": 1}},  # no "data": the item itself is the data
        {"data": {"text": "hi"}, "annotations": [{"result": []}], "meta": {"k": "v"}},
        ["not", "an", "object"],
        {"data": "not an object"},
        {"data": {"image": "c.jpg"}, "priority": "high"},
    ]
    result = parse_tasks(orjson.dumps(items), "tasks.json")

    first, second, third = result.tasks
    assert first == TaskIn(
        data={"image": "a.jpg"}, priority=5, batch="b1", is_gold=True, source_row=1
    )
    assert second.data == {"image": "b.jpg", "meta": {"x": 1}}
    assert (second.priority, second.batch, second.is_gold) == (0, None, False)
    assert third.data == {"text": "hi"} and third.source_row == 3
    assert _errors(result) == [(4, None), (5, "data"), (6, "priority")]
    assert result.errors[1].to_dict() == {
        "row": 5,
        "field": "data",
        "message": "expected an object, got string",
    }


def test_json_single_object() -> None:
    result = parse_tasks(b'{"data": {"text": "only one"}}', "one.json")
    assert [t.data for t in result.tasks] == [{"text": "only one"}]
    assert result.tasks[0].source_row == 1
    assert result.errors == []


def test_malformed_json_file_is_one_error_with_position() -> None:
    result = parse_tasks(b'[\n  {"data": {"a": 1}},\n  {"data": }\n]', "bad.json")
    assert result.tasks == []
    assert len(result.errors) == 1
    error = result.errors[0]
    assert (error.row, error.field) == (0, None)
    assert "line 3 column 12" in error.message  # the "}" where a value belongs


def test_json_scalar_document_is_refused() -> None:
    result = parse_tasks(b"42", "n.json")
    assert _errors(result) == [(0, None)]
    assert "got number" in result.errors[0].message


def test_json_with_bom() -> None:
    result = parse_tasks(b'\xef\xbb\xbf[{"text": "bom"}]', "bom.json")
    assert [t.data for t in result.tasks] == [{"text": "bom"}]


@pytest.fixture
def stream_json(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every .json array is read an element at a time, as one over the size limit is."""
    monkeypatch.setattr(parsers, "JSON_WHOLE_MAX_BYTES", 0)


def test_a_large_json_array_streams_to_the_same_tasks_and_errors(stream_json: None) -> None:
    items: list[Any] = [
        {"data": {"image": "a.jpg", "score": 0.25}, "priority": 5},
        ["not", "an", "object"],
        {"image": "b.jpg", "n": 1234567890123},
        {"data": {"image": "c.jpg"}, "priority": "high"},
    ]
    data = b" \n" + orjson.dumps(items, option=orjson.OPT_INDENT_2)
    streamed = parse_tasks(data, "big.json")
    assert [(t.data, t.priority, t.source_row) for t in streamed.tasks] == [
        ({"image": "a.jpg", "score": 0.25}, 5, 1),
        ({"image": "b.jpg", "n": 1234567890123}, 0, 3),
    ]
    assert type(streamed.tasks[0].data["score"]) is float
    assert _errors(streamed) == [(2, None), (4, "priority")]


def test_a_syntax_error_deep_in_a_large_array_leaves_nothing_of_the_file(
    stream_json: None,
) -> None:
    result = parse_tasks(b'[{"text": "a"}, {"text": "b"}, {"text": }]', "big.json")
    assert result.tasks == []
    assert _errors(result) == [(0, None)]
    message = result.errors[0].message
    assert message.startswith("invalid JSON after task 2: parse error: ")
    assert "near" in message and "\n" not in message
    bad_bytes = parse_tasks(b'[{"text": "\xff"}]', "big.json").errors[0].message
    assert bad_bytes.startswith("invalid JSON after task 0: lexical error: invalid bytes")
    truncated = parse_tasks(b'[{"text": "a"}', "big.json").errors[0].message
    assert truncated.startswith("invalid JSON after task 1: parse error: premature EOF")


def test_streaming_leaves_single_objects_and_scalars_to_the_whole_decoder(
    stream_json: None,
) -> None:
    assert [t.data for t in parse_tasks(b'{"text": "one"}', "x.json").tasks] == [{"text": "one"}]
    assert "got number" in parse_tasks(b"42", "x.json").errors[0].message


def test_too_many_rows_in_a_streamed_array(stream_json: None) -> None:
    with pytest.raises(TooLarge):
        parse_tasks(orjson.dumps([{"a": i} for i in range(4)]), "big.json", max_rows=3)


# --- JSON lines ------------------------------------------------------------------------------


def test_a_plain_task_object_reserves_the_csv_columns() -> None:
    """priority, batch and is_gold are task fields in every format; data holds the rest."""
    csv = b"text,priority,batch,is_gold\nhi,7,b1,true\n"
    jsonl = b'{"text": "hi", "priority": 7, "batch": "b1", "is_gold": true}\n'
    as_json = b'[{"text": "hi", "priority": 7, "batch": "b1", "is_gold": true}]'
    [from_csv] = parse_tasks(csv, "t.csv").tasks
    expected = TaskIn(data={"text": "hi"}, priority=7, batch="b1", is_gold=True, source_row=1)
    assert parse_tasks(jsonl, "t.jsonl").tasks == [expected]
    assert parse_tasks(as_json, "t.json").tasks == [expected]
    assert (from_csv.data, from_csv.priority, from_csv.batch, from_csv.is_gold) == (
        {"text": "hi"},
        7,
        "b1",
        True,
    )


def test_plain_object_rules_other_keys_stay_data() -> None:
    items: list[Any] = [
        {"text": "a", "priority": 2, "predictions": [1]},  # only the reserved names move
        {"data": {"text": "b", "priority": 9}, "priority": 1},  # envelope: its own key counts
        {"text": "c", "priority": "high"},
    ]
    result = parse_tasks(orjson.dumps(items), "t.json")
    first, second = result.tasks
    assert (first.data, first.priority, first.predictions) == (
        {"text": "a", "predictions": [1]},
        2,
        [],
    )
    assert (second.data, second.priority) == ({"text": "b", "priority": 9}, 1)
    assert _errors(result) == [(3, "priority")]


def test_jsonl_reports_malformed_line_by_number() -> None:
    lines = b'{"text": "one"}\n\n{"text": "two"\n   \n{"data": {"text": "three"}}\r\n'
    result = parse_tasks(lines, "tasks.ndjson")
    assert [(t.data["text"], t.source_row) for t in result.tasks] == [("one", 1), ("three", 5)]
    assert _errors(result) == [(3, None)]
    assert result.errors[0].message.startswith("invalid JSON: ")
    assert "line 1 column" in result.errors[0].message


def test_jsonl_non_object_line() -> None:
    result = parse_tasks(b'{"a": 1}\n[1, 2]\n', "t.jsonl")
    assert len(result.tasks) == 1
    assert _errors(result) == [(2, None)]


# --- CSV -------------------------------------------------------------------------------------


def test_csv_reserved_columns_and_bad_rows() -> None:
    text = (
        "\ufeffimage,priority,batch,is_gold,caption\n"
        'a.jpg,3,b1,true,"a cat, sitting"\n'
        "b.jpg,,,0,plain\n"
        "c.jpg,1,b1,false\n"  # one cell short
        "\n"
        "d.jpg,x,b1,1,bad priority\n"
        "e.jpg,0,,maybe,bad gold\n"
        'f.jpg,-2,b2,FALSE,"multi\nline"\n'
    )
    result = parse_tasks(text.encode(), "tasks.csv")

    a, b, f = result.tasks
    assert a.data == {"image": "a.jpg", "caption": "a cat, sitting"}
    assert (a.priority, a.batch, a.is_gold, a.source_row) == (3, "b1", True, 2)
    assert b.data == {"image": "b.jpg", "caption": "plain"}
    assert (b.priority, b.batch, b.is_gold) == (0, None, False)
    assert f.data["caption"] == "multi\nline"
    assert (f.priority, f.batch, f.is_gold, f.source_row) == (-2, "b2", False, 8)
    assert _errors(result) == [(4, None), (6, "priority"), (7, "is_gold")]
    assert result.errors[0].message == "expected 5 cells as in the header, found 4"


def test_tsv_without_reserved_columns() -> None:
    result = parse_tasks(b"text\tlang\nhola\tes\n", "t.tsv")
    assert [t.data for t in result.tasks] == [{"text": "hola", "lang": "es"}]


def test_csv_must_be_utf8() -> None:
    result = parse_tasks("text\ncafé\n".encode("latin-1"), "t.csv")
    assert result.tasks == []
    assert _errors(result) == [(0, None)]
    assert "UTF-8" in result.errors[0].message


def test_csv_header_problems() -> None:
    assert _errors(parse_tasks(b"", "t.csv")) == [(0, None)]
    duplicate = parse_tasks(b"a,a\n1,2\n", "t.csv")
    assert duplicate.tasks == [] and "appears twice" in duplicate.errors[0].message


def test_csv_long_field_is_read() -> None:
    long_text = "x" * 300_000  # beyond csv's default 128 KiB field limit
    result = parse_tasks(f"text\n{long_text}\n".encode(), "t.csv")
    assert result.errors == []
    assert len(result.tasks[0].data["text"]) == 300_000


# --- format and limits -----------------------------------------------------------------------


def test_format_inference_and_override() -> None:
    assert [infer_format(n) for n in ("a.JSON", "a.ndjson", "a.jsonl", "a.tsv", "a.txt")] == [
        "json",
        "jsonl",
        "jsonl",
        "tsv",
        None,
    ]
    result = parse_tasks(b'{"a": 1}\n{"a": 2}\n', "upload.bin", fmt="jsonl")
    assert [t.data["a"] for t in result.tasks] == [1, 2]
    with pytest.raises(Invalid) as info:
        parse_tasks(b"{}", "tasks.xml")
    assert info.value.details["errors"][0]["path"] == "format"


@pytest.mark.parametrize(
    ("filename", "payload"),
    [
        ("t.json", b'[{"a": 1}, {"a": 2}, {"a": 3}]'),
        ("t.jsonl", b'{"a": 1}\n{"a": 2}\n{"a": 3}\n'),
        ("t.csv", b"a\n1\n2\n3\n"),
    ],
)
def test_max_rows(filename: str, payload: bytes) -> None:
    assert len(parse_tasks(payload, filename, max_rows=3).tasks) == 3
    with pytest.raises(TooLarge):
        parse_tasks(payload, filename, max_rows=2)


# --- predictions -----------------------------------------------------------------------------


def _ls_task(predictions: Any) -> bytes:
    return orjson.dumps([{"data": {"image": "img.jpg"}, "predictions": predictions}])


def test_label_studio_predictions_are_converted_to_pixels() -> None:
    box = {
        "id": "b1",
        "from_name": "label",
        "to_name": "image",
        "type": "rectanglelabels",
        "original_width": 640,
        "original_height": 480,
        "value": {
            "x": 10,
            "y": 25,
            "width": 50,
            "height": 12.5,
            "rotation": 0,
            "rectanglelabels": ["car"],
        },
        "score": 0.87,
    }
    polygon = {
        "from_name": "outline",
        "to_name": "image",
        "type": "polygonlabels",
        "original_width": 200,
        "original_height": 100,
        "value": {"points": [[0, 0], [50, 10], [100, 100]], "polygonlabels": ["road"]},
    }
    prediction = {"model_version": "yolo-1", "score": 0.5, "result": [box, polygon]}
    result = parse_tasks(_ls_task([prediction]), "ls.json")

    assert result.errors == []
    (pred,) = result.tasks[0].predictions
    assert (pred.model_version, pred.score) == ("yolo-1", 0.5)
    region_box, region_poly = pred.result
    assert region_box == {
        "id": "b1",
        "tool": "label",
        "type": "bbox",
        "label": "car",
        "geometry": {"x": 64.0, "y": 120.0, "width": 320.0, "height": 60.0, "rotation": 0.0},
        "score": 0.87,
    }
    assert region_poly["id"] == "r1"  # generated from the index when Label Studio has none
    assert region_poly["type"] == "polygon" and region_poly["label"] == "road"
    assert region_poly["geometry"]["points"] == [[0.0, 0.0], [100.0, 10.0], [200.0, 100.0]]
    assert "score" not in region_poly


def test_missing_original_size_names_the_field() -> None:
    box = {
        "from_name": "label",
        "to_name": "image",
        "type": "rectanglelabels",
        "original_width": 640,
        "value": {"x": 1, "y": 1, "width": 1, "height": 1, "rectanglelabels": ["car"]},
    }
    ok: dict[str, Any] = {"result": []}
    result = parse_tasks(_ls_task([ok, {"result": [{"type": "choices"}, box]}]), "t.json")
    assert result.tasks == []
    assert _errors(result) == [(1, "predictions[1].result[1].original_height")]


@pytest.mark.parametrize(
    ("prediction", "field"),
    [
        ({"result": [], "score": "high"}, "predictions[0].score"),
        ({"result": [], "score": True}, "predictions[0].score"),
        ({"result": {}}, "predictions[0].result"),
        ({"result": [], "model_version": 3}, "predictions[0].model_version"),
        ("nope", "predictions[0]"),
        (
            {"result": [{"from_name": "t", "type": "brushlabels", "value": {}}]},
            "predictions[0].result[0].type",
        ),
        (
            {
                "result": [
                    {
                        "from_name": "t",
                        "type": "rectanglelabels",
                        "original_width": 10,
                        "original_height": 10,
                        "value": {"x": "1", "y": 1, "width": 1, "height": 1},
                    }
                ]
            },
            "predictions[0].result[0].value.x",
        ),
    ],
)
def test_bad_prediction_names_its_path(prediction: Any, field: str) -> None:
    result = parse_tasks(_ls_task([prediction]), "t.json")
    assert result.tasks == []
    assert result.errors == [RowError(1, field, result.errors[0].message)]
    assert result.errors[0].message


def test_predictions_must_be_a_list() -> None:
    result = parse_tasks(_ls_task({"result": []}), "t.json")
    assert _errors(result) == [(1, "predictions")]


def test_label_studio_span_offsets_become_code_points() -> None:
    text = "I 🎉 love Paris"  # the emoji is 2 UTF-16 units, 1 code point
    js_start = len(text[:9].encode("utf-16-le")) // 2  # where JavaScript says "Paris" starts
    data = orjson.dumps(
        [
            {
                "data": {"text": text},
                "predictions": [
                    {
                        "result": [
                            {
                                "from_name": "ner",
                                "to_name": "text",
                                "type": "labels",
                                "value": {
                                    "start": js_start,
                                    "end": js_start + 5,
                                    "text": "Paris",  # tells UTF-16 units from code points
                                    "labels": ["LOC"],
                                },
                            }
                        ]
                    }
                ],
            }
        ]
    )
    parsed = parse_tasks(data, "t.json")
    assert parsed.errors == []
    geometry = parsed.tasks[0].predictions[0].result[0]["geometry"]
    assert js_start == 10 and geometry == {"start": 9, "end": 14}
    assert text[geometry["start"] : geometry["end"]] == "Paris"


# --- annotations ------------------------------------------------------------------------------


def test_annotations_name_their_people_and_unreadable_ones_are_dropped_not_the_row() -> None:
    region = {
        "id": "r",
        "from_name": "objects",
        "to_name": "image",
        "type": "rectanglelabels",
        "original_width": 200,
        "original_height": 100,
        "value": {"x": 50, "y": 50, "width": 10, "height": 10, "rectanglelabels": ["car"]},
    }
    item = {
        "data": {"image": "a.jpg"},
        "annotations": [
            {"result": [region], "completed_by": "Ann@Example.com", "created_at": "2024-01-02"},
            {"result": [], "completed_by": 12, "lead_time": 7},
            {"result": [], "completed_by": {"id": 3, "first_name": "Lee", "last_name": "Ho"}},
            {"result": [], "completed_by": {"id": 4, "email": "kim@old.example"}},
            {"result": [], "completed_by": "Bo"},
            {"result": []},
            {"result": [], "completed_by": [1]},
            {"result": [], "was_cancelled": True},
            {"result": [], "lead_time": -1},
            {"result": "no"},
            {"result": [], "created_at": "yesterday"},
            "not an object",
        ],
    }
    result = parse_tasks(orjson.dumps([item]), "ls.json")
    assert result.errors == []
    (task,) = result.tasks
    people = [(a.person.key, a.person.name) if a.person else None for a in task.annotations]
    assert people == [
        ("email:ann@example.com", "ann@example.com"),
        ("label-studio:12", "Label Studio user 12"),
        ("label-studio:3", "Lee Ho"),
        ("email:kim@old.example", "kim@old.example"),
        ("name:Bo", "Bo"),
        None,
    ]
    first = task.annotations[0]
    assert first.result[0]["geometry"]["x"] == 100  # Label Studio's percent, now pixels
    assert first.created_at is not None and first.created_at.year == 2024
    assert task.annotations[1].lead_time == 7.0
    assert [f for f, _ in task.dropped_annotations] == [
        "annotations[6].completed_by",
        "annotations[7].was_cancelled",
        "annotations[8].lead_time",
        "annotations[9].result",
        "annotations[10].created_at",
        "annotations[11]",
    ]


def test_annotations_that_are_not_an_array_are_dropped() -> None:
    result = parse_tasks(b'[{"data": {"t": 1}, "annotations": 3}]', "x.json")
    assert result.tasks[0].dropped_annotations == [("annotations", "expected an array, got number")]
