"""Images are checked and thumbnailed within a decode budget (``max_decode_pixels``): no image is
decoded at more pixels than that, whatever its size (issue 13: a 13,000 x 13,000 image cost a
worker ~670 MiB). A larger JPEG decodes at a reduced scale, a larger PNG's data is inflated and
checked in pieces, a larger image of another format is refused; nothing decodes a PNG to read
its size or orientation."""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterator

import pytest
from PIL import Image, ImageFile

from accord_server.adapters.media import MediaError, image_size, make_thumbnail, probe_media


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[int, int]]]:
    """The size of every image Pillow decodes (at the scale it decodes it at)."""
    sizes: list[tuple[int, int]] = []
    load = ImageFile.ImageFile.load

    def recording(self: ImageFile.ImageFile) -> object:
        sizes.append(self.size)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", recording)
    yield sizes


def _encoded(fmt: str, size: tuple[int, int]) -> bytes:
    out = io.BytesIO()
    image = Image.radial_gradient("L").resize(size).convert("RGB")
    image.save(out, format=fmt)
    return out.getvalue()


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


ADAM7 = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2)]
ADAM7 += [(0, 1, 1, 2)]


def _scanlines(width: int, height: int, bits: int, interlace: int, bad_row: int = -1) -> bytes:
    """Raw PNG image data: every scanline with filter 0 (``bad_row``'s with filter 7)."""
    out = bytearray()
    row = 0
    for x0, y0, dx, dy in ADAM7 if interlace else [(0, 0, 1, 1)]:
        columns = len(range(x0, width, dx))
        if not columns:
            continue
        for _ in range(y0, height, dy):
            out.append(7 if row == bad_row else 0)
            out += bytes((i * 37) % 256 for i in range((columns * bits + 7) // 8))
            row += 1
    return bytes(out)


def _png(
    width: int,
    height: int,
    depth: int,
    colour: int,
    interlace: int,
    raw: bytes,
    parts: int = 1,
    damage: bool = False,
) -> bytes:
    """A PNG of this raw data (``damage``: its zlib stream damaged, the chunks' CRCs right)."""
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, interlace)
    data = zlib.compress(raw)
    if damage:
        data = data[:2] + b"\xff" * 6 + data[8:]
    step = -(-len(data) // parts)
    idats = b"".join(_chunk(b"IDAT", data[i : i + step]) for i in range(0, len(data), step))
    palette = _chunk(b"PLTE", bytes(range(48))) if colour == 3 else b""
    return b"\x89PNG\r\n\x1a\n" + _chunk(b"IHDR", ihdr) + palette + idats + _chunk(b"IEND", b"")


def _pillow_decodes(data: bytes) -> bool:
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
    except Exception:  # noqa: BLE001 - any failure is "does not decode"
        return False
    return True


# width, height, bit depth, colour type, interlace; bits per pixel
PNGS = [
    (37, 23, 8, 2, 0, 24),
    (37, 23, 8, 2, 1, 24),
    (5, 3, 1, 0, 1, 1),  # some passes have no column or no row
    (37, 23, 16, 6, 0, 64),
    (37, 23, 4, 3, 1, 4),
    (37, 23, 8, 4, 1, 16),
]


@pytest.mark.parametrize(("width", "height", "depth", "colour", "interlace", "bits"), PNGS)
def test_a_png_over_the_budget_is_checked_as_decoding_would_check_it(
    decoded: list[tuple[int, int]],
    width: int,
    height: int,
    depth: int,
    colour: int,
    interlace: int,
    bits: int,
) -> None:
    def png(raw: bytes, parts: int = 1, damage: bool = False) -> bytes:
        return _png(width, height, depth, colour, interlace, raw, parts, damage)

    whole = _scanlines(width, height, bits, interlace)
    cases = {
        "whole": png(whole),
        "in many chunks": png(whole, parts=4),
        "with data past the last row": png(whole + b"\x00" * 40),
        "a byte short": png(whole[:-1]),
        "a scanline's filter unknown": png(_scanlines(width, height, bits, interlace, 2)),
        "data not zlib": png(whole, damage=True),
    }
    for case, data in cases.items():
        decodes = _pillow_decodes(data)  # Pillow, decoding it whole, is the reference
        assert decodes == (case.startswith(("whole", "in many", "with data"))), case
        decoded.clear()
        if decodes:
            probe = probe_media(data, "big.png", max_decode_pixels=width * height - 1)
            assert (probe.width, probe.height) == (width, height)
        else:
            with pytest.raises(MediaError, match=r"^big\.png: not a decodable image"):
                probe_media(data, "big.png", max_decode_pixels=width * height - 1)
        assert decoded == [], case  # not one pixel decoded


def test_a_large_jpeg_is_checked_at_a_reduced_scale(decoded: list[tuple[int, int]]) -> None:
    data = _encoded("JPEG", (400, 300))
    assert probe_media(data, "a.jpg", max_decode_pixels=400 * 300).width == 400
    assert decoded == [(400, 300)]  # within the budget: decoded whole, as before
    decoded.clear()
    probe = probe_media(data, "a.jpg", max_decode_pixels=20_000)
    assert (probe.width, probe.height) == (400, 300)
    assert decoded == [(100, 75)]  # 1/4: the largest scale within 20,000 pixels
    decoded.clear()
    with pytest.raises(MediaError, match="not a decodable image"):
        probe_media(data[: len(data) // 2], "cut.jpg", max_decode_pixels=20_000)
    assert all(w * h <= 20_000 for w, h in decoded)


@pytest.mark.parametrize(("fmt", "name"), [("GIF", "a.gif"), ("WEBP", "a.webp"), ("BMP", "a.bmp")])
def test_another_format_over_the_budget_is_refused(
    decoded: list[tuple[int, int]], fmt: str, name: str
) -> None:
    data = _encoded(fmt, (200, 100))
    assert probe_media(data, name, max_decode_pixels=20_000).width == 200
    with pytest.raises(MediaError) as info:
        probe_media(data, name, max_decode_pixels=19_999)
    assert str(info.value) == (
        f"{name}: image of 200×100 pixels is larger than 19,999 pixels, the most a {fmt} image "
        "is decoded at (ACCORD_MAX_DECODE_PIXELS); save it as PNG or JPEG"
    )
    assert decoded == [(200, 100)]  # the first probe only


def test_thumbnails_are_made_within_the_budget(decoded: list[tuple[int, int]]) -> None:
    jpeg = make_thumbnail(
        _encoded("JPEG", (800, 600)), size=64, max_pixels=10**8, max_decode_pixels=20_000
    )
    with Image.open(io.BytesIO(jpeg)) as im:
        assert im.size == (64, 48)
    assert decoded[0] == (100, 75)  # decoded at 1/8
    decoded.clear()
    with pytest.raises(MediaError) as info:
        make_thumbnail(
            _encoded("PNG", (800, 600)), size=64, max_pixels=10**8, max_decode_pixels=20_000
        )
    assert str(info.value) == (
        "thumbnail: image of 800×600 pixels is larger than 20,000 pixels, the most a thumbnail "
        "is made from (ACCORD_MAX_DECODE_PIXELS)"
    )
    assert decoded == []


def test_a_png_s_size_is_read_without_decoding_it(decoded: list[tuple[int, int]]) -> None:
    data = _encoded("PNG", (300, 200))
    assert image_size(data[:100]) == (300, 200)  # the first bytes of it, as media sizes read it
    assert image_size(data) == (300, 200)
    assert decoded == []
