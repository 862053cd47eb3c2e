"""COCO compressed RLE: known vectors, round trips, malformed strings."""

from __future__ import annotations

import pytest

from accord_server.services.formats.coco_rle import decode_coco_rle, encode_coco_rle


@pytest.mark.parametrize(
    ("counts", "text"),
    [([3, 5, 2], "352"), ([0, 100], "0T3"), ([1, 2, 3, 10], "1238"), ([], "")],
)
def test_decode_known_vectors(counts: list[int], text: str) -> None:
    assert encode_coco_rle(counts) == text
    assert decode_coco_rle(text) == counts


@pytest.mark.parametrize(
    "counts",
    [[307200], [0, 5, 100000, 3, 17, 2**20, 1, 0, 40], [5, 100, 3, 1, 200, 0, 9999, 12, 1]],
)
def test_decode_round_trips_with_negative_deltas(counts: list[int]) -> None:
    assert decode_coco_rle(encode_coco_rle(counts)) == counts


@pytest.mark.parametrize("text", ["p", "0 ", "T", "1\x00"])
def test_decode_rejects_malformed(text: str) -> None:
    assert decode_coco_rle(text) is None
