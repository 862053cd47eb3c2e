"""make_thumbnail: size, alpha flattened, decompression bombs and garbage refused."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from accord_server.adapters.media import MediaError, make_thumbnail


def _image(mode: str, size: tuple[int, int], fmt: str) -> bytes:
    out = io.BytesIO()
    Image.new(mode, size).save(out, format=fmt)
    return out.getvalue()


def _bomb_png(width: int = 30000, height: int = 30000) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.mark.parametrize(
    ("mode", "fmt"), [("RGB", "JPEG"), ("RGBA", "PNG"), ("P", "GIF"), ("L", "WEBP")]
)
def test_thumbnail_fits_the_box_and_is_a_jpeg(mode: str, fmt: str) -> None:
    data = make_thumbnail(_image(mode, (600, 1200), fmt), size=256, max_pixels=10**8)
    with Image.open(io.BytesIO(data)) as im:
        assert im.format == "JPEG" and im.mode == "RGB" and im.size == (128, 256)


def test_small_images_are_not_enlarged() -> None:
    data = make_thumbnail(_image("RGB", (40, 30), "PNG"), size=256, max_pixels=10**8)
    with Image.open(io.BytesIO(data)) as im:
        assert im.size == (40, 30)


def test_bombs_and_garbage_are_refused() -> None:
    with pytest.raises(MediaError, match="decompression bomb"):
        make_thumbnail(_bomb_png(), size=128, max_pixels=10**8)
    with pytest.raises(MediaError, match="decompression bomb"):
        make_thumbnail(_image("RGB", (200, 200), "PNG"), size=128, max_pixels=200 * 199)
    with pytest.raises(MediaError, match="not a decodable image"):
        make_thumbnail(b"not an image at all", size=128, max_pixels=10**8)
