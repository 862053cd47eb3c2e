"""Commands of the server's operator for organizations and the import sources granted to them:
whoever runs them on the server is its admin."""

from __future__ import annotations

import click

from accord_server.cli.main import _settings, data_dir_option


@click.group()
def organization() -> None:
    """List the server's organizations."""


@organization.command("list")
@data_dir_option
def organization_list(data_dir: str | None) -> None:
    """Every organization on the server: id, name, members."""
    from sqlalchemy import func, select

    from accord_server.db.engine import make_database
    from accord_server.db.models import Membership, Organization

    database = make_database(_settings(data_dir))
    with database.session() as session:
        rows = session.execute(
            select(Organization.id, Organization.name, func.count(Membership.id))
            .outerjoin(Membership, Membership.organization_id == Organization.id)
            .group_by(Organization.id, Organization.name)
            .order_by(Organization.id)
        ).all()
    for org_id, name, members in rows:
        click.echo(f"{org_id}\t{name}\t{members} members")


@click.group()
def source() -> None:
    """Grant import sources (server folders, S3 prefixes) to organizations."""


@source.command("grant")
@data_dir_option
@click.option("--organization", "organization_id", type=int, required=True, help="Its id.")
@click.option("--name", required=True, help="What the organization's members see.")
@click.option("--folder", default=None, help="An absolute folder under ACCORD_IMPORT_ROOTS.")
@click.option("--s3", "s3_url", default=None, help="s3://bucket/prefix")
@click.option("--profile", default=None, help="S3: the AWS shared-config profile to read with.")
@click.option("--endpoint-url", default=None, help="S3: an S3-compatible store.")
@click.option("--region", default=None, help="S3: its region.")
def source_grant(
    data_dir: str | None,
    organization_id: int,
    name: str,
    folder: str | None,
    s3_url: str | None,
    profile: str | None,
    endpoint_url: str | None,
    region: str | None,
) -> None:
    """Grant a folder or an S3 prefix to an organization."""
    from urllib.parse import urlparse

    from accord_server.db.engine import make_database
    from accord_server.schemas.enums import SourceKind
    from accord_server.services import import_sources
    from accord_server.services.errors import AccordError

    if (folder is None) == (s3_url is None):
        raise click.UsageError("give either --folder or --s3")
    settings = _settings(data_dir)
    bucket, prefix = None, ""
    if s3_url is not None:
        url = urlparse(s3_url)
        if url.scheme != "s3" or not url.netloc:
            raise click.BadParameter("expected s3://bucket/prefix", param_hint="--s3")
        bucket, prefix = url.netloc, url.path.lstrip("/")
    database = make_database(settings)
    try:
        with database.transaction() as session:
            granted = import_sources.grant_source(
                session,
                organization_id=organization_id,
                name=name,
                kind=SourceKind.FOLDER if folder is not None else SourceKind.S3,
                bounds=import_sources.SourceBounds.from_settings(settings),
                by=None,
                path=folder,
                bucket=bucket,
                prefix=prefix,
                profile=profile,
                endpoint_url=endpoint_url,
                region=region,
            )
            source_id = granted.id
    except AccordError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"granted import source {source_id} ({name}) to organization {organization_id}")


@source.command("list")
@data_dir_option
@click.option("--organization", "organization_id", type=int, default=None)
def source_list(data_dir: str | None, organization_id: int | None) -> None:
    """The grants: id, organization, name, where, profile."""
    from accord_server.db.engine import make_database
    from accord_server.services import import_sources

    database = make_database(_settings(data_dir))
    with database.session() as session:
        for s in import_sources.list_sources(session, organization_id=organization_id):
            where = import_sources.location(s)
            click.echo(f"{s.id}\t{s.organization_id}\t{s.name}\t{where}\t{s.profile or ''}")


@source.command("revoke")
@data_dir_option
@click.argument("source_id", type=int)
def source_revoke(data_dir: str | None, source_id: int) -> None:
    """Take a grant back (imports queued from it then fail)."""
    from accord_server.db.engine import make_database
    from accord_server.services import import_sources
    from accord_server.services.errors import AccordError

    database = make_database(_settings(data_dir))
    try:
        with database.transaction() as session:
            import_sources.revoke_source(session, source_id=source_id, by=None)
    except AccordError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"revoked import source {source_id}")
