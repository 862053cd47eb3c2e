"""What a process needs to serve requests or run jobs: settings, database, storage, queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlparse

from accord_server.adapters.storage import LocalStorage, S3Storage, Storage
from accord_server.db.engine import Database, make_database
from accord_server.services.token_use import TokenUse
from accord_server.settings import Settings


def make_storage(settings: Settings) -> Storage:
    """The media store in force: a folder in data_dir, or ``s3://bucket/prefix``."""
    if not settings.storage_url:
        return LocalStorage(settings.data_dir / "media")
    url = urlparse(settings.storage_url)
    if url.scheme == "s3":
        return S3Storage(
            url.netloc,
            url.path.strip("/"),
            endpoint_url=settings.s3_endpoint_url,
            region=settings.s3_region,
        )
    if url.scheme in ("", "file"):
        from pathlib import Path

        return LocalStorage(Path(url.path))
    raise ValueError(f"ACCORD_STORAGE_URL: unsupported scheme {url.scheme!r} (use s3:// or a path)")


@dataclass
class Runtime:
    """Per-process wiring, built from settings; nothing connects until first used."""

    settings: Settings
    enqueue_job: Callable[[int], None] = field(default=lambda job_id: None)

    @cached_property
    def db(self) -> Database:
        """The database engines."""
        return make_database(self.settings)

    @cached_property
    def storage(self) -> Storage:
        """The media store."""
        return make_storage(self.settings)

    @cached_property
    def token_use(self) -> TokenUse:
        """When API tokens were last used, written in the background."""
        return TokenUse(self.db)

    def close(self) -> None:
        """Write the pending token use, release pooled connections."""
        if "token_use" in self.__dict__:
            self.token_use.close()
        if "db" in self.__dict__:
            self.db.dispose()
