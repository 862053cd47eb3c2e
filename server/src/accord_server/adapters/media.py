"""Media probing: decide an upload's kind from its extension and check it against its content.

Images are opened with Pillow restricted to the formats we serve; their size is read from the
header and checked against the pixel limit before any pixel is decoded. Text must be UTF-8.
Video and audio are checked by magic bytes only (deep probing with PyAV lives elsewhere).
"""

from __future__ import annotations

import codecs
import io
import posixpath
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image

from accord_server.adapters.png import PngDataError, check_png_data
from accord_server.schemas.enums import MediaKind

# Point clouds are not probed (yet): no extension maps to them.
_EXT_KIND: dict[str, MediaKind] = {
    **dict.fromkeys(
        (".jpg", ".jpeg", ".png", ".gif", ".bmp", ".webp", ".tif", ".tiff"), MediaKind.IMAGE
    ),
    **dict.fromkeys((".txt", ".md"), MediaKind.TEXT),
    **dict.fromkeys((".mp4", ".webm", ".mov", ".mkv", ".avi"), MediaKind.VIDEO),
    **dict.fromkeys((".wav", ".mp3", ".ogg", ".flac", ".m4a"), MediaKind.AUDIO),
}
_TEXT_MIME = {".txt": "text/plain", ".md": "text/markdown"}
# Pillow formats we accept, with their MIME type. Restricting Image.open to these also keeps
# Pillow away from plugins that shell out or parse exotic containers (EPS, PSD, ...).
_IMAGE_FORMATS = {
    "JPEG": "image/jpeg",
    "MPO": "image/jpeg",  # a JPEG with extra frames, as written by many phone cameras
    "PNG": "image/png",
    "GIF": "image/gif",
    "BMP": "image/bmp",
    "WEBP": "image/webp",
    "TIFF": "image/tiff",
}
_SNIFF_LEN = 8192


class MediaError(Exception):
    """An upload refused by probing; ``str()`` reads ``<filename>: <reason>``."""

    def __init__(self, filename: str, reason: str) -> None:
        super().__init__(f"{filename}: {reason}")
        self.filename = filename
        self.reason = reason


class MediaTooLarge(MediaError):
    """An upload past the byte limit (map to ``TooLarge`` rather than ``Invalid``)."""


@dataclass(frozen=True, slots=True)
class MediaProbe:
    """What probing learned about one accepted file."""

    kind: MediaKind
    mime: str
    width: int | None
    height: int | None
    text_length: int | None
    size: int


def _ftyp_mime(data: bytes, kind: MediaKind) -> str:
    brand = data[8:12]
    if brand in (b"M4A ", b"M4B ", b"M4P ") or kind == "audio":
        return "audio/mp4"
    return "video/quicktime" if brand == b"qt  " else "video/mp4"


def _ebml_mime(data: bytes, kind: MediaKind) -> str:
    return "video/webm" if b"webm" in data[:64] else "video/x-matroska"


def _is_mpeg_frame_sync(data: bytes) -> bool:
    # 11 set sync bits, then a layer field that is not "reserved" (00 there is ADTS AAC).
    return len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0 and data[1] & 0x06 != 0


# (test, kinds the container may hold, mime given the data and the extension's kind)
_Signature = tuple[Callable[[bytes], bool], frozenset[str], Callable[[bytes, MediaKind], str]]
_AV_SIGNATURES: list[_Signature] = [
    (lambda d: d[4:8] == b"ftyp", frozenset({"video", "audio"}), _ftyp_mime),
    (lambda d: d[:4] == b"\x1a\x45\xdf\xa3", frozenset({"video"}), _ebml_mime),
    (
        lambda d: d[:4] == b"RIFF" and d[8:12] == b"AVI ",
        frozenset({"video"}),
        lambda d, k: "video/x-msvideo",
    ),
    (
        lambda d: d[:4] == b"RIFF" and d[8:12] == b"WAVE",
        frozenset({"audio"}),
        lambda d, k: "audio/wav",
    ),
    (lambda d: d[:3] == b"ID3", frozenset({"audio"}), lambda d, k: "audio/mpeg"),
    (lambda d: d[:4] == b"OggS", frozenset({"audio"}), lambda d, k: "audio/ogg"),
    (lambda d: d[:4] == b"fLaC", frozenset({"audio"}), lambda d, k: "audio/flac"),
]
# Two bytes of MPEG frame sync are too weak to say what unknown content is (a UTF-16 BOM
# matches), so they only confirm a file that is already named .mp3.
_MP3_SYNC: _Signature = (_is_mpeg_frame_sync, frozenset({"audio"}), lambda d, k: "audio/mpeg")
_NOUN = {"image": "an image", "text": "text", "video": "video", "audio": "audio"}
_IMAGE_MAGIC = (
    b"\xff\xd8\xff",
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
)


