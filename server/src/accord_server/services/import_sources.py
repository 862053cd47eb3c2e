"""Import sources: the server folders and S3 prefixes an admin of the server granted to an
organization. An import reads only a source granted to its project's organization, and only
inside it; a grant never reaches the media store (nor, for a folder, the data directory).

- **Who grants.** Only an admin of the server (``users.is_server_admin``, set on the command
  line, never through the API) or the operator at the command line (``by=None``). Members of
  the organization see its sources (those who may import) and name one in an import.
- **Folders** must lie under one of ``ACCORD_IMPORT_ROOTS`` (the server's outer bound) and
  neither contain nor lie inside the data directory or the media folder.
- **S3 prefixes** are read with the grant's own credentials: a profile of the server's AWS
  shared config (``~/.aws/credentials``, ``AWS_SHARED_CREDENTIALS_FILE``), the server's
  default credentials when none is named. A prefix of the media bucket that overlaps the media
  prefix is refused.
- **Checked again when the import runs**: a revoked grant, or one the settings no longer allow,
  fails the job with its reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord_server.adapters.storage import SourcePathError, safe_relative_path
from accord_server.db.models import ImportSource, Organization, User
from accord_server.schemas.enums import SourceKind
from accord_server.services.errors import Conflict, Forbidden, Invalid, NotFound
from accord_server.settings import Settings

# Amazon's rules for new buckets: 3-63 lowercase letters, digits, dots and hyphens.
_BUCKET_RE = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
_PROFILE_RE = re.compile(r"[A-Za-z0-9_.@+-]{1,64}")


@dataclass(frozen=True)
class SourceBounds:
    """What no grant may cross: the folders that may be granted, and the server's own data."""

    import_roots: tuple[Path, ...]
    protected: tuple[Path, ...]
    """The data directory and the media folder: never inside a grant, never containing one."""
    media_bucket: str | None = None
    media_prefix: str = ""
    s3_endpoint_url: str | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SourceBounds:
        """The bounds of these settings."""
        protected = [settings.data_dir]
        bucket, prefix = None, ""
        url = urlparse(settings.storage_url or "")
        if url.scheme == "s3":
            bucket, prefix = url.netloc, _folder_prefix(url.path)
        elif settings.storage_url:
            protected.append(Path(url.path))
        return cls(
            import_roots=tuple(settings.import_roots),
            protected=tuple(protected),
            media_bucket=bucket,
            media_prefix=prefix,
            s3_endpoint_url=settings.s3_endpoint_url,
        )


def _folder_prefix(prefix: str) -> str:
    """``a/b`` as the key prefix of a folder, ``a/b/``; the whole bucket as ``""``."""
    prefix = prefix.strip("/")
    return prefix + "/" if prefix else ""


def require_server_admin(user: User | None, doing: str) -> None:
    """Refuse unless ``user`` is an admin of the server (None: the operator at the command
    line)."""
    if user is not None and not user.is_server_admin:
        raise Forbidden(
            f"only an admin of the server may {doing}",
            details={"action": "server.admin"},
        )


