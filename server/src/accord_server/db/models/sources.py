"""Import sources: a server folder or an S3 prefix that an admin of the server granted to one
organization. Imports read only the sources granted to their project's organization."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from accord_server.db.base import Base, BigId, UTCDateTime, one_of, utcnow
from accord_server.schemas.enums import SourceKind


class ImportSource(Base):
    __tablename__ = "import_sources"
    __table_args__ = (
        UniqueConstraint("organization_id", "name"),
        one_of("kind", SourceKind, name="kind"),
        Index("ix_import_sources_organization_id", "organization_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    # folder: the absolute, resolved path; s3: the bucket.
    location: Mapped[str] = mapped_column(String(4096))
    # s3: the key prefix ("" or ending in "/"); folder: "".
    prefix: Mapped[str] = mapped_column(String(1024), default="")
    # s3: the credentials to read it with, a profile of the server's AWS shared config (none:
    # the server's own), and where the store is (none: the server's S3 settings).
    profile: Mapped[str | None] = mapped_column(String(200))
    endpoint_url: Mapped[str | None] = mapped_column(String(500))
    region: Mapped[str | None] = mapped_column(String(100))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