def _looks_like_text(data: bytes) -> bool:
    head = data[:_SNIFF_LEN]
    if not head or b"\x00" in head:
        return False
    try:
        # final=False: a multi-byte character cut at the sniff boundary is not an error.
        codecs.getincrementaldecoder("utf-8")().decode(head.removeprefix(codecs.BOM_UTF8))
    except UnicodeDecodeError:
        return False
    return True


def _sniff_kind(data: bytes) -> str | None:
    """The kind the content looks like, or None when it matches nothing we know."""
    if data.startswith(_IMAGE_MAGIC) or (data[:4] == b"RIFF" and data[8:12] == b"WEBP"):
        return "image"
    for test, kinds, _ in _AV_SIGNATURES:
        if test(data):
            return "video" if "video" in kinds else "audio"
    if _looks_like_text(data):
        return "text"
    return None


def _wrong_content(filename: str, data: bytes, expected: str) -> MediaError | None:
    actual = _sniff_kind(data)
    if actual is None or actual == expected:
        return None
    return MediaError(filename, f"content is {actual}, not {_NOUN[expected]}")


def _header_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the header alone, through the same plugin Image.open would use.

    Image.open refuses huge images itself, but only with a pixel count; this reads the size
    first so the refusal can name the dimensions, and so that our own limit is checked before
    Pillow's (which is process-global and may be configured differently).
    """
    header = _header(data)
    return None if header is None else header[0]


def _header(data: bytes) -> tuple[tuple[int, int], int | None] | None:
    """The size in the header and the EXIF orientation, if any; None for no header we read."""
    Image.init()
    prefix = data[:16]
    for fmt in _IMAGE_FORMATS:
        factory, accept = Image.OPEN.get(fmt, (None, None))
        if factory is None:
            continue
        accepted = accept(prefix) if accept is not None else True
        if not accepted or isinstance(accepted, str):  # a str is Pillow's "almost" warning
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a truncated start is no image, not a warning
                with factory(io.BytesIO(data), "") as im:
                    return im.size, _orientation(im)
        except Exception:  # noqa: BLE001 — a bad header; Image.open below reports it
            return None
    return None


def _orientation(im: Image.Image) -> int | None:
    if im.format == "PNG" and "exif" not in im.info:
        # No eXIf chunk before the image data. Pillow would look for one after it by decoding
        # every pixel (~670 MiB for a 13,000 x 13,000 PNG, and the whole size allocated even
        # for the first megabyte of one): not worth an orientation that PNGs hardly carry.
        return None
    try:
        value = im.getexif().get(_EXIF_ORIENTATION)
    except Exception:  # noqa: BLE001 — a broken EXIF block is no orientation
        return None
    return value if isinstance(value, int) else None


_EXIF_ORIENTATION = 0x0112
_TRANSPOSED = frozenset({5, 6, 7, 8})
"""EXIF orientations that turn the image a quarter: shown, its width is the stored height."""

IMAGE_HEAD_BYTES = 1024 * 1024
"""Bytes from an image's start that ``image_size`` is given: the header, EXIF included, of any
image but a JPEG with an unusually large metadata block before its frame header."""


def image_size(head: bytes) -> tuple[int, int] | None:
    """The width and height an image is shown at, from the first bytes of its file (its
    header; ``IMAGE_HEAD_BYTES`` are enough for nearly all). Browsers apply the EXIF orientation,
    so a JPEG turned a quarter by it has its stored width and height swapped, as the workspace
    reports them. None when the bytes hold no image header we read (formats as uploads)."""
    header = _header(head)
    if header is None:
        return None
    (width, height), orientation = header
    return (height, width) if orientation in _TRANSPOSED else (width, height)


def _check_pixels(filename: str, size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width <= 0 or height <= 0:
        raise MediaError(filename, f"image has an empty size ({width}×{height})")
    if width * height > max_pixels:
        raise MediaError(
            filename,
            f"image of {width}×{height} pixels exceeds the limit of {max_pixels} pixels "
            "(decompression bomb)",
        )


MAX_DECODE_PIXELS = 50_000_000
"""Default of ``ACCORD_MAX_DECODE_PIXELS``: the most pixels an image is decoded at in memory
(Pillow holds 4 bytes a pixel for RGB: ~200 MiB). Decoding a 13,000 x 13,000 image in full
took ~670 MiB of a worker or API process."""


def _pixels(size: tuple[int, int]) -> int:
    return size[0] * size[1]


def _decode_all(im: Image.Image, data: bytes, filename: str, max_decode_pixels: int) -> None:
    """Decode every pixel of an opened image to check it, holding at most ``max_decode_pixels``
    of them: a JPEG larger than that decodes at 1/2, 1/4 or 1/8 of its size (libjpeg's DCT
    scaling still reads all of its data), a PNG's compressed data is inflated and checked in
    pieces (``png.check_png_data``); another format that large is refused."""
    size = im.size
    if _pixels(size) > max_decode_pixels and im.format in ("JPEG", "MPO"):
        scale = next(
            (s for s in (2, 4, 8) if _pixels((size[0] // s, size[1] // s)) <= max_decode_pixels),
            8,
        )
        im.draft(im.mode, (max(1, size[0] // scale), max(1, size[1] // scale)))
    if _pixels(im.size) <= max_decode_pixels:
        im.load()
    elif im.format == "PNG":
        try:
            check_png_data(data)
        except PngDataError as exc:
            raise MediaError(filename, f"not a decodable image ({exc})") from None
    else:
        raise MediaError(
            filename,
            f"image of {size[0]}×{size[1]} pixels is larger than {max_decode_pixels:,} pixels, "
            f"the most a {im.format} image is decoded at (ACCORD_MAX_DECODE_PIXELS); save it "
            "as PNG or JPEG",
        )


def _probe_image(data: bytes, filename: str, max_pixels: int, max_decode_pixels: int) -> MediaProbe:
    header = _header_size(data)
    formats = [fmt for fmt in _IMAGE_FORMATS if fmt in Image.OPEN]  # MPO opens through JPEG
    if header is not None:
        _check_pixels(filename, header, max_pixels)
    try:
        # Pillow warns past its own MAX_IMAGE_PIXELS; our explicit limit above decides instead.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as im:
                width, height = im.size
                fmt = str(im.format)
                _check_pixels(filename, im.size, max_pixels)
                im.verify()
            # verify() leaves the image unusable; decode from a fresh handle.
            with Image.open(io.BytesIO(data), formats=formats) as im:
                _decode_all(im, data, filename, max_decode_pixels)
    except MediaError:
        raise
    except Image.DecompressionBombError as exc:
        raise MediaError(filename, f"{exc} (decompression bomb)") from None
    except Exception as exc:  # noqa: BLE001 — Pillow raises many types on hostile input
        wrong = _wrong_content(filename, data, "image")
        if wrong is not None:
            raise wrong from None
        detail = str(exc).split(" <_io.BytesIO")[0] or type(exc).__name__
        raise MediaError(filename, f"not a decodable image ({detail})") from None
    return MediaProbe(MediaKind.IMAGE, _IMAGE_FORMATS[fmt], width, height, None, len(data))


def _probe_text(data: bytes, filename: str, ext: str) -> MediaProbe:
    try:
        text = data.removeprefix(codecs.BOM_UTF8).decode("utf-8")
    except UnicodeDecodeError as exc:
        if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            raise MediaError(filename, "text is UTF-16; save it as UTF-8") from None
        wrong = _wrong_content(filename, data, "text")
        if wrong is not None:
            raise wrong from None
        bad = data[exc.start : exc.start + 1].hex()
        raise MediaError(
            filename, f"not valid UTF-8 text (byte 0x{bad} at offset {exc.start})"
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        # PostgreSQL stores no U+0000 (refused on SQLite too: one rule for both databases).
        raise MediaError(
            filename,
            f"text contains a NUL character (U+0000) at character {nul}, which cannot be "
            "stored; remove it",
        )
    return MediaProbe(MediaKind.TEXT, _TEXT_MIME[ext], None, None, len(text), len(data))


def _probe_av(data: bytes, filename: str, kind: MediaKind, ext: str) -> MediaProbe:
    signatures = [*_AV_SIGNATURES, _MP3_SYNC] if ext == ".mp3" else _AV_SIGNATURES
    for test, kinds, mime in signatures:
        if test(data):
            if kind not in kinds:
                actual = "video" if "video" in kinds else "audio"
                raise MediaError(filename, f"content is {actual}, not {kind}")
            return MediaProbe(kind, mime(data, kind), None, None, None, len(data))
    wrong = _wrong_content(filename, data, kind)
    if wrong is not None:
        raise wrong
    raise MediaError(filename, f"not a recognizable {kind} file (unknown signature)")


def media_kind(filename: str) -> MediaKind | None:
    """The kind of media a file name's extension says (None for another file)."""
    ext = posixpath.splitext(filename.lower())[1]
    return _EXT_KIND.get(ext)


