"""Content-addressed media storage (local directory or S3) and import-source listing.

Keys are ``sha256/<first 2 hex>/<64 hex>`` and are validated by one regex before any use, so a key
can never name a path outside the storage root. Derived objects (thumbnails) live under
``derived/<kind>/<2 hex>/<64 hex>``, named by a hash of their source key and variant, so they can
be found again without a database row; they are written with ``put_derived``. Writing the same
bytes twice returns the same key and does not rewrite the object, but it counts as a write: the
object's modification time is refreshed (on S3 when it is older than ``S3Storage.refresh_after``),
so that media collection, which deletes only objects not written for its grace period, never
deletes a blob an import is storing right now. Plain values in and out: no settings, no services.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Protocol, cast

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

_CHUNK = 1024 * 1024
# The 2-hex directory must repeat the first two digits of the digest (the backreference).
_KEY_RE = re.compile(r"(?:sha256|derived/[a-z0-9]{1,32})/([0-9a-f]{2})/(?:\1[0-9a-f]{62})")
_DERIVED_RE = re.compile(r"derived/[a-z0-9]{1,32}/([0-9a-f]{2})/(?:\1[0-9a-f]{62})")
_DRIVE_RE = re.compile(r"[A-Za-z]:")


class StorageError(Exception):
    """A storage operation failed (bad key, missing object, backend unreachable)."""


class InvalidKeyError(StorageError):
    """A key that is not a well-formed content address."""


class KeyNotFoundError(StorageError):
    """No object is stored under the key."""


class SourcePathError(Exception):
    """An import source path that is unsafe (escapes its root) or unusable."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def key_for_digest(hexdigest: str) -> str:
    """The storage key of a SHA-256 hex digest."""
    return f"sha256/{hexdigest[:2]}/{hexdigest}"


def key_for_bytes(data: bytes) -> str:
    """The storage key that ``data`` is (or would be) stored under."""
    return key_for_digest(hashlib.sha256(data).hexdigest())


def derived_key(kind: str, source_key: str, variant: str) -> str:
    """The key of an object made from ``source_key`` (e.g. ``thumb``, ``w256``)."""
    digest = hashlib.sha256(f"{validate_key(source_key)}\n{variant}".encode()).hexdigest()
    key = f"derived/{kind}/{digest[:2]}/{digest}"
    if _DERIVED_RE.fullmatch(key) is None:
        raise InvalidKeyError(f"invalid derived kind: {kind!r}")
    return key


def _validate_derived(key: str) -> str:
    if _DERIVED_RE.fullmatch(key) is None:
        raise InvalidKeyError(f"not a derived key: {key!r}")
    return key


def validate_key(key: str) -> str:
    """Return ``key`` if it is a well-formed content address, else raise ``InvalidKeyError``."""
    if not isinstance(key, str) or _KEY_RE.fullmatch(key) is None:
        raise InvalidKeyError(f"invalid storage key: {key!r}")
    return key


@dataclass(frozen=True, slots=True)
class StoredObject:
    """An object of the store as listed: its key, size and when it was last written (UTC)."""

    key: str
    size: int
    modified: datetime


BLOB_PREFIX = "sha256/"
"""Where the content-addressed blobs are (``derived/`` holds what is made from them)."""


