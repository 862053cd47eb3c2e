"""Multipart uploads read by the endpoint itself, once it has checked the caller.

FastAPI reads (and spools to disk) a whole multipart body before the endpoint and its
dependencies run, authentication included: a stranger's 2 GiB body was kept on disk before it
was answered 401. An upload endpoint therefore takes the ``Request``, checks the caller
(``deps.run_as_caller``), and only then reads the body here: each file part goes straight into
a temporary file in a folder of its own under ``data_dir/tmp``, which is removed when the
request ends, whether it was accepted (its files were copied into storage by then) or not.
The files' bytes are counted against ``max_upload_bytes`` as they come, and everything else
(boundaries, part headers, form fields) against ``UPLOAD_OVERHEAD_BYTES``; the body as a whole
was bounded already by ``limits.BodyLimit``.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from pydantic import TypeAdapter, ValidationError
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from accord_server.api.limits import UPLOAD_OVERHEAD_BYTES
from accord_server.services.errors import Invalid, TooLarge
from accord_server.services.imports.service import UploadedFile, check_upload_name

FEED_BYTES = 1024 * 1024
"""Body bytes handed to the parser (in a worker thread, which also writes the files) at a time:
one thread hop a MiB, and the event loop never waits for the disk."""
FIELD_BYTES = 4096
"""Longest form field that is not a file."""


@dataclass
class ReceivedForm:
    """An upload's files (in their temporary files) and its other form fields."""

    files: list[UploadedFile] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


def form_bool(form: ReceivedForm, name: str, default: bool = False) -> bool:
    """A boolean form field (``true``/``false``, ``1``/``0``, ``yes``/``no``, ...)."""
    value = form.fields.get(name)
    if value is None:
        return default
    try:
        return _BOOL.validate_python(value)
    except ValidationError:
        raise Invalid(
            f"{name}: expected true or false, got {value!r}", details={"field": name}
        ) from None


_BOOL = TypeAdapter(bool)


@asynccontextmanager
async def received_upload(
    request: Request,
    *,
    directory: Path,
    max_bytes: int,
    file_field: str,
    text_fields: Collection[str],
) -> AsyncIterator[ReceivedForm]:
    """Read the request's multipart body into temporary files under ``directory`` (file parts
    named ``file_field``; other parts must be one of ``text_fields``); they are removed when
    the block ends, however it ends."""
    kind, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise Invalid(
            "body: send the files as multipart/form-data", details={"field": "content-type"}
        )
    directory.mkdir(parents=True, exist_ok=True)
    receiver = _Receiver(
        Path(tempfile.mkdtemp(prefix="upload-", dir=directory)),
        boundary,
        max_bytes=max_bytes,
        file_field=file_field,
        text_fields=frozenset(text_fields),
    )
    try:
        pending: list[bytes] = []
        held = 0
        async for chunk in request.stream():
            pending.append(chunk)
            held += len(chunk)
            if held >= FEED_BYTES:
                await run_in_threadpool(receiver.feed, b"".join(pending))
                pending.clear()
                held = 0
        await run_in_threadpool(receiver.finish, b"".join(pending))
        yield receiver.form
    finally:
        await run_in_threadpool(receiver.remove)


