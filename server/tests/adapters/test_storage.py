"""Content-addressed storage (local and S3 over moto's real HTTP server) and import sources."""

from __future__ import annotations

import hashlib
import os
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

from accord_server.adapters.storage import (
    InvalidKeyError,
    KeyNotFoundError,
    LocalStorage,
    S3Storage,
    SourcePathError,
    derived_key,
    iter_local_source,
    iter_s3_source,
    key_for_bytes,
    safe_relative_path,
)

BAD_KEYS = [
    "",
    "../etc/passwd",
    "sha256/ab/../../../etc/passwd",
    "/sha256/ab/" + "ab" + "0" * 62,
    "sha256/00/" + "ab" + "0" * 62,  # directory does not match the digest
    "sha256/AB/" + "AB" + "0" * 62,  # upper case
    "sha256/ab/" + "ab" + "0" * 61,  # one digit short
    "sha256/ab/" + "ab" + "0" * 62 + "\n",
    "md5/ab/" + "ab" + "0" * 62,
]


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- local -----------------------------------------------------------------------------------


def test_local_round_trip(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path / "media")
    data = b"hello accord"
    key = store.put_bytes(data, content_type="text/plain")
    digest = _digest(data)
    assert key == f"sha256/{digest[:2]}/{digest}"
    assert (tmp_path / "media" / key).read_bytes() == data
    assert store.exists(key)
    assert store.read(key) == data
    assert store.size(key) == len(data)
    with store.open(key) as fh:
        assert fh.read(5) == b"hello"
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # deleting again is not an error