class Storage(Protocol):
    """What services need from a media store; every method takes or returns a validated key."""

    def put_bytes(self, data: bytes, *, content_type: str | None = None) -> str:
        """Store ``data`` and return its key; a no-op when the key already exists."""
        ...

    def put_file(self, path: Path, *, content_type: str | None = None) -> str:
        """Store the file at ``path`` (streamed) and return its key."""
        ...

    def put_derived(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        """Store ``data`` under a ``derived_key`` (overwrites: one key makes the same bytes)."""
        ...

    def put_derived_file(self, key: str, path: Path, *, content_type: str | None = None) -> None:
        """Store the file at ``path`` under a ``derived_key``, streamed (on S3 in multipart
        parts for a large file: never read into memory whole)."""
        ...

    def open(self, key: str) -> BinaryIO:
        """Open the object for streaming reads; the caller closes it."""
        ...

    def open_range(self, key: str, start: int, end: int) -> BinaryIO:
        """Open bytes ``start`` to ``end`` (inclusive, within the object) for streaming reads;
        the caller closes it."""
        ...

    def read(self, key: str) -> bytes:
        """Return the whole object."""
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        ...

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""
        ...

    def size(self, key: str) -> int:
        """The object's size in bytes."""
        ...

    def list_blobs(self) -> Iterator[StoredObject]:
        """Every content-addressed blob (``sha256/...``; not the derived objects), in no
        particular order."""
        ...

    def delete_unless_written_since(self, key: str, since: datetime) -> bool:
        """Delete the object unless it was written (or rewritten: ``put_*`` of its bytes again)
        at ``since`` or later; whether it was deleted (False too when it was missing)."""
        ...

    def sweep_temporary(self, before: datetime) -> int:
        """Remove what interrupted writes left behind, older than ``before``; how many."""
        ...


def _utc(timestamp: float) -> datetime:
    return datetime.fromtimestamp(timestamp, UTC)


class LocalStorage:
    """A directory tree under ``root``; writes go to a temp file and are renamed into place."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / validate_key(key)

    def put_bytes(self, data: bytes, *, content_type: str | None = None) -> str:
        """Store ``data`` and return its key; when the key exists already, only its
        modification time is refreshed."""
        key = key_for_bytes(data)
        if not _touch(self.root / key):
            self._write(self.root / key, data)
        return key

    def put_derived(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        """Store ``data`` under a ``derived_key`` (overwrites: one key makes the same bytes)."""
        self._write(self.root / _validate_derived(key), data)

    def _write(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def put_derived_file(self, key: str, path: Path, *, content_type: str | None = None) -> None:
        """Store the file at ``path`` under a ``derived_key`` (copied, then renamed into place)."""
        target = self.root / _validate_derived(key)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                while chunk := src.read(_CHUNK):
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise

    def put_file(self, path: Path, *, content_type: str | None = None) -> str:
        """Store the file at ``path`` (copied and hashed in one pass) and return its key."""
        staging = self.root / ".incoming"
        staging.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha256()
        fd, tmp = tempfile.mkstemp(dir=staging, prefix=".tmp-")
        try:
            # Hash what we copy, not the source twice: the source may change under us.
            with os.fdopen(fd, "wb") as out, open(path, "rb") as src:
                while chunk := src.read(_CHUNK):
                    digest.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            key = key_for_digest(digest.hexdigest())
            target = self.root / key
            if _touch(target):
                os.unlink(tmp)
                return key
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise
        return key

    def open(self, key: str) -> BinaryIO:
        """Open the object for streaming reads; the caller closes it."""
        try:
            return open(self._path(key), "rb")
        except FileNotFoundError:
            raise KeyNotFoundError(f"no object stored under {key}") from None

    def open_range(self, key: str, start: int, end: int) -> BinaryIO:
        """Open bytes ``start`` to ``end`` (inclusive) for streaming reads."""
        fh = self.open(key)
        fh.seek(start)
        return cast(BinaryIO, _Limited(fh, end - start + 1))

    def read(self, key: str) -> bytes:
        """Return the whole object."""
        with self.open(key) as fh:
            return fh.read()

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""
        self._path(key).unlink(missing_ok=True)

    def size(self, key: str) -> int:
        """The object's size in bytes."""
        try:
            return self._path(key).stat().st_size
        except FileNotFoundError:
            raise KeyNotFoundError(f"no object stored under {key}") from None

    def list_blobs(self) -> Iterator[StoredObject]:
        """Every content-addressed blob, folder by folder (temporary files left out)."""
        top = self.root / BLOB_PREFIX
        if not top.is_dir():
            return
        with os.scandir(top) as folders:
            names = sorted(f.name for f in folders if f.is_dir(follow_symlinks=False))
        for folder in names:
            found: list[StoredObject] = []
            with os.scandir(top / folder) as entries:
                for entry in entries:
                    key = f"{BLOB_PREFIX}{folder}/{entry.name}"
                    if entry.name.startswith(".") or not _KEY_RE.fullmatch(key):
                        continue  # temporary files (.tmp-*), strays
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except FileNotFoundError:
                        continue  # deleted meanwhile
                    if stat.S_ISREG(st.st_mode):
                        found.append(StoredObject(key, st.st_size, _utc(st.st_mtime)))
            yield from found

    def delete_unless_written_since(self, key: str, since: datetime) -> bool:
        """Move the object aside first, then look at its modification time: a write of the same
        bytes (``put_*``) that came before the move refreshed it (the object is put back), one
        that comes after finds no object and writes it anew. No moment is left in which a write
        could be lost."""
        path = self._path(key)
        aside = self.root / TRASH / f"{path.name}.{uuid.uuid4().hex}"
        aside.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(path, aside)
        except FileNotFoundError:
            return False
        if _utc(aside.stat().st_mtime) >= since:
            os.replace(aside, path)  # written meanwhile: keep it (same bytes if rewritten)
            return False
        os.unlink(aside)
        return True

    def sweep_temporary(self, before: datetime) -> int:
        """Remove interrupted writes (``.tmp-*`` files) and objects moved aside by a deletion
        that did not finish (``.trash``), older than ``before``."""
        removed = 0
        for folder, _, files in os.walk(self.root):
            in_trash = Path(folder).name == TRASH
            for name in files:
                if not (in_trash or name.startswith(".tmp-")):
                    continue
                path = Path(folder, name)
                with contextlib.suppress(FileNotFoundError):
                    # ctime: a move aside changes it, so the time it was moved aside counts.
                    st = path.stat()
                    if _utc(max(st.st_mtime, st.st_ctime)) < before:
                        path.unlink()
                        removed += 1
        return removed


TRASH = ".trash"


class _Limited:
    """A file object that reads at most ``remaining`` bytes of ``fh`` (a range of a file)."""

    def __init__(self, fh: BinaryIO, remaining: int) -> None:
        self._fh = fh
        self._remaining = remaining

    def read(self, size: int = -1) -> bytes:
        if self._remaining <= 0:
            return b""
        size = self._remaining if size < 0 else min(size, self._remaining)
        data = self._fh.read(size)
        self._remaining -= len(data)
        return data

    def close(self) -> None:
        self._fh.close()

    def __enter__(self) -> _Limited:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _touch(path: Path) -> bool:
    """Refresh the modification time of an existing object; False when there is none."""
    try:
        os.utime(path)
    except FileNotFoundError:
        return False
    return True


def _client_error_code(exc: Exception) -> str:
    response = getattr(exc, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


_MISSING_CODES = frozenset({"404", "NoSuchKey", "NotFound"})


class S3Storage:
    """Objects in an S3-compatible bucket under an optional key prefix."""

    refresh_after = timedelta(minutes=10)
    """Writing the bytes of an object that exists refreshes its modification time (a copy onto
    itself) when it is older than this: media collection's grace period counts from it."""

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        endpoint_url: str | None = None,
        region: str | None = None,
        access_key: str | None = None,
        secret_key: str | None = None,
    ) -> None:
        import boto3  # imported here so that importing this module stays cheap

        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""
        self.client: S3Client = boto3.client(
            "s3",
            endpoint_url=endpoint_url,
            region_name=region,
            aws_access_key_id=access_key,
            aws_secret_access_key=secret_key,
        )

    def _object_key(self, key: str) -> str:
        return self.prefix + validate_key(key)

    def _call(self, fn: Callable[..., Any], key: str, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return fn(Bucket=self.bucket, Key=self._object_key(key), **kwargs)
        except ClientError as exc:
            if _client_error_code(exc) in _MISSING_CODES:
                raise KeyNotFoundError(f"no object stored under {key}") from exc
            raise StorageError(f"S3 {fn.__name__} failed for {key}: {exc}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 {fn.__name__} failed for {key}: {exc}") from exc

    def put_bytes(self, data: bytes, *, content_type: str | None = None) -> str:
        """Store ``data`` and return its key; when the key exists already, only its
        modification time is refreshed (if older than ``refresh_after``)."""
        key = key_for_bytes(data)
        if not self._refresh(key):
            extra = {"ContentType": content_type} if content_type else {}
            self._call(self.client.put_object, key, Body=data, **extra)
        return key

    def _refresh(self, key: str) -> bool:
        """Whether the object exists, its modification time refreshed when it was old."""
        try:
            head = self._call(self.client.head_object, key)
        except KeyNotFoundError:
            return False
        if datetime.now(UTC) - head["LastModified"] < self.refresh_after:
            return True
        extra = {"ContentType": head["ContentType"]} if head.get("ContentType") else {}
        source = {"Bucket": self.bucket, "Key": self._object_key(key)}
        try:
            # A copy onto itself must change something: the metadata, replaced by the same.
            self._call(
                self.client.copy_object,
                key,
                CopySource=source,
                MetadataDirective="REPLACE",
                Metadata=head.get("Metadata") or {},
                **extra,
            )
        except StorageError:
            return False  # gone meanwhile (collected), or too large to copy: write it again
        return True

    def put_derived(self, key: str, data: bytes, *, content_type: str | None = None) -> None:
        """Store ``data`` under a ``derived_key`` (overwrites: one key makes the same bytes)."""
        extra = {"ContentType": content_type} if content_type else {}
        self._call(self.client.put_object, _validate_derived(key), Body=data, **extra)

    def put_file(self, path: Path, *, content_type: str | None = None) -> str:
        """Store the file at ``path`` (hashed in chunks, then streamed up) and return its key."""
        digest = hashlib.sha256()
        with open(path, "rb") as fh:
            while chunk := fh.read(_CHUNK):
                digest.update(chunk)
        key = key_for_digest(digest.hexdigest())
        if self._refresh(key):
            return key
        from botocore.exceptions import BotoCoreError, ClientError

        extra = {"ContentType": content_type} if content_type else {}
        try:
            with open(path, "rb") as fh:
                self.client.upload_fileobj(
                    fh, self.bucket, self._object_key(key), ExtraArgs=extra or None
                )
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"S3 upload failed for {key}: {exc}") from exc
        return key

    def put_derived_file(self, key: str, path: Path, *, content_type: str | None = None) -> None:
        """Store the file at ``path`` under a ``derived_key``: boto3's managed upload reads it
        in parts (multipart above 8 MiB), never whole."""
        from botocore.exceptions import BotoCoreError, ClientError

        extra = {"ContentType": content_type} if content_type else {}
        try:
            with open(path, "rb") as fh:
                self.client.upload_fileobj(
                    fh, self.bucket, self.prefix + _validate_derived(key), ExtraArgs=extra or None
                )
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"S3 upload failed for {key}: {exc}") from exc

    def open(self, key: str) -> BinaryIO:
        """Open the object for streaming reads; the caller closes it."""
        response = self._call(self.client.get_object, key)
        return cast(BinaryIO, response["Body"])

    def open_range(self, key: str, start: int, end: int) -> BinaryIO:
        """Open bytes ``start`` to ``end`` (inclusive): a ranged GET, streamed."""
        response = self._call(self.client.get_object, key, Range=f"bytes={start}-{end}")
        return cast(BinaryIO, response["Body"])

    def read(self, key: str) -> bytes:
        """Return the whole object."""
        with self.open(key) as body:
            return body.read()

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        try:
            self._call(self.client.head_object, key)
        except KeyNotFoundError:
            return False
        return True

    def delete(self, key: str) -> None:
        """Remove the object; deleting a missing key is not an error."""
        self._call(self.client.delete_object, key)

    def size(self, key: str) -> int:
        """The object's size in bytes."""
        return int(self._call(self.client.head_object, key)["ContentLength"])

    def list_blobs(self) -> Iterator[StoredObject]:
        """Every content-addressed blob under the prefix, a listing page at a time."""
        from botocore.exceptions import BotoCoreError, ClientError

        top = self.prefix + BLOB_PREFIX
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=top
        )
        try:
            for page in pages:
                for obj in page.get("Contents", []):
                    key = obj["Key"][len(self.prefix) :]
                    if _KEY_RE.fullmatch(key):
                        yield StoredObject(key, int(obj["Size"]), obj["LastModified"])
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"S3 listing of {top} failed: {exc}") from exc

    def delete_unless_written_since(self, key: str, since: datetime) -> bool:
        """Look at the object's modification time, then delete it. Unlike a local folder, S3
        has no move: a write of the same bytes in the few milliseconds between the two is
        lost (the key stays referenced by what wrote it, and reads of it fail)."""
        try:
            head = self._call(self.client.head_object, key)
        except KeyNotFoundError:
            return False
        if head["LastModified"] >= since:
            return False
        self._call(self.client.delete_object, key)
        return True

    def sweep_temporary(self, before: datetime) -> int:
        """Abort the multipart uploads (of large files) under the prefix that an interrupted
        write left, started before ``before``: S3 keeps, and bills, their parts until then."""
        from botocore.exceptions import BotoCoreError, ClientError

        aborted = 0
        try:
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self.prefix
            )
            for page in pages:
                for upload in page.get("Uploads", []):
                    if upload["Initiated"] < before:
                        self.client.abort_multipart_upload(
                            Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
                        )
                        aborted += 1
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"S3 multipart uploads of {self.bucket}: {exc}") from exc
        return aborted


