"""An export's folder made into ONE download, byte for byte the same for the same files: the
single file itself when the format wrote one file (and no media), else a zip whose entries are
in sorted order, each with the same fixed time (1980-01-01, the zip format's first day), fixed
permissions and the same compression. Then it is hashed and stored, streamed."""

from __future__ import annotations

import hashlib
import mimetypes
import zipfile
from dataclasses import dataclass
from pathlib import Path

from accord_server.adapters.storage import Storage, derived_key, key_for_digest

ZIP_TIME = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o100644 << 16
"""A regular file, rw-r--r--, in a zip entry's external attributes."""
_CHUNK = 1024 * 1024
ZIP_TYPE = "application/zip"


@dataclass(frozen=True)
class Packed:
    """The download: where it is on disk, its name (the last part of the download's name) and
    content type."""

    path: Path
    name: str
    content_type: str


def _files(folder: Path) -> list[Path]:
    return sorted((p for p in folder.rglob("*") if p.is_file()), key=lambda p: p.as_posix())


def pack(folder: Path, scratch: Path, *, stem: str) -> Packed:
    """One file for everything under ``folder`` (see the module docstring); ``scratch`` is where
    a zip is written, ``stem`` its name without ``.zip``."""
    files = _files(folder)
    if len(files) == 1 and files[0].parent == folder:
        only = files[0]
        kind = mimetypes.guess_type(only.name)[0] or "application/octet-stream"
        if only.suffix == ".jsonl":
            kind = "application/x-ndjson"
        return Packed(only, only.name, kind)
    target = scratch / f"{stem}.zip"
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for path in files:
            info = zipfile.ZipInfo(path.relative_to(folder).as_posix(), date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = FILE_MODE
            info.create_system = 3  # Unix, whatever system writes it
            with path.open("rb") as src, zf.open(info, "w", force_zip64=True) as dst:
                while chunk := src.read(_CHUNK):
                    dst.write(chunk)
    return Packed(target, target.name, ZIP_TYPE)


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def store(storage: Storage, packed: Packed, *, export_id: int) -> dict[str, object]:
    """Hash and store the download (streamed); what the export row records of it. The key is
    derived from the export's id and the file's hash: outside the media blobs that media
    collection sweeps, and the same for a retried attempt that wrote the same bytes."""
    digest = sha256_of(packed.path)
    key = derived_key("export", key_for_digest(digest), f"export-{export_id}")
    storage.put_derived_file(key, packed.path, content_type=packed.content_type)
    return {
        "key": key,
        "sha256": digest,
        "size": packed.path.stat().st_size,
        "content_type": packed.content_type,
    }
