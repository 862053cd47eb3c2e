"""What a process needs to serve requests or run jobs: settings, database, storage, queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import urlparse

from accord_server.adapters.storage import LocalStorage, S3Storage, Storage
from accord_server.db.engine import Database, make_database
from accord_server.services.errors import Unavailable
from accord_server.services.secret_box import SecretBox
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


SECRET_KEY_FILE = "secret_key"


def make_secret_box(settings: Settings) -> SecretBox:
    """What webhook secrets are sealed with: ``ACCORD_SECRET_KEY``; on the embedded SQLite
    default without one, a key generated on first use and kept in ``data_dir/secret_key``
    (readable by its owner only). On PostgreSQL the key must be given: the API and worker
    processes of a deployment share it, and a generated one would differ between machines."""
    if settings.secret_key:
        return SecretBox(settings.secret_key)
    if not settings.is_sqlite:
        raise Unavailable(
            "webhooks need ACCORD_SECRET_KEY (a long random string, the same in every API and "
            "worker process): their signing secrets are stored encrypted with it",
            details={"setting": "ACCORD_SECRET_KEY"},
        )
    import os
    import secrets

    path = settings.data_dir / SECRET_KEY_FILE
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        # Written whole under another name, then linked into place: a process starting at the
        # same moment reads either nothing (and links its own, which fails) or the whole key.
        tmp = path.with_name(f".{SECRET_KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_urlsafe(48))
        try:
            os.link(tmp, path)
        except FileExistsError:
            pass  # another process wrote it first: use theirs
        finally:
            tmp.unlink()
    return SecretBox(path.read_text().strip())


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
    def secret_box(self) -> SecretBox:
        """Seals and opens webhook secrets (``make_secret_box``)."""
        return make_secret_box(self.settings)

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