# --- import sources -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One file offered for import: its relative name, size and a way to read it."""

    name: str
    size: int
    read: Callable[[], bytes]


def safe_relative_path(name: str) -> str:
    """Normalize an uploaded relative name (``dir/sub/a.jpg``) or raise ``SourcePathError``."""
    if not name:
        raise SourcePathError(name, "empty path")
    if "\x00" in name:
        raise SourcePathError(name, "path contains a NUL character")
    # A backslash is a separator on Windows; treat it as one so that "..\\x" cannot slip past.
    unified = name.replace("\\", "/")
    if unified.startswith("/"):
        raise SourcePathError(name, "absolute paths are not allowed")
    if _DRIVE_RE.match(unified):
        raise SourcePathError(name, "drive letters are not allowed")
    parts: list[str] = []
    for part in unified.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            raise SourcePathError(name, "'..' is not allowed")
        parts.append(part)
    if not parts:
        raise SourcePathError(name, "path names no file")
    return "/".join(parts)


def _resolve_source_folder(root: Path, folder: str) -> tuple[Path, Path]:
    if "\x00" in folder:
        raise SourcePathError(folder, "path contains a NUL character")
    unified = folder.replace("\\", "/")
    if unified.startswith("/") or _DRIVE_RE.match(unified) or Path(folder).is_absolute():
        raise SourcePathError(folder, "absolute paths are not allowed")
    if ".." in unified.split("/"):
        raise SourcePathError(folder, "'..' is not allowed")
    real_root = root.resolve(strict=True)
    base = (real_root / unified).resolve()
    if not base.is_relative_to(real_root):
        raise SourcePathError(folder, "resolves outside the allowed root (symlink?)")
    if not base.is_dir():
        raise SourcePathError(folder, "not a directory")
    return real_root, base


