"""Request input that could not be stored is refused (422, naming the field) before any
endpoint runs: a NUL character or a lone surrogate in a JSON body, a path or a query; a NaN, an
integer or a nesting depth in a JSON body that the database's JSON columns cannot hold. The rule,
and why, is in ``schemas/storable.py``; the body is decoded in ``bodies``.

Most bodies are checked by a look at their bytes and, when they could be nested too deep, by
orjson writing them (what the database's JSON columns do); the walk that finds the field runs
only for a body that fails those, holds an escaped NUL, or was read by Python's decoder (orjson
refused it). A large body, read by Python's decoder in pieces, is written a piece at a time, in
the thread that decoded it, so that the event loop gets its turns."""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.params import Form
from fastapi.routing import APIRoute
from pydantic import BaseModel

from accord_server.api.bodies import LARGE_BODY_BYTES, JsonRequest, read_json_body
from accord_server.schemas.storable import (
    MAX_DEPTH,
    CheckedPerRow,
    dotted,
    find_unstorable,
    text_problem,
)
from accord_server.services.errors import Invalid, field_error

Handler = Callable[[Request], Coroutine[Any, Any, Response]]

_PIECE_DEPTH = 2
"""Containers shallower than this are walked; each deeper value, or a run of ``_RUN`` items of
an array, is written by one orjson call."""
_RUN = 256


def _refuse(where: str, reason: str) -> Invalid:
    return Invalid(f"{where}: {reason}", details={"errors": [field_error(where, reason)]})


def check_url(request: Request) -> None:
    """A NUL character in the path or the query (``%00``) names its parameter. (Lone
    surrogates cannot come through a URL: a byte that is not UTF-8 decodes as U+FFFD.)"""
    scope = request.scope
    if "\x00" in scope["path"]:
        for name, value in request.path_params.items():
            if isinstance(value, str) and (reason := text_problem(value)) is not None:
                raise _refuse(name, reason)
    if b"%00" in scope.get("query_string", b""):
        for name, value in request.query_params.multi_items():
            if (reason := text_problem(name) or text_problem(value)) is not None:
                raise _refuse(name, reason)


def check_body(value: Any, body: bytes, lax: bool, *, per_row: frozenset[str]) -> None:
    """Refuse a decoded JSON body holding what cannot be stored, naming where (the top-level
    fields in ``per_row`` may hold strings that cannot: their job reports them per row)."""
    if b"\\u0000" in body or (
        lax and (len(body) <= LARGE_BODY_BYTES or b"NaN" in body or b"Infinity" in body)
    ):
        walk = True
    elif lax or body.count(b"[") + body.count(b"{") > MAX_DEPTH:
        walk = not _writable(value, 0)
    else:
        return
    found = find_unstorable(value, skip=per_row) if walk else None
    if found is not None:
        path, reason = found
        raise _refuse(dotted(path) or "body", reason)


def _writable(value: Any, depth: int) -> bool:
    """Whether orjson writes ``value`` (inside ``depth`` containers), a piece at a time."""
    if depth < _PIECE_DEPTH and type(value) is dict:
        for key, item in value.items():
            if text_problem(key) is not None or not _writable(item, depth + 1):
                return False
        return True
    if depth < _PIECE_DEPTH and type(value) is list:
        # A run of items, written inside one list for this one: at the same depth.
        runs = (value[start : start + _RUN] for start in range(0, len(value), _RUN))
        return all(_written(run, depth) for run in runs)
    return _written(value, depth)


def _written(value: Any, depth: int) -> bool:
    for _ in range(depth):
        value = [value]
    try:
        orjson.dumps(value)
    except orjson.JSONEncodeError:
        return False
    return True


def per_row_fields(route: APIRoute) -> frozenset[str]:
    """The fields of a route's body model marked ``CheckedPerRow``."""
    model = route.body_field.field_info.annotation if route.body_field else None
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        return frozenset()
    return frozenset(
        name
        for name, info in model.model_fields.items()
        if any(isinstance(m, CheckedPerRow) for m in info.metadata)
    )


def checked_input(route: APIRoute, handler: Handler) -> Handler:
    """``handler`` (a route's) behind the checks of its path and query and, when it takes a JSON
    body, the body's decoding (``bodies``) and check."""
    field = route.body_field
    if field is None or isinstance(field.field_info, Form):
        json_body = None  # no body, or a form (uploads are streamed, never read whole)
    else:
        json_body = functools.partial(check_body, per_row=per_row_fields(route))

    if json_body is None:

        async def checked_url(request: Request) -> Response:
            check_url(request)
            return await handler(request)

        return checked_url

    async def checked(request: Request) -> Response:
        check_url(request)
        request = JsonRequest(request.scope, request.receive)
        await read_json_body(request, json_body)
        return await handler(request)

    return checked