def _real(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return path.absolute()


def _overlaps(a: Path, b: Path) -> bool:
    return a.is_relative_to(b) or b.is_relative_to(a)


def check_folder(path: str, bounds: SourceBounds) -> Path:
    """The real path of a folder an admin may grant; Invalid (field ``path``) otherwise."""
    if "\x00" in path:
        raise Invalid("path: contains a NUL character", details={"field": "path"})
    folder = Path(path)
    if not folder.is_absolute():
        raise Invalid(f"path: {path} is not an absolute path", details={"field": "path"})
    if not bounds.import_roots:
        raise Invalid(
            "path: folder sources are off; set ACCORD_IMPORT_ROOTS on the server to the folders "
            "that may be granted",
            details={"field": "path"},
        )
    real = _real(folder)
    if not real.is_dir():
        raise Invalid(f"path: {path} is not a folder on the server", details={"field": "path"})
    if not any(real.is_relative_to(_real(root)) for root in bounds.import_roots):
        raise Invalid(f"path: {path} is outside ACCORD_IMPORT_ROOTS", details={"field": "path"})
    for own in bounds.protected:
        if _overlaps(real, _real(own)):
            raise Invalid(
                f"path: {path} overlaps the server's data folder ({own})",
                details={"field": "path"},
            )
    return real


def check_s3(
    bucket: str, prefix: str, endpoint_url: str | None, bounds: SourceBounds
) -> tuple[str, str]:
    """The bucket and folder prefix of an S3 source an admin may grant; Invalid otherwise."""
    if not _BUCKET_RE.fullmatch(bucket) or ".." in bucket:
        raise Invalid(f"bucket: {bucket!r} is not a bucket name", details={"field": "bucket"})
    if prefix.strip("/"):
        try:
            prefix = safe_relative_path(prefix)
        except SourcePathError as exc:
            raise Invalid(f"prefix: {exc.reason}", details={"field": "prefix"}) from None
    folder = _folder_prefix(prefix)
    same_store = (endpoint_url or bounds.s3_endpoint_url) == bounds.s3_endpoint_url
    if same_store and bucket == bounds.media_bucket:
        media = bounds.media_prefix
        if folder.startswith(media) or media.startswith(folder):
            raise Invalid(
                f"prefix: s3://{bucket}/{folder} overlaps the media store (s3://{bucket}/{media})",
                details={"field": "prefix"},
            )
    return bucket, folder


def _check_profile(profile: str | None) -> str | None:
    if profile is None or profile == "":
        return None
    if not _PROFILE_RE.fullmatch(profile):
        raise Invalid(f"profile: {profile!r} is not a profile name", details={"field": "profile"})
    return profile


def location(source: ImportSource) -> str:
    """Where a source is, as people write it: a folder's path, or ``s3://bucket/prefix``."""
    if source.kind == SourceKind.S3:
        return f"s3://{source.location}/{source.prefix}"
    return source.location


def check_grant(source: ImportSource, bounds: SourceBounds) -> None:
    """Refuse a grant the settings in force no longer allow (Invalid, naming the source)."""
    try:
        if source.kind == SourceKind.FOLDER:
            check_folder(source.location, bounds)
        else:
            check_s3(source.location, source.prefix, source.endpoint_url, bounds)
    except Invalid as exc:
        raise Invalid(
            f"source: import source {source.name!r} is no longer allowed: {exc.message}",
            details={"field": "source"},
        ) from None


def grant_source(
    session: Session,
    *,
    organization_id: int,
    name: str,
    kind: SourceKind,
    bounds: SourceBounds,
    by: User | None,
    path: str | None = None,
    bucket: str | None = None,
    prefix: str = "",
    profile: str | None = None,
    endpoint_url: str | None = None,
    region: str | None = None,
) -> ImportSource:
    """Grant a folder (``path``) or an S3 prefix (``bucket``, ``prefix``, read with
    ``profile``) to an organization, under ``name``. Only for an admin of the server."""
    require_server_admin(by, "grant import sources")
    if session.get(Organization, organization_id) is None:
        raise NotFound(
            f"organization {organization_id} not found", details={"field": "organization_id"}
        )
    name = name.strip()
    if not name:
        raise Invalid("name: must not be empty", details={"field": "name"})
    if kind == SourceKind.FOLDER:
        if not path:
            raise Invalid("path: a folder source needs a path", details={"field": "path"})
        if bucket or profile or endpoint_url or region:
            raise Invalid("bucket: a folder source takes only a path", details={"field": "bucket"})
        location, folder, profile = str(check_folder(path, bounds)), "", None
    else:
        if not bucket:
            raise Invalid("bucket: an S3 source needs a bucket", details={"field": "bucket"})
        if path:
            raise Invalid("path: an S3 source takes a bucket and prefix", details={"field": "path"})
        location, folder = check_s3(bucket, prefix, endpoint_url, bounds)
        profile = _check_profile(profile)
    taken = session.scalar(
        select(ImportSource.id).where(
            ImportSource.organization_id == organization_id, ImportSource.name == name
        )
    )
    if taken is not None:
        raise Conflict(
            f"name: the organization already has an import source named {name!r}",
            details={"field": "name"},
        )
    source = ImportSource(
        organization_id=organization_id,
        name=name,
        kind=kind,
        location=location,
        prefix=folder,
        profile=profile,
        endpoint_url=endpoint_url or None,
        region=region or None,
        created_by_id=by.id if by is not None else None,
    )
    session.add(source)
    session.flush()
    return source


def list_sources(session: Session, *, organization_id: int | None) -> list[ImportSource]:
    """The sources granted to an organization (None: to every organization), oldest first."""
    query = select(ImportSource).order_by(ImportSource.id)
    if organization_id is not None:
        query = query.where(ImportSource.organization_id == organization_id)
    return list(session.scalars(query))


def revoke_source(session: Session, *, source_id: int, by: User | None) -> ImportSource:
    """Take a grant back (imports already queued from it then fail); only for an admin of the
    server."""
    require_server_admin(by, "revoke import sources")
    source = session.get(ImportSource, source_id)
    if source is None:
        raise NotFound(f"import source {source_id} not found")
    session.delete(source)
    session.flush()
    return source


def granted_source(session: Session, *, organization_id: int, source_id: int) -> ImportSource:
    """The source ``source_id`` if granted to the organization: one granted to another one is
    answered like one that does not exist."""
    source = session.scalar(
        select(ImportSource).where(
            ImportSource.id == source_id, ImportSource.organization_id == organization_id
        )
    )
    if source is None:
        raise NotFound(
            f"source.id: no import source {source_id} is granted to this organization",
            details={"field": "source.id"},
        )
    return source


def check_subpath(path: str) -> str:
    """A folder inside a source (``""``: all of it), normalized; Invalid when it would leave."""
    if path.strip().strip("/") in ("", "."):
        return ""
    try:
        return safe_relative_path(path)
    except SourcePathError as exc:
        raise Invalid(f"source.path: {exc.reason}", details={"field": "source.path"}) from None
