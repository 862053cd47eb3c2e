"""What a JSON value must be to be stored, on both databases alike, and where it is not.

PostgreSQL stores no U+0000 in text or JSONB; a lone surrogate (``"\\ud800"``, which Python's
JSON decoder lets through) is no character and cannot be encoded as UTF-8; the JSON columns are
written with orjson, which writes no integer past 64 bits, nothing nested 255 deep, and no NaN
or infinity (it would write ``null`` in their place). SQLite would keep some of these, but a
value must move between the two databases (and reach the web app), so the rule is one. Request
bodies are checked before they reach the database (``api/input_checks.py``), imported rows one by
one (their job reports the row and the field: ``services/imports/parsers.py``).
"""

from __future__ import annotations

import math
import re
from typing import Any

NUL_MESSAGE = "contains a NUL character (U+0000), which cannot be stored; remove it"
SURROGATE_MESSAGE = (
    "contains a lone surrogate ({code}), which is no character and cannot be stored as UTF-8; "
    "pair it or remove it"
)
INTEGER_MESSAGE = "{value} is too large a number to store (past 64 bits)"
NOT_FINITE_MESSAGE = "{value} is not a number that can be stored (NaN and Infinity are not JSON)"
MAX_DEPTH = 254
DEPTH_MESSAGE = f"nested more than {MAX_DEPTH} levels deep, which cannot be stored"

INT_MIN, INT_MAX = -(2**63), 2**64 - 1
"""The integers orjson writes (and both databases' JSON holds)."""

_SURROGATE = re.compile("[\ud800-\udfff]")
# In JSON text: an escaped high surrogate not followed by an escaped low one, or an escaped
# low one not preceded by a high one. (An escaped backslash before the "u" makes a false
# alarm, never a miss; the check that follows finds nothing there.)
_LONE_SURROGATE_ESCAPE = re.compile(
    rb"\\u[dD][89abAB][0-9a-fA-F]{2}(?!\\u[dD][c-fC-F])"
    rb"|(?<!\\u[dD][89abAB][0-9a-fA-F]{2})\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


class CheckedPerRow:
    """Marks a body field holding rows that a job checks one by one, reporting each bad row
    (an import's inline tasks): a request is not refused for their strings."""


PER_ROW = CheckedPerRow()

Path = list[str | int]
"""Where a value sits, outermost first: object keys and array indexes."""


def text_problem(text: str) -> str | None:
    """Why ``text`` cannot be stored (a NUL character, a lone surrogate), or None."""
    if "\x00" in text:
        return NUL_MESSAGE
    if not text.isascii():
        found = _SURROGATE.search(text)
        if found is not None:
            return SURROGATE_MESSAGE.format(code=f"U+{ord(found.group()):04X}")
    return None


def _number_problem(value: int | float) -> str | None:
    if type(value) is int:
        return None if INT_MIN <= value <= INT_MAX else INTEGER_MESSAGE.format(value=value)
    if type(value) is float and not math.isfinite(value):
        name = "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        return NOT_FINITE_MESSAGE.format(value=name)
    return None


def find_unstorable(
    value: Any, *, strings: bool = True, skip: frozenset[str] = frozenset()
) -> tuple[Path, str] | None:
    """The first place in a parsed JSON value that cannot be stored, with why, or None.

    A problem in an object's key is reported at the object; one nested too deep at the first
    container past the limit. ``strings=False`` checks numbers and nesting only; the values of
    the top-level keys in ``skip`` have their strings checked elsewhere (the rest here)."""
    if type(value) is dict and skip:
        for key, item in value.items():
            if strings and (reason := text_problem(key)) is not None:
                return [], reason
            found = _find(item, strings and key not in skip, 2)
            if found is not None:
                return [key, *found[0][::-1]], found[1]
        return None
    found = _find(value, strings, 1)
    if found is None:
        return None
    reversed_path, reason = found
    return reversed_path[::-1], reason


def _find(value: Any, strings: bool, depth: int) -> tuple[Path, str] | None:
    """``find_unstorable`` with the path innermost first (appended on the way out); ``depth``:
    how many containers deep ``value`` would be, if it is one."""
    kind = type(value)
    if kind is str:
        reason = text_problem(value) if strings else None
        return None if reason is None else ([], reason)
    if (kind is dict or kind is list) and depth > MAX_DEPTH:
        return [], DEPTH_MESSAGE
    if kind is dict:
        for key, item in value.items():
            if strings and (reason := text_problem(key)) is not None:
                return [], reason
            found = _find(item, strings, depth + 1)
            if found is not None:
                found[0].append(key)
                return found
        return None
    if kind is list:
        for index, item in enumerate(value):
            found = _find(item, strings, depth + 1)
            if found is not None:
                found[0].append(index)
                return found
        return None
    if kind is int or kind is float:
        reason = _number_problem(value)
        return None if reason is None else ([], reason)
    return None


def dotted(path: Path, prefix: str = "") -> str:
    """A path as the API names fields: ``data.tags[1]``, ``result[0].label``."""
    out = prefix
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def may_hold_lone_surrogates(data: bytes) -> bool:
    """Whether JSON text may hold an escaped lone surrogate (a quick look at the bytes)."""
    if b"\\ud" not in data and b"\\uD" not in data:
        return False
    return _LONE_SURROGATE_ESCAPE.search(data) is not None
