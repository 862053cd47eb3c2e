# ruff: noqa: E501 - the rules quote source lines whole
"""Remove each permission rule and data-hiding filter in turn, and check that a test fails.

Not a test module: run it by hand from server/ (it edits src/ and restores it after each rule):

    ../.venv/bin/python tests/rule_removal.py [NAME ...]

Each rule names the source text it removes (or replaces) and the tests that must then fail.
Prints one line per rule: KILLED (some test failed) or SURVIVED (every test passed)."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

SRC = Path("src/accord_server")
MATRIX = "tests/api/test_permission_matrix.py"
VISIBILITY = "tests/api/test_annotation_visibility.py tests/services/test_annotation_visibility.py"
REPORTS = "tests/api/test_reports.py"
OWN_PROGRESS = "tests/api/test_own_progress.py"
MEDIA_SIZES = "tests/api/test_media_sizes.py"
LIMITS = "tests/api/test_login_limits.py"
SOURCES = "tests/api/test_import_sources.py"
UPLOADS = "tests/api/test_uploads.py"
MEDIA_GC = "tests/api/test_media_gc.py"


@dataclass(frozen=True)
class Rule:
    name: str
    file: str
    old: str
    new: str
    tests: str  # test files
    only: str = ""  # a -k expression choosing among them (always on SQLite only)
    count: int = 1  # how often ``old`` occurs in the file
    nth: int = 0  # which occurrence to remove


RULES = [
    Rule(
        "add_member authorize",
        "services/accounts.py",
        "    authorize(actor.role, Action.MEMBER_MANAGE)\n    _check_role_grant(actor.role, role)\n    email = normalize_email",
        "    _check_role_grant(actor.role, role)\n    email = normalize_email",
        MATRIX,
        "manager",
    ),
    Rule(
        "only an owner grants owner",
        "services/accounts.py",
        "    if role == Role.OWNER and actor_role != Role.OWNER:",
        "    if False:",
        MATRIX,
        "admin",
    ),
    Rule(
        "change_member_role authorize",
        "services/accounts.py",
        '    """Change a member\'s role; the last owner cannot be demoted."""\n    authorize(actor.role, Action.MEMBER_MANAGE)',
        '    """Change a member\'s role; the last owner cannot be demoted."""',
        MATRIX,
        "manager",
    ),
    Rule(
        "only an owner changes an owner",
        "services/accounts.py",
        "    if target.role == Role.OWNER and actor.role != Role.OWNER:",
        "    if False:",
        MATRIX,
        "admin",
    ),
    Rule(
        "remove_member authorize",
        "services/accounts.py",
        '    the organization\'s projects go back to the queue at once."""\n    authorize(actor.role, Action.MEMBER_MANAGE)',
        '    the organization\'s projects go back to the queue at once."""',
        MATRIX,
        "manager",
    ),
    Rule(
        "only an owner removes an owner",
        "services/accounts.py",
        "        if actor.role != Role.OWNER:\n            raise Forbidden",
        "        if False:\n            raise Forbidden",
        MATRIX,
        "admin",
    ),
    Rule(
        "membership scoping of an organization",
        "services/accounts.py",
        "Membership.organization_id == organization_id, Membership.user_id == user.id",
        "Membership.organization_id == organization_id",
        MATRIX,
        "outsider",
    ),
    Rule(
        "list_members authorize",
        "api/v1/organizations.py",
        "    authorize(membership.role, Action.MEMBER_LIST)\n",
        "",
        MATRIX,
        "annotator",
    ),
    Rule(
        "get_project_or_raise authorize",
        "services/projects.py",
        "    project, membership = row\n    authorize(membership.role, action)",
        "    project, membership = row",
        MATRIX,
        "annotator",
    ),
    Rule(
        "project membership scoping",
        "services/projects.py",
        '        .where(Project.id == bindparam("project_id"), Membership.user_id == bindparam("user_id"))\n    )\n\n\nclass ProjectAccess',
        '        .where(Project.id == bindparam("project_id"))\n    )\n\n\nclass ProjectAccess',
        MATRIX,
        "outsider",
    ),
    Rule(
        "project access (queue) membership scoping",
        "services/projects.py",
        '        .where(Project.id == bindparam("project_id"), Membership.user_id == bindparam("user_id"))\n    )\n\n\ndef get_project_access',
        '        .where(Project.id == bindparam("project_id"))\n    )\n\n\ndef get_project_access',
        MATRIX,
        "outsider",
    ),
    Rule(
        "create_project authorize",
        "services/projects.py",
        "    authorize(membership.role, Action.PROJECT_CREATE)",
        "",
        MATRIX,
        "reviewer",
    ),
    Rule(
        "update_project authorize",
        "services/projects.py",
        "    authorize(membership.role, Action.PROJECT_UPDATE)",
        "",
        MATRIX,
        "reviewer",
    ),
    Rule(
        "delete_project authorize",
        "services/projects.py",
        "    authorize(membership.role, Action.PROJECT_DELETE)",
        "",
        MATRIX,
        "reviewer",
    ),
    Rule(
        "list_projects membership filter",
        "services/projects.py",
        "        .where(Membership.user_id == user.id)\n        .order_by(Project.id.desc())",
        "        .order_by(Project.id.desc())",
        MATRIX,
        "outsider",
    ),
    Rule(
        "list_projects organization filter",
        "services/projects.py",
        "        query = query.where(Project.organization_id == organization_id)",
        "        pass",
        MATRIX,
        "outsider",
    ),
    Rule(
        "task visibility (handed out or reviewer)",
        "services/tasks.py",
        "    if not handed_out and not can(role, Action.TASK_LIST):",
        "    if False:",
        MATRIX,
        "annotator",
    ),
    Rule(
        "task membership scoping",
        "services/tasks.py",
        '        .where(Task.id == bindparam("task_id"), Membership.user_id == user_id)\n    )\n\n\ndef _check_visible',
        '        .where(Task.id == bindparam("task_id"))\n    )\n\n\ndef _check_visible',
        MATRIX,
        "outsider",
    ),
    Rule(
        "task access (submit, draft) membership scoping",
        "services/tasks.py",
        '        .where(Task.id == bindparam("task_id"), Membership.user_id == user_id)\n    )\n    return DirectStatement',
        '        .where(Task.id == bindparam("task_id"))\n    )\n    return DirectStatement',
        MATRIX,
        "outsider",
    ),
    Rule(
        "delete_tasks authorize",
        "services/tasks.py",
        "    authorize(membership.role, Action.TASK_DELETE)",
        "",
        MATRIX,
        "reviewer",
    ),
    Rule(
        "set_task_priority authorize",
        "services/tasks.py",
        '    """Set the priority of tasks of a project; returns how many changed."""\n    authorize(membership.role, Action.TASK_UPDATE)',
        '    """Set the priority of tasks of a project; returns how many changed."""',
        MATRIX,
        "reviewer",
    ),
    Rule(
        "update_task_data authorize",
        "services/tasks.py",
        "    authorize(membership.role, Action.TASK_UPDATE)\n    meta, media_key = _media_facts(",
        "    meta, media_key = _media_facts(",
        f"{MATRIX} {REPORTS}",
        "reviewer or fixes_the_data",
    ),
    Rule(
        "blind-mode filter",
        "services/tasks.py",
        "    if not can(membership.role, Action.ANNOTATION_READ_ANY) and project.blind:",
        "    if False:",
        VISIBILITY,
    ),
    Rule(
        "move_to_batch authorize",
        "services/batches.py",
        "    authorize(membership.role, Action.TASK_UPDATE)",
        "",
        MATRIX,
        "reviewer",
    ),
    Rule(
        "list tasks authorize",
        "api/v1/tasks.py",
        "user=user, action=Action.TASK_LIST",
        "user=user",
        MATRIX,
        "annotator",
        count=3,
        nth=0,
    ),
    Rule(
        "task table authorize",
        "api/v1/tasks.py",
        "user=user, action=Action.TASK_LIST",
        "user=user",
        MATRIX,
        "annotator",
        count=3,
        nth=1,
    ),
    Rule(
        "batches authorize",
        "api/v1/tasks.py",
        "user=user, action=Action.TASK_LIST",
        "user=user",
        MATRIX,
        "annotator",
        count=3,
        nth=2,
    ),
    Rule(
        "progress authorize",
        "api/v1/projects.py",
        "user=user, action=Action.PROJECT_PROGRESS",
        "user=user",
        MATRIX,
        "annotator",
        count=2,
        nth=0,
    ),
    Rule(
        "stats authorize",
        "api/v1/projects.py",
        "user=user, action=Action.PROJECT_PROGRESS",
        "user=user",
        MATRIX,
        "annotator",
        count=2,
        nth=1,
    ),
    Rule(
        "media scoped to its project",
        "services/tasks.py",
        "where(Task.project_id == project.id, Task.media_key == key)",
        "where(Task.media_key == key)",
        MATRIX,
        "outsider",
        count=2,  # the first: a task's data changed to another media URL of its project
        nth=1,
    ),
    Rule(
        "a task's new data names only its project's media",
        "services/tasks.py",
        "where(Task.project_id == project.id, Task.media_key == key)",
        "where(Task.media_key == key)",
        REPORTS,
        "fixes_the_data",
        count=2,
        nth=0,
    ),
    Rule(
        "only importers import (before anything is stored)",
        "services/imports/service.py",
        "        session, project_id=project_id, user=user, action=Action.TASK_IMPORT\n",
        "        session, project_id=project_id, user=user\n",
        MATRIX,
        "reviewer",
    ),
    Rule(
        "annotation read: own or reviewer",
        "services/annotations.py",
        "    if annotation.user_id != user.id and not can(membership.role, Action.ANNOTATION_READ_ANY):",
        "    if False:",
        MATRIX,
        "annotator",
    ),
    Rule(
        "annotation membership scoping",
        "services/annotations.py",
        "            Membership.user_id == user.id,\n            Annotation.deleted_at.is_(None),",
        "            Annotation.deleted_at.is_(None),",
        MATRIX,
        "outsider",
    ),
    Rule(
        "annotation edit: own or manager",
        "services/annotations.py",
        "    if annotation.user_id != user.id and not can(membership.role, Action.ANNOTATION_EDIT_ANY):",
        "    if False:",
        MATRIX,
        "reviewer",
    ),
    Rule(
        "submit (and media size) without a lease: managers only",
        "services/tasks.py",
        "    if access.hold is None and not can(access.role, Action.ANNOTATION_EDIT_ANY):\n        raise NotFound",
        "    if False:\n        raise NotFound",
        MATRIX,
        "reviewer",
    ),
    Rule(
        "media size: whoever may annotate the task",
        "services/media_sizes.py",
        "    check_may_annotate(access)\n",
        "",
        f"{MATRIX} {MEDIA_SIZES}",
        "reviewer or who_may_report",
    ),
    Rule(
        "media size: a known size is never overwritten",
        "services/media_sizes.py",
        "        if known != (width, height):",
        "        if False:",
        MEDIA_SIZES,
    ),
    Rule(
        "media size: a stored image's file decides",
        "services/media_sizes.py",
        "        if stored != (width, height):",
        "        if False:",
        MEDIA_SIZES,
    ),
    Rule(
        "media size: absurd sizes refused",
        "services/media_sizes.py",
        "    _check_size(width, height, max_pixels)\n",
        "",
        MEDIA_SIZES,
    ),
    Rule(
        "project annotations: annotators see their own",
        "services/annotations.py",
        "    if mine or not can(membership.role, Action.ANNOTATION_READ_ANY):\n        query = query.where(Annotation.user_id == user.id)",
        "    if mine:\n        query = query.where(Annotation.user_id == user.id)",
        f"{MATRIX} {VISIBILITY}",
        "annotator",
    ),
    Rule(
        "project annotations: mine=true is the caller's own for every role",
        "services/annotations.py",
        "    if mine or not can(membership.role, Action.ANNOTATION_READ_ANY):\n        query = query.where(Annotation.user_id == user.id)",
        "    if not can(membership.role, Action.ANNOTATION_READ_ANY):\n        query = query.where(Annotation.user_id == user.id)",
        f"{MATRIX} {VISIBILITY}",
        "manager",
    ),
    Rule(
        "job read: own or manager",
        "services/jobs.py",
        "    if job.created_by != user.id and not can(membership.role, Action.JOB_READ_ANY):",
        "    if False:",
        MATRIX,
        "reviewer",
    ),
    Rule(
        "job membership scoping",
        "services/jobs.py",
        ".where(Job.id == job_id, Membership.user_id == user.id)",
        ".where(Job.id == job_id)",
        MATRIX,
        "outsider",
    ),
    Rule(
        "token revoke: own tokens only",
        "services/sessions.py",
        "select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user.id)",
        "select(ApiToken).where(ApiToken.id == token_id)",
        MATRIX,
        "owner",
    ),
    Rule(
        "skip: only a task assigned to you",
        "services/queue.py",
        "    if assignment is None or assignment.project_id != project.id:",
        "    if False:",
        MATRIX,
        "owner",
    ),
    Rule(
        "draft: only a task you hold",
        "services/queue.py",
        '    if hold is None:\n        raise NotFound(f"task {task_id} is not assigned to you")\n    session.execute(',
        "    session.execute(",
        MATRIX,
        "owner",
    ),
    Rule(
        "next never serves a reported task",
        "services/queue.py",
        "            candidate.c.open_reports == 0,\n",
        "",
        REPORTS,
        "leaves_the_queue",
    ),
    Rule(
        "list_reports authorize",
        "services/reports.py",
        "    authorize(membership.role, Action.REPORT_MANAGE)\n    reports = session.scalars(",
        "    reports = session.scalars(",
        f"{MATRIX} {REPORTS}",
        "reviewer or managers_read",
    ),
    Rule(
        "resolve_reports authorize",
        "services/reports.py",
        "    authorize(membership.role, Action.REPORT_MANAGE)\n    resolved = session.execute(",
        "    resolved = session.execute(",
        f"{MATRIX} {REPORTS}",
        "reviewer or managers_read",
    ),
    Rule(
        "report details in the task table: managers only",
        "services/task_table.py",
        "    show_reports = can(role, Action.REPORT_MANAGE)",
        "    show_reports = True",
        f"{MATRIX} {REPORTS}",
        "reviewer or managers_read",
    ),
    Rule(
        "own progress: own annotations only",
        "services/queue.py",
        "            Annotation.project_id == project_id,\n            Annotation.user_id == user.id,\n",
        "            Annotation.project_id == project_id,\n",
        f"{MATRIX} {OWN_PROGRESS}",
        "annotator",
    ),
    Rule(
        "own progress: own assignments only",
        "services/queue.py",
        ".where(Assignment.user_id == user.id, Assignment.project_id == project_id)",
        ".where(Assignment.project_id == project_id)",
        f"{MATRIX} {OWN_PROGRESS}",
        "annotator",
    ),
    Rule(
        "own progress: open tasks never handed to you",
        "services/queue.py",
        "            _never_handed(Task.id, literal(user.id)),\n        )\n        .limit(AVAILABLE_COUNT_CAP + 1)",
        "        )\n        .limit(AVAILABLE_COUNT_CAP + 1)",
        OWN_PROGRESS,
    ),
    Rule(
        "own progress: freed tasks never handed to you",
        "services/queue.py",
        "Task.open_slots == 0, Task.open_reports == 0, _never_handed(Task.id, literal(user.id))",
        "Task.open_slots == 0, Task.open_reports == 0",
        OWN_PROGRESS,
    ),
    Rule(
        "login limit per account",
        "services/login_limits.py",
        '        ("account", account_key(email), limits.account_free),\n',
        "",
        LIMITS,
        "guesses_of_one_account",
    ),
    Rule(
        "login limit per address",
        "services/login_limits.py",
        '        ("address", address_key(address), limits.address_free),\n',
        "",
        LIMITS,
        "sprays_from_one_address",
    ),
    Rule(
        "a login attempt waits its turn",
        "services/login_limits.py",
        "        where=or_(forgotten, table.c.failures < free, table.c.next_at <= now),\n",
        "",
        LIMITS,
        "guesses_of_one_account",
    ),
    Rule(
        "a wrong current password counts like a failed login",
        "services/sessions.py",
        "    claim_attempt(session, email=user.email, address=address, limits=limits)\n",
        "",
        "tests/api/test_auth.py",
        "share_the_login_limit",
    ),
    Rule(
        "forwarded headers only from trusted proxies (the app's uvicorn options)",
        "app.py",
        '{"proxy_headers": bool(trusted),',
        '{"proxy_headers": True,',
        LIMITS,
        "forwarded",
    ),
    Rule(
        "serve uses the app's uvicorn options",
        "cli/main.py",
        "            **server_options(settings),\n",
        "",
        "tests/cli/test_cli.py",
        "forwarded",
    ),
    Rule(
        "common passwords refused",
        "services/passwords.py",
        "    problem = _is_common(password)",
        "    problem = None",
        "tests/api/test_auth.py",
        "common",
    ),
    Rule(
        "the email as a password refused",
        "services/passwords.py",
        "    if _is_email_like(password, email):",
        "    if False:",
        "tests/api/test_auth.py",
        "common",
    ),
    Rule(
        "adding a member checks the password for every email",
        "services/accounts.py",
        "    check_password_rules(password, email=email)\n    password_hash",
        "    if get_user_by_email(session, email) is None:\n"
        "        check_password_rules(password, email=email)\n    password_hash",
        "tests/api/test_organizations.py",
        "tell",
    ),
    Rule(
        "adding a member hashes the password for every email",
        "services/accounts.py",
        "    password_hash = hash_password(password)\n    user = session.scalar(",
        "    password_hash = hash_password(password) if get_user_by_email(session, email) is None"
        ' else ""\n    user = session.scalar(',
        "tests/api/test_organizations.py",
        "tell",
    ),
    Rule(
        "authentication required",
        "api/deps.py",
        '    if not secret:\n        raise Unauthenticated("log in or pass an API token (Authorization: Bearer …)")',
        "    if not secret:\n        return Caller(user=session.get(User, 1), login=None)",
        MATRIX,
        "anonymous",
    ),
    # --- uploads are refused before they are read or stored (issue 13, finding 2)
    Rule(
        "an upload's caller is checked before its body is read",
        "api/v1/imports.py",
        "    await run_as_caller(request, check, write=False)\n",
        "",
        UPLOADS,
        "refused_caller",
    ),
    Rule(
        "media collection keeps what any task names",
        "services/media_gc.py",
        "            named = held | _named_by_tasks(session, [obj.key for obj in old])\n",
        "            named = held\n",
        MEDIA_GC,
        "shared",
    ),
    Rule(
        "media collection keeps the files of unfinished jobs",
        "services/media_gc.py",
        '        held.update(str(f["key"]) for f in (params or {}).get("files") or [] if "key" in f)\n',
        "",
        MEDIA_GC,
        "in_flight",
    ),
    Rule(
        "media collection keeps what was written since the oldest unfinished job",
        "services/media_gc.py",
        "        if created_at < cutoff:\n",
        "        if False:\n",
        MEDIA_GC,
        "in_flight",
    ),
    Rule(
        "storing bytes again refreshes the stored file (local)",
        "adapters/storage.py",
        "        if not _touch(self.root / key):\n",
        "        if not (self.root / key).is_file():\n",
        MEDIA_GC,
        "in_flight",
    ),
    # --- import sources belong to an organization (issue 13, finding 1)
    Rule(
        "only a server admin grants import sources",
        "services/import_sources.py",
        '    require_server_admin(by, "grant import sources")\n',
        "",
        SOURCES,
        "only_an_admin",
    ),
    Rule(
        "only a server admin revokes import sources",
        "services/import_sources.py",
        '    require_server_admin(by, "revoke import sources")\n',
        "",
        SOURCES,
        "only_an_admin",
    ),
    Rule(
        "an import (and its job) names only its organization's sources",
        "services/import_sources.py",
        "            ImportSource.id == source_id, ImportSource.organization_id == organization_id\n",
        "            ImportSource.id == source_id\n",
        SOURCES,
        "another_organizations or whatever_the_job_says",
    ),
    Rule(
        "listing an organization's sources needs the import right",
        "api/v1/import_sources.py",
        "        authorize(membership.role, Action.TASK_IMPORT)\n",
        "",
        SOURCES,
        "only_an_admin",
    ),
    Rule(
        "a grant stays inside the import roots",
        "services/import_sources.py",
        "    if not any(real.is_relative_to(_real(root)) for root in bounds.import_roots):",
        "    if False:",
        SOURCES,
        "inside_the_import_roots",
    ),
    Rule(
        "a grant stays off the server's data",
        "services/import_sources.py",
        "        if _overlaps(real, _real(own)):",
        "        if False:",
        SOURCES,
        "data_folder",
    ),
    Rule(
        "the media bucket is never a source",
        "services/import_sources.py",
        "    if same_store and bucket == bounds.media_bucket:",
        "    if False:",
        "tests/api/test_s3.py",
        "media_bucket",
    ),
    Rule(
        "only server admins create organizations",
        "services/accounts.py",
        "    if not open_organizations and not user.is_server_admin:",
        "    if False:",
        SOURCES,
        "creating_organizations",
    ),
]


