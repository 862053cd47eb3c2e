"""A PNG's image data checked as decoding it would check it, without holding its pixels.

Pillow decodes a PNG into memory whole: ~4 bytes a pixel, ~670 MiB for 13,000 x 13,000.
``check_png_data`` inflates the IDAT chunks a megabyte at a time instead and checks that they
hold every scanline of the image (its size, bit depth, colour type and interlacing), each
starting with a known filter: what a decode would find wrong in the image data. The chunks'
structure and CRCs are Pillow's ``verify()``'s part."""

from __future__ import annotations

import struct
import zlib


class PngDataError(Exception):
    """What is wrong with a PNG's image data."""


_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}  # by colour type
_ADAM7 = (  # each pass of an interlaced PNG: first column, first row, column step, row step
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)
_INFLATE_STEP = 1024 * 1024
_INFLATE_FEED = 64 * 1024


def _png_passes(header: bytes) -> list[tuple[int, int]]:
    """Of each pass of a PNG's image data: how many scanlines, and their length in bytes (the
    filter byte included)."""
    width, height, depth, colour, _, _, interlace = struct.unpack(">IIBBBBB", header[:13])
    bits = depth * _PNG_CHANNELS.get(colour, 4)
    passes = []
    for x0, y0, dx, dy in _ADAM7 if interlace else ((0, 0, 1, 1),):
        columns, rows = -(-(width - x0) // dx), -(-(height - y0) // dy)
        if columns > 0 and rows > 0:
            passes.append((rows, 1 + (columns * bits + 7) // 8))
    return passes


def check_png_data(data: bytes) -> None:
    """What decoding a PNG checks of its image data, in bounded memory: its IDAT chunks inflate
    (zlib) to every scanline of the image, each starting with a known filter (0-4). The chunks'
    structure and CRCs are ``verify()``'s part; data past the last row is ignored, as Pillow
    ignores it."""
    view = memoryview(data)
    check = _Scanlines()
    pos = 8
    while pos + 8 <= len(view) and not (check.passes and check.produced >= check.expected):
        length, kind = struct.unpack(">I4s", view[pos : pos + 8])
        body = view[pos + 8 : pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            check.start(_png_passes(body.tobytes()))
        elif kind == b"IDAT":
            for at in range(0, len(body), _INFLATE_FEED):  # unconsumed input stays small
                check.feed(body[at : at + _INFLATE_FEED])
        elif kind == b"IEND":
            break
    if check.produced < check.expected or not check.passes:
        raise PngDataError(f"image data is truncated: {check.produced} of {check.expected} bytes")


class _Scanlines:
    """Inflates a PNG's image data a step at a time and checks each scanline's filter byte."""

    def __init__(self) -> None:
        self.inflate = zlib.decompressobj()
        self.passes: list[tuple[int, int]] = []
        self.left: list[tuple[int, int]] = []  # scanlines not yet reached, per pass
        self.filter_at = 0  # where the next scanline's filter byte is in the inflated data
        self.produced = 0
        self.expected = 0

    def start(self, passes: list[tuple[int, int]]) -> None:
        self.passes = passes
        self.left = list(reversed(passes))
        self.expected = sum(rows * length for rows, length in passes)

    def feed(self, data: memoryview) -> None:
        pending: bytes | memoryview = data
        while self.produced < self.expected:
            try:
                out = self.inflate.decompress(pending, _INFLATE_STEP)
            except zlib.error as exc:
                raise PngDataError(str(exc)) from None
            self._filters(out)
            self.produced += len(out)
            pending = self.inflate.unconsumed_tail
            if not pending and len(out) < _INFLATE_STEP:
                return  # this input is used up (a full step may leave output to fetch)

    def _filters(self, out: bytes) -> None:
        end = self.produced + len(out)
        while self.left and self.filter_at < end:
            rows, length = self.left[-1]
            if out[self.filter_at - self.produced] > 4:
                raise PngDataError("unknown PNG filter")
            self.filter_at += length
            self.left[-1] = (rows - 1, length)
            if rows == 1:
                self.left.pop()
