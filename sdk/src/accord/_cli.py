"""``accord``: a small command line client (reads ACCORD_URL and ACCORD_TOKEN).

    accord login --email EMAIL [--name TOKEN_NAME]
    accord projects list
    accord import PROJECT_ID FILE_OR_FOLDER... [--batch NAME] [--skip-invalid] [--no-wait]
    accord import-labels PROJECT_ID ZIP_OR_FOLDER --format coco [--schema-from-labels]
    accord progress PROJECT_ID [--mine]
    accord next PROJECT_ID
    accord webhooks list ORGANIZATION_ID
    accord webhooks create ORGANIZATION_ID URL [--event KIND]... [--project ID] [--description TEXT]
    accord webhooks delete|ping|deliveries WEBHOOK_ID
    accord export PROJECT_ID --format FORMAT [-o PATH] [--result R] [--split T,V,T[:SEED]]
                 [--include-media] [--label-map OLD=NEW ...] [--filter NAME=VALUE ...] [--json]
    accord versions create PROJECT_ID --name NAME [--description TEXT] [--result R]
                 [--filter NAME=VALUE ...] [--json]
    accord versions list PROJECT_ID [--json]
    accord versions pull VERSION_ID [--format FORMAT] [-o PATH] [--include-media] [--json]
    accord versions diff VERSION_ID AGAINST_ID [--json]

Results are printed as JSON on stdout; errors as one line on stderr with exit status 1. When the
reader of stdout goes away (``accord projects list | head``) it stops quietly with status 141.
"""

from __future__ import annotations

import argparse
import getpass
import itertools
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from accord._client import TOKEN_ENV, URL_ENV, Client
from accord._exceptions import AccordError, ImportFailed
from accord._resources.imports import LABELS_FORMATS, folder_entries
from accord._version import __version__