def main(names: list[str]) -> int:
    survived = 0
    for rule in RULES:
        if names and rule.name not in names:
            continue
        path = SRC / rule.file
        original = path.read_text()
        parts = original.split(rule.old)
        if len(parts) != rule.count + 1:
            print(f"STALE     {rule.name}: its text is not found {rule.count}x in {path}")
            survived += 1
            continue
        before = rule.old.join(parts[: rule.nth + 1])
        path.write_text(before + rule.new + rule.old.join(parts[rule.nth + 1 :]))
        try:
            only = f"sqlite and ({rule.only})" if rule.only else "sqlite"
            command = [
                sys.executable,
                "-m",
                "pytest",
                "-q",
                "-n",
                "0",
                "-x",
                "-p",
                "no:cacheprovider",
            ]
            command += [*rule.tests.split(), "-k", only]
            run = subprocess.run(command, capture_output=True, text=True, check=False)
        finally:
            path.write_text(original)
        lines = run.stdout.strip().splitlines() or ["?"]
        errors = [x[1:].strip() for x in lines if x.startswith("E  ")]
        why = next((x for x in errors if "(want " in x), errors[0] if errors else "")
        last = f"{lines[-1]}  {why[:150]}"
        verdict = (
            "KILLED  " if run.returncode == 1 else "SURVIVED" if run.returncode == 0 else "ERROR   "
        )
        survived += run.returncode == 0
        print(f"{verdict}  {rule.name}: {last}", flush=True)
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
