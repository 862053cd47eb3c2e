"""ZIP archives of existing labels (an export of COCO, YOLO, VOC, CVAT or Label Studio, with
its images), checked before they are kept and unpacked by the job into its own folder.

An archive is refused whole, naming the entry, when one of its entries would leave the folder
(``../``, an absolute path or a drive letter), is a symbolic link (unpacked, it could point
anywhere), or when its entries together pass the bounds: ``max_files`` entries, ``max_bytes``
unpacked (a zip bomb says its real sizes in the central directory, and Python's reader stops
at the size an entry declares, so the declared sum bounds what is written; the bytes are counted
again as they are written all the same). The request checks the archive before it is stored
(``check_archive``), so a refused one leaves nothing behind; the job checks it again as it
unpacks (``unpack_archive``): an archive read from an import source was never checked before.
"""

from __future__ import annotations

import posixpath
import shutil
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path

from accord_server.adapters.storage import SourcePathError, safe_relative_path
from accord_server.services.errors import Invalid

ARCHIVE_EXTENSIONS = (".zip",)
COPY_BYTES = 1024 * 1024


def is_archive(name: str) -> bool:
    """Whether an uploaded file is an archive to unpack (by its name)."""
    return name.lower().endswith(ARCHIVE_EXTENSIONS)


@dataclass
class Budget:
    """What the archives and files of one import may still unpack: files and bytes."""

    files: int
    bytes: int

    def __post_init__(self) -> None:
        self.max_files, self.max_bytes = self.files, self.bytes

    def take(self, where: str, size: int) -> None:
        """Count one more file of ``size`` bytes; Invalid naming ``where`` past a bound."""
        self.files -= 1
        self.bytes -= size
        if self.files < 0:
            raise Invalid(
                f"{where}: too many files: an import of labels unpacks at most "
                f"{self.max_files:,} files (max_archive_files)",
                details={"field": "files", "entry": where},
            )
        if self.bytes < 0:
            raise Invalid(
                f"{where}: too large: an import of labels unpacks to at most "
                f"{self.max_bytes:,} bytes in all (max_upload_bytes)",
                details={"field": "files", "entry": where},
            )


def _refuse(archive: str, entry: str, reason: str) -> Invalid:
    where = f"{archive}: {entry}"
    return Invalid(f"{where}: {reason}", details={"field": "files", "entry": where})


def _entries(
    archive: str, zf: zipfile.ZipFile, budget: Budget
) -> list[tuple[zipfile.ZipInfo, str]]:
    """The archive's file entries with their checked relative names (folders left out)."""
    found: list[tuple[zipfile.ZipInfo, str]] = []
    for info in zf.infolist():
        mode = info.external_attr >> 16
        if stat.S_ISLNK(mode):
            raise _refuse(archive, info.filename, "symbolic links are not allowed in an archive")
        try:
            name = safe_relative_path(info.filename)
        except SourcePathError as exc:
            raise _refuse(archive, info.filename, exc.reason) from None
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            raise _refuse(archive, info.filename, "encrypted entries cannot be read")
        budget.take(f"{archive}: {info.filename}", info.file_size)
        found.append((info, name))
    return found


def _open(path: Path, archive: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise Invalid(
            f"{archive}: not a ZIP archive that can be read ({exc})",
            details={"field": "files", "entry": archive},
        ) from None


def check_archive(path: Path, archive: str, budget: Budget) -> int:
    """Check an archive's entries (see the module docstring) against ``budget``, taking
    from it; returns how many files it holds. Invalid naming the entry refused."""
    with _open(path, archive) as zf:
        return len(_entries(archive, zf, budget))


def _skipped(name: str) -> bool:
    """Entries no import wants: macOS's resource forks and hidden files."""
    parts = name.split("/")
    return parts[0] == "__MACOSX" or any(p.startswith(".") for p in parts)


def unpack_archive(path: Path, archive: str, folder: Path, budget: Budget) -> list[str]:
    """Unpack an archive into ``folder`` after checking it whole (nothing is written when an
    entry is refused); returns the relative names written. A later file of the same name
    replaces an earlier one."""
    written: list[str] = []
    with _open(path, archive) as zf:
        entries = _entries(archive, zf, budget)
        for info, name in entries:
            if _skipped(name):
                continue
            target = folder.joinpath(*name.split("/"))
            target.parent.mkdir(parents=True, exist_ok=True)
            left = info.file_size
            try:
                with zf.open(info) as src, target.open("wb") as dst:
                    while chunk := src.read(COPY_BYTES):
                        left -= len(chunk)
                        if left < 0:
                            raise _refuse(archive, info.filename, "holds more than it declares")
                        dst.write(chunk)
            except (zipfile.BadZipFile, OSError, EOFError) as exc:
                raise _refuse(archive, info.filename, f"cannot be read ({exc})") from None
            written.append(name)
    return written


def place_file(data: bytes, name: str, folder: Path, budget: Budget) -> str:
    """Write one file that came as itself (not in an archive) into ``folder`` at its relative
    name, counting it against ``budget``."""
    try:
        rel = safe_relative_path(name)
    except SourcePathError as exc:
        raise Invalid(f"{name}: {exc.reason}", details={"field": "files", "entry": name}) from None
    budget.take(name, len(data))
    target = folder.joinpath(*rel.split("/"))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return rel


def remove_folder(folder: Path) -> None:
    """Remove an import's unpacked files."""
    shutil.rmtree(folder, ignore_errors=True)


def files_in(folder: Path) -> list[str]:
    """The relative names of every file under ``folder``, sorted."""
    return sorted(
        posixpath.join(*p.relative_to(folder).parts) for p in folder.rglob("*") if p.is_file()
    )
