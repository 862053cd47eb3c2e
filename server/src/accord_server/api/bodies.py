"""JSON request bodies, decoded once before FastAPI would, and checked before any endpoint runs.

A body of up to ``LARGE_BODY_BYTES`` is decoded on the event loop by orjson: strict (no NaN, no
lone surrogate) and several times faster than ``json.loads``, FastAPI's own. What orjson refuses
is read by Python's decoder, so that the check (``input_checks``) names a lone surrogate or a NaN
where it is instead of failing the whole body; what neither reads FastAPI answers as it did.

A larger body is decoded off the event loop in pieces. FastAPI decodes a JSON body with
``json.loads`` on the event loop. Moving that one call to a thread would not help: the C decoder
holds the GIL for the whole body (measured: a 15.7 MiB submit of 130,000 boxes held the loop for
0.4-0.5 s in a thread as on the loop). So a body longer than ``LARGE_BODY_BYTES`` is decoded here,
in a thread, a member at a time: the C decoder takes each member of the top object and of its
arrays and objects (one region of a submit, one task of an import), and between two members the
thread lets the loop run; the check runs in that thread too. The request is marked ``large``
(``is_large``) so that an ``@inline`` endpoint runs it in a thread too."""

from __future__ import annotations

import json
import json.scanner
import re
from collections.abc import Callable
from typing import Any

import orjson
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request

LARGE_BODY_BYTES = 256 * 1024
"""Bodies longer than this are decoded in a thread and their inline endpoint runs in one: a
256 KiB submit is ~2,000 boxes, ~25 ms of checks on a small VM; 20,000 boxes took 0.3-0.8 s."""

_LARGE = "accord.large_body"
_SCAN = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[arg-type]  # (typeshed)
"""The C decoder of one JSON value at an index, as ``json.loads`` uses it."""
_WHITESPACE = re.compile(r"[ \t\n\r]*")
_PIECE_DEPTH = 2
"""Containers this deep or deeper are decoded by one C call each (a region, a task row)."""


def is_large(request: Request) -> bool:
    """Whether this request's body is over ``LARGE_BODY_BYTES`` (known once it was read)."""
    return bool(request.scope.get(_LARGE))


_UNREAD = object()


def loads(body: bytes) -> tuple[Any, bool]:
    """A JSON body's value, and whether Python's decoder read it (orjson refused it: then it
    may hold what orjson would not, see ``input_checks``). Raises as ``json.loads`` does."""
    try:
        return orjson.loads(body), False
    except orjson.JSONDecodeError:
        return json.loads(body), True


class JsonRequest(Request):
    """A request whose JSON body is decoded here: FastAPI takes the value kept by
    ``read_json_body`` (or decodes it with ``loads``, once)."""

    _parsed: Any = _UNREAD

    async def json(self) -> Any:
        """The body's JSON value."""
        if self._parsed is _UNREAD:
            self._parsed = loads(await self.body())[0]
        return self._parsed

    def keep_json(self, value: Any) -> None:
        """Keep the body's value, decoded already, for FastAPI."""
        self._parsed = value


Check = Callable[[Any, bytes, bool], None]
"""A check of a decoded body: its value, its bytes, whether Python's decoder read it; raises
(a domain error) to refuse it."""


async def read_json_body(request: JsonRequest, check: Check) -> None:
    """Read the body; decode a JSON one (a large one in a thread, in pieces), ``check`` it (in
    the same thread) and keep its value where FastAPI takes it."""
    try:
        body = await request.body()
    except HTTPException:
        raise  # too large (``limits.BodyLimit``)
    except Exception as exc:
        # As FastAPI answers when reading fails (the client went away, say).
        raise HTTPException(400, detail="There was an error parsing the body") from exc
    large = len(body) > LARGE_BODY_BYTES
    if large:
        request.scope[_LARGE] = True
    if not body or not _is_json(request.headers.get("content-type")):
        return  # FastAPI refuses it as it would (or takes the bytes as they are)
    try:
        if large:
            value = await run_in_threadpool(_decode_large, body, check)
        else:
            value, lax = loads(body)
            check(value, body, lax)
    except json.JSONDecodeError as exc:
        # What FastAPI raises for a body it cannot decode.
        raise RequestValidationError(
            [
                {
                    "type": "json_invalid",
                    "loc": ("body", exc.pos),
                    "msg": "JSON decode error",
                    "input": {},
                    "ctx": {"error": exc.msg},
                }
            ]
        ) from exc
    except (ValueError, RecursionError):
        return  # not UTF-8 (nor -16, -32), nested too deep: FastAPI fails the same way
    request.keep_json(value)


def _decode_large(body: bytes, check: Check) -> Any:
    value = loads_in_pieces(body)
    check(value, body, True)
    return value


def _is_json(content_type: str | None) -> bool:
    """The content types FastAPI decodes as JSON (``application/json``, ``…+json``; parameters
    and case aside). Read by hand: ``email.message``, which FastAPI uses, costs ~10 µs a body."""
    if not content_type:
        return False
    maintype, _, subtype = content_type.partition(";")[0].strip().lower().partition("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


def loads_in_pieces(body: bytes | str) -> Any:
    """``json.loads(body)``: the same value, or a ``JSONDecodeError`` at the same position; the
    top levels are walked here, member by member, and everything deeper is one C call each."""
    text = (
        body.decode(json.detect_encoding(body), "surrogatepass")
        if isinstance(body, bytes)
        else body
    )
    if text.startswith("\ufeff"):
        raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
    value, end = _value(text, _skip(text, 0), 0)
    end = _skip(text, end)
    if end != len(text):
        raise json.JSONDecodeError("Extra data", text, end)
    return value


def _skip(text: str, index: int) -> int:
    match = _WHITESPACE.match(text, index)
    assert match is not None  # matches the empty string too
    return match.end()


def _value(text: str, index: int, depth: int) -> tuple[Any, int]:
    if depth < _PIECE_DEPTH:
        char = text[index : index + 1]
        if char == "{":
            return _object(text, index + 1, depth + 1)
        if char == "[":
            return _array(text, index + 1, depth + 1)
    try:
        value, end = _SCAN(text, index)
    except StopIteration as missing:
        raise json.JSONDecodeError("Expecting value", text, missing.value) from None
    return value, end


def _array(text: str, index: int, depth: int) -> tuple[list[Any], int]:
    items: list[Any] = []
    index = _skip(text, index)
    if text[index : index + 1] == "]":
        return items, index + 1
    while True:
        item, index = _value(text, index, depth)
        items.append(item)
        index = _skip(text, index)
        char = text[index : index + 1]
        if char == "]":
            return items, index + 1
        if char != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
        index = _skip(text, index + 1)


def _object(text: str, index: int, depth: int) -> tuple[dict[str, Any], int]:
    members: dict[str, Any] = {}
    index = _skip(text, index)
    if text[index : index + 1] == "}":
        return members, index + 1
    while True:
        if text[index : index + 1] != '"':
            raise json.JSONDecodeError(
                "Expecting property name enclosed in double quotes", text, index
            )
        key, index = json.decoder.scanstring(text, index + 1)  # type: ignore[attr-defined]
        index = _skip(text, index)
        if text[index : index + 1] != ":":
            raise json.JSONDecodeError("Expecting ':' delimiter", text, index)
        members[key], index = _value(text, _skip(text, index + 1), depth)
        index = _skip(text, index)
        char = text[index : index + 1]
        if char == "}":
            return members, index + 1
        if char != ",":
            raise json.JSONDecodeError("Expecting ',' delimiter", text, index)
        index = _skip(text, index + 1)
