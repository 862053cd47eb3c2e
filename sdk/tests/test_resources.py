"""Organizations, members, projects, tokens, queue and jobs through the SDK."""

from __future__ import annotations

import pytest
from support import BOX, PASSWORD, SCHEMA, SCHEMA_YAML, Member, Stack, client_for

from accord import (
    Client,
    Conflict,
    Forbidden,
    ImportFailed,
    NotFound,
    OwnProgress,
    Unauthenticated,
    WaitTimeout,
)


def test_organizations_and_members(client: Client, owner: Member, stack: Stack) -> None:
    orgs = client.organizations.list()
    assert [(o.id, o.role) for o in orgs] == [(owner.organization_id, "owner")]
    with pytest.raises(Forbidden, match="only an admin of the server may create organizations"):
        client.organizations.create("Second")
    with stack.runtime.db.transaction() as session:
        session.merge(owner.user).is_server_admin = True
    new = client.organizations.create("Second")
    assert new.role == "owner"
    assert client.organizations.get(new.id).name == "Second"
    added = client.organizations.add_member(
        new.id, "rev@example.com", "reviewer", name="Rev", password=PASSWORD
    )
    assert (added.email, added.role) == ("rev@example.com", "reviewer")
    member = next(m for m in client.organizations.members(new.id) if m.email == added.email)
    assert member.name == "Rev"
    changed = client.organizations.set_role(new.id, member.user_id, "manager")
    assert changed.role == "manager"
    roles = {m.email: m.role for m in client.organizations.members(new.id)}
    assert roles == {owner.email: "owner", "rev@example.com": "manager"}
    client.organizations.remove_member(new.id, member.user_id)
    assert [m.email for m in client.organizations.members(new.id)] == [owner.email]


def test_project_crud(client: Client, owner: Member, tmp_path: object) -> None:
    project = client.projects.create(
        "P",
        SCHEMA_YAML,
        organization_id=owner.organization_id,
        overlap=3,
        description="d",
        instructions="be careful",
    )
    assert project.media == "image" and project.overlap == 3
    assert project.label_schema["tools"][0]["name"] == "objects"
    assert client.projects.get(project.id).instructions == "be careful"
    updated = client.projects.update(project.id, name="Renamed", overlap=1)
    assert (updated.name, updated.overlap, updated.description) == ("Renamed", 1, "d")
    assert [p.id for p in client.projects.list()] == [project.id]
    assert client.projects.list(organization_id=owner.organization_id)[0].name == "Renamed"
    client.projects.delete(project.id)
    with pytest.raises(NotFound):
        client.projects.get(project.id)


def test_project_schema_from_a_file(client: Client, tmp_path: pytest.TempPathFactory) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "schema.yaml"
    path.write_text(SCHEMA_YAML)
    assert client.projects.create("P", path).schema_source == SCHEMA_YAML


def test_tokens(stack: Stack, owner: Member, client: Client) -> None:
    created = client.tokens.create("ci")
    assert created.token.startswith("acc_")
    assert "ci" in [t.name for t in client.tokens.list()]
    with client_for(stack, created.token) as ci:
        assert ci.me().user.email == owner.email
    revoked = client.tokens.revoke(created.id)
    assert revoked.revoked_at is not None
    with client_for(stack, created.token) as ci, pytest.raises(Unauthenticated):
        ci.me()


def test_queue_skip_and_draft(client: Client) -> None:
    project = client.projects.create("P", SCHEMA)
    client.imports.tasks(
        project.id, [{"image": "https://x/1.jpg"}, {"image": "https://x/2.jpg"}], progress=False
    )
    lease = client.queue.next(project.id)
    assert lease is not None and not lease.resumed
    client.queue.save_draft(lease.task.id, {"result": [BOX]})
    again = client.queue.next(project.id)
    assert again is not None and again.resumed and again.task.id == lease.task.id
    assert again.draft == {"result": [BOX]}
    client.queue.skip(lease.task.id)
    following = client.queue.next(project.id)
    assert following is not None and following.task.id != lease.task.id
    client.annotations.submit(following.task.id, [BOX])
    assert client.queue.next(project.id) is None
    assert client.projects.progress(project.id).skipped == 1


def test_an_annotator_reads_their_own_progress(stack: Stack, owner: Member, client: Client) -> None:
    project = client.projects.create("P", SCHEMA, overlap=2)
    client.imports.tasks(
        project.id, [{"image": f"https://x/{i}.jpg"} for i in range(3)], progress=False
    )
    lease = client.queue.next(project.id)
    assert lease is not None
    client.annotations.submit(lease.task.id, [BOX])  # the owner's work is not the annotator's
    client.organizations.add_member(
        owner.organization_id, "ann@example.com", "annotator", password=PASSWORD
    )
    with Client.login(stack.url, "ann@example.com", PASSWORD) as ann:
        with pytest.raises(Forbidden):
            ann.projects.progress(project.id)
        first = ann.queue.next(project.id)
        assert first is not None
        ann.annotations.submit(first.task.id, [BOX])
        held = ann.queue.next(project.id)
        assert held is not None
        ann.queue.save_draft(held.task.id, {"result": []})
        mine = ann.projects.my_progress(project.id)
    assert mine == OwnProgress(
        submitted=1, leased=1, drafts=1, skipped=0, available=1, more_available=False
    )
    assert client.projects.my_progress(project.id).submitted == 1
    with pytest.raises(NotFound):
        client.projects.my_progress(project.id + 1000)


def test_jobs_get_and_cancel(stack: Stack, client: Client) -> None:
    project = client.projects.create("P", SCHEMA)
    done = client.imports.tasks(project.id, [{"image": "https://x/1.jpg"}], progress=False)
    assert client.jobs.get(done.id).state == "succeeded"
    with pytest.raises(Conflict):
        client.jobs.cancel(done.id)

    stack.worker_paused.set()
    queued = client.imports.tasks(project.id, [{"image": "https://x/2.jpg"}], wait=False)
    assert queued.state == "queued"
    with pytest.raises(WaitTimeout) as timeout:
        client.jobs.wait(queued.id, timeout=0.3)
    assert timeout.value.job.state == "queued"
    assert client.jobs.cancel(queued.id).state == "cancelled"
    stack.worker_paused.clear()
    with pytest.raises(ImportFailed) as info:
        client.jobs.wait(queued.id)
    assert info.value.job.state == "cancelled"
    assert client.projects.progress(project.id).tasks == 1
