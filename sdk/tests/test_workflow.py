"""A whole labeling round through the SDK: schema, import, three annotators, overlap 2."""

from __future__ import annotations

import threading
from collections import Counter

from support import BOX, PASSWORD, SCHEMA_YAML, Member, Stack

from accord import Client


def _work_queue(client: Client, project_id: int, seen: list[int], errors: list[Exception]) -> None:
    try:
        while (lease := client.queue.next(project_id)) is not None:
            seen.append(lease.task.id)
            client.annotations.submit(lease.task.id, [BOX], lead_time=1.5)
    except Exception as exc:  # noqa: BLE001 - handed to the test thread, which fails with it
        errors.append(exc)


def test_labeling_round_with_overlap_two(stack: Stack, owner: Member, client: Client) -> None:
    project = client.projects.create(
        "Street scenes", SCHEMA_YAML, organization_id=owner.organization_id, overlap=2
    )
    job = client.imports.tasks(
        project.id, ({"image": f"https://img.example/{i}.jpg"} for i in range(300)), progress=False
    )
    assert (job.state, job.counts.tasks, job.counts.errors) == ("succeeded", 300, 0)

    annotators: dict[str, Client] = {}
    for n in range(3):
        email = f"annotator{n}@example.com"
        member = client.organizations.add_member(
            owner.organization_id, email, "annotator", password=PASSWORD
        )
        assert member.role == "annotator"
        # Each annotator logs in with the password the admin gave them, as a script would.
        annotators[email] = Client.login(stack.url, email, PASSWORD, retry_backoff=0.01)

    seen: dict[str, list[int]] = {email: [] for email in annotators}
    errors: list[Exception] = []
    threads = [
        threading.Thread(target=_work_queue, args=(c, project.id, seen[e], errors))
        for e, c in annotators.items()
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    for c in annotators.values():
        c.close()
    assert not errors, errors

    for email, task_ids in seen.items():
        assert len(task_ids) == len(set(task_ids)), f"{email} got a task twice"
    assert sum(len(ids) for ids in seen.values()) == 600

    annotations = list(client.annotations.list(project.id, page_size=250))
    per_task = Counter(a.task_id for a in annotations)
    assert len(per_task) == 300
    assert set(per_task.values()) == {2}
    pairs = Counter((a.task_id, a.user_id) for a in annotations)
    assert set(pairs.values()) == {1}

    progress = client.projects.progress(project.id)
    assert (progress.tasks, progress.completed, progress.new, progress.in_progress) == (
        300,
        300,
        0,
        0,
    )
    assert progress.annotations == 600
    assert progress.percent_complete == 100
    by_email = {a.email: a.annotations for a in progress.annotators}
    assert by_email == {email: len(ids) for email, ids in seen.items()}
    assert all(t.state == "completed" for t in client.tasks.list(project.id))
