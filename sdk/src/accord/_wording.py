"""Counts in what the SDK and CLI print: "1 task", "1,500 tasks"."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``count(1, "task")`` → ``1 task``; ``count(1500, "task")`` → ``1,500 tasks``."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"
