"""Media probing: kind by extension, checked against the content."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image, ImageFile

from accord_server.adapters import media as media_module
from accord_server.adapters.media import MediaError, MediaTooLarge, probe_media
from support import png_claiming


def _image(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buf, fmt)
    return buf.getvalue()


@pytest.mark.parametrize(
    ("fmt", "filename", "mime"),
    [
        ("PNG", "cat.png", "image/png"),
        ("JPEG", "cat.jpg", "image/jpeg"),
        ("JPEG", "CAT.JPEG", "image/jpeg"),
        ("GIF", "cat.gif", "image/gif"),
        ("WEBP", "cat.webp", "image/webp"),
        ("TIFF", "cat.tiff", "image/tiff"),
        ("BMP", "cat.bmp", "image/bmp"),
    ],
)
def test_images_are_probed_with_size(fmt: str, filename: str, mime: str) -> None:
    data = _image(fmt, (64, 48))
    probe = probe_media(data, filename)
    assert (probe.kind, probe.mime, probe.width, probe.height) == ("image", mime, 64, 48)
    assert probe.size == len(data)
    assert probe.text_length is None


def test_png_named_jpg_is_accepted_with_its_real_mime() -> None:
    probe = probe_media(_image("PNG", (10, 7)), "photo.jpg")
    assert (probe.kind, probe.mime, probe.width, probe.height) == ("image", "image/png", 10, 7)


def test_truncated_jpeg_is_refused() -> None:
    data = _image("JPEG", (256, 256))
    with pytest.raises(MediaError) as info:
        probe_media(data[: len(data) // 2], "cut.jpg")
    assert str(info.value).startswith("cut.jpg: not a decodable image (")
    assert info.value.filename == "cut.jpg"


def test_random_bytes_named_png_are_refused() -> None:
    data = b"\x00\x01" + random.Random(7).randbytes(500)
    with pytest.raises(MediaError) as info:
        probe_media(data, "cat.png")
    assert str(info.value) == "cat.png: not a decodable image (cannot identify image file)"


def test_text_named_jpg_is_refused() -> None:
    with pytest.raises(MediaError) as info:
        probe_media(b"these are my notes\n", "notes.jpg")
    assert str(info.value) == "notes.jpg: content is text, not an image"


def test_decompression_bomb_is_refused_before_decoding(monkeypatch: pytest.MonkeyPatch) -> None:
    data = png_claiming(30000, 30000)
    assert len(data) < 200  # cheap to make; would be 2.7 GB of RGB once decoded

    def no_decoding(self: ImageFile.ImageFile) -> None:
        raise AssertionError("pixels were decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    with pytest.raises(MediaError) as info:
        probe_media(data, "huge.png")
    assert str(info.value) == (
        "huge.png: image of 30000×30000 pixels exceeds the limit of 178956970 pixels "
        "(decompression bomb)"
    )
    # Below Pillow's own threshold too: our limit is checked from the header, not after load().
    with pytest.raises(MediaError, match="2000×2000 pixels exceeds the limit of 1000000"):
        probe_media(png_claiming(2000, 2000), "big.png", max_image_pixels=1_000_000)


def test_pixel_limit_is_configurable() -> None:
    data = _image("PNG", (100, 100))
    assert probe_media(data, "a.png", max_image_pixels=10_000).width == 100
    with pytest.raises(MediaError, match="100×100 pixels exceeds the limit of 9999"):
        probe_media(data, "a.png", max_image_pixels=9_999)


def test_pillow_own_bomb_error_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    # Should Pillow's process-wide limit be lower than ours, its refusal is still a MediaError.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(MediaError, match=r"^big\.png: .*decompression bomb"):
        probe_media(_image("PNG", (100, 100)), "big.png")


def test_utf8_text_length_counts_code_points() -> None:
    text = "héllo 👋🏽 wörld"
    data = "\ufeff".encode() + text.encode("utf-8")
    probe = probe_media(data, "greeting.txt")
    assert (probe.kind, probe.mime) == ("text", "text/plain")
    assert probe.text_length == len(text) == 14  # the BOM is not counted
    assert probe.size == len(data)
    assert probe_media(b"# Title", "readme.md").mime == "text/markdown"


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(MediaError) as info:
        probe_media(b"caf\xe9 au lait", "menu.txt")
    assert str(info.value) == "menu.txt: not valid UTF-8 text (byte 0xe9 at offset 3)"


def test_utf16_text_gets_a_helpful_message() -> None:
    with pytest.raises(MediaError, match="UTF-16"):
        probe_media("hi".encode("utf-16"), "notes.txt")


def test_image_named_txt_is_refused() -> None:
    with pytest.raises(MediaError, match=r"^x\.txt: content is image, not text$"):
        probe_media(_image("PNG"), "x.txt")


@pytest.mark.parametrize("filename", ["malware.exe", "archive.tar.gz", "README"])
def test_unknown_extension_is_refused(filename: str) -> None:
    with pytest.raises(MediaError) as info:
        probe_media(_image("PNG"), filename)
    assert str(info.value).startswith(f"{filename}: ")
    assert "unsupported file type" in str(info.value) or "no extension" in str(info.value)


def test_byte_limit() -> None:
    with pytest.raises(MediaTooLarge) as info:
        probe_media(b"x" * 11, "a.txt", max_bytes=10)
    assert str(info.value) == "a.txt: file of 11 bytes exceeds the limit of 10 bytes"
    assert probe_media(b"x" * 10, "a.txt", max_bytes=10).text_length == 10


def test_empty_file_is_refused() -> None:
    with pytest.raises(MediaError, match="empty file"):
        probe_media(b"", "a.png")


@pytest.mark.parametrize(
    ("filename", "head", "kind", "mime"),
    [
        ("clip.mp4", b"\x00\x00\x00\x18ftypisom\x00\x00\x02\x00", "video", "video/mp4"),
        ("clip.mov", b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", "video", "video/quicktime"),
        (
            "clip.webm",
            b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\x82\x84webm",
            "video",
            "video/webm",
        ),
        ("clip.mkv", b"\x1a\x45\xdf\xa3\x9f\x42\x82\x88matroska", "video", "video/x-matroska"),
        ("clip.avi", b"RIFF\x00\x10\x00\x00AVI LIST", "video", "video/x-msvideo"),
        ("song.wav", b"RIFF\x24\x08\x00\x00WAVEfmt ", "audio", "audio/wav"),
        ("song.mp3", b"ID3\x04\x00\x00\x00\x00\x00\x00", "audio", "audio/mpeg"),
        ("song.mp3", b"\xff\xfb\x90\x64\x00\x00", "audio", "audio/mpeg"),
        ("song.ogg", b"OggS\x00\x02\x00\x00", "audio", "audio/ogg"),
        ("song.flac", b"fLaC\x00\x00\x00\x22", "audio", "audio/flac"),
        ("song.m4a", b"\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", "audio", "audio/mp4"),
    ],
)
def test_video_and_audio_by_magic_bytes(filename: str, head: bytes, kind: str, mime: str) -> None:
    data = head + bytes(64)
    probe = probe_media(data, filename)
    assert (probe.kind, probe.mime, probe.size) == (kind, mime, len(data))
    assert probe.width is None and probe.text_length is None


@pytest.mark.parametrize(
    ("filename", "data", "reason"),
    [
        ("clip.mp4", b"OggS\x00\x02" + bytes(32), "content is audio, not video"),
        ("clip.mp4", _image("PNG"), "content is image, not video"),
        ("song.wav", b"RIFF\x00\x00\x00\x00AVI " + bytes(32), "content is video, not audio"),
        ("song.mp3", b"just some words", "content is text, not audio"),
        ("clip.webm", b"\x00\x01\x02\x03" * 8, "not a recognizable video file (unknown signature)"),
    ],
)
def test_video_and_audio_content_mismatch(filename: str, data: bytes, reason: str) -> None:
    with pytest.raises(MediaError) as info:
        probe_media(data, filename)
    assert str(info.value) == f"{filename}: {reason}"


def test_exotic_pillow_formats_are_not_opened() -> None:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buf, "PPM")  # Pillow reads it, but we do not serve it
    with pytest.raises(MediaError, match="not a decodable image"):
        probe_media(buf.getvalue(), "odd.png")
    assert "PPM" not in media_module._IMAGE_FORMATS
