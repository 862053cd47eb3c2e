"""Admin commands; each opens and commits its own transaction."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from pathlib import Path

import click

from accord_server import wording
from accord_server.settings import Settings


def _settings(data_dir: str | None) -> Settings:
    settings = Settings()
    if data_dir:
        settings = settings.model_copy(update={"data_dir": Path(data_dir)})
    return settings


data_dir_option = click.option(
    "--data-dir",
    envvar="ACCORD_DATA_DIR",
    default=None,
    help="Data folder (SQLite database, job queue, media); env ACCORD_DATA_DIR.",
)


@click.group()
def main() -> None:
    """Accord server administration."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # Alembic logs each of its plugins at INFO on every migration (a dozen lines that buried the
    # demo's login banner); its "Running upgrade" lines stay.
    logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)


@main.command()
@data_dir_option
def migrate(data_dir: str | None) -> None:
    """Apply database migrations."""
    from accord_server.db.engine import make_database
    from accord_server.db.migrate import upgrade

    database = make_database(_settings(data_dir))
    upgrade(database.write_engine)
    click.echo("database is up to date")


@main.command()
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=int, help="API processes.")
@click.option(
    "--access-log/--no-access-log",
    default=True,
    show_default=True,
    help="Log every request (behind a proxy that logs them already, turning it off saves about "
    "4 % of the API's CPU per request).",
)
def serve(data_dir: str | None, host: str, port: int, workers: int, access_log: bool) -> None:
    """Apply migrations, start the job worker (embedded default) and serve the API and web app."""
    import uvicorn

    from accord_server.app import server_options
    from accord_server.db.engine import make_database
    from accord_server.db.migrate import upgrade

    settings = _settings(data_dir)
    database = make_database(settings)
    upgrade(database.write_engine)
    database.dispose()
    env = {**os.environ, "ACCORD_DATA_DIR": str(settings.data_dir)}
    supervisor = None
    if settings.embedded_worker:
        from accord_server.cli.supervisor import WorkerSupervisor

        # The worker runs in its own process: huey's consumer installs signal handlers that
        # must not replace the web server's. -P: the working directory is not on its path, so
        # a stray xml.py there cannot shadow the standard library (it killed the worker).
        supervisor = WorkerSupervisor(
            [
                sys.executable,
                "-P",
                "-m",
                "accord_server",
                "worker",
                "--data-dir",
                str(settings.data_dir),
                "--parent-pid",
                str(os.getpid()),
            ],
            env,
            delay=settings.worker_restart_seconds,
            max_delay=settings.worker_restart_max_seconds,
        )
        supervisor.start()
    click.echo(f"Accord is running on http://{host}:{port}  (data: {settings.data_dir})")
    try:
        os.environ["ACCORD_DATA_DIR"] = str(settings.data_dir)
        uvicorn.run(
            "accord_server.cli.main:app_from_env",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="info",
            access_log=access_log,
            **server_options(settings),
        )
    finally:
        if supervisor is not None:
            supervisor.stop()


def app_from_env() -> object:
    """uvicorn factory: the app for the environment's settings."""
    import gc

    from accord_server.app import create_app

    app = create_app(Settings())
    # What exists now (modules, the app) lives as long as the process: out of the collector's
    # way. Each full collection walked all of it on the event loop's thread, ~0.2 s on a small
    # VM, and a 20,000-region submit allocates enough to set off one or two.
    gc.collect()
    gc.freeze()
    return app


@main.command()
@data_dir_option
@click.option("--threads", default=2, show_default=True, type=int)
@click.option("--once", is_flag=True, help="Run the queued jobs, then exit.")
@click.option(
    "--parent-pid",
    type=int,
    default=None,
    hidden=True,
    help="Exit when this process is gone (the embedded worker follows `serve`).",
)
def worker(data_dir: str | None, threads: int, once: bool, parent_pid: int | None) -> None:
    """Run background jobs (SQLite queue by default, Redis with ACCORD_REDIS_URL) and deliver
    events to their subscribers."""
    from accord_server.app import make_runtime
    from accord_server.jobs.events import DeliveryLoop, deliver_events
    from accord_server.jobs.media_gc import MediaGcLoop
    from accord_server.jobs.queue import drain, make_consumer
    from accord_server.jobs.webhooks import WebhookLoop, send_webhooks
    from accord_server.jobs.workers import WorkerLoop

    settings = _settings(data_dir)
    runtime, huey = make_runtime(settings)
    # On record as alive (the API's readiness), beating for the jobs it runs, and taking over
    # those of workers that died mid-job (first right now).
    loop = WorkerLoop(runtime)
    loop.start(background=not once)
    if once:
        click.echo(f"ran {wording.count(drain(huey), 'job')}")
        click.echo(f"delivered {wording.count(deliver_events(runtime), 'event')}")
        sent = send_webhooks(runtime)
        click.echo(f"sent {wording.count(sent, 'webhook delivery', 'webhook deliveries')}")
        return
    if parent_pid is not None:
        _exit_with_parent(parent_pid)
    delivery = None
    if settings.event_delivery_seconds > 0:
        # Beside the jobs, not one of them: events are delivered in order by one process at a
        # time, about once a second, however busy the queue is.
        delivery = DeliveryLoop(runtime, settings.event_delivery_seconds)
        delivery.start()
    sender = None
    if settings.webhook_send_seconds > 0:
        # Webhook calls leave from their own thread: a slow receiver never holds up the
        # outbox's delivery (which only writes the rows this sends).
        sender = WebhookLoop(runtime, settings.webhook_send_seconds)
        sender.start()
    collection = None
    if settings.media_gc_interval_hours > 0:
        # Queues a media_gc job when it is due (one at a time across workers).
        collection = MediaGcLoop(runtime)
        collection.start()
    # Poll an idle queue at least every quarter second (huey's default backs off to 10 s, which
    # a user sees as an import that sits "queued"; at 1 s the wait was still 40 % of a 100,000-task
    # import), and wake at once when this machine's API queues a job (jobs/queue.py).
    try:
        make_consumer(huey, settings, threads=threads).run()
    finally:
        loop.stop()
        if delivery is not None:
            delivery.stop()
        if sender is not None:
            sender.stop()
        if collection is not None:
            collection.stop()


