"""An import's fixed cost: N tasks posted inline to `POST /projects/{id}/imports`, end to end.

Starts `accord-server serve` (API + its embedded worker child) like bench/run.py, then, for each
run, posts ``{"tasks": [...]}`` of N tasks ``{"text": "task i"}`` to a fresh project and follows
the job to its end. The end-to-end time splits by the job row's own timestamps:

- request: the POST, as the client saw it (body parsed, tasks stored, job queued, 202 back);
- pickup: from the response to the job's ``started_at`` (the worker noticing the job);
- job: ``started_at`` → ``finished_at`` (read and check the tasks, write them, commit).

``end_to_end`` is ``finished_at`` minus the moment the client sent the request (server and
client share the clock: same machine); ``seen_s`` is when the client's poll (every
``--poll-ms``) saw the job finished. Before each run the worker is left idle ``--idle`` seconds,
so its polling has backed off to its longest interval, as after a pause of a user's.

    .venv/bin/python bench/inline_import.py                     # SQLite, 20,000 tasks, 7 runs
    .venv/bin/python bench/inline_import.py --db postgres --runs 5
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (
    RESULTS_DIR,
    Server,
    create_project,
    drop_postgres,
    loadavg,
    machine,
    reset_postgres,
    setup_people,
)


def _ts(value: str) -> float:
    return datetime.fromisoformat(value).timestamp()


def one_import(
    client: httpx.Client, org_id: int, body: bytes, n: int, poll: float, timeout: float
) -> dict[str, Any]:
    """Post one inline import to a new project and follow it to its end."""
    project_id = create_project(client, org_id, f"inline {n} {time.time_ns()}")
    load = loadavg()
    t0 = time.time()
    r = client.post(
        f"/api/v1/projects/{project_id}/imports",
        content=body,
        headers={"content-type": "application/json"},
    )
    t1 = time.time()
    r.raise_for_status()
    job_id = r.json()["id"]
    deadline = t0 + timeout
    job: dict[str, Any] = {}
    while time.time() < deadline:
        job = client.get(f"/api/v1/jobs/{job_id}").json()
        if job["state"] in ("succeeded", "failed", "cancelled"):
            break
        time.sleep(poll)
    seen = time.time()
    if job.get("state") != "succeeded" or job["counts"].get("tasks") != n:
        raise RuntimeError(f"the import did not succeed: {job}")
    started, finished = _ts(job["started_at"]), _ts(job["finished_at"])
    return {
        "request_s": round(t1 - t0, 4),
        "pickup_s": round(started - t1, 4),
        "job_s": round(finished - started, 4),
        "end_to_end_s": round(finished - t0, 4),
        "seen_s": round(seen - t0, 4),
        "load_before": load,
    }


def summarise(runs: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("request_s", "pickup_s", "job_s", "end_to_end_s", "seen_s")
    out: dict[str, Any] = {}
    for key in keys:
        values = [r[key] for r in runs]
        out[key] = {
            "median": round(statistics.median(values), 4),
            "min": min(values),
            "max": max(values),
        }
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--tasks", type=int, default=20_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--idle", type=float, default=3.0, help="worker idle time before each run")
    ap.add_argument("--poll-ms", type=float, default=20, help="the client's job poll interval")
    ap.add_argument("--timeout", type=float, default=120)
    args = ap.parse_args()

    body = orjson.dumps({"tasks": [{"text": f"task {i}"} for i in range(args.tasks)]})
    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    tmp = Path(tempfile.mkdtemp(prefix=f"accord-inline-{args.db}-"))
    res: dict[str, Any] = {
        "db": args.db,
        "machine": machine(),
        "args": vars(args),
        "body_bytes": len(body),
    }
    if args.db == "postgres":
        reset_postgres()
    server = Server(args.db, tmp)
    try:
        server.start()
        people = setup_people(server, annotators=0, managers=0)
        headers = {"Authorization": f"Bearer {people['owner']}"}
        with httpx.Client(base_url=server.url, headers=headers, timeout=600) as client:
            # Warm-up (unmeasured): the API's and the worker's first import loads their code.
            one_import(client, people["org_id"], body, args.tasks, args.poll_ms / 1000, 600)
            runs = []
            for i in range(args.runs):
                time.sleep(args.idle)
                run = one_import(
                    client, people["org_id"], body, args.tasks, args.poll_ms / 1000, args.timeout
                )
                runs.append(run)
                print(f"run {i + 1}: {run}", flush=True)
        res["runs"] = runs
        res["summary"] = summarise(runs)
    finally:
        server.stop()
        if args.db == "postgres":
            drop_postgres()
    out = RESULTS_DIR / f"inline-{args.db}-{stamp}.json"
    out.write_text(json.dumps(res, indent=2))
    print(f"\n{args.tasks} tasks inline, {args.db}, {args.runs} runs (median, min–max, s):")
    for key, v in res["summary"].items():
        print(f"  {key:14} {v['median']:.3f}  ({v['min']:.3f}–{v['max']:.3f})")
    print(f"\n{out}")


if __name__ == "__main__":
    main()