def probe_media(
    data: bytes,
    filename: str,
    *,
    max_image_pixels: int = 178_956_970,
    max_decode_pixels: int = MAX_DECODE_PIXELS,
    max_bytes: int | None = None,
) -> MediaProbe:
    """Probe one upload; raise ``MediaError`` (``<filename>: <reason>``) when it is refused."""
    if max_bytes is not None and len(data) > max_bytes:
        raise MediaTooLarge(
            filename, f"file of {len(data)} bytes exceeds the limit of {max_bytes} bytes"
        )
    dot = filename.rfind(".")
    ext = filename[dot:].lower() if dot > filename.rfind("/") else ""
    kind = _EXT_KIND.get(ext)
    if kind is None:
        reason = f"unsupported file type '{ext}'" if ext else "file has no extension"
        raise MediaError(filename, reason)
    if not data:
        raise MediaError(filename, "empty file")
    if kind == MediaKind.IMAGE:
        return _probe_image(data, filename, max_image_pixels, max_decode_pixels)
    if kind == MediaKind.TEXT:
        return _probe_text(data, filename, ext)
    return _probe_av(data, filename, kind, ext)


__all__ = [
    "IMAGE_HEAD_BYTES",
    "MediaError",
    "MediaProbe",
    "MediaTooLarge",
    "image_size",
    "media_kind",
    "probe_media",
]


