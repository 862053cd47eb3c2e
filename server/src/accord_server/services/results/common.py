"""What every kind of region shares: the media being annotated, one validation run's errors, and
readers of JSON values that report what is wrong at a path."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any

from accord_server.schemas.label_schema import LabelSchema
from accord_server.services.errors import field_error

MAX_ERRORS = 100

Json = dict[str, Any]


@dataclass(frozen=True)
class MediaInfo:
    """What is known about the item being annotated; ``None`` means unknown."""

    kind: str
    width: int | None = None
    height: int | None = None
    text_length: int | None = None
    frame_count: int | None = None


@dataclass
class Check:
    """State of one ``validate_result`` run: inputs and the errors found so far."""

    schema: LabelSchema
    media: MediaInfo
    region_types: dict[str, object]
    errors: list[Json] = field(default_factory=list)
    region: str | None = None

    def fail(self, path: str, message: str) -> None:
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(field_error(path, message, region=self.region))

    @property
    def full(self) -> bool:
        return len(self.errors) >= MAX_ERRORS

    @property
    def noun(self) -> str:
        return "frame" if self.media.kind == "video" else "image"

    @property
    def size(self) -> tuple[int, int] | None:
        w, h = self.media.width, self.media.height
        return (w, h) if w is not None and h is not None else None


def is_id(value: object) -> bool:
    """Whether ``value`` can be a region id (a non-empty string)."""
    return isinstance(value, str) and value != ""


def quote(value: object) -> str:
    """A value as it reads in a message: strings in JSON quotes, anything else as its repr."""
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def as_int(value: object) -> int | None:
    """A JSON integer; ``None`` for anything else (bools included)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_number(value: object) -> float | None:
    """A finite float from a JSON number; ``None`` for bools, strings, NaN and infinities."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def fmt(value: float) -> str:
    """A coordinate for a message, rounded to 3 decimals."""
    return str(round(value, 3))


def fields(check: Check, path: str, value: object, allowed: set[str]) -> Json | None:
    """The object at ``path``, with unknown keys reported; ``None`` if it is not an object."""
    if not isinstance(value, dict):
        check.fail(path, "required; must be an object")
        return None
    for key in unknown(value, allowed):
        check.fail(f"{path}.{key}", "unknown field")
    return value


def unknown(obj: Json, allowed: set[str]) -> list[str]:
    """The keys of ``obj`` not in ``allowed``."""
    return [str(key) for key in obj if key not in allowed]


def numbers(check: Check, path: str, obj: Json, keys: tuple[str, ...]) -> list[float] | None:
    """The finite numbers under ``keys`` of ``obj``; ``None`` (and an error each) if any is not."""
    values = [as_number(obj.get(key)) for key in keys]
    for key, number in zip(keys, values, strict=True):
        if number is None:
            check.fail(f"{path}.{key}", "required; must be a finite number")
    return None if any(v is None for v in values) else [v for v in values if v is not None]