def test_local_put_is_idempotent_and_does_not_rewrite(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    key = store.put_bytes(b"same bytes")
    os.utime(tmp_path / key, (1_000_000, 1_000_000))  # written long ago
    before = (tmp_path / key).stat()
    assert store.put_bytes(b"same bytes") == key
    after = (tmp_path / key).stat()
    # os.replace of a fresh temp file would give a new inode; the bytes are not written again,
    # but the write counts: its time is now (media collection spares what was just written).
    assert after.st_ino == before.st_ino
    assert after.st_mtime > time.time() - 60
    source = tmp_path / "again.bin"
    source.write_bytes(b"same bytes")
    os.utime(tmp_path / key, (1_000_000, 1_000_000))
    assert store.put_file(source) == key
    assert (tmp_path / key).stat().st_ino == before.st_ino
    assert (tmp_path / key).stat().st_mtime > time.time() - 60
    assert store.put_bytes(b"other bytes") != key


def test_local_lists_blobs_and_deletes_unless_written_since(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    data = {store.put_bytes(bytes([i]) * 10): bytes([i]) * 10 for i in range(5)}
    keys = sorted(data)
    store.put_derived(derived_key("thumb", keys[0], "jpeg64"), b"thumbnail")
    (tmp_path / keys[0]).with_name(".tmp-interrupted").write_bytes(b"half")
    listed = sorted(store.list_blobs(), key=lambda o: o.key)
    assert [o.key for o in listed] == keys  # no derived objects, no temporary files
    assert {o.size for o in listed} == {10}
    assert all(abs(o.modified.timestamp() - time.time()) < 60 for o in listed)

    now = datetime.now(UTC)
    os.utime(tmp_path / keys[1], (1_000_000, 1_000_000))
    assert store.delete_unless_written_since(keys[1], now)
    assert not store.exists(keys[1])
    assert not store.delete_unless_written_since(keys[1], now)  # gone already
    # Written (again) at or after the time given: kept, and readable as before.
    assert not store.delete_unless_written_since(keys[2], now - timedelta(minutes=1))
    assert store.read(keys[2]) == data[keys[2]]
    assert not list((tmp_path / ".trash").iterdir())


def test_local_deletion_never_loses_a_write_that_comes_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The race of a collection with an import storing the same bytes: the import's write
    # lands between the collection's look at the time and its delete.
    store = LocalStorage(tmp_path)
    key = store.put_bytes(b"old, named by nothing")
    os.utime(tmp_path / key, (1_000_000, 1_000_000))
    real_rename = os.rename
    done: list[str] = []

    def rename_after_a_write(src: Any, dst: Any) -> None:
        if not done:  # the import writes just before the move aside: it is kept
            done.append(store.put_bytes(b"old, named by nothing"))
        real_rename(src, dst)

    monkeypatch.setattr(os, "rename", rename_after_a_write)
    assert not store.delete_unless_written_since(key, datetime.now(UTC) - timedelta(minutes=1))
    assert store.exists(key)

    def write_after_rename(src: Any, dst: Any) -> None:
        real_rename(src, dst)
        done.append(store.put_bytes(b"old, named by nothing"))  # finds none: writes it anew

    os.utime(tmp_path / key, (1_000_000, 1_000_000))
    monkeypatch.setattr(os, "rename", write_after_rename)
    assert store.delete_unless_written_since(key, datetime.now(UTC) - timedelta(minutes=1))
    assert store.read(key) == b"old, named by nothing"


def test_local_sweeps_interrupted_writes(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    key = store.put_bytes(b"kept")
    leftovers = [
        tmp_path / ".incoming" / ".tmp-abc",
        (tmp_path / key).with_name(".tmp-def"),
        tmp_path / ".trash" / "moved-aside",
    ]
    fresh = tmp_path / ".incoming" / ".tmp-now"
    for path in [*leftovers, fresh]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")
    later = datetime.now(UTC) + timedelta(minutes=1)
    assert store.sweep_temporary(later - timedelta(hours=1)) == 0  # all too young
    fresh.touch()
    assert store.sweep_temporary(later) == 4
    assert store.exists(key) and not any(p.exists() for p in [*leftovers, fresh])


def test_local_put_file_streams_large_file(tmp_path: Path) -> None:
    data = os.urandom(2 * 1024 * 1024 + 123)  # more than one chunk
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    store = LocalStorage(tmp_path / "media")
    key = store.put_file(source)
    assert key == key_for_bytes(data)
    assert store.read(key) == data
    assert store.put_file(source) == key
    assert list((tmp_path / "media" / ".incoming").iterdir()) == []


@pytest.mark.parametrize("key", BAD_KEYS)
def test_local_refuses_bad_keys(tmp_path: Path, key: str) -> None:
    store = LocalStorage(tmp_path)
    for call in (store.read, store.exists, store.delete, store.size, store.open):
        with pytest.raises(InvalidKeyError):
            call(key)


def test_local_missing_key(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    key = key_for_bytes(b"never stored")
    assert not store.exists(key)
    with pytest.raises(KeyNotFoundError):
        store.read(key)
    with pytest.raises(KeyNotFoundError):
        store.size(key)


def test_local_write_is_atomic(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalStorage(tmp_path)
    data = b"half written?"
    key = key_for_bytes(data)

    def fail_replace(src: Any, dst: Any) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail_replace)
    with pytest.raises(OSError, match="disk full"):
        store.put_bytes(data)
    assert not store.exists(key)
    assert list((tmp_path / key).parent.iterdir()) == []  # the temp file was removed too
    monkeypatch.undo()
    assert store.put_bytes(data) == key
    assert [p.name for p in (tmp_path / key).parent.iterdir()] == [key.rsplit("/", 1)[1]]


# --- local import sources --------------------------------------------------------------------


@pytest.fixture
def source_root(tmp_path: Path) -> Path:
    root = tmp_path / "imports"
    (root / "batch" / "a" / "deep").mkdir(parents=True)
    (root / "batch" / "a.txt").write_bytes(b"top")
    (root / "batch" / "a" / "b.jpg").write_bytes(b"bb")
    (root / "batch" / "a" / "deep" / "c.png").write_bytes(b"ccc")
    (root / "batch" / "Z.txt").write_bytes(b"z")
    (tmp_path / "secret.txt").write_bytes(b"outside")
    return root


def test_iter_local_source_is_recursive_and_sorted(source_root: Path) -> None:
    files = list(iter_local_source(source_root, "batch"))
    names = [f.name for f in files]
    assert names == ["Z.txt", "a.txt", "a/b.jpg", "a/deep/c.png"]
    assert names == sorted(names)
    assert [f.size for f in files] == [1, 3, 2, 3]
    assert files[3].read() == b"ccc"


def test_iter_local_source_follows_symlinks_inside_root(source_root: Path) -> None:
    (source_root / "batch" / "link.jpg").symlink_to(source_root / "batch" / "a" / "b.jpg")
    files = {f.name: f for f in iter_local_source(source_root, "./batch/")}
    assert files["link.jpg"].read() == b"bb"


@pytest.mark.parametrize(
    "folder", ["..", "../imports", "batch/../..", "/etc", "C:\\Windows", "..\\..\\etc", "a\x00b"]
)
def test_iter_local_source_refuses_escaping_folders(source_root: Path, folder: str) -> None:
    with pytest.raises(SourcePathError) as info:
        list(iter_local_source(source_root, folder))
    assert info.value.path == folder


def test_iter_local_source_refuses_symlinked_folder_outside(
    source_root: Path, tmp_path: Path
) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "x.jpg").write_bytes(b"x")
    (source_root / "escape").symlink_to(outside)
    with pytest.raises(SourcePathError, match="outside the allowed root"):
        list(iter_local_source(source_root, "escape"))


def test_iter_local_source_refuses_symlinked_file_outside(
    source_root: Path, tmp_path: Path
) -> None:
    (source_root / "batch" / "a" / "leak.txt").symlink_to(tmp_path / "secret.txt")
    with pytest.raises(SourcePathError) as info:
        list(iter_local_source(source_root, "batch"))
    assert info.value.path == "a/leak.txt"


def test_iter_local_source_needs_a_directory(source_root: Path) -> None:
    with pytest.raises(SourcePathError, match="not a directory"):
        list(iter_local_source(source_root, "batch/a.txt"))


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("dir/sub/a.jpg", "dir/sub/a.jpg"),
        ("./dir//a.jpg", "dir/a.jpg"),
        ("dir\\sub\\a.jpg", "dir/sub/a.jpg"),
        ("a.jpg", "a.jpg"),
    ],
)
def test_safe_relative_path_normalizes(name: str, expected: str) -> None:
    assert safe_relative_path(name) == expected


@pytest.mark.parametrize(
    "name",
    [
        "",
        ".",
        "../a.jpg",
        "dir/../../a.jpg",
        "dir/..",
        "/etc/passwd",
        "C:/Windows/a.jpg",
        "c:a.jpg",
        "..\\..\\a.jpg",
        "\\\\server\\share\\a.jpg",
        "a\x00.jpg",
    ],
)
def test_safe_relative_path_refuses(name: str) -> None:
    with pytest.raises(SourcePathError) as info:
        safe_relative_path(name)
    assert info.value.path == name


# --- S3 over moto's HTTP server --------------------------------------------------------------

CREDENTIALS = {"region": "us-east-1", "access_key": "testing", "secret_key": "testing"}


@pytest.fixture
def bucket(s3_endpoint: str) -> str:
    name = f"accord-{uuid.uuid4().hex[:12]}"
    _client(s3_endpoint).create_bucket(Bucket=name)
    return name


def _client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_s3_round_trip_and_idempotence(s3_endpoint: str, bucket: str) -> None:
    store = S3Storage(bucket, prefix="media/", endpoint_url=s3_endpoint, **CREDENTIALS)
    data = b"\x89PNG fake"
    key = store.put_bytes(data, content_type="image/png")
    assert key == key_for_bytes(data)
    client = _client(s3_endpoint)
    head = client.head_object(Bucket=bucket, Key=f"media/{key}")
    assert head["ContentType"] == "image/png"
    assert store.exists(key)
    assert store.read(key) == data
    assert store.size(key) == len(data)
    with store.open(key) as body:
        assert body.read() == data

    calls: list[str] = []
    client_events = store.client.meta.events
    client_events.register("before-call.s3.PutObject", lambda **kw: calls.append("put"))
    assert store.put_bytes(data) == key
    assert calls == []  # present already: not uploaded again

    store.delete(key)
    assert not store.exists(key)
    with pytest.raises(KeyNotFoundError):
        store.read(key)
    with pytest.raises(KeyNotFoundError):
        store.size(key)


def test_s3_put_file_and_bad_keys(s3_endpoint: str, bucket: str, tmp_path: Path) -> None:
    store = S3Storage(bucket, endpoint_url=s3_endpoint, **CREDENTIALS)
    data = os.urandom(1024 * 1024 + 7)
    path = tmp_path / "clip.bin"
    path.write_bytes(data)
    key = store.put_file(path, content_type="application/octet-stream")
    assert key == key_for_bytes(data)
    assert _client(s3_endpoint).get_object(Bucket=bucket, Key=key)["Body"].read() == data
    for bad in BAD_KEYS:
        with pytest.raises(InvalidKeyError):
            store.exists(bad)


def test_iter_s3_source_paginates(s3_endpoint: str, bucket: str) -> None:
    client = _client(s3_endpoint)
    names = [f"img/{i:02d}.jpg" for i in range(7)] + ["img/sub/x.png"]
    for name in names:
        client.put_object(Bucket=bucket, Key=f"upload/{name}", Body=name.encode())
    client.put_object(Bucket=bucket, Key="upload/img/", Body=b"")  # console "folder"
    client.put_object(Bucket=bucket, Key="upload2/other.jpg", Body=b"not under the prefix")

    pages: list[int] = []
    client.meta.events.register("before-call.s3.ListObjectsV2", lambda **kw: pages.append(1))
    files = list(iter_s3_source(client, bucket, "upload", page_size=3))

    assert [f.name for f in files] == names
    assert len(pages) == 3  # 9 keys under the prefix, 3 per page
    assert [f.size for f in files] == [len(n) for n in names]
    assert files[-1].read() == b"img/sub/x.png"


def test_iter_s3_source_refuses_unsafe_key(s3_endpoint: str, bucket: str) -> None:
    client = _client(s3_endpoint)
    client.put_object(Bucket=bucket, Key="in/../escape.jpg", Body=b"x")
    with pytest.raises(SourcePathError):
        list(iter_s3_source(client, bucket, "in/"))


# --- derived objects (thumbnails) -------------------------------------------------------------


def test_derived_keys_are_stable_distinct_and_only_for_put_derived(tmp_path: Path) -> None:
    store = LocalStorage(tmp_path)
    source = store.put_bytes(b"an image")
    key = derived_key("thumb", source, "jpeg64")
    assert key == derived_key("thumb", source, "jpeg64") and key.startswith("derived/thumb/")
    assert key != derived_key("thumb", source, "jpeg128")
    store.put_derived(key, b"small")
    store.put_derived(key, b"smaller")  # a derived key may be rewritten (the same inputs)
    assert store.read(key) == b"smaller" and store.exists(key)
    with pytest.raises(InvalidKeyError):
        store.put_derived(source, b"not a content address of these bytes")
    with pytest.raises(InvalidKeyError):
        derived_key("../x", source, "v")
    with pytest.raises(InvalidKeyError):
        derived_key("thumb", "sha256/../../etc", "v")
    with pytest.raises(InvalidKeyError):
        store.read("derived/thumb/../" + source)


def test_s3_derived_objects(s3_endpoint: str, bucket: str) -> None:
    store = S3Storage(bucket, prefix="media/", endpoint_url=s3_endpoint, **CREDENTIALS)
    key = derived_key("thumb", store.put_bytes(b"an image"), "jpeg64")
    assert not store.exists(key)
    store.put_derived(key, b"small", content_type="image/jpeg")
    assert store.read(key) == b"small"
    head = _client(s3_endpoint).head_object(Bucket=bucket, Key="media/" + key)
    assert head["ContentType"] == "image/jpeg"


def test_s3_writing_again_refreshes_and_collection_primitives(
    s3_endpoint: str, bucket: str, tmp_path: Path
) -> None:
    store = S3Storage(bucket, prefix="media/", endpoint_url=s3_endpoint, **CREDENTIALS)
    key = store.put_bytes(b"image bytes", content_type="image/png")
    other = store.put_bytes(b"other bytes")
    store.put_derived(derived_key("thumb", key, "jpeg64"), b"thumbnail")
    client = _client(s3_endpoint)
    client.put_object(Bucket=bucket, Key="elsewhere/sha256/x", Body=b"not ours")
    assert sorted(o.key for o in store.list_blobs()) == sorted([key, other])
    first = client.head_object(Bucket=bucket, Key=f"media/{key}")["LastModified"]

    store.refresh_after = timedelta(0)  # S3 keeps its own times: refresh at every write
    time.sleep(1.1)  # LastModified has whole seconds
    assert store.put_bytes(b"image bytes") == key
    head = client.head_object(Bucket=bucket, Key=f"media/{key}")
    assert head["LastModified"] > first
    assert head["ContentType"] == "image/png"  # the copy onto itself keeps it
    assert store.read(key) == b"image bytes"
    source = tmp_path / "same.bin"
    source.write_bytes(b"image bytes")
    assert store.put_file(source) == key

    assert not store.delete_unless_written_since(key, head["LastModified"])
    assert store.delete_unless_written_since(key, datetime.now(UTC) + timedelta(minutes=1))
    assert not store.exists(key)
    assert not store.delete_unless_written_since(key, datetime.now(UTC))

    upload = client.create_multipart_upload(Bucket=bucket, Key=f"media/{other}.partial")
    # moto says every multipart upload was initiated on 2010-11-10.
    initiated = client.list_multipart_uploads(Bucket=bucket)["Uploads"][0]["Initiated"]
    assert store.sweep_temporary(initiated) == 0
    assert store.sweep_temporary(datetime.now(UTC)) == 1
    assert not client.list_multipart_uploads(Bucket=bucket).get("Uploads")
    assert upload["UploadId"]


def _derived_file_and_ranges(store: Any, tmp_path: Path) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    path = tmp_path / "export.zip"
    path.write_bytes(data)
    key = derived_key("export", key_for_bytes(data), "export-1")
    store.put_derived_file(key, path, content_type="application/zip")
    assert store.size(key) == len(data) and store.read(key) == data
    with store.open_range(key, 5, 9) as part:
        assert part.read() == data[5:10]
    with store.open_range(key, len(data) - 3, len(data) - 1) as tail:
        assert tail.read(2) + tail.read() == data[-3:]
    with pytest.raises(InvalidKeyError):
        store.put_derived_file(key_for_bytes(data), path)  # a blob's key is not for this
    assert [o.key for o in store.list_blobs()] == []  # not a media blob: collection skips it


def test_local_derived_file_and_ranges(tmp_path: Path) -> None:
    _derived_file_and_ranges(LocalStorage(tmp_path / "store"), tmp_path)


def test_s3_derived_file_and_ranges(s3_endpoint: str, bucket: str, tmp_path: Path) -> None:
    store = S3Storage(bucket, prefix="media/", endpoint_url=s3_endpoint, **CREDENTIALS)
    _derived_file_and_ranges(store, tmp_path)
