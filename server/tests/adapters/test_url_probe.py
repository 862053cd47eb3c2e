"""Reading an image's size from the start of its URL, against a local HTTP server (no
internet): what is read, what is refused, and how little is fetched."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from images_http import ImageServer, image_server, jpeg_turned, png
from PIL import Image

from accord_server.adapters.media import image_size
from accord_server.adapters.url_probe import is_http_url, probe_image_size


@pytest.fixture
def web() -> Iterator[ImageServer]:
    with image_server() as server:
        yield server


def _probe(url: str, max_bytes: int = 1 << 20, timeout: float = 2.0) -> tuple[int, int] | None:
    return probe_image_size(url, max_bytes=max_bytes, timeout=timeout)


def _jpeg_with_comments(kib: int) -> bytes:
    """A JPEG whose frame header comes after ``kib`` KiB of comment segments."""
    out = io.BytesIO()
    Image.new("RGB", (70, 50), "blue").save(out, format="JPEG")
    body = out.getvalue()
    comment = b"\xff\xfe" + (1026).to_bytes(2, "big") + b"x" * 1024
    return body[:2] + comment * kib + body[2:]


def test_the_size_is_read_from_at_most_max_bytes(web: ImageServer) -> None:
    web.files["/big.png"] = png(1200, 900, noise=True)
    assert _probe(web.url("/big.png")) == (1200, 900)
    assert web.ranges["/big.png"] == "bytes=0-1048575"
    # The frame header 200 KiB in: found within 256 KiB, not within 64 KiB.
    web.files["/late.jpg"] = _jpeg_with_comments(200)
    assert _probe(web.url("/late.jpg"), max_bytes=256 * 1024) == (70, 50)
    assert _probe(web.url("/late.jpg"), max_bytes=64 * 1024) is None
    assert web.ranges["/late.jpg"] == "bytes=0-65535"


def test_a_jpeg_turned_by_exif_is_measured_as_shown(web: ImageServer) -> None:
    web.files["/turned.jpg"] = jpeg_turned(40, 30)
    assert _probe(web.url("/turned.jpg")) == (30, 40)


@pytest.mark.parametrize(
    "path",
    ["/missing.png", "/notes.txt", "/slow.png", "/to-file", "/to-ftp"],
)
def test_what_is_no_image_gives_no_size(web: ImageServer, path: str) -> None:
    web.files["/notes.txt"] = b"just some words, not an image at all" * 10
    web.files["/slow.png"] = png(10, 10)
    web.slow.add("/slow.png")
    web.redirects["/to-file"] = "file:///etc/passwd"
    web.redirects["/to-ftp"] = "ftp://127.0.0.1/a.png"
    assert _probe(web.url(path), timeout=0.5) is None


def test_a_redirect_to_http_is_followed(web: ImageServer) -> None:
    web.files["/a.png"] = png(12, 7)
    web.redirects["/moved"] = web.url("/a.png")
    assert _probe(web.url("/moved")) == (12, 7)


def test_only_http_urls_are_fetched() -> None:
    for url in ("file:///etc/hostname", "ftp://x/a.png", "/api/v1/x", "a.png", "http://", 3):
        assert not is_http_url(url)
        if isinstance(url, str):
            assert _probe(url) is None
    assert is_http_url("https://images.example/a.jpg")


def test_a_prefix_short_of_the_header_gives_no_size() -> None:
    data = png(64, 48)
    assert image_size(data[:20]) is None
    assert image_size(data[:64]) == (64, 48)
    out = io.BytesIO()
    Image.new("RGB", (64, 48)).save(out, format="JPEG")
    assert image_size(out.getvalue()[:10]) is None
