"""Import sources belong to an organization (issue 13, finding 1): an import reads only a folder
or S3 prefix an admin of the server granted to its project's organization; nobody else grants,
and nobody creates organizations unless the server allows it. The attacks come from a second
organization, as the hardening round made them."""

from __future__ import annotations

from pathlib import Path

import httpx
from sqlalchemy import func, select

from accord_server.db.models import Job, Task
from accord_server.schemas.enums import JobKind
from accord_server.services import jobs as job_service
from accord_server.settings import Settings
from support import Factory, Member, Stack, running_stack


def _tasks(stack: Stack) -> int:
    with stack.runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Task)) or 0)


def _jobs(stack: Stack) -> int:
    with stack.runtime.db.session() as session:
        return int(session.scalar(select(func.count()).select_from(Job)) or 0)


def _import(client: httpx.Client, project_id: int, source: object) -> httpx.Response:
    return client.post(f"/api/v1/projects/{project_id}/imports", json={"source": source})


def _customer_folder(stack: Stack, name: str) -> Path:
    folder = stack.import_root / name
    (folder / "set").mkdir(parents=True)
    (folder / "set" / "tasks.jsonl").write_text('{"image": "https://x/secret.png"}\n')
    return folder


def test_another_organizations_source_cannot_be_imported_from(
    stack: Stack, factory: Factory
) -> None:
    acme, rival = factory.owner("Acme"), factory.owner("Rival")
    acme_source = factory.grant(acme, _customer_folder(stack, "acme"), name="acme")
    rival_project = factory.project(rival)
    with stack.client(rival.token) as client:
        # Its id, its id with a path, and the old server-wide forms: none reads Acme's folder.
        for source in (
            {"id": acme_source},
            {"id": acme_source, "path": "set"},
            {"id": acme_source + 1000},
        ):
            r = _import(client, rival_project["id"], source)
            assert r.status_code == 404, r.text
            assert r.json()["details"]["field"] == "source.id"
            assert "no import source" in r.json()["message"]
        for source in (
            {"type": "folder", "path": "acme/set"},
            {"type": "s3", "bucket": "acme-bucket", "prefix": ""},
        ):
            r = _import(client, rival_project["id"], source)
            assert r.status_code == 422, r.text
        # Nor does listing them tell Rival what Acme was granted.
        r = client.get(f"/api/v1/organizations/{acme.organization_id}/import-sources")
        assert r.status_code == 404
        assert client.get("/api/v1/import-sources").status_code == 403
    assert _jobs(stack) == 0
    # Acme itself imports from it.
    acme_project = factory.project(acme)
    with stack.client(acme.token) as client:
        r = _import(client, acme_project["id"], {"id": acme_source, "path": "set"})
        assert r.status_code == 202, r.text
        stack.run_jobs()
        assert client.get(f"/api/v1/jobs/{r.json()['id']}").json()["state"] == "succeeded"
        listed = client.get(f"/api/v1/organizations/{acme.organization_id}/import-sources")
    assert listed.status_code == 200
    assert [(s["id"], s["name"], s["kind"]) for s in listed.json()] == [
        (acme_source, "acme", "folder")
    ]
    assert _tasks(stack) == 1


def test_a_source_revoked_after_the_import_was_queued_is_not_read(
    stack: Stack, factory: Factory
) -> None:
    # The worker checks the grant again: a source revoked after the import was queued fails
    # the job instead of being read.
    acme = factory.owner("Acme")
    source = factory.grant(acme, _customer_folder(stack, "acme"))
    project = factory.project(acme)
    _, admin = factory.server_admin()
    with stack.client(acme.token) as client:
        r = _import(client, project["id"], {"id": source, "path": "set"})
        assert r.status_code == 202
    with stack.client(admin) as client:
        assert client.delete(f"/api/v1/import-sources/{source}").status_code == 204
    stack.run_jobs()
    with stack.client(acme.token) as client:
        job = client.get(f"/api/v1/jobs/{r.json()['id']}").json()
    assert job["state"] == "failed"
    assert "no longer granted to this organization" in job["message"]
    assert _tasks(stack) == 0


def test_the_worker_reads_no_source_of_another_organization_whatever_the_job_says(
    stack: Stack, factory: Factory
) -> None:
    # Defence in depth: a job whose params name another organization's source (a row written
    # by anything but the checked request) fails instead of reading it.
    acme, rival = factory.owner("Acme"), factory.owner("Rival")
    acme_source = factory.grant(acme, _customer_folder(stack, "acme"))
    rival_project = factory.project(rival)
    with stack.runtime.db.transaction() as session:
        job = job_service.create_job(
            session,
            organization_id=rival.organization_id,
            kind=JobKind.IMPORT,
            params={"files": [], "source": {"id": acme_source, "name": "x", "path": "set"}},
            user=None,
            project_id=rival_project["id"],
        )
        job_id = job.id
    stack.runtime.enqueue_job(job_id)
    stack.run_jobs()
    with stack.client(rival.token) as client:
        done = client.get(f"/api/v1/jobs/{job_id}").json()
    assert done["state"] == "failed", done
    assert "no longer granted to this organization" in done["message"]
    assert _tasks(stack) == 0


def _grant_body(path: Path | str, name: str = "drop") -> dict[str, object]:
    return {"name": name, "kind": "folder", "path": str(path)}


