"""``media_sizes.record_media_size`` in real transactions: two reports racing for one task."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from accord_server.db.models import Task
from accord_server.services import media_sizes
from accord_server.services.errors import Conflict
from scenarios import lease
from support import Factory, Stack


def test_a_report_waits_for_a_concurrent_one_and_finds_the_size_known(
    stack: Stack, factory: Factory
) -> None:
    # The first report's transaction is still open when the second starts: the second must
    # wait for it (the task's row lock on PostgreSQL, the one writer on SQLite) and then find
    # the size known, instead of reading "unknown" beside it and overwriting it after.
    owner = factory.owner()
    project = factory.project(owner)
    factory.import_tasks(owner, project["id"], [{"image": "https://images.example/a.jpg"}])
    task_id = int(lease(stack, owner, project["id"])["task"]["id"])
    db, storage = stack.runtime.db, stack.runtime.storage
    second: list[BaseException | media_sizes.MediaSize] = []

    def report(width: int) -> media_sizes.MediaSize:
        return media_sizes.record_media_size(
            session,
            task_id=task_id,
            user=owner.user,
            width=width,
            height=80,
            storage=storage,
            max_pixels=10**8,
        )

    def report_second() -> None:
        with db.transaction() as other:
            try:
                second.append(
                    media_sizes.record_media_size(
                        other,
                        task_id=task_id,
                        user=owner.user,
                        width=200,
                        height=80,
                        storage=storage,
                        max_pixels=10**8,
                    )
                )
            except Conflict as exc:
                second.append(exc)

    with db.transaction() as session:
        assert report(100).recorded
        racer = threading.Thread(target=report_second)
        racer.start()
        time.sleep(0.5)  # the second report is now waiting for this transaction
        assert not second
    racer.join(10)
    assert len(second) == 1 and isinstance(second[0], Conflict), second
    with db.session(write=False) as session:
        meta = session.scalar(select(Task.meta).where(Task.id == task_id))
    assert meta == {"width": 100, "height": 80, "size_source": "client"}