PASSWORD_ENV = "ACCORD_PASSWORD"
EXIT_BROKEN_PIPE = 141


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="accord", description="Accord command line client.")
    parser.add_argument("--version", action="version", version=f"accord {__version__}")
    parser.add_argument("--url", help=f"server URL (default: ${URL_ENV})")
    parser.add_argument("--token", help=f"API token (default: ${TOKEN_ENV})")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    login = commands.add_parser(
        "login",
        help="log in with your email and password and print a new API token",
        description=f"Prints a new API token of yours (shown once) as JSON. The password is "
        f"asked for, or read from ${PASSWORD_ENV}.",
    )
    login.add_argument("--email", required=True)
    login.add_argument("--name", default="accord cli", help="the token's name")

    projects = commands.add_parser("projects", help="projects")
    projects_cmds = projects.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = projects_cmds.add_parser("list", help="list your projects")
    listing.add_argument("--organization", type=int, help="only this organization")

    imp = commands.add_parser("import", help="upload task files, media files or folders")
    imp.add_argument("project_id", type=int)
    imp.add_argument("paths", nargs="+", type=Path, metavar="FILE_OR_FOLDER")
    imp.add_argument("--batch", help="put the tasks in this batch")
    imp.add_argument(
        "--skip-invalid", action="store_true", help="import the valid rows and report the rest"
    )
    imp.add_argument("--no-wait", action="store_true", help="print the queued job and exit")
    imp.add_argument("--no-progress", action="store_true", help="no progress bar")

    labels = commands.add_parser(
        "import-labels",
        help="import existing labels (COCO, YOLO, VOC, CVAT XML, Label Studio JSON)",
        description="Upload an export of another tool (a ZIP archive, or its folder, zipped on "
        "the fly: the annotation file(s) and the images) and import its labels.",
    )
    labels.add_argument("project_id", type=int)
    labels.add_argument("path", type=Path, metavar="ZIP_OR_FOLDER")
    labels.add_argument("--format", required=True, choices=LABELS_FORMATS, dest="labels_format")
    labels.add_argument(
        "--schema-from-labels",
        action="store_true",
        help="replace the project's schema with the labels' (a project without annotations)",
    )
    labels.add_argument(
        "--skip-invalid", action="store_true", help="import what can be and report the rest"
    )
    labels.add_argument("--no-wait", action="store_true", help="print the queued job and exit")
    labels.add_argument("--no-progress", action="store_true", help="no progress bar")

    progress = commands.add_parser("progress", help="a project's progress (or your own)")
    progress.add_argument("project_id", type=int)
    progress.add_argument(
        "--mine", action="store_true", help="your own work only (any member; annotators too)"
    )

    nxt = commands.add_parser("next", help="take the next task of a project's queue")
    nxt.add_argument("project_id", type=int)

    hooks = commands.add_parser("webhooks", help="an organization's webhooks (admins, owners)")
    hooks_cmds = hooks.add_subparsers(dest="action", required=True, metavar="ACTION")
    hooks_cmds.add_parser("list", help="list an organization's webhooks").add_argument(
        "organization_id", type=int
    )
    create = hooks_cmds.add_parser(
        "create", help="add a webhook; prints it with its signing secret (shown once)"
    )
    create.add_argument("organization_id", type=int)
    create.add_argument("webhook_url", metavar="URL")  # not "url": that is the server's --url
    create.add_argument(
        "--event",
        action="append",
        dest="events",
        metavar="KIND",
        help="an event kind it hears of (repeat it; default: all, *)",
    )
    create.add_argument("--project", type=int, help="only this project's events")
    create.add_argument("--description", default="")
    for action, text in (
        ("delete", "delete a webhook and its delivery log"),
        ("ping", "queue a webhook.ping message"),
        ("deliveries", "a webhook's delivery log, newest first"),
    ):
        sub = hooks_cmds.add_parser(action, help=text)
        sub.add_argument("webhook_id", type=int)
        if action == "deliveries":
            sub.add_argument("--limit", type=int, default=50, help="at most this many")
    exp = commands.add_parser(
        "export",
        help="export a project in a format and download the file",
        description="Starts an export, waits for it (progress bar on stderr) and downloads its "
        "file into OUTPUT (a folder, the default '.', or a file name), resuming a partial "
        "file. Prints the file's path, or with --json the export and the path as JSON.",
    )
    exp.add_argument("project_id", type=int)
    exp.add_argument("--format", required=True, help="e.g. json, jsonl, csv (see the docs)")
    exp.add_argument(
        "-o",
        "--output",
        default=".",
        help="a folder (made if missing: a name ending in / or without a suffix) or a file name",
    )
    exp.add_argument(
        "--result",
        default="latest",
        choices=("latest", "all", "ground_truth"),
        help="which results",
    )
    exp.add_argument(
        "--split", help="train,val,test fractions and an optional seed: 0.8,0.1,0.1:42"
    )
    exp.add_argument("--include-media", action="store_true", help="put the media files in it")
    exp.add_argument(
        "--label-map",
        action="append",
        default=[],
        metavar="OLD=NEW",
        help="rename a label (OLD=NEW) or drop it (OLD=); repeatable",
    )
    exp.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="the data manager's task filter, e.g. state=completed, label=car; repeatable",
    )
    exp.add_argument("--json", action="store_true", help="print the export and path as JSON")
    exp.add_argument("--no-progress", action="store_true", help="no progress bar")
    _version_commands(commands)
    return parser


def _version_commands(commands: Any) -> None:
    versions = commands.add_parser(
        "versions",
        help="dataset versions: freeze, list, pull, compare",
        description="Dataset versions: a project's labels frozen into an immutable manifest. "
        "Each action prints a short summary, or with --json the result as JSON.",
    )
    actions = versions.add_subparsers(dest="action", required=True)
    create = actions.add_parser("create", help="freeze a project's labels into a new version")
    create.add_argument("project_id", type=int)
    create.add_argument("--name", required=True)
    create.add_argument("--description", default="")
    create.add_argument(
        "--result", default="latest", choices=("latest", "all", "ground_truth"), help="which"
    )
    create.add_argument(
        "--filter",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="the data manager's task filter, e.g. state=completed; repeatable",
    )
    listing = actions.add_parser("list", help="a project's versions, newest first")
    listing.add_argument("project_id", type=int)
    pull = actions.add_parser(
        "pull",
        help="export a version in a format and download the file",
        description="Exports the version, waits for it and downloads the file into OUTPUT (a "
        "folder, the default '.', or a file name), resuming a partial file; the same version "
        "in the same format is the same bytes every time.",
    )
    pull.add_argument("version_id", type=int)
    pull.add_argument("--format", default="coco", help="e.g. coco, yolo, jsonl (default coco)")
    pull.add_argument("-o", "--output", default=".", help="a folder or a file name")
    pull.add_argument("--include-media", action="store_true", help="put the media files in it")
    diff = actions.add_parser("diff", help="what changed from AGAINST_ID to VERSION_ID")
    diff.add_argument("version_id", type=int)
    diff.add_argument("against_id", type=int)
    for sub in (create, listing, pull, diff):
        sub.add_argument("--json", action="store_true", help="print the result as JSON")
        if sub in (create, pull):
            sub.add_argument("--no-progress", action="store_true", help="no progress bar")


