"""The README's first paragraph, what a new user tries first, promises only what works: video and
exports are named only as not there yet."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"
NOT_YET = re.compile(r"\bnot\b.*\byet\b|\bcoming\b", re.IGNORECASE)


def first_paragraph(text: str) -> str:
    """The first paragraph after the title."""
    body = text.split("\n", 1)[1].strip()
    return " ".join(body.split("\n\n", 1)[0].split())


def unkept_promises(paragraph: str) -> list[str]:
    """Sentences that name video or exports without saying they are not there yet."""
    sentences = re.split(r"(?<=[.;])\s+", paragraph)
    return [
        s
        for s in sentences
        if re.search(r"\bvideo|\bexport", s, re.IGNORECASE) and not NOT_YET.search(s)
    ]


def test_the_check_catches_the_old_promise() -> None:
    old = "people annotate images, text and video in the browser, and labels leave as exports."
    assert unkept_promises(old) == [old]
    assert unkept_promises("Video is not supported yet, and exports are coming.") == []
    assert unkept_promises("Video works; exports yet to come.") != []


def test_the_readme_first_paragraph_promises_no_video_or_export() -> None:
    paragraph = first_paragraph(README.read_text(encoding="utf-8"))
    assert "images" in paragraph
    assert unkept_promises(paragraph) == []
