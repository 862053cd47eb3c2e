"""The queue: priority order, overlap, never the same task twice, leases, skip, concurrency."""

from __future__ import annotations

import fcntl
import os
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, update

from accord_server.db.base import utcnow
from accord_server.db.models import Annotation, Assignment, Task
from accord_server.services import token_use
from accord_server.settings import Settings
from support import Factory, Member, Stack, running_stack, statements_run

TEXT = {
    "media": "text",
    "tools": [{"name": "c", "type": "classification", "choices": ["yes", "no"]}],
}


def _result() -> list[dict[str, Any]]:
    return [{"id": "r", "tool": "c", "type": "classification", "value": {"choices": ["yes"]}}]


def test_highest_priority_first_then_oldest(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT)
    factory.import_tasks(
        owner,
        project["id"],
        [
            {"data": {"text": "low"}, "priority": 0},
            {"data": {"text": "high"}, "priority": 5},
            {"data": {"text": "mid"}, "priority": 1},
            {"data": {"text": "high2"}, "priority": 5},
        ],
    )
    seen = []
    with stack.client(owner.token) as client:
        while (r := client.post(f"/api/v1/projects/{project['id']}/next")).status_code == 200:
            task = r.json()["task"]
            again = client.post(f"/api/v1/projects/{project['id']}/next").json()
            assert again["resumed"] and again["task"]["id"] == task["id"]
            seen.append(task["data"]["text"])
            client.post(
                f"/api/v1/tasks/{task['id']}/annotations",
                json={"id": str(task["id"]), "result": _result()},
            )
    assert seen == ["high", "high2", "mid", "low"]


def test_skip_never_returns_the_task_to_the_same_annotator(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT)
    factory.import_tasks(owner, project["id"], [{"text": "a"}, {"text": "b"}])
    pid = project["id"]
    with stack.client(owner.token) as client:
        first = client.post(f"/api/v1/projects/{pid}/next").json()["task"]
        assert client.post(f"/api/v1/tasks/{first['id']}/skip").status_code == 204
        second = client.post(f"/api/v1/projects/{pid}/next").json()["task"]
        assert second["id"] != first["id"]
        client.post(f"/api/v1/tasks/{second['id']}/skip")
        assert client.post(f"/api/v1/projects/{pid}/next").status_code == 204
    other = factory.member(owner, "annotator")
    with stack.client(other.token) as client:
        assert client.post(f"/api/v1/projects/{pid}/next").json()["task"]["id"] == first["id"]


def test_expired_lease_returns_the_task_to_the_pool(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT, lease_minutes=1)
    factory.import_tasks(owner, project["id"], [{"text": "only"}])
    pid = project["id"]
    slow, fast = factory.member(owner, "annotator"), factory.member(owner, "annotator")
    with stack.client(slow.token) as client:
        task = client.post(f"/api/v1/projects/{pid}/next").json()["task"]
        assert (
            client.put(
                f"/api/v1/tasks/{task['id']}/draft", json={"draft": {"regions": 3}}
            ).status_code
            == 204
        )
    with stack.client(fast.token) as client:
        assert client.post(f"/api/v1/projects/{pid}/next").status_code == 204
    with stack.runtime.db.transaction() as session:  # time passes: the lease runs out
        session.execute(update(Assignment).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    with stack.client(fast.token) as client:
        lease = client.post(f"/api/v1/projects/{pid}/next")
        assert lease.status_code == 200 and lease.json()["task"]["id"] == task["id"]
        assert (
            client.post(
                f"/api/v1/tasks/{task['id']}/annotations", json={"id": "f", "result": _result()}
            ).status_code
            == 201
        )
    with stack.client(slow.token) as client:
        late = client.post(
            f"/api/v1/tasks/{task['id']}/annotations", json={"id": "s", "result": _result()}
        )
        assert late.status_code == 409
        assert "lease ended" in late.json()["message"]
    with stack.runtime.db.session() as session:
        states = dict(session.execute(select(Assignment.user_id, Assignment.state)).all())
        assert states == {slow.user.id: "expired", fast.user.id: "submitted"}
        assert session.scalar(select(Task.open_slots)) == 0


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_postgres_answers_an_empty_queue_outside_a_transaction(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT, overlap=1)
    factory.import_tasks(owner, project["id"], [{"text": "only"}])
    first, second = (factory.member(owner, "annotator") for _ in range(2))
    engine = stack.runtime.db.engine
    with stack.client(first.token) as client, stack.client(second.token) as other:
        assert other.get("/api/v1/auth/me").status_code == 200  # credentials remembered
        leased = client.post(f"/api/v1/projects/{project['id']}/next").json()
        assert client.post(
            f"/api/v1/tasks/{leased['task']['id']}/annotations",
            json={"id": "a", "result": _result()},
        ).status_code in (200, 201)
        with statements_run(engine) as asking:
            empty = other.post(f"/api/v1/projects/{project['id']}/next")
    assert empty.status_code == 204
    # The project, the caller's current lease, the reclaim, the take (nothing), then one look
    # for tasks with a slot, locked or not (none): no BEGIN, no second try in a transaction.
    assert asking == [
        ("SELECT", True),
        ("SELECT", True),
        ("WITH", True),
        ("WITH", True),
        ("SELECT", True),
    ]


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_postgres_leases_in_one_write_outside_a_transaction(stack: Stack, factory: Factory) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT, lease_minutes=1, overlap=2)
    factory.import_tasks(owner, project["id"], [{"text": "a"}, {"text": "b"}])
    pid, first, second = project["id"], *(factory.member(owner, "annotator") for _ in range(2))
    engine = stack.runtime.db.engine
    with stack.client(first.token) as client, stack.client(second.token) as other:
        for c in (client, other):  # their credentials checked, and remembered
            assert c.get("/api/v1/auth/me").status_code == 200
        with statements_run(engine) as leasing:
            leased = client.post(f"/api/v1/projects/{pid}/next").json()
        with statements_run(engine) as drafting:
            draft = {"draft": {"regions": 2}}
            saved = client.put(f"/api/v1/tasks/{leased['task']['id']}/draft", json=draft)
        with statements_run(engine) as resuming:
            resumed = client.post(f"/api/v1/projects/{pid}/next").json()
        with stack.runtime.db.transaction() as session:  # time passes: the lease runs out
            session.execute(update(Assignment).values(lease_expires_at=utcnow()))
        with statements_run(engine) as reclaiming:
            taken = other.post(f"/api/v1/projects/{pid}/next").json()
    # The project, the caller's current lease, the reclaim of expired ones, then the task's
    # slot and the lease as one statement; no BEGIN, no COMMIT.
    assert leasing == [("SELECT", True), ("SELECT", True), ("WITH", True), ("WITH", True)]
    assert saved.status_code == 204 and drafting == [("SELECT", True), ("UPDATE", True)]
    assert all(auto for _, auto in resuming) and resumed["resumed"] is True
    assert resumed["draft"] == {"regions": 2}
    assert resumed["task"]["id"] == leased["task"]["id"] and not leased["resumed"]
    assert reclaiming == leasing
    assert taken["task"]["id"] == leased["task"]["id"]  # the best task, its slot given back
    with stack.runtime.db.session() as session:
        states = sorted(session.scalars(select(Assignment.state)))
        assert states == ["expired", "leased"]
        slots = dict(session.execute(select(Task.id, Task.open_slots)).all())
        assert slots[leased["task"]["id"]] == 1  # overlap 2: one live lease