def _versions(client: Client, args: argparse.Namespace) -> None:
    versions = client.versions
    if args.action == "create":
        filters = {k: _filter_value(v) for k, v in _pairs(args.filter, "--filter").items()}
        made = versions.create(
            args.project_id,
            name=args.name,
            description=args.description,
            result=args.result,
            filter=filters or None,
            progress=not args.no_progress,
        )
        if args.json:
            _print(made)
            return
        same = f" (same content as version {made.same_as})" if made.same_as else ""
        print(
            f"version {made.id} (#{made.number} {made.name}): {made.task_count:,} tasks, "
            f"hash {made.content_hash}{same}"
        )
    elif args.action == "list":
        found = versions.list(args.project_id)
        if args.json:
            _print(found)
            return
        for v in found:
            print(
                f"{v.id}\t#{v.number}\t{v.name}\t{v.state}\t{v.task_count} tasks\t"
                f"{v.content_hash or '-'}"
            )
    elif args.action == "pull":
        output = Path(args.output)
        if args.output.endswith(("/", os.sep)) or not output.suffix:
            output.mkdir(parents=True, exist_ok=True)
        path = versions.pull(
            args.version_id,
            output,
            format=args.format,
            include_media=args.include_media,
            progress=not args.no_progress,
        )
        if args.json:
            _print({"version": args.version_id, "path": str(path)})
        else:
            print(path)
    elif args.action == "diff":
        changes = versions.diff(args.version_id, args.against_id)
        if args.json:
            _print(changes)
            return
        t = changes.tasks
        print(
            f"tasks: {t['added']:,} added, {t['removed']:,} removed, {t['changed']:,} "
            f"changed, {t['unchanged']:,} unchanged"
        )
        for label, n in changes.labels.items():
            print(f"  {label}: +{n['added']:,} -{n['removed']:,}")


def _split(text: str | None) -> dict[str, Any] | None:
    """``0.8,0.1,0.1:42`` as the API's split."""
    if not text:
        return None
    fractions, _, seed = text.partition(":")
    parts = fractions.split(",")
    if len(parts) != 3:
        raise ValueError(f"--split: expected train,val,test fractions, not {text!r}")
    train, val, test = (float(p) for p in parts)
    return {"train": train, "val": val, "test": test, "seed": int(seed or 0)}


def _pairs(items: Sequence[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"{option}: expected NAME=VALUE, not {item!r}")
        pairs[name] = value
    return pairs


def _filter_value(value: str) -> Any:
    if value in ("true", "false"):
        return value == "true"
    try:
        return int(value)
    except ValueError:
        return value


def _export(client: Client, args: argparse.Namespace) -> None:
    label_map = {old: new or None for old, new in _pairs(args.label_map, "--label-map").items()}
    filters = {k: _filter_value(v) for k, v in _pairs(args.filter, "--filter").items()}
    export = client.exports.create(
        args.project_id,
        format=args.format,
        result=args.result,
        include_media=args.include_media,
        split=_split(args.split),
        label_map=label_map or None,
        filter=filters or None,
        progress=not args.no_progress,
    )
    output = Path(args.output)
    if args.output.endswith(("/", os.sep)) or not output.suffix:
        output.mkdir(parents=True, exist_ok=True)
    path = client.exports.download(export, output)
    if args.json:
        _print({"export": export.model_dump(mode="json"), "path": str(path)})
    else:
        print(path)
    for drop in export.report.dropped:
        print(f"accord: left out {drop.count:,}: {drop.reason}", file=sys.stderr)


def _print(value: Any) -> None:
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="json")
    elif isinstance(value, list):
        value = [v.model_dump(mode="json") if isinstance(v, BaseModel) else v for v in value]
    print(json.dumps(value, indent=2, ensure_ascii=False))


