"""The size of a task's image, recorded once, so that geometry on it is checked against it.

Uploaded images get their size when the import probes them. Tasks imported by URL have none
(unless the import probed the URL, see ``imports/reading.py``), so a shape on them could reach
past the image and an export would lack the image's size. The workspace that loads such an
image reports its size (``record_media_size``); the server takes the first report only, checks
it against the stored file when it can read one, and never overwrites a known size. From then
on submits and edits are bounds-checked exactly as for uploaded images
(``services/results/image.py``, fed by ``annotations.media_info``).

Where a size came from is kept in ``meta.size_source``: ``file`` (read from the stored file),
``url`` (read from the URL at import) or ``client`` (reported by someone who may annotate the
task; trusted for lack of anything better, refused when absurd). An uploaded image's size,
probed at import, has no ``size_source``: it is the file's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from accord_server.adapters.media import IMAGE_HEAD_BYTES, image_size
from accord_server.adapters.storage import Storage, StorageError
from accord_server.db.models import Task, User
from accord_server.schemas.enums import MediaKind
from accord_server.services.errors import Conflict, Invalid
from accord_server.services.tasks import check_may_annotate, get_task_access_or_raise, media_url
from accord_server.wording import with_article

MAX_SIDE = 65_535
"""The longest side a size may have (JPEG's own limit; browsers draw less)."""


@dataclass(frozen=True)
class MediaSize:
    """A task's image size as the server now knows it; ``recorded`` when this call set it."""

    task_id: int
    width: int
    height: int
    source: str
    recorded: bool


def record_media_size(
    session: Session,
    *,
    task_id: int,
    user: User,
    width: int,
    height: int,
    storage: Storage,
    max_pixels: int,
) -> MediaSize:
    """Record the size of a task's image as a client that loaded it reports it, unless one is
    known: the same size again is answered as it is, another one is a Conflict (first wins,
    also between concurrent reports: the task's row is locked). When the image is a file the
    server stores and can read, the report must match it. Whoever may annotate the task may
    report (``tasks.check_may_annotate``); another organization's task is NotFound."""
    access = get_task_access_or_raise(session, task_id=task_id, user_id=user.id)
    check_may_annotate(access)
    if access.media != MediaKind.IMAGE:
        raise Invalid(
            f"task {task_id} is {with_article(access.media)} task: only an image has a size "
            "to record",
            details={"field": "task_id", "media": access.media},
        )
    _check_size(width, height, max_pixels)
    # First wins: PostgreSQL locks the row until this transaction ends, so a concurrent
    # report waits here and then finds the size known; SQLite has one writer at a time.
    row = session.execute(
        select(Task.meta, Task.data, Task.media_key, Task.project_id)
        .where(Task.id == task_id)
        .with_for_update()
    ).one()
    meta: dict[str, Any] = dict(row.meta or {})
    known = _known(meta)
    if known is not None:
        if known != (width, height):
            raise Conflict(
                f"task {task_id}: its image is already known to be {known[0]} x {known[1]}; "
                f"{width} x {height} is not recorded",
                details={"width": known[0], "height": known[1]},
            )
        return MediaSize(task_id, width, height, meta.get("size_source", "file"), False)
    source = "client"
    key = _stored_key(session, row.media_key, row.data, row.project_id)
    stored = None if key is None else _stored_size(storage, key)
    if stored is not None:
        if stored != (width, height):
            raise Invalid(
                f"width: the stored image is {stored[0]} x {stored[1]}, not {width} x {height}",
                details={"field": "width", "width": stored[0], "height": stored[1]},
            )
        source = "file"
    meta.update(width=width, height=height, size_source=source)
    session.execute(update(Task).where(Task.id == task_id).values(meta=meta))
    return MediaSize(task_id, width, height, source, True)


def _check_size(width: int, height: int, max_pixels: int) -> None:
    """Refuse what no image the platform takes can be (the upload limit on pixels)."""
    for name, value in (("width", width), ("height", height)):
        if not 1 <= value <= MAX_SIDE:
            raise Invalid(
                f"{name}: must be a whole number of pixels from 1 to {MAX_SIDE:,}, not {value}",
                details={"field": name, "value": value},
            )
    if width * height > max_pixels:
        raise Invalid(
            f"width: an image of {width} x {height} has {width * height:,} pixels, more than "
            f"the {max_pixels:,} an image may have here",
            details={"field": "width", "limit": max_pixels},
        )


def _known(meta: dict[str, Any]) -> tuple[int, int] | None:
    width, height = meta.get("width"), meta.get("height")
    if isinstance(width, int) and isinstance(height, int):
        return width, height
    return None


def _stored_key(
    session: Session, media_key: str | None, data: dict[str, Any], project_id: int
) -> str | None:
    """The stored file of a task: its own, or the project's media its ``image`` names (a task
    imported with a URL of this server, e.g. from an export) when a task of the project has
    that file, as the media route requires before serving it."""
    if media_key:
        return media_key
    url, prefix = data.get("image"), media_url(project_id, "")
    if not isinstance(url, str) or not url.startswith(prefix) or len(url) == len(prefix):
        return None
    key = url[len(prefix) :]
    served = select(Task.id).where(Task.project_id == project_id, Task.media_key == key)
    return key if session.scalar(served.limit(1)) is not None else None


def _stored_size(storage: Storage, key: str) -> tuple[int, int] | None:
    """The size of a stored image, from its header; None when there is no such file or it
    holds no image header we read."""
    try:
        with storage.open(key) as stream:
            head = stream.read(IMAGE_HEAD_BYTES)
    except (StorageError, OSError):
        return None
    return image_size(head)
