"""Crash and concurrency check (issue 13): kill -9 the server while 16 annotators submit.

Starts `accord-server serve` (API + its embedded worker child) as a user would, with its own
data dir (and, on PostgreSQL, its own database ``accord_crash_<pid>``, created and dropped here).
A project with overlap 2 gets N tasks; 16 annotators then loop `next` → submit, each submit
carrying a client-generated id. Every few seconds (uniform 2–6 s after the server answered its
health check) the whole process group of `serve` gets SIGKILL, and is started again at once.

An annotator whose submit got no answer (connection reset, refused, timed out) sends it again
with the SAME id until the server answers; a small share of acknowledged submits is also sent a
second time on purpose (`--replay`). At the end, with the server stopped, the database is
checked against what the server acknowledged:

- every acknowledged submit is stored exactly once, under the annotation id it was answered with;
- no annotator has two annotations on one task; no task has more than the overlap;
- no lease is double-held (leases + annotations of a task within the overlap, at most one live
  lease per annotator, a submitted assignment for each annotation and the reverse), and the
  task counters agree with the rows (``annotation_count``, ``open_slots``);
- annotations stored = acknowledged as created (201) + answers lost but stored (a retry's 200);
- every 200 (a retry's or a replay's) named the annotation the first answer named;
- one annotation.created event per annotation, and, once the worker (killed with the rest,
  often mid-delivery) has delivered them all, statistics that count each annotation once.

    .venv/bin/python bench/crash.py --db sqlite
    .venv/bin/python bench/crash.py --db postgres --kills 10

Prints a JSON summary and writes it to bench/results/crash-<db>-<UTC stamp>.json; exits 1 when
a correctness count is not 0.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import httpx
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import (
    RESULT,
    RESULTS_DIR,
    SCHEMA,
    Server,
    drop_postgres,
    loadavg,
    machine,
    reset_postgres,
    settings_for,
    setup_people,
)

# What a request that got no answer raised: the server died under it, refused the connection
# (down), or a keep-alive connection it had closed was reused.
NO_ANSWER = (aiohttp.ClientConnectionError, aiohttp.ClientPayloadError, TimeoutError)


# --------------------------------------------------------------------------- bookkeeping


@dataclass
class Submit:
    """One client id: what was sent and every answer it got."""

    annotator: int
    task_id: int
    attempts: int = 0
    unanswered: int = 0  # sent (or tried to be) and no answer came: reset, disconnect, timeout
    refused: int = 0  # the connection was refused: the server was down, nothing was sent
    answered_at_attempt: int | None = None
    status: int | None = None  # the first answer's status
    annotation_id: int | None = None  # the first 2xx answer's annotation id
    replies: list[tuple[int, int | None]] = field(default_factory=list)  # (status, id)
    error: str | None = None  # a non-2xx first answer's body

    @property
    def acknowledged(self) -> bool:
        return self.status in (200, 201)


@dataclass
class Outage:
    """One kill -9 and the server's return."""

    n: int
    killed_at: float  # monotonic
    up_before_s: float  # how long the server had been up (health 200) before this kill
    ok_before: int  # requests answered 2xx in that time
    submits_in_flight: int
    group_gone_s: float | None = None
    health_s: float | None = None
    first_ok_s: float | None = None  # kill → first 2xx of a request sent after the kill

    def report(self) -> dict[str, Any]:
        return {
            "kill": self.n,
            "up_before_s": round(self.up_before_s, 2),
            "requests_ok_before": self.ok_before,
            "requests_per_s_before": round(self.ok_before / self.up_before_s, 1),
            "submits_in_flight": self.submits_in_flight,
            "group_gone_s": self.group_gone_s,
            "health_s": self.health_s,
            "first_ok_s": self.first_ok_s,
        }


