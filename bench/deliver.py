"""What delivering events costs the worker: N annotations are written with their
annotation.created events (straight through Core, as a submit would leave them), then
``deliver_events`` hands them to this version's subscribers (project statistics, task
completions). Reports the worker's CPU seconds (SQLite's work included: it runs in-process) and
PostgreSQL's, per 1,000 events.

    .venv/bin/python bench/deliver.py --db sqlite --annotations 20000
    .venv/bin/python bench/deliver.py --db postgres --annotations 20000
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import run as bench  # bench/run.py: postgres_cpu

PG_DB = "accord_bench_deliver"


def setup(runtime: Any, tasks: int) -> tuple[int, int, int, list[int]]:
    """An owner, a project and its tasks: (organization, project, user, task ids)."""
    from accord_server.services import accounts, projects
    from accord_server.services.tasks import insert_tasks

    with runtime.db.transaction() as session:
        owner = accounts.create_user(session, email="o@example.com", password="correct horse 1")
        org = accounts.create_organization(session, name="Org", owner=owner)
        membership = accounts.get_membership_or_raise(session, organization_id=org.id, user=owner)
        schema = {
            "media": "image",
            "tools": [
                {"name": "objects", "type": "bbox", "labels": ["car", "person", "bike"]},
                {"name": "quality", "type": "classification", "choices": ["sharp", "blurry"]},
            ],
        }
        project = projects.create_project(
            session, membership=membership, user=owner, name="P", label_schema=schema
        )
        rows = [{"data": {"image": f"https://x/{i}"}} for i in range(tasks)]
        ids = insert_tasks(session, project=project, rows=rows)
        return org.id, project.id, owner.id, list(ids)


def annotate(runtime: Any, org_id: int, pid: int, uid: int, task_ids: list[int]) -> None:
    """One annotation per task with its annotation.created event, as submits leave them."""
    from sqlalchemy import insert

    from accord_server.db.base import utcnow
    from accord_server.db.models import Annotation, Event
    from accord_server.schemas.enums import EventKind
    from accord_server.services.events import event_values

    labels = ["car", "person", "bike"]
    for start in range(0, len(task_ids), 5000):
        chunk = task_ids[start : start + 5000]
        with runtime.db.transaction() as session:
            now = utcnow()
            values = [
                {
                    "client_id": f"c{task_id}",
                    "task_id": task_id,
                    "project_id": pid,
                    "user_id": uid,
                    "result": [
                        {"id": "b", "tool": "objects", "type": "bbox", "label": labels[i % 3]},
                        {"id": "q", "tool": "quality", "value": {"choices": ["sharp"]}},
                    ],
                    "origin": "human",
                    "lead_time": 3.0,
                    "revision": 1,
                    "created_at": now,
                    "updated_at": now,
                }
                for i, task_id in enumerate(chunk)
            ]
            made = session.scalars(insert(Annotation).returning(Annotation.id), values).all()
            payloads = [
                {"annotation_id": a, "task_id": t, "user_id": uid, "revision": 1}
                for a, t in zip(made, chunk, strict=True)
            ]
            session.execute(
                insert(Event),
                [
                    event_values(
                        EventKind.ANNOTATION_CREATED,
                        organization_id=org_id,
                        project_id=pid,
                        payload=p,  # type: ignore[arg-type]
                        now=now,
                    )
                    for p in payloads
                ],
            )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--annotations", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=500)
    args = ap.parse_args()

    import psycopg

    from accord_server.db.migrate import upgrade
    from accord_server.jobs.events import deliver_events
    from accord_server.runtime import Runtime
    from accord_server.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        url = None
        if args.db == "postgres":
            with psycopg.connect(bench.PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
                conn.execute(f"CREATE DATABASE {PG_DB}")
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{PG_DB}"
        runtime = Runtime(settings=Settings(data_dir=Path(tmp), database_url=url))
        upgrade(runtime.db.write_engine)
        org_id, pid, uid, task_ids = setup(runtime, args.annotations)
        # The first annotation builds the project's counters; the rest are measured.
        annotate(runtime, org_id, pid, uid, task_ids[:1])
        deliver_events(runtime)
        annotate(runtime, org_id, pid, uid, task_ids[1:])
        cpu0, pg0, wall0 = time.process_time(), bench.postgres_cpu(), time.perf_counter()
        handed = deliver_events(runtime, batch_size=args.batch)
        cpu, pg = time.process_time() - cpu0, bench.postgres_cpu() - pg0
        wall = time.perf_counter() - wall0
        runtime.close()
        if args.db == "postgres":
            with psycopg.connect(bench.PG_ADMIN_URL, autocommit=True) as conn:
                conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
    per = 1000 / max(handed, 1)
    print(f"{args.db}: {handed} events delivered in {wall:.2f} s (batches of {args.batch})")
    print(f"  worker CPU {cpu * per * 1000:.1f} ms per 1,000 events")
    if args.db == "postgres":
        print(f"  PostgreSQL CPU {pg * per * 1000:.1f} ms per 1,000 events")


if __name__ == "__main__":
    main()
