"""Export memory and time (issue 14): N images with K boxes each, exported as Accord JSONL
(and any other format named), in a worker process of its own; prints seconds and the peak RSS
of that process, so that two sizes side by side show whether memory grows with the project.

    .venv/bin/python bench/export.py --tasks 10000 --boxes 10
    .venv/bin/python bench/export.py --tasks 100000 --boxes 10 --format jsonl --format csv

Builds the project through the API (owner, project), then inserts the tasks and annotations in
bulk straight into the database (SQLite in a temporary data folder, or ``--database-url``),
creates each export through the API and runs its job in a child process
(``--run-job``), which reports its own ``ru_maxrss``. Does not write bench/results: copy the
printed JSON into BENCHMARKS.md when the figures matter.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, insert

from accord_server.app import make_runtime
from accord_server.db.base import utcnow
from accord_server.db.migrate import upgrade
from accord_server.db.models import Annotation, Task
from accord_server.jobs.runner import run_job
from accord_server.settings import Settings
from accord_server.testing import Factory, running_stack

CHUNK = 5000


def _box(i: int) -> dict[str, Any]:
    return {
        "id": f"b{i}",
        "tool": "objects",
        "type": "bbox",
        "label": ("car", "person", "bike")[i % 3],
        "geometry": {"x": 1 + i, "y": 2 + i, "width": 10, "height": 12},
    }


def _fill(settings: Settings, project: int, user: int, tasks: int, boxes: int) -> None:
    runtime, _ = make_runtime(settings)
    result = [_box(i) for i in range(boxes)]
    now = utcnow()
    try:
        for start in range(0, tasks, CHUNK):
            n = min(CHUNK, tasks - start)
            with runtime.db.transaction() as session:
                rows = [
                    {
                        "project_id": project,
                        "data": {"image": f"https://x/{start + i}.jpg"},
                        "meta": {"width": 640, "height": 480},
                        "priority": 0,
                        "is_gold": False,
                        "annotation_count": 1,
                        "open_slots": 0,
                        "open_reports": 0,
                        "created_at": now,
                    }
                    for i in range(n)
                ]
                ids = session.scalars(insert(Task).returning(Task.id), rows).all()
                session.execute(
                    insert(Annotation),
                    [
                        {
                            "client_id": f"bench-{task_id}",
                            "task_id": task_id,
                            "project_id": project,
                            "user_id": user,
                            "result": result,
                            "origin": "human",
                            "revision": 1,
                            "created_at": now,
                            "updated_at": now,
                        }
                        for task_id in ids
                    ],
                )
    finally:
        runtime.close()


def _run_job(settings_json: str, job_id: int) -> None:
    settings = Settings.model_validate_json(settings_json)
    runtime, _ = make_runtime(settings)
    started = time.perf_counter()
    run_job(runtime, job_id)
    seconds = time.perf_counter() - started
    runtime.close()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": round(seconds, 2), "peak_rss_mib": round(peak_kib / 1024, 1)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--boxes", type=int, default=10)
    parser.add_argument("--format", action="append", default=None)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--run-job", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--settings", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_job:
        _run_job(args.settings, args.run_job)
        return
    with tempfile.TemporaryDirectory(prefix="accord-export-bench-") as tmp:
        extra = {"database_url": args.database_url} if args.database_url else {}
        settings = Settings(
            data_dir=Path(tmp) / "data",
            import_roots=[Path(tmp)],
            embedded_worker=False,
            **extra,
        )
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        engine = create_engine(settings.resolved_database_url)
        upgrade(engine)
        engine.dispose()
        with running_stack(settings) as stack:
            factory = Factory(stack)
            owner = factory.owner()
            project = int(factory.project(owner)["id"])
            started = time.perf_counter()
            _fill(settings, project, owner.user.id, args.tasks, args.boxes)
            built = time.perf_counter() - started
            out: dict[str, Any] = {
                "tasks": args.tasks,
                "boxes": args.tasks * args.boxes,
                "build_seconds": round(built, 1),
            }
            for fmt in args.format or ["jsonl"]:
                with stack.client(owner.token) as client:
                    made = client.post(f"/api/v1/projects/{project}/exports", json={"format": fmt})
                    made.raise_for_status()
                    job = made.json()["job"]["id"]
                child = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--run-job",
                        str(job),
                        "--settings",
                        settings.model_dump_json(),
                    ],
                    check=True,
                    capture_output=True,
                    text=True,
                )
                figures = json.loads(child.stdout.strip().splitlines()[-1])
                with stack.client(owner.token) as client:
                    export = client.get(f"/api/v1/exports/{made.json()['id']}").json()
                figures |= {"state": export["state"], "bytes": export["size"]}
                out[fmt] = figures
        print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
