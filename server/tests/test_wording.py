"""Counts and articles in messages: "1 task", "an image project"."""

from __future__ import annotations

import pytest

from accord_server.wording import count, with_article


@pytest.mark.parametrize(
    ("n", "expected"), [(0, "0 tasks"), (1, "1 task"), (2, "2 tasks"), (1500, "1,500 tasks")]
)
def test_count(n: int, expected: str) -> None:
    assert count(n, "task") == expected


def test_count_with_an_irregular_plural() -> None:
    assert count(1, "row or file", "rows or files") == "1 row or file"
    assert count(3, "row or file", "rows or files") == "3 rows or files"


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("image", "an image"),
        ("audio", "an audio"),
        ("text", "a text"),
        ("video", "a video"),
        ("pointcloud", "a pointcloud"),
        ("Image", "an Image"),
    ],
)
def test_with_article(word: str, expected: str) -> None:
    assert with_article(word) == expected
