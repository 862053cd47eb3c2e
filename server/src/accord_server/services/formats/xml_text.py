"""Writing and reading the XML of the XML formats (Pascal VOC, CVAT), shared so both write the
same bytes for the same values and read hostile files the same safe way.

Writing is plain text with escaping (no DOM: a writer emits an element as it goes, and the
output must be byte-identical for the same input). Reading goes through ``defusedxml``, which
refuses any document type declaration: no entities (billion laughs, quadratic blowup), no
external references (files or the network) are ever expanded."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import IO
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse, parse

__all__ = [
    "XmlError",
    "attr",
    "guess_value",
    "iter_elements",
    "number",
    "parse_file",
    "text",
]

# Characters XML 1.0 cannot hold at all, even escaped (C0 controls but tab, CR and LF).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


class XmlError(ValueError):
    """A file that is not well-formed XML, or that declares a DTD (refused: entities and
    external references are how hostile XML attacks a reader)."""


def text(value: str) -> str:
    """``value`` as element text: ``&``, ``<``, ``>`` escaped, characters XML cannot hold
    removed."""
    value = _NOT_XML.sub("", value)
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def attr(value: str) -> str:
    """``value`` as a double-quoted attribute value (quotes included); tabs and line breaks
    kept as character references, since a parser folds literal ones into spaces."""
    escaped = text(value).replace('"', "&quot;")
    escaped = escaped.replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;")
    return f'"{escaped}"'


def number(value: float, places: int | None = None) -> str:
    """A number as text, the same for the same value: ``places`` fixed decimals when given
    (CVAT writes coordinates with two), else an integral value without ``.0`` and others as
    Python's shortest round-tripping form."""
    if not math.isfinite(value):
        raise ValueError(f"not a finite number: {value!r}")
    if places is not None:
        out = f"{value:.{places}f}"
        return f"{0.0:.{places}f}" if float(out) == 0 else out  # never "-0.00"
    if float(value).is_integer():
        return str(int(value))
    return repr(float(value))


def iter_elements(source: Path | IO[bytes], tags: frozenset[str]) -> Iterator[Element]:
    """The elements named in ``tags``, each yielded once complete (its end tag read), in
    document order; each is cleared after the caller is done with it, so a file of any size
    is read in constant memory when the caller keeps nothing of the elements.

    Raises ``XmlError`` when the file is not well-formed or declares a DTD."""
    open_elements: list[Element] = []
    try:
        for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
            if event == "start":
                open_elements.append(element)
                continue
            open_elements.pop()
            if element.tag in tags:
                yield element
                element.clear()
                if open_elements:  # nor keep an empty husk per element in its parent
                    open_elements[-1].remove(element)
    except DefusedXmlException as e:
        raise XmlError(f"refused: {type(e).__name__} (DTDs and entities are not read)") from e
    except ParseError as e:
        raise XmlError(f"not well-formed XML: {e}") from e


def parse_file(path: Path) -> Element:
    """The root element of a small file read whole (a VOC annotation: one image's objects).

    Raises ``XmlError`` when the file is not well-formed or declares a DTD."""
    try:
        root = parse(path, forbid_dtd=True).getroot()
    except DefusedXmlException as e:
        raise XmlError(f"refused: {type(e).__name__} (DTDs and entities are not read)") from e
    except ParseError as e:
        raise XmlError(f"not well-formed XML: {e}") from e
    if root is None:
        raise XmlError("no root element")
    return root


def guess_value(value: str) -> bool | float | str:
    """An attribute value written as text, typed again: ``true``/``false`` as booleans, finite
    numbers as floats (Accord keeps attribute numbers as floats), anything else as text."""
    if value in ("true", "false"):
        return value == "true"
    try:
        parsed = float(value)
    except ValueError:
        return value
    return parsed if math.isfinite(parsed) else value
