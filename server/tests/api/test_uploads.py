"""Uploads are refused before they are read or stored (issue 13, finding 2): the caller is
checked before a byte of the body is read, an over-size body is refused at once (declared) or
as soon as it passes the limit (chunked), and the files wait in a temporary folder that is
removed whatever happens to the request. Attacked over real HTTP, with raw sockets where the
point is what the server does before the client has sent its body."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import func, select

from accord_server.api.limits import UPLOAD_OVERHEAD_BYTES
from accord_server.db.models import Job
from accord_server.settings import Settings
from support import Factory, Stack, running_stack

BOUNDARY = "accord-test-boundary"
MULTIPART = f"multipart/form-data; boundary={BOUNDARY}"


def _part_head(name: str, field: str = "files") -> bytes:
    return (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()


def _files_in(folder: Path) -> list[Path]:
    return [Path(d, f) for d, _, files in os.walk(folder) for f in files] if folder.exists() else []


def _stored(stack: Stack) -> tuple[int, int, int]:
    """Files in data_dir/tmp, files in the media store, job rows."""
    data = stack.settings.data_dir
    with stack.runtime.db.session() as session:
        jobs = int(session.scalar(select(func.count()).select_from(Job)) or 0)
    return len(_files_in(data / "tmp")), len(_files_in(data / "media")), jobs


def _connect(stack: Stack, path: str, headers: dict[str, str]) -> socket.socket:
    """A raw HTTP/1.1 request whose head is sent, and none of its body yet."""
    url = urlsplit(stack.url)
    sock = socket.create_connection((url.hostname, url.port), timeout=10)
    head = [f"POST {path} HTTP/1.1", f"Host: {url.netloc}"]
    head += [f"{name}: {value}" for name, value in headers.items()]
    sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
    return sock


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _answer(sock: socket.socket) -> tuple[int, dict[str, str], dict[str, Any]]:
    """Read one response (status, headers, JSON body); a server that waits for the body
    instead of answering makes this time out."""
    raw = b""
    while b"\r\n\r\n" not in raw:
        got = sock.recv(65536)
        assert got, f"connection closed without an answer: {raw!r}"
        raw += got
    head, _, body = raw.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (h.partition(":") for h in lines)}
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        got = sock.recv(65536)
        assert got, "connection closed in the middle of the answer"
        body += got
    return int(status_line.split()[1]), headers, json.loads(body[:length] or b"{}")


def _caller_headers(stack: Stack, factory: Factory, caller: str) -> tuple[int, dict[str, str]]:
    """A project, and the headers of ``caller`` uploading to it, with the answer expected."""
    owner = factory.owner()
    project = factory.project(owner)
    path = f"/api/v1/projects/{project['id']}/imports/files"
    if caller == "anonymous":
        return project["id"], {"_status": "401"}
    if caller == "revoked token":
        return project["id"], {"_status": "401", "Authorization": "Bearer acc_not-a-token"}
    if caller == "outsider":  # the owner of another organization
        other = factory.owner("Other")
        return project["id"], {"_status": "404", "Authorization": f"Bearer {other.token}"}
    if caller == "cookie without CSRF token":
        with stack.client() as client:
            login = client.post(
                "/api/v1/auth/login", json={"email": owner.email, "password": owner.password}
            )
            assert login.status_code == 200, login.text
            cookie = f"accord_session={login.cookies['accord_session']}"
        return project["id"], {"_status": "403", "Cookie": cookie}
    member = factory.member(owner, caller)
    assert path
    return project["id"], {"_status": "403", "Authorization": f"Bearer {member.token}"}


CALLERS = [
    "anonymous",
    "revoked token",
    "outsider",
    "annotator",
    "reviewer",
    "cookie without CSRF token",
]


@pytest.mark.parametrize("caller", CALLERS)
def test_a_refused_caller_is_answered_before_the_body_is_read(
    stack: Stack, factory: Factory, caller: str
) -> None:
    # The attack: a streamed body of any length (chunked: no Content-Length to refuse), of
    # which only the first 64 KiB are sent; the answer must come without the rest.
    project_id, headers = _caller_headers(stack, factory, caller)
    expected = int(headers.pop("_status"))
    before = _stored(stack)
    headers |= {"Content-Type": MULTIPART, "Transfer-Encoding": "chunked"}
    started = time.monotonic()
    with _connect(stack, f"/api/v1/projects/{project_id}/imports/files", headers) as sock:
        sock.sendall(_chunk(_part_head("big.bin") + b"x" * 65536))
        status, answer_headers, body = _answer(sock)
    assert time.monotonic() - started < 5
    assert status == expected, body
    assert body["code"] == {401: "unauthenticated", 403: "forbidden", 404: "not_found"}[status]
    assert answer_headers["connection"] == "close"  # read no further
    assert _stored(stack) == before == (0, 0, 0)


def test_the_findings_uploads_leave_nothing_behind(stack: Stack, factory: Factory) -> None:
    # As reported: an annotator's 3 files were refused with 403 but stayed in media; the
    # owner of another organization and a caller without a token are refused alike.
    owner = factory.owner()
    project = factory.project(owner)
    annotator = factory.member(owner, "annotator")
    outsider = factory.owner("Other")
    url = f"/api/v1/projects/{project['id']}/imports/files"
    files = [("files", (f"{i}.bin", bytes([i]) * (4 << 20))) for i in range(3)]
    for token, status in ((annotator.token, 403), (outsider.token, 404), (None, 401)):
        with stack.client(token) as client:
            r = client.post(url, files=files)
        assert r.status_code == status, r.text
        assert _stored(stack) == (0, 0, 0)
    with stack.client(owner.token) as client:
        r = client.post(url, files=[*files[:1], ("files", ("t.jsonl", b'{"text": "a"}\n'))])
    assert r.status_code == 202, r.text
    assert _stored(stack) == (0, 2, 1)  # kept in media once accepted; tmp emptied


def test_a_json_import_by_an_annotator_stores_nothing(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    annotator = factory.member(owner, "annotator")
    with stack.client(annotator.token) as client:
        r = client.post(
            f"/api/v1/projects/{project['id']}/imports", json={"tasks": [{"image": "a.png"}]}
        )
    assert r.status_code == 403
    assert _stored(stack) == (0, 0, 0)


LIMIT = 1 << 20


@pytest.fixture
def small_limit(settings: Settings) -> Iterator[Stack]:
    with running_stack(settings.model_copy(update={"max_upload_bytes": LIMIT})) as stack:
        yield stack


def test_a_declared_length_over_the_limit_is_refused_at_once(small_limit: Stack) -> None:
    stack = small_limit
    owner = Factory(stack).owner()
    project = Factory(stack).project(owner)
    headers = {
        "Authorization": f"Bearer {owner.token}",
        "Content-Type": MULTIPART,
        "Content-Length": str(LIMIT + UPLOAD_OVERHEAD_BYTES + 1),
    }
    started = time.monotonic()
    with _connect(stack, f"/api/v1/projects/{project['id']}/imports/files", headers) as sock:
        status, answer_headers, body = _answer(sock)  # not a byte of the body sent
    assert time.monotonic() - started < 5
    assert status == 413, body
    assert body["code"] == "too_large" and body["details"] == {"limit": LIMIT}
    assert f"larger than the limit of {LIMIT} bytes" in body["message"]
    assert answer_headers["connection"] == "close"
    # Within the body limit, but more file bytes than the limit: refused once they pass it.
    with stack.client(owner.token) as client:
        r = client.post(
            f"/api/v1/projects/{project['id']}/imports/files",
            files=[("files", ("a.bin", b"a" * (LIMIT // 2))), ("files", ("b.bin", b"b" * LIMIT))],
        )
    assert r.status_code == 413, r.text
    assert r.json()["details"] == {"field": "files[1]", "limit": LIMIT}
    assert r.json()["message"].startswith("files[1] (b.bin): the files of one upload are larger")
    assert _stored(stack) == (0, 0, 0)


def test_a_chunked_upload_is_stopped_at_the_limit(small_limit: Stack) -> None:
    stack = small_limit
    owner = Factory(stack).owner()
    project = Factory(stack).project(owner)
    total = 256 << 20
    sent = 0

    def body() -> Iterator[bytes]:  # no Content-Length: sent chunked
        nonlocal sent
        yield _part_head("big.bin")
        block = b"x" * (1 << 20)
        while sent < total:
            sent += len(block)
            yield block
        yield f"\r\n--{BOUNDARY}--\r\n".encode()

    with stack.client(owner.token) as client:
        r = client.post(
            f"/api/v1/projects/{project['id']}/imports/files",
            content=body(),
            headers={"Content-Type": MULTIPART},
        )
    assert r.status_code == 413, r.text
    assert r.json()["code"] == "too_large"
    assert r.headers["connection"] == "close"
    # The server stopped reading near the limit (what it had not read yet sat in the sockets'
    # buffers); it kept none of it.
    assert sent < 64 << 20, sent
    assert _stored(stack) == (0, 0, 0)
    with stack.client(owner.token) as client:  # and goes on serving
        assert client.get("/api/v1/limits").status_code == 200


def _wait_for(condition: Any, what: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"still waiting for {what}"
        time.sleep(0.02)


def test_files_wait_in_a_temporary_folder_removed_when_the_request_fails(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    path = f"/api/v1/projects/{project['id']}/imports/files"
    tmp = stack.settings.data_dir / "tmp"
    headers = {
        "Authorization": f"Bearer {owner.token}",
        "Content-Type": MULTIPART,
        "Transfer-Encoding": "chunked",
    }
    # A client that goes away in the middle of its second file: its first file was received
    # into data_dir/tmp (nothing in media yet), and is gone once the server notices.
    sock = _connect(stack, path, headers)
    first = _part_head("a.bin") + b"a" * (2 << 20) + b"\r\n" + _part_head("b.bin")
    sock.sendall(_chunk(first + b"b" * (2 << 20)))
    _wait_for(lambda: len(_files_in(tmp)) == 2, "the files in data_dir/tmp")
    assert max(p.stat().st_size for p in _files_in(tmp)) == 2 << 20
    assert _stored(stack)[1:] == (0, 0)
    sock.close()
    _wait_for(lambda: not _files_in(tmp), "data_dir/tmp to be emptied")
    assert _stored(stack) == (0, 0, 0)

    # Refused after the whole body was read (a form field is wrong; the files had come):
    # nothing kept either.
    for form, field in (
        ({"batch": "b" * 300}, "batch"),
        ({"skip_invalid": "maybe"}, "skip_invalid"),
    ):
        with stack.client(owner.token) as client:
            r = client.post(path, files=[("files", ("a.bin", b"a" * 1000))], data=form)
        assert r.status_code == 422, r.text
        assert r.json()["details"]["field"] == field
        assert _stored(stack) == (0, 0, 0)
    # A body cut short (no closing boundary), a file under another name, an unknown field.
    end = f"\r\n--{BOUNDARY}--\r\n".encode()
    color = f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="color"\r\n\r\nred'.encode()
    bad_bodies = {
        "cut short": _part_head("a.bin") + b"a" * 100,
        "unexpected file": _part_head("a.bin", field="other") + b"a" + end,
        "unknown form field": color + end,
    }
    for reason, content in bad_bodies.items():
        with stack.client(owner.token) as client:
            r = client.post(path, content=content, headers={"Content-Type": MULTIPART})
        assert r.status_code == 422, (reason, r.text)
        assert reason in r.json()["message"], r.text
        assert _stored(stack) == (0, 0, 0)


def test_an_accepted_upload_empties_its_temporary_folder(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner)
    with httpx.Client(base_url=stack.url, timeout=60) as client:
        r = client.post(
            f"/api/v1/projects/{project['id']}/imports/files",
            headers={"Authorization": f"Bearer {owner.token}"},
            files=[("files", ("dir/t.jsonl", b'{"image": "https://x/1.jpg"}\n'))],
            data={"batch": "first", "skip_invalid": "true"},
        )
    assert r.status_code == 202, r.text
    assert "connection" not in r.headers or r.headers["connection"] != "close"
    assert _stored(stack) == (0, 1, 1)
    with stack.runtime.db.session() as session:
        job = session.get(Job, r.json()["id"])
        assert job is not None
        assert job.params["batch"] == "first" and job.params["skip_invalid"] is True
        assert [f["name"] for f in job.params["files"]] == ["dir/t.jsonl"]