def _import_entries(paths: Sequence[Path]) -> list[tuple[str, Path]]:
    # A folder's files keep their path below it; a file given by itself keeps its name.
    entries: list[tuple[str, Path]] = []
    for path in paths:
        if path.is_dir():
            entries.extend(folder_entries(path))
        elif path.is_file():
            entries.append((path.name, path))
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return entries


def _run(client: Client, args: argparse.Namespace) -> int:
    if args.command == "projects":
        _print(client.projects.list(organization_id=args.organization))
    elif args.command == "import":
        job = client.imports.upload(
            args.project_id,
            _import_entries(args.paths),
            batch=args.batch,
            skip_invalid=args.skip_invalid,
            wait=not args.no_wait,
            progress=not args.no_progress,
        )
        _print(job)
        if job.finished and job.errors:
            # Imported, but not all of it: say what was left out (stdout stays the job's JSON).
            print(f"accord: {job.report()}", file=sys.stderr)
    elif args.command == "import-labels":
        job = client.imports.labels(
            args.project_id,
            args.path,
            format=args.labels_format,
            schema_from_labels=args.schema_from_labels,
            skip_invalid=args.skip_invalid,
            wait=not args.no_wait,
            progress=not args.no_progress,
        )
        _print(job)
        if job.finished and job.errors:
            print(f"accord: {job.report()}", file=sys.stderr)
    elif args.command == "progress":
        if args.mine:
            _print(client.projects.my_progress(args.project_id))
        else:
            _print(client.projects.progress(args.project_id))
    elif args.command == "webhooks":
        _webhooks(client, args)
    elif args.command == "export":
        _export(client, args)
    elif args.command == "versions":
        _versions(client, args)
    elif args.command == "next":
        lease = client.queue.next(args.project_id)
        _print(lease)
        return 0 if lease is not None else 3
    return 0


def _webhooks(client: Client, args: argparse.Namespace) -> None:
    hooks = client.webhooks
    if args.action == "list":
        _print(hooks.list(args.organization_id))
    elif args.action == "create":
        _print(
            hooks.create(
                args.organization_id,
                args.webhook_url,
                events=args.events or ["*"],
                project_id=args.project,
                description=args.description,
            )
        )
    elif args.action == "delete":
        hooks.delete(args.webhook_id)
        _print({"deleted": args.webhook_id})
    elif args.action == "ping":
        _print(hooks.ping(args.webhook_id))
    elif args.action == "deliveries":
        _print(list(itertools.islice(hooks.deliveries(args.webhook_id), args.limit)))


def _login(args: argparse.Namespace) -> int:
    password = os.environ.get(PASSWORD_ENV) or getpass.getpass(f"password for {args.email}: ")
    with Client.login(args.url, args.email, password) as client:
        _print(client.tokens.create(args.name))
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit status (0 ok, 1 error, 2 usage, 3 queue empty, 141 the
    reader of stdout went away)."""
    try:
        status = _main(argv)
        sys.stdout.flush()  # here, so that a closed pipe is found while we can still catch it
    except BrokenPipeError:
        # `accord … | head`: the reader has all it wanted. Stop quietly with the status of a
        # tool killed by SIGPIPE (128 + 13), pointing stdout at devnull so that Python's own
        # flush at exit does not complain either.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    return status


def _main(argv: Sequence[str] | None) -> int:
    args = _parser().parse_args(argv)
    try:
        if args.command == "login":
            return _login(args)
        with Client(args.url, args.token) as client:
            return _run(client, args)
    except BrokenPipeError:
        raise
    except ImportFailed as exc:
        _print(exc.job)
        print(f"accord: {exc}", file=sys.stderr)
        return 1
    except (AccordError, OSError, ValueError) as exc:
        print(f"accord: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