def _read_local(path: Path) -> Callable[[], bytes]:
    return path.read_bytes


def iter_local_source(root: Path, folder: str) -> Iterator[SourceFile]:
    """Yield the files under ``root/folder`` recursively, sorted by relative name."""
    real_root, base = _resolve_source_folder(root, folder)
    seen: set[Path] = {base}

    def walk(directory: Path, rel: str) -> Iterator[SourceFile]:
        entries: list[tuple[str, os.DirEntry[str], bool, int]] = []
        with os.scandir(directory) as it:
            for entry in it:
                if entry.is_symlink():
                    try:
                        real = Path(entry.path).resolve()
                    except (OSError, RuntimeError):  # a symlink loop (RuntimeError before 3.13)
                        raise SourcePathError(rel + entry.name, "unresolvable symlink") from None
                    if not real.is_relative_to(real_root):
                        raise SourcePathError(
                            rel + entry.name, "symlink points outside the allowed root"
                        )
                try:
                    st = entry.stat()  # follows a symlink, which is now known to stay inside
                except FileNotFoundError:
                    raise SourcePathError(rel + entry.name, "broken symlink") from None
                is_dir = stat.S_ISDIR(st.st_mode)
                if not is_dir and not stat.S_ISREG(st.st_mode):
                    continue  # sockets, fifos, devices: nothing to import
                # Sorting a directory as "name/" makes the depth-first walk globally sorted.
                sort_name = entry.name + "/" if is_dir else entry.name
                entries.append((sort_name, entry, is_dir, st.st_size))
        entries.sort(key=lambda e: e[0])
        for sort_name, entry, is_dir, size in entries:
            path = Path(entry.path)
            if is_dir:
                real_dir = path.resolve()
                if real_dir in seen:  # a symlink loop or a second link to the same tree
                    continue
                seen.add(real_dir)
                yield from walk(path, rel + sort_name)
            else:
                yield SourceFile(name=rel + entry.name, size=size, read=_read_local(path))

    yield from walk(base, "")