def make_thumbnail(
    data: bytes, *, size: int, max_pixels: int, max_decode_pixels: int = MAX_DECODE_PIXELS
) -> bytes:
    """A JPEG no larger than ``size``×``size`` of an image, refusing decompression bombs as
    ``probe_media`` does (``MediaError``), and images that would decode at more than
    ``max_decode_pixels`` (a JPEG decodes at a reduced scale, so only a non-JPEG that large)."""
    header = _header_size(data)
    if header is not None:
        _check_pixels("thumbnail", header, max_pixels)
    formats = [fmt for fmt in _IMAGE_FORMATS if fmt in Image.OPEN]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=formats) as im:
                _check_pixels("thumbnail", im.size, max_pixels)
                width, height = im.size
                im.draft("RGB", (size, size))  # JPEG decodes at a reduced scale: much faster
                if _pixels(im.size) > max_decode_pixels:
                    raise MediaError(
                        "thumbnail",
                        f"image of {width}×{height} pixels is larger than "
                        f"{max_decode_pixels:,} pixels, the most a thumbnail is made from "
                        "(ACCORD_MAX_DECODE_PIXELS)",
                    )
                im.thumbnail((size, size))
                rgb = im.convert("RGBA") if im.mode in ("P", "LA", "PA") else im
                if rgb.mode == "RGBA":
                    flat = Image.new("RGB", rgb.size, "white")
                    flat.paste(rgb, mask=rgb.getchannel("A"))
                    rgb = flat
                out = io.BytesIO()
                rgb.convert("RGB").save(out, "JPEG", quality=80, optimize=True)
                return out.getvalue()
    except MediaError:
        raise
    except Image.DecompressionBombError as exc:
        raise MediaError("thumbnail", f"{exc} (decompression bomb)") from None
    except Exception as exc:  # noqa: BLE001 — Pillow raises many types on hostile input
        raise MediaError("thumbnail", f"not a decodable image ({type(exc).__name__})") from None