@dataclass
class Run:
    """State shared by the annotators and the killer (one event loop, no locks needed)."""

    submits: dict[str, Submit] = field(default_factory=dict)
    ok: int = 0  # 2xx answers since the server last came up
    total_ok: int = 0
    per_second: list[int] = field(default_factory=list)  # 2xx answers in each second of load
    in_flight: int = 0  # submits sent and not yet answered
    outage: Outage | None = None
    outages: list[Outage] = field(default_factory=list)
    stopping: bool = False
    ran_out: bool = False  # every annotator was told "nothing left" before the last kill
    active: int = 0  # annotators still asking for tasks
    tail_s: float = 0.0  # the load after the last restart: its length and 2xx answers
    tail_ok: int = 0
    resumed: int = 0  # `next` answers that gave back a lease held before
    errors: Counter[str] = field(default_factory=Counter)


async def call(
    run: Run, client: aiohttp.ClientSession, path: str, body: Any = None
) -> tuple[int, Any] | str:
    """POST; (status, JSON body or None), or why no answer came ("refused" / "unanswered")."""
    sent = time.monotonic()
    try:
        async with client.post(path, json=body) as r:
            data = await r.read()
            status = r.status
    except aiohttp.ClientConnectorError:
        return "refused"
    except NO_ANSWER:
        return "unanswered"
    if 200 <= status < 300:
        run.ok += 1
        run.total_ok += 1
        outage = run.outage
        if outage is not None and outage.first_ok_s is None and sent >= outage.killed_at:
            outage.first_ok_s = round(time.monotonic() - outage.killed_at, 3)
    return status, (json.loads(data) if data else None)


async def backoff(tries: int) -> None:
    await asyncio.sleep(min(0.4, 0.025 * 2**tries) * random.uniform(0.5, 1.0))


# --------------------------------------------------------------------------- load


async def send_submit(run: Run, client: aiohttp.ClientSession, cid: str) -> None:
    """Send one submit until the server answers it (the same id every time)."""
    sub = run.submits[cid]
    tries = 0
    while True:
        sub.attempts += 1
        run.in_flight += 1
        answer = await call(
            run, client, f"/api/v1/tasks/{sub.task_id}/annotations", {"id": cid, "result": RESULT}
        )
        run.in_flight -= 1
        if isinstance(answer, str):
            if answer == "refused":
                sub.refused += 1
            else:
                sub.unanswered += 1
            tries += 1
            await backoff(tries)
            continue
        status, body = answer
        annotation_id = body.get("id") if status in (200, 201) and body else None
        sub.replies.append((status, annotation_id))
        if sub.status is None:
            sub.status, sub.answered_at_attempt = status, sub.attempts
            sub.annotation_id = annotation_id
            if status not in (200, 201):
                sub.error = json.dumps(body)[:300]
                run.errors[f"submit {status} {(body or {}).get('code')}"] += 1
        return


async def annotator(
    run: Run, i: int, token: str, url: str, project_id: int, replay: float, seed: int
) -> None:
    rng = random.Random(seed)
    client = aiohttp.ClientSession(
        base_url=url,
        connector=aiohttp.TCPConnector(limit=1),
        headers={"Authorization": f"Bearer {token}"},
        timeout=aiohttp.ClientTimeout(total=60),
    )
    tries = 0
    try:
        while not run.stopping:
            answer = await call(run, client, f"/api/v1/projects/{project_id}/next")
            if isinstance(answer, str):
                tries += 1
                await backoff(tries)
                continue
            status, body = answer
            if status == 204:
                return  # nothing left for this annotator
            if status != 200:
                run.errors[f"next {status} {(body or {}).get('code')}"] += 1
                tries += 1
                await backoff(tries)
                continue
            tries = 0
            run.resumed += bool(body.get("resumed"))
            cid = uuid.uuid4().hex
            run.submits[cid] = Submit(annotator=i, task_id=int(body["task"]["id"]))
            await send_submit(run, client, cid)
            if run.submits[cid].acknowledged and rng.random() < replay:
                await send_submit(run, client, cid)  # the same submit again, on purpose
    finally:
        run.active -= 1
        await client.close()


def group_alive(pgid: int) -> list[int]:
    """Processes of a process group that are still running (zombies count as gone)."""
    alive = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            alive.append(int(entry.name))
    return alive


