"""Wire models for import sources: what an admin of the server grants to an organization."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from accord_server.schemas.common import InputModel, Name, ReadModel
from accord_server.schemas.enums import SourceKind


class ImportSourceCreate(InputModel):
    name: Name = Field(description="What the organization's members see, unique in it.")
    kind: SourceKind
    path: str | None = Field(
        None,
        max_length=4096,
        description="folder: an absolute path on the server, under ACCORD_IMPORT_ROOTS.",
    )
    bucket: str | None = Field(None, max_length=63, description="s3: the bucket.")
    prefix: str = Field("", max_length=1024, description="s3: the key prefix (a folder).")
    profile: str | None = Field(
        None,
        max_length=64,
        description="s3: the profile of the server's AWS shared config to read it with "
        "(default: the server's own credentials).",
    )
    endpoint_url: str | None = Field(
        None, max_length=500, description="s3: an S3-compatible store (default: the server's)."
    )
    region: str | None = Field(None, max_length=100, description="s3: its region.")


class ImportSourceRead(ReadModel):
    """A granted source as the organization's members see it."""

    id: int
    organization_id: int
    name: str
    kind: SourceKind
    location: str = Field(description="folder: its path; s3: `s3://bucket/prefix`.")
    created_at: datetime


class ImportSourceAdminRead(ImportSourceRead):
    """A granted source as an admin of the server sees it: with how it is read."""

    profile: str | None
    endpoint_url: str | None
    region: str | None
    created_by_id: int | None
