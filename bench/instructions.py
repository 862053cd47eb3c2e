"""CPU instructions the API process executes per request, counted by valgrind's callgrind.

Time on a shared VM drifts (±20 % within minutes was seen here), so a change that saves 5 % of
the API's CPU cannot be told apart from the noise in seconds. Instructions can: callgrind counts
the same total for the same code and inputs whatever else the machine does. This runs
`accord-server serve` (the API process only; its job worker child runs natively) under
callgrind with counting off, warms up, then counts exactly the measured requests:

1. **submit** — ``--clients`` managers submitting to their own open tasks (as in run.py's
   submit throughput);
2. **next + submit** — ``--clients`` annotators each looping `next` → submit (run.py's `next`).

Instructions are not seconds (cache misses, system calls and the database's own CPU are not in
them), but for Python code they move with its CPU time; use them to compare two versions of
the server (A/B), and run.py for the real figures.

    .venv/bin/python bench/instructions.py --db postgres
    PYTHONPATH=/tmp/base/server/src .venv/bin/python bench/instructions.py --db postgres
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run as bench  # bench/run.py: the server, the people, the load

TOTALS = re.compile(rb"^(?:totals|summary):\s+(\d+)", re.MULTILINE)


def callgrind(pid: int, *args: str) -> None:
    subprocess.run(["callgrind_control", *args, str(pid)], check=True, capture_output=True)


def counted(pid: int, out_dir: Path) -> int:
    """Dump the counters (instructions since counting went on) and read the total."""
    before = set(out_dir.glob("callgrind.out.*"))
    callgrind(pid, "--dump")
    callgrind(pid, "--instr=off")
    dumps = sorted(set(out_dir.glob("callgrind.out.*")) - before)
    if not dumps:
        raise RuntimeError("callgrind wrote no dump")
    return sum(int(m.group(1)) for d in dumps for m in [TOTALS.search(d.read_bytes())] if m)


async def measure(server: bench.Server, out_dir: Path, step: Any, requests: int) -> dict[str, Any]:
    callgrind(server.pid, "--zero")
    callgrind(server.pid, "--instr=on")
    await step()
    total = counted(server.pid, out_dir)
    return {
        "requests": requests,
        "instructions": total,
        "instructions_per_request": round(total / requests),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--db", choices=["sqlite", "postgres"], default="postgres")
    ap.add_argument("--tasks", type=int, default=3000, help="tasks in the project")
    ap.add_argument("--clients", type=int, default=8, help="concurrent clients")
    ap.add_argument("--submits", type=int, default=400, help="counted submits")
    ap.add_argument("--cycles", type=int, default=200, help="counted next+submit cycles")
    ap.add_argument("--warmup", type=int, default=10, help="uncounted requests per client")
    args = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (apt-get install valgrind)")

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    tmp = Path(tempfile.mkdtemp(prefix=f"accord-instructions-{args.db}-"))
    out_dir = tmp / "callgrind"
    out_dir.mkdir()
    prefix = [
        "valgrind",
        "--tool=callgrind",
        "--instr-atstart=no",
        f"--callgrind-out-file={out_dir}/callgrind.out.%p",
    ]
    res: dict[str, Any] = {"db": args.db, "machine": bench.machine(), "args": vars(args)}
    if args.db == "postgres":
        bench.reset_postgres()
    server = bench.Server(args.db, tmp, prefix=prefix)
    try:
        server.start()
        people = bench.setup_people(server, annotators=args.clients, managers=args.clients)
        project_id = bench.bench_import(server, people, args.tasks, tmp, 1800)["project_id"]
        warm = args.warmup * args.clients
        ids = bench.open_task_ids(server, project_id, warm + args.submits)
        managers = people["manager"][: args.clients]
        asyncio.run(bench.submit_only(server, managers, ids[:warm]))

        async def submits() -> None:
            done = await bench.submit_only(server, managers, ids[warm:])
            if done["errors"]:
                raise RuntimeError(f"submits failed: {done['errors']}")

        res["submit"] = asyncio.run(measure(server, out_dir, submits, args.submits))
        print(f"submit: {res['submit']['instructions_per_request']:,} instructions", flush=True)

        annotators = people["annotator"][: args.clients]
        per = max(1, args.cycles // args.clients)
        asyncio.run(bench.run_annotators(server, annotators, project_id, args.warmup, 0))

        async def cycles() -> None:
            done = await bench.run_annotators(server, annotators, project_id, per, 0)
            if done["errors"]:
                raise RuntimeError(f"next/submit failed: {done['errors']}")

        res["next_submit"] = asyncio.run(measure(server, out_dir, cycles, per * len(annotators)))
        print(
            f"next+submit: {res['next_submit']['instructions_per_request']:,} "
            "instructions per cycle",
            flush=True,
        )
    finally:
        server.stop()
        shutil.rmtree(tmp, ignore_errors=True)
        if args.db == "postgres":
            bench.drop_postgres()
    bench.RESULTS_DIR.mkdir(exist_ok=True)
    out_file = bench.RESULTS_DIR / f"instructions-{args.db}-{stamp}.json"
    out_file.write_text(json.dumps(res, indent=2, default=str))
    print(f"written: {out_file}")


if __name__ == "__main__":
    main()