def kill_and_restart(server: Server) -> tuple[float, float]:
    """SIGKILL `serve`'s whole process group (API + worker), wait until it is gone, start it
    again; (seconds until the group was gone, seconds until health answered), from the kill."""
    assert server.proc is not None
    pgid = server.proc.pid  # start_new_session: serve leads its own group
    t0 = time.monotonic()
    os.killpg(pgid, signal.SIGKILL)
    server.proc.wait()
    while group_alive(pgid):
        time.sleep(0.01)
    gone = time.monotonic() - t0
    server.start()
    return gone, time.monotonic() - t0


async def killer(run: Run, server: Server, kills: int, tail: float, rng: random.Random) -> None:
    up_at = time.monotonic()
    for n in range(1, kills + 1):
        await asyncio.sleep(rng.uniform(2, 6))
        if run.active == 0:
            run.ran_out = True
            break
        now = time.monotonic()
        outage = Outage(n, now, now - up_at, run.ok, run.in_flight)
        run.outage = outage
        run.outages.append(outage)
        gone, health = await asyncio.to_thread(kill_and_restart, server)
        outage.group_gone_s, outage.health_s = round(gone, 3), round(health, 3)
        run.ok, up_at = 0, time.monotonic()
        print(
            f"kill {n}: {outage.submits_in_flight} submits in flight, up again in "
            f"{outage.health_s} s",
            flush=True,
        )
    await asyncio.sleep(tail)
    run.tail_s, run.tail_ok = time.monotonic() - up_at, run.ok
    run.stopping = True


async def count_per_second(run: Run) -> None:
    seen, tick = 0, time.monotonic()
    while True:
        tick += 1
        await asyncio.sleep(tick - time.monotonic())
        run.per_second.append(run.total_ok - seen)
        seen = run.total_ok


async def drive(
    server: Server, tokens: list[str], project_id: int, args: argparse.Namespace
) -> Run:
    run = Run(active=len(tokens))
    rng = random.Random(args.seed)
    workers = [
        annotator(run, i, t, server.url, project_id, args.replay, rng.randrange(2**32))
        for i, t in enumerate(tokens)
    ]
    ticker = asyncio.create_task(count_per_second(run))
    await asyncio.gather(killer(run, server, args.kills, args.tail, rng), *workers)
    ticker.cancel()
    return run


# --------------------------------------------------------------------------- setup


