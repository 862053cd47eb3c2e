"""Thumbnails of a project's image media: made on first request, then read from storage.

A thumbnail is stored under a key derived from its source key and size
(``adapters.storage.derived_key``), so no database row is written on a read and every API
process finds the same object. Nothing here runs on the annotators' lease/submit path.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from accord_server.adapters.media import MediaError, make_thumbnail
from accord_server.adapters.storage import Storage, derived_key
from accord_server.db.models import Project
from accord_server.services.errors import Invalid, NotFound
from accord_server.services.tasks import get_media_mime_or_raise

SIZES = (64, 128, 256, 512)
MIME = "image/jpeg"


def thumbnail_keys(key: str) -> list[str]:
    """Where the thumbnails of ``key`` are (or would be) stored, every size."""
    return [derived_key("thumb", key, f"jpeg{size}") for size in SIZES]


def get_thumbnail(
    session: Session,
    *,
    storage: Storage,
    project: Project,
    key: str,
    size: int,
    max_pixels: int,
    max_decode_pixels: int,
) -> bytes:
    """The JPEG thumbnail (at most ``size`` pixels a side) of an image one of the project's
    tasks names; NotFound for a key of no task of the project, Invalid for a non-image."""
    if size not in SIZES:
        raise Invalid(
            f"size: {size} is not a thumbnail size; expected one of: " + ", ".join(map(str, SIZES)),
            details={"field": "size", "value": size},
        )
    mime = get_media_mime_or_raise(session, project=project, key=key)
    if not mime.startswith("image/"):
        raise NotFound(f"media {key} is not an image ({mime}): it has no thumbnail")
    thumb_key = thumbnail_keys(key)[SIZES.index(size)]
    if storage.exists(thumb_key):
        return storage.read(thumb_key)
    try:
        data = make_thumbnail(
            storage.read(key),
            size=size,
            max_pixels=max_pixels,
            max_decode_pixels=max_decode_pixels,
        )
    except MediaError as exc:
        raise Invalid(f"media {key}: {exc.reason}", details={"key": key}) from None
    storage.put_derived(thumb_key, data, content_type=MIME)
    return data