def s3_source_client(
    *, profile: str | None, endpoint_url: str | None, region: str | None
) -> S3Client:
    """A client reading with the credentials of ``profile`` in the AWS shared config (None:
    the default chain); StorageError when there is no such profile."""
    import boto3
    from botocore.exceptions import ProfileNotFound

    try:
        session = boto3.session.Session(profile_name=profile)
    except ProfileNotFound:
        raise StorageError(f"no AWS profile {profile!r} in the server's shared config") from None
    return session.client("s3", endpoint_url=endpoint_url, region_name=region)


def _read_s3(client: S3Client, bucket: str, key: str) -> Callable[[], bytes]:
    def read() -> bytes:
        body = client.get_object(Bucket=bucket, Key=key)["Body"]
        with contextlib.closing(body):
            return body.read()

    return read


def iter_s3_source(
    client: S3Client, bucket: str, prefix: str = "", *, page_size: int = 1000
) -> Iterator[SourceFile]:
    """Yield the objects under ``prefix`` (paginated), named relative to the prefix."""
    if prefix and not prefix.endswith("/"):
        prefix += "/"  # a prefix names a folder: "photos" must not match "photos2/..."
    paginator = client.get_paginator("list_objects_v2")
    pages = paginator.paginate(
        Bucket=bucket, Prefix=prefix, PaginationConfig={"PageSize": page_size}
    )
    cut = len(prefix)
    for page in pages:
        for obj in page.get("Contents", []):
            key = obj["Key"]
            if key.endswith("/"):
                continue  # a "folder" placeholder made by consoles
            name = safe_relative_path(key[cut:].lstrip("/"))
            yield SourceFile(name=name, size=int(obj["Size"]), read=_read_s3(client, bucket, key))


__all__ = [
    "BLOB_PREFIX",
    "InvalidKeyError",
    "KeyNotFoundError",
    "LocalStorage",
    "S3Storage",
    "SourceFile",
    "SourcePathError",
    "Storage",
    "StorageError",
    "StoredObject",
    "iter_local_source",
    "iter_s3_source",
    "key_for_bytes",
    "key_for_digest",
    "s3_source_client",
    "safe_relative_path",
    "validate_key",
]