def make_project(server: Server, people: dict[str, Any], tasks: int, overlap: int) -> int:
    """A project with ``overlap`` and ``tasks`` text tasks, imported inline through the API."""
    headers = {"Authorization": f"Bearer {people['owner']}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=300) as client:
        r = client.post(
            "/api/v1/projects",
            json={
                "organization_id": people["org_id"],
                "name": "crash",
                "label_schema": SCHEMA,
                "overlap": overlap,
            },
        )
        r.raise_for_status()
        project_id = int(r.json()["id"])
        body = {"tasks": [{"text": f"task {i}"} for i in range(tasks)]}
        r = client.post(f"/api/v1/projects/{project_id}/imports", json=body)
        r.raise_for_status()
        job_id = r.json()["id"]
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            job = client.get(f"/api/v1/jobs/{job_id}").json()
            if job["state"] in ("succeeded", "failed", "cancelled"):
                break
            time.sleep(0.2)
        if job["state"] != "succeeded" or job["counts"].get("tasks") != tasks:
            raise RuntimeError(f"the import did not succeed: {job}")
    return project_id


# --------------------------------------------------------------------------- checks


UNDELIVERED = text(
    "SELECT count(*) FROM events WHERE project_id = :p AND (delivered_at IS NULL "
    "OR id IN (SELECT event_id FROM event_backlog))"
)
# The project statistics (kept by the worker from the events): each annotation counts once.
STATS_SUMS = {
    "stats_annotations": "SELECT count(*) FROM stats_annotations WHERE project_id = :p",
    "stats_annotators": "SELECT coalesce(sum(annotations), 0) FROM stats_annotators "
    "WHERE project_id = :p",
    "stats_days": "SELECT coalesce(sum(count), 0) FROM stats_days WHERE project_id = :p",
    "stats_label_yes": "SELECT coalesce(sum(count), 0) FROM stats_labels WHERE project_id = :p "
    "AND tool = 'c' AND label = 'yes'",
}


def read_database(server: Server, project_id: int) -> dict[str, Any]:
    """The project's annotations, tasks, assignments, annotation events and statistics."""
    from accord_server.db.engine import make_database

    database = make_database(settings_for(server))
    try:
        with database.transaction(write=False) as session:
            p = {"p": project_id}
            return {
                "overlap": session.execute(
                    text("SELECT overlap FROM projects WHERE id = :p"), p
                ).scalar_one(),
                "annotations": session.execute(
                    text(
                        "SELECT id, client_id, task_id, user_id, deleted_at IS NULL AS live "
                        "FROM annotations WHERE project_id = :p"
                    ),
                    p,
                ).all(),
                "tasks": session.execute(
                    text(
                        "SELECT id, annotation_count, open_slots FROM tasks WHERE project_id = :p"
                    ),
                    p,
                ).all(),
                "assignments": session.execute(
                    text("SELECT task_id, user_id, state FROM assignments WHERE project_id = :p"),
                    p,
                ).all(),
                "created_events": [
                    json.loads(x) if isinstance(x, str) else x
                    for x in session.scalars(
                        text(
                            "SELECT payload FROM events WHERE project_id = :p "
                            "AND kind = 'annotation.created'"
                        ),
                        p,
                    )
                ],
                "undelivered_events": session.execute(UNDELIVERED, p).scalar_one(),
                "stats": {
                    name: session.execute(text(sql), p).scalar_one()
                    for name, sql in STATS_SUMS.items()
                },
            }
    finally:
        database.dispose()


def wait_delivered(server: Server, project_id: int, timeout: float) -> float | None:
    """Seconds until the worker had delivered every event of the project (None: not within
    ``timeout``): the statistics are then complete."""
    from accord_server.db.engine import make_database

    database = make_database(settings_for(server))
    t0 = time.monotonic()
    try:
        while time.monotonic() - t0 < timeout:
            with database.transaction(write=False) as session:
                if not session.execute(UNDELIVERED, {"p": project_id}).scalar_one():
                    return round(time.monotonic() - t0, 2)
            time.sleep(0.5)
        return None
    finally:
        database.dispose()


def check_acknowledged(run: Run, db: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Every acknowledged submit stored once, under the id it was answered with; every 200
    names the first answer's annotation; nothing stored that was never acknowledged."""
    rows_by_cid: dict[str, list[Any]] = {}
    for row in db["annotations"]:
        rows_by_cid.setdefault(row.client_id, []).append(row)
    acked = {cid: s for cid, s in run.submits.items() if s.acknowledged}
    retried = [s for s in acked.values() if (s.answered_at_attempt or 0) > 1]
    created = [s for s in acked.values() if s.status == 201]
    lost_but_stored = [s for s in retried if s.status == 200]
    lost = {
        cid: {"task_id": s.task_id, "acked_id": s.annotation_id, "rows": len(rows)}
        for cid, s in acked.items()
        if len(rows := [r for r in rows_by_cid.get(cid, []) if r.live]) != 1
        or rows[0].id != s.annotation_id
        or rows[0].task_id != s.task_id
    }
    not_idempotent = {
        cid: s.replies
        for cid, s in acked.items()
        if any(sid != s.annotation_id or st not in (200, 201) for st, sid in s.replies)
        or [st for st, _ in s.replies].count(201) > 1
        or (s.replies[0][0] == 200 and s.unanswered == 0)  # a first try is never a replay
    }
    dup_ids = {cid: len(rows) for cid, rows in rows_by_cid.items() if len(rows) > 1}
    unacked_stored = [cid for cid in rows_by_cid if cid not in acked]
    refused = {cid: s.error for cid, s in run.submits.items() if s.error}
    counts = {
        "submits_acknowledged": len(acked),
        "acknowledged_first_try": sum(1 for s in acked.values() if s.answered_at_attempt == 1),
        "retried": len(retried),
        "retried_after_reset": sum(1 for s in retried if s.unanswered),
        "retried_not_stored_before": len(retried) - len(lost_but_stored),
        "answer_lost_but_stored": len(lost_but_stored),
        "acknowledged_created_201": len(created),
        "replays_on_purpose": sum(len(s.replies) - 1 for s in acked.values()),
        "annotations_in_db": len(db["annotations"]),
        "total_matches": len(db["annotations"]) == len(created) + len(lost_but_stored),
        "submits_refused_4xx_5xx": len(refused),
        "lost": len(lost),
        "duplicate_client_ids": len(dup_ids),
        "not_idempotent": len(not_idempotent),
        "stored_never_acknowledged": len(unacked_stored),
    }
    details = {
        "lost": dict(list(lost.items())[:50]),
        "duplicate_client_ids": dict(list(dup_ids.items())[:50]),
        "not_idempotent": dict(list(not_idempotent.items())[:50]),
        "stored_never_acknowledged": unacked_stored[:50],
        "refused_submits": dict(list(refused.items())[:50]),
    }
    return counts, details


def check_queue(db: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """One annotation per annotator and task, at most ``overlap`` per task, no lease held twice,
    a submitted assignment for each annotation and the reverse, task counters = the rows."""
    overlap: int = db["overlap"]
    per_task_user = Counter((r.task_id, r.user_id) for r in db["annotations"])
    dup_task_user = [list(k) for k, n in per_task_user.items() if n > 1]
    live = Counter(r.task_id for r in db["annotations"] if r.live)
    leased = Counter(a.task_id for a in db["assignments"] if a.state == "leased")
    over_overlap = [t for t, n in live.items() if n > overlap]
    double_held = [t for t in leased if leased[t] + live[t] > overlap]
    leases_per_user = Counter(a.user_id for a in db["assignments"] if a.state == "leased")
    submitted = {(a.task_id, a.user_id) for a in db["assignments"] if a.state == "submitted"}
    stored = {(r.task_id, r.user_id) for r in db["annotations"] if r.live}
    counters_off = [
        {
            "task": t.id,
            "annotation_count": t.annotation_count,
            "open_slots": t.open_slots,
            "annotations": live[t.id],
            "leases": leased[t.id],
        }
        for t in db["tasks"]
        if t.annotation_count != live[t.id] or t.open_slots != overlap - live[t.id] - leased[t.id]
    ]
    counts = {
        "two_on_one_task": len(dup_task_user),
        "over_overlap": len(over_overlap),
        "double_held_leases": len(double_held),
        "annotators_with_two_leases": sum(1 for n in leases_per_user.values() if n > 1),
        "annotation_without_submitted_lease": len(stored - submitted),
        "submitted_lease_without_annotation": len(submitted - stored),
        "task_counters_off": len(counters_off),
        "leases_open_at_end": sum(leased.values()),
    }
    details = {
        "two_on_one_task": dup_task_user[:50],
        "over_overlap_tasks": over_overlap[:50],
        "double_held_tasks": double_held[:50],
        "slot_mismatch": sorted(map(list, stored ^ submitted))[:50],
        "task_counters_off": counters_off[:50],
    }
    return counts, details


def check_events(db: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """One annotation.created event per annotation (written in the submit's transaction), and
    statistics that count each live annotation once though the worker was killed mid-delivery."""
    events = Counter(int(e["annotation_id"]) for e in db["created_events"])
    ids = {r.id for r in db["annotations"]}
    events_off = sorted(i for i in ids | set(events) if events[i] != (i in ids))
    n_live = sum(1 for r in db["annotations"] if r.live)
    stats_off = {k: v for k, v in db["stats"].items() if v != n_live}
    counts = {
        "annotation_events_off": len(events_off),
        "undelivered_events": db["undelivered_events"],
        # Only meaningful once every event is delivered (see --deliver-wait).
        "stats_off": None if db["undelivered_events"] else len(stats_off),
    }
    details = {
        "annotation_events_off": events_off[:50],
        "stats": {**db["stats"], "live_annotations": n_live},
    }
    return counts, details


def verify(run: Run, db: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Compare what the server acknowledged with what the database holds: (counts, details)."""
    counts: dict[str, Any] = {}
    details: dict[str, Any] = {}
    for c, d in (check_acknowledged(run, db), check_queue(db), check_events(db)):
        counts.update(c)
        details.update(d)
    counts["duplicates"] = counts["duplicate_client_ids"] + counts["two_on_one_task"]
    return counts, details


MUST_BE_ZERO = (
    "lost",
    "duplicate_client_ids",
    "two_on_one_task",
    "over_overlap",
    "double_held_leases",
    "annotators_with_two_leases",
    "annotation_without_submitted_lease",
    "submitted_lease_without_annotation",
    "task_counters_off",
    "not_idempotent",
    "stored_never_acknowledged",
    "annotation_events_off",
    "stats_off",
    "submits_refused_4xx_5xx",
)


def speed(run: Run) -> dict[str, Any]:
    rates = [o.ok_before / o.up_before_s for o in run.outages]
    recover = [o.first_ok_s for o in run.outages if o.first_ok_s is not None]
    health = [o.health_s for o in run.outages if o.health_s is not None]

    def summary(xs: list[float]) -> dict[str, float] | None:
        if not xs:
            return None
        return {
            "median": round(statistics.median(xs), 2),
            "min": round(min(xs), 2),
            "max": round(max(xs), 2),
        }

    return {
        "requests_per_s_between_kills": summary(rates),
        "recovery_s_kill_to_first_ok": summary(recover),
        "recovery_s_kill_to_health": summary(health),
        "submits_in_flight_at_kill": [o.submits_in_flight for o in run.outages],
        "leases_resumed_by_next": run.resumed,
        "request_errors": dict(run.errors),
    }


# --------------------------------------------------------------------------- main


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--tasks", type=int, default=10_000)
    ap.add_argument("--overlap", type=int, default=2)
    ap.add_argument("--annotators", type=int, default=16)
    ap.add_argument("--kills", type=int, default=10)
    ap.add_argument("--tail", type=float, default=5, help="seconds of load after the last kill")
    ap.add_argument(
        "--replay", type=float, default=0.05, help="share of acknowledged submits sent again"
    )
    ap.add_argument(
        "--deliver-wait",
        type=float,
        default=120,
        help="at most this long, wait for the worker to deliver every event before the checks",
    )
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true", help="keep the data dir / database")
    args = ap.parse_args()
    if args.seed is None:
        args.seed = random.randrange(2**31)

    RESULTS_DIR.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    tmp = Path(tempfile.mkdtemp(prefix=f"accord-crash-{args.db}-"))
    pg_name = f"accord_crash_{os.getpid()}"
    database_url = None
    if args.db == "postgres":
        database_url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_name}"
        reset_postgres(pg_name)
    res: dict[str, Any] = {"db": args.db, "machine": machine(), "args": vars(args)}
    server = Server(args.db, tmp, database_url=database_url)
    try:
        server.start()
        people = setup_people(server, annotators=args.annotators, managers=0)
        project_id = make_project(server, people, args.tasks, args.overlap)
        res["load_before"] = loadavg()
        t0 = time.monotonic()
        run = asyncio.run(drive(server, people["annotator"], project_id, args))
        res["wall_s"] = round(time.monotonic() - t0, 1)
        res["load_after"] = loadavg()
        res["events_delivered_after_s"] = wait_delivered(server, project_id, args.deliver_wait)
        server.stop()
        checks, details = verify(run, read_database(server, project_id))
        failures = {k: checks[k] for k in MUST_BE_ZERO if checks[k]}
        res["summary"] = {
            "kills": len(run.outages),
            **checks,
            **speed(run),
            "requests_per_s_after_last_kill": round(run.tail_ok / run.tail_s, 1),
            "queue_ran_out": run.ran_out,
            "ok": not failures and checks["total_matches"],
        }
        res["outages"] = [o.report() for o in run.outages]
        res["kills_at_s"] = [round(o.killed_at - t0, 1) for o in run.outages]
        res["ok_per_second"] = run.per_second
        res["details"] = details
        res["data_dir"] = str(tmp) if args.keep else None
    finally:
        server.stop()
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
            if args.db == "postgres":
                drop_postgres(pg_name)
        out = RESULTS_DIR / f"crash-{args.db}-{stamp}.json"
        out.write_text(json.dumps(res, indent=2, default=str))
    print(json.dumps(res["summary"], indent=2))
    print(f"\nwritten: {out}")
    if not res["summary"]["ok"]:
        print(f"FAILED: {failures or 'annotation count does not match'}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