def test_late_submit_after_expiry_is_accepted_while_a_slot_is_open(
    stack: Stack, factory: Factory
) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT, lease_minutes=1)
    factory.import_tasks(owner, project["id"], [{"text": "only"}])
    with stack.client(owner.token) as client:
        task = client.post(f"/api/v1/projects/{project['id']}/next").json()["task"]
    with stack.runtime.db.transaction() as session:
        session.execute(update(Assignment).values(lease_expires_at=utcnow() - timedelta(seconds=1)))
    annotator = factory.member(owner, "annotator")
    with stack.client(annotator.token) as client:  # its `next` reclaims the expired lease
        assert client.post(f"/api/v1/projects/{project['id']}/next").status_code == 200
        client.post(f"/api/v1/tasks/{task['id']}/skip")
    with stack.client(owner.token) as client:
        r = client.post(
            f"/api/v1/tasks/{task['id']}/annotations", json={"id": "late", "result": _result()}
        )
        assert r.status_code == 201, r.text
    with stack.runtime.db.session() as session:
        assert session.scalar(select(Task.open_slots)) == 0
        assert session.scalar(select(Task.annotation_count)) == 1


def _annotate_until_empty(
    stack: Stack, member: Member, project_id: int, done: list[tuple[int, int]], errors: list[str]
) -> None:
    with stack.client(member.token) as client:
        while True:
            r = client.post(f"/api/v1/projects/{project_id}/next")
            if r.status_code == 204:
                return
            if r.status_code != 200:
                errors.append(f"next: {r.status_code} {r.text}")
                return
            task_id = r.json()["task"]["id"]
            s = client.post(
                f"/api/v1/tasks/{task_id}/annotations",
                json={"id": f"{member.user.id}-{task_id}", "result": _result()},
            )
            if s.status_code != 201:
                errors.append(f"submit: {s.status_code} {s.text}")
                return
            done.append((member.user.id, task_id))


