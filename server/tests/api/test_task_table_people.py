"""The data manager names people and batches, and filters by a name or an email."""

from __future__ import annotations

from sqlalchemy import update

from accord_server.db.models import User
from support import TEXT_SCHEMA, Factory, Member, Stack


def _annotate(stack: Stack, member: Member, project_id: int) -> int:
    with stack.client(member.token) as client:
        task = client.post(f"/api/v1/projects/{project_id}/next").json()["task"]
        r = client.post(
            f"/api/v1/tasks/{task['id']}/annotations",
            json={"id": f"a{task['id']}-{member.user.id}", "result": []},
        )
        assert r.status_code == 201, r.text
        return int(task["id"])


def test_rows_name_annotators_and_batches_and_filter_by_name_or_email(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT_SCHEMA, overlap=1)
    pid = project["id"]
    factory.import_tasks(owner, pid, [{"text": str(i)} for i in range(4)])
    ada, bob = factory.member(owner, "annotator"), factory.member(owner, "annotator")
    with stack.runtime.db.transaction() as session:
        session.execute(update(User).where(User.id == ada.user.id).values(name="Ada Lovelace"))
        session.execute(update(User).where(User.id == bob.user.id).values(name="Bob_100%"))
    ada_task, bob_task = _annotate(stack, ada, pid), _annotate(stack, bob, pid)
    url = f"/api/v1/projects/{pid}/tasks/table"
    with stack.client(owner.token) as client:
        client.post(
            f"/api/v1/projects/{pid}/tasks/bulk", json={"task_ids": [ada_task], "batch": "week 1"}
        )
        rows = {t["id"]: t for t in client.get(url).json()["items"]}
        assert rows[ada_task]["annotator_people"] == [
            {"id": ada.user.id, "name": "Ada Lovelace", "email": ada.email}
        ]
        assert rows[ada_task]["annotators"] == [ada.user.id]
        assert rows[ada_task]["batch_name"] == "week 1" and rows[bob_task]["batch_name"] is None
        assert rows[bob_task]["annotator_people"][0]["name"] == "Bob_100%"

        def ids(**params: str) -> list[int]:
            return [t["id"] for t in client.get(url, params=params).json()["items"]]

        assert ids(annotator="lovelace") == [ada_task]  # part of a name, any case
        assert ids(annotator=ada.email.upper()) == [ada_task]  # an email
        assert ids(annotator="_100%") == [bob_task]  # LIKE wildcards are literal
        assert ids(annotator="b%") == []  # no name holds "b%"
        assert ids(annotator="nobody") == []
        assert sorted(ids(annotator="example.com")) == sorted([ada_task, bob_task])