def test_only_an_admin_of_the_server_grants_and_revokes(stack: Stack, factory: Factory) -> None:
    acme = factory.owner("Acme")
    folder = _customer_folder(stack, "acme")
    url = f"/api/v1/organizations/{acme.organization_id}/import-sources"
    # The organization's own owner (and everyone below) may not grant itself a folder.
    for member in (acme, factory.member(acme, "admin"), factory.member(acme, "manager")):
        with stack.client(member.token) as client:
            r = client.post(url, json=_grant_body(folder))
            assert r.status_code == 403, (member.role, r.text)
            assert r.json()["details"]["action"] == "server.admin"
    _, admin = factory.server_admin()
    with stack.client(admin) as client:
        r = client.post(url, json=_grant_body(folder))
        assert r.status_code == 201, r.text
        granted = r.json()
        assert granted["location"] == str(folder.resolve())
        r = client.post(url, json=_grant_body(folder))
        assert r.status_code == 409 and r.json()["details"]["field"] == "name"
        everything = client.get("/api/v1/import-sources")
        assert [s["id"] for s in everything.json()] == [granted["id"]]
    with stack.client(acme.token) as client:
        assert client.delete(f"/api/v1/import-sources/{granted['id']}").status_code == 403
    # Members who may import see the grant; an annotator may not list sources.
    annotator = factory.member(acme, "annotator")
    with stack.client(annotator.token) as client:
        assert client.get(url).status_code == 403
    with stack.client(factory.member(acme, "manager").token) as client:
        assert [s["id"] for s in client.get(url).json()] == [granted["id"]]


def test_a_grant_stays_inside_the_import_roots_and_off_the_servers_data(
    stack: Stack, factory: Factory
) -> None:
    acme = factory.owner("Acme")
    _, admin = factory.server_admin()
    url = f"/api/v1/organizations/{acme.organization_id}/import-sources"
    outside = stack.import_root.parent / "elsewhere"
    outside.mkdir()
    escape = stack.import_root / "escape"
    escape.symlink_to(outside)
    data_dir = stack.settings.data_dir
    data_dir.mkdir(exist_ok=True)
    cases = {
        "relative": ("imports", "is not an absolute path"),
        "outside the roots": (outside, "outside ACCORD_IMPORT_ROOTS"),
        "a symlink out of them": (escape, "outside ACCORD_IMPORT_ROOTS"),
        "dot-dot out of them": (f"{stack.import_root}/../elsewhere", "outside ACCORD_IMPORT_ROOTS"),
        "missing": (stack.import_root / "nope", "is not a folder"),
        "the data folder": (data_dir, "outside ACCORD_IMPORT_ROOTS"),
        "the root": ("/", "outside ACCORD_IMPORT_ROOTS"),
    }
    with stack.client(admin) as client:
        for case, (path, message) in cases.items():
            r = client.post(url, json=_grant_body(path))
            assert r.status_code == 422, (case, r.text)
            assert message in r.json()["message"], (case, r.json())
            assert r.json()["details"]["field"] == "path"
        # An organization that does not exist.
        r = client.post("/api/v1/organizations/999999/import-sources", json=_grant_body("/x"))
        assert r.status_code == 404


def test_a_root_holding_the_data_folder_cannot_be_granted(
    settings: Settings, tmp_path: Path
) -> None:
    # An operator who set ACCORD_IMPORT_ROOTS=/srv with the data in /srv/accord: granting /srv
    # (or the data folder) would hand out every organization's media and the database.
    configured = settings.model_copy(update={"import_roots": [tmp_path]})
    with running_stack(configured) as stack:
        factory = Factory(stack)
        acme = factory.owner("Acme")
        _, admin = factory.server_admin()
        url = f"/api/v1/organizations/{acme.organization_id}/import-sources"
        (stack.settings.data_dir / "media").mkdir(parents=True, exist_ok=True)
        with stack.client(admin) as client:
            for path in (tmp_path, stack.settings.data_dir, stack.settings.data_dir / "media"):
                r = client.post(url, json=_grant_body(path))
                assert r.status_code == 422, (path, r.text)
                assert "overlaps the server's data folder" in r.json()["message"]
            assert client.post(url, json=_grant_body(tmp_path / "imports")).status_code == 201


def test_creating_organizations_is_for_admins_of_the_server_unless_opened(
    settings: Settings,
) -> None:
    for open_organizations in (False, True):
        configured = settings.model_copy(update={"open_organizations": open_organizations})
        with running_stack(configured) as stack:
            factory = Factory(stack)
            factory.counter = 100 * open_organizations  # the same database both times
            member: Member = factory.member(factory.owner(), "annotator")
            _, admin = factory.server_admin()
            with stack.client(member.token) as client:
                r = client.post("/api/v1/organizations", json={"name": "Mine"})
            if open_organizations:
                assert r.status_code == 201, r.text
            else:
                assert r.status_code == 403, r.text
                assert r.json()["details"]["action"] == "organization.create"
            with stack.client(admin) as client:
                r = client.post("/api/v1/organizations", json={"name": "Admin's"})
                assert r.status_code == 201, r.text
                assert client.get("/api/v1/auth/me").json()["user"]["is_server_admin"] is True