def _exit_with_parent(parent_pid: int) -> None:
    """Stop this worker (gracefully, by SIGTERM) once its parent `serve` has died, even by
    SIGKILL, so no orphan keeps polling the queue."""
    import threading

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(1)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


@main.command()
def openapi() -> None:
    """Print the OpenAPI document of the API (what openapi.json at the repo root holds)."""
    import json

    from accord_server.app import create_app
    from accord_server.runtime import Runtime

    # A runtime that is never used: the document needs no database and no queue.
    settings = Settings(data_dir=Path("/nonexistent-accord-openapi"))
    app = create_app(settings, runtime=Runtime(settings=settings))
    click.echo(json.dumps(app.openapi(), indent=2, sort_keys=True))


@main.group()
def user() -> None:
    """Manage users."""


@user.command("create")
@data_dir_option
@click.option("--email", required=True)
@click.option("--password", required=True, prompt=True, hide_input=True)
@click.option("--name", default="")
@click.option("--organization", default=None, help="Create this organization, owned by the user.")
@click.option(
    "--server-admin",
    is_flag=True,
    help="Make the user an admin of the server (creates organizations, grants import sources).",
)
def user_create(
    data_dir: str | None,
    email: str,
    password: str,
    name: str,
    organization: str | None,
    server_admin: bool,
) -> None:
    """Create a user (and optionally an organization they own)."""
    from accord_server.db.engine import make_database
    from accord_server.services import accounts
    from accord_server.services.errors import AccordError

    database = make_database(_settings(data_dir))
    try:
        with database.transaction() as session:
            new = accounts.create_user(session, email=email, password=password, name=name)
            new.is_server_admin = server_admin
            if organization:
                accounts.create_organization(session, name=organization, owner=new)
    except AccordError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"created user {new.email} (id {new.id})")


@user.command("admin")
@data_dir_option
@click.argument("email")
@click.option("--off", is_flag=True, help="Take the role away instead.")
def user_admin(data_dir: str | None, email: str, off: bool) -> None:
    """Make a user an admin of the server (or, with --off, no longer one)."""
    from accord_server.db.engine import make_database
    from accord_server.services import accounts

    database = make_database(_settings(data_dir))
    with database.transaction() as session:
        found = accounts.get_user_by_email(session, email)
        if found is None:
            raise click.ClickException(f"no user with email {email}")
        found.is_server_admin = not off
    click.echo(f"{found.email} is {'no longer ' if off else ''}an admin of the server")


@main.group()
def media() -> None:
    """Manage stored media."""


@media.command("gc")
@data_dir_option
@click.option("--dry-run", is_flag=True, help="List what would be deleted, and delete nothing.")
def media_gc(data_dir: str | None, dry_run: bool) -> None:
    """Delete the stored files (and their thumbnails) that no task names any more: media of
    deleted tasks and projects, of failed imports, files of finished imports. Only files that
    nothing wrote for ACCORD_MEDIA_GC_GRACE_HOURS (and none written since the oldest unfinished
    job was created) go, so imports in flight keep theirs. Workers run it on their own every
    ACCORD_MEDIA_GC_INTERVAL_HOURS."""
    from datetime import timedelta

    from accord_server.runtime import Runtime
    from accord_server.services.media_gc import collect_media

    settings = _settings(data_dir)
    runtime = Runtime(settings=settings)
    try:
        done = collect_media(
            read=lambda: runtime.db.session(write=False),
            storage=runtime.storage,
            grace=timedelta(hours=settings.media_gc_grace_hours),
            scratch=settings.upload_tmp_dir,
            dry_run=dry_run,
            keep_keys=dry_run,
        )
    finally:
        runtime.close()
    for key in done.keys:
        click.echo(key)
    click.echo(done.summary())


@main.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@data_dir_option
@click.option("--email", required=True)
@click.option("--name", default="cli")
def token_create(data_dir: str | None, email: str, name: str) -> None:
    """Create an API token for a user and print it (shown once)."""
    from accord_server.db.engine import make_database
    from accord_server.services import accounts, sessions

    database = make_database(_settings(data_dir))
    with database.transaction() as session:
        found = accounts.get_user_by_email(session, email)
        if found is None:
            raise click.ClickException(f"no user with email {email}")
        _, secret = sessions.create_api_token(session, user=found, name=name)
    click.echo(secret)


@main.command()
@data_dir_option
@click.option("--url", default="http://127.0.0.1:8080", show_default=True)
def demo(data_dir: str | None, url: str) -> None:
    """Create (or reset) the demo organization, login and projects; print how to log in."""
    from accord_server.cli.demo import create_demo

    info = create_demo(_settings(data_dir))
    click.echo("")
    click.echo(f"  Accord demo ready: {url}")
    click.echo(f"  login: {info.email}   password: {info.password}")
    click.echo(f"  API token: {info.token}")
    click.echo(f"  projects: {', '.join(info.projects)}")
    click.echo("")
