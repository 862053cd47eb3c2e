"""Words in messages: counts with the right plural, nouns with the right article."""

from __future__ import annotations

__all__ = ["count", "with_article"]


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``count(1, "task")`` → ``1 task``, ``count(1500, "task")`` → ``1,500 tasks``."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def with_article(word: str) -> str:
    """``a text``, ``an image``, ``an audio``: by the first letter, which is right for the media
    kinds, tool types and file kinds the messages name."""
    return f"{'an' if word[:1].lower() in 'aeiou' and word else 'a'} {word}"