@pytest.mark.parametrize("overlap", [1, 3])
def test_32_concurrent_annotators_on_2000_tasks(
    stack: Stack, factory: Factory, overlap: int
) -> None:
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT, overlap=overlap)
    factory.import_tasks(owner, project["id"], [{"text": str(i)} for i in range(2000)])
    annotators = [factory.member(owner, "annotator") for _ in range(32)]
    done: list[tuple[int, int]] = []
    errors: list[str] = []
    threads = [
        threading.Thread(target=_annotate_until_empty, args=(stack, m, project["id"], done, errors))
        for m in annotators
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(done) == 2000 * overlap
    assert len(set(done)) == len(done), "an annotator got the same task twice"
    per_task = Counter(task_id for _, task_id in done)
    assert set(per_task.values()) == {overlap}
    with stack.runtime.db.session() as session:
        counts = Counter(session.scalars(select(Annotation.task_id)).all())
        assert len(counts) == 2000 and set(counts.values()) == {overlap}
        assert session.scalar(select(func.max(Task.open_slots))) == 0
        assert session.scalar(select(func.min(Task.annotation_count))) == overlap


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_postgres_runs_at_most_hot_path_threads_annotator_requests_at_once(
    settings: Settings,
) -> None:
    with running_stack(settings.model_copy(update={"hot_path_threads": 2})) as stack:
        factory = Factory(stack)
        owner = factory.owner()
        project = factory.project(owner, schema=TEXT)
        factory.import_tasks(owner, project["id"], [{"text": str(i)} for i in range(60)])
        annotators = [factory.member(owner, "annotator") for _ in range(12)]
        in_use, peak, guard = 0, 0, threading.Lock()

        def checked_out(*_: object) -> None:
            nonlocal in_use, peak
            if threading.current_thread().name == token_use.THREAD_NAME:
                return  # the background write of the tokens' use, not a request
            with guard:
                in_use += 1
                peak = max(peak, in_use)

        def checked_in(*_: object) -> None:
            nonlocal in_use
            if threading.current_thread().name == token_use.THREAD_NAME:
                return
            with guard:
                in_use -= 1

        def work(member: Member) -> list[int]:
            with stack.client(member.token) as client:
                statuses = []
                for _ in range(4):
                    r = client.post(f"/api/v1/projects/{project['id']}/next")
                    task_id = r.json()["task"]["id"]
                    s = client.post(
                        f"/api/v1/tasks/{task_id}/annotations",
                        json={"id": str(task_id), "result": _result()},
                    )
                    statuses += [r.status_code, s.status_code]
                return statuses

        engine = stack.runtime.db.engine
        event.listen(engine, "checkout", checked_out)
        event.listen(engine, "checkin", checked_in)
        try:
            with ThreadPoolExecutor(len(annotators)) as pool:
                statuses = [s for ss in pool.map(work, annotators) for s in ss]
        finally:
            event.remove(engine, "checkout", checked_out)
            event.remove(engine, "checkin", checked_in)
    assert set(statuses) == {200, 201}
    # 12 annotators at once, but never more than 2 of their requests at the database.
    assert 1 <= peak <= 2


def test_a_task_being_leased_by_another_is_not_an_empty_queue(
    stack: Stack, factory: Factory
) -> None:
    """While another caller holds the last task's row lock (mid-lease), `next` waits for it
    instead of answering "nothing left" — the task still has a slot for this caller."""
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT, overlap=2)
    factory.import_tasks(owner, project["id"], [{"text": "last"}])
    annotator = factory.member(owner, "annotator")
    answer: list[int] = []
    with stack.runtime.db.session() as other:
        other.begin()
        # Another annotator's `next` in flight: it holds the task row (and on SQLite the
        # database) until it commits.
        other.execute(update(Task).values(open_slots=Task.open_slots - 1))

        def ask() -> None:
            with stack.client(annotator.token) as client:
                r = client.post(f"/api/v1/projects/{project['id']}/next")
                answer.append(r.status_code)

        thread = threading.Thread(target=ask)
        thread.start()
        thread.join(timeout=1.0)
        assert answer == [], "next answered while the other lease was still in flight"
        other.commit()
    thread.join(timeout=30)
    assert answer == [200]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_reads_answer_while_a_write_waits_for_another_writer(
    stack: Stack, factory: Factory
) -> None:
    """Hot-path endpoints run on the event loop; on SQLite a write that finds the writer lock
    taken (an import's transaction in the worker process, say) must wait in a thread, not block
    the loop: reads keep answering, and the write completes once the lock is free."""
    lock_path = stack.settings.data_dir / "accord.db.writer-lock"
    owner = factory.owner()
    project = factory.project(owner, schema=TEXT)
    factory.import_tasks(owner, project["id"], [{"data": {"text": "t"}}])
    with stack.client(owner.token) as client:
        task_id = client.post(f"/api/v1/projects/{project['id']}/next").json()["task"]["id"]
    outcome: list[int] = []
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # another process's write transaction

        def submit() -> None:
            with stack.client(owner.token) as c:
                r = c.post(
                    f"/api/v1/tasks/{task_id}/annotations", json={"id": "w1", "result": _result()}
                )
                outcome.append(r.status_code)

        writer = threading.Thread(target=submit)
        writer.start()
        with stack.client(owner.token) as client:
            for _ in range(3):
                assert client.get("/api/v1/auth/me").status_code == 200
                assert client.get(f"/api/v1/tasks/{task_id}").status_code == 200
        assert outcome == [] and writer.is_alive()  # still waiting for the lock
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
    writer.join(timeout=30)
    assert outcome == [201]