class _Receiver:
    """python-multipart's callbacks: file parts into files, other fields into memory."""

    def __init__(
        self,
        workdir: Path,
        boundary: bytes,
        *,
        max_bytes: int,
        file_field: str,
        text_fields: frozenset[str],
    ) -> None:
        self.workdir = workdir
        self.max_bytes = max_bytes
        self.file_field = file_field
        self.text_fields = text_fields
        self.form = ReceivedForm()
        self.body_bytes = 0
        self.file_bytes = 0
        self.ended = False
        self._headers: dict[bytes, bytes] = {}
        self._header_name = b""
        self._header_value = b""
        self._name = ""
        self._filename = ""
        self._file: IO[bytes] | None = None
        self._size = 0
        self._text = bytearray()
        callbacks: Any = {
            "on_part_begin": self._part_begin,
            "on_part_data": self._part_data,
            "on_part_end": self._part_end,
            "on_header_field": self._header_field,
            "on_header_value": self._header_value_part,
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_end": self._end,
        }
        self._parser = MultipartParser(boundary, callbacks)

    # --- feeding ----------------------------------------------------------------------------

    def feed(self, data: bytes) -> None:
        """Parse the next bytes of the body (writing file data as it comes)."""
        self.body_bytes += len(data)
        try:
            self._parser.write(data)
        except FormParserError as exc:
            raise Invalid(
                f"body: not a valid multipart/form-data body ({exc})", details={"field": "body"}
            ) from None
        if self.body_bytes - self.file_bytes > UPLOAD_OVERHEAD_BYTES:
            raise TooLarge(
                f"upload: more than {UPLOAD_OVERHEAD_BYTES} bytes of part headers and form "
                "fields; upload fewer files at a time",
                details={"limit": UPLOAD_OVERHEAD_BYTES},
            )

    def finish(self, data: bytes) -> None:
        """Parse the last bytes; Invalid if the body ended before its closing boundary."""
        if data:
            self.feed(data)
        self._parser.finalize()
        if not self.ended:
            raise Invalid(
                "body: the upload ended before its closing boundary (cut short?)",
                details={"field": "body"},
            )

    def remove(self) -> None:
        """Close the file being written and remove every file received."""
        if self._file is not None:
            self._file.close()
            self._file = None
        shutil.rmtree(self.workdir, ignore_errors=True)

    # --- callbacks --------------------------------------------------------------------------

    def _part_begin(self) -> None:
        self._headers = {}
        self._text = bytearray()
        self._size = 0

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value_part(self, data: bytes, start: int, end: int) -> None:
        self._header_value += data[start:end]

    def _header_end(self) -> None:
        self._headers[self._header_name.lower()] = self._header_value
        self._header_name = self._header_value = b""

    def _headers_finished(self) -> None:
        disposition, options = parse_options_header(self._headers.get(b"content-disposition"))
        if disposition != b"form-data" or b"name" not in options:
            raise Invalid(
                "body: a part without Content-Disposition: form-data; name=...",
                details={"field": "body"},
            )
        self._name = _text(options[b"name"])
        if b"filename" in options:
            if self._name != self.file_field:
                raise Invalid(
                    f"{self._name}: unexpected file; send files as {self.file_field!r}",
                    details={"field": self._name},
                )
            index = len(self.form.files)
            self._filename = check_upload_name(_text(options[b"filename"]), index)
            self._file = open(self.workdir / f"{index:07d}", "wb")  # noqa: SIM115
        elif self._name not in self.text_fields:
            expected = ", ".join(sorted({self.file_field, *self.text_fields}))
            reason = "send each file with a filename" if self._name == self.file_field else ""
            raise Invalid(
                f"{self._name}: {reason or 'unknown form field'} (expected: {expected})",
                details={"field": self._name},
            )

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self._file is None:
            self._text += data[start:end]
            if len(self._text) > FIELD_BYTES:
                raise Invalid(
                    f"{self._name}: longer than {FIELD_BYTES} bytes",
                    details={"field": self._name},
                )
            return
        size = end - start
        self.file_bytes += size
        self._size += size
        if self.file_bytes > self.max_bytes:
            index = len(self.form.files)
            raise TooLarge(
                f"files[{index}] ({self._filename}): the files of one upload are larger than "
                f"the limit of {self.max_bytes} bytes together; upload fewer at a time",
                details={"field": f"files[{index}]", "limit": self.max_bytes},
            )
        self._file.write(data[start:end])

    def _part_end(self) -> None:
        if self._file is None:
            if self._name in self.form.fields:
                raise Invalid(f"{self._name}: given twice", details={"field": self._name})
            self.form.fields[self._name] = _text(bytes(self._text))
            return
        self._file.close()
        self.form.files.append(
            UploadedFile(
                name=self._filename,
                path=Path(self._file.name),
                size=self._size,
                content_type=_content_type(self._headers.get(b"content-type")),
            )
        )
        self._file = None

    def _end(self) -> None:
        self.ended = True


def _content_type(raw: bytes | None) -> str | None:
    """A part's declared content type, if it looks like one (it is passed on to storage)."""
    if raw is None or len(raw) > 255 or not raw.isascii():
        return None
    value = raw.decode("ascii").strip()
    return value if value.isprintable() and "/" in value else None


def _text(raw: bytes) -> str:
    """A header value or field as text: UTF-8, as browsers send it (latin-1 when it is not)."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")
