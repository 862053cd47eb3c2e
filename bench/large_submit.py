"""How long one large submit holds up everyone else (issue 13, finding 5).

Starts `accord-server serve` on SQLite like bench/run.py, imports one 4000 x 3000 image per run,
and submits N boxes to it (as the owner, who needs no lease) while another thread of this
process asks `GET /api/v1/health` every 10 ms. Reports the submit's time and the longest and
99th-percentile wait of the health probes that overlapped it: the time the server's event loop
could not answer.

    .venv/bin/python bench/large_submit.py                          # 20,000 and 130,000 boxes
    .venv/bin/python bench/large_submit.py --regions 20000 --runs 5

`ACCORD_MAX_REGIONS` is raised for the server so that sizes past the default limit are
accepted. Run with `PYTHONPATH=<tree>/server/src` to measure another tree.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import RESULTS_DIR, Server, loadavg, machine, setup_people

SCHEMA = {"media": "image", "tools": [{"name": "objects", "type": "bbox", "labels": ["car"]}]}


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (4000, 3000), "blue").save(out, format="PNG")
    return out.getvalue()


def _body(n: int) -> bytes:
    boxes = [
        {
            "id": f"r{i}",
            "tool": "objects",
            "type": "bbox",
            "label": "car",
            "geometry": {"x": i % 3900, "y": (i // 3900) % 2900, "width": 5, "height": 5},
        }
        for i in range(n)
    ]
    return orjson.dumps({"id": f"big-{n}-{time.time_ns()}", "result": boxes})


def _image_task(client: httpx.Client, org_id: int) -> int:
    """A new project with one imported image; its task id."""
    r = client.post(
        "/api/v1/projects",
        json={"organization_id": org_id, "name": f"large {time.time_ns()}", "label_schema": SCHEMA},
    )
    r.raise_for_status()
    project_id = r.json()["id"]
    r = client.post(
        f"/api/v1/projects/{project_id}/imports/files",
        files=[("files", ("photo.png", _png(), "image/png"))],
    )
    r.raise_for_status()
    job_id = r.json()["id"]
    while client.get(f"/api/v1/jobs/{job_id}").json()["state"] != "succeeded":
        time.sleep(0.1)
    tasks = client.get(f"/api/v1/projects/{project_id}/tasks").json()["items"]
    return int(tasks[0]["id"])


def one_run(client: httpx.Client, url: str, task_id: int, n: int) -> dict[str, Any]:
    body = _body(n)
    waits: list[float] = []
    done = threading.Event()

    def probe() -> None:
        with httpx.Client(base_url=url, timeout=120) as health:
            while not done.is_set():
                started = time.perf_counter()
                health.get("/api/v1/health").raise_for_status()
                waits.append(time.perf_counter() - started)
                time.sleep(0.01)

    prober = threading.Thread(target=probe)
    load = loadavg()
    prober.start()
    time.sleep(0.1)
    started = time.perf_counter()
    r = client.post(
        f"/api/v1/tasks/{task_id}/annotations",
        content=body,
        headers={"content-type": "application/json"},
    )
    took = time.perf_counter() - started
    done.set()
    prober.join()
    if r.status_code != 201:
        raise RuntimeError(f"submit answered {r.status_code}: {r.text[:300]}")
    waits.sort()
    return {
        "regions": n,
        "body_mib": round(len(body) / 2**20, 2),
        "submit_s": round(took, 3),
        "health_max_ms": round(waits[-1] * 1000, 1),
        "health_p99_ms": round(waits[int(len(waits) * 0.99)] * 1000, 1),
        "health_p50_ms": round(waits[len(waits) // 2] * 1000, 1),
        "probes": len(waits),
        "load": load,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--regions", type=int, action="append", help="boxes per submit")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    sizes = args.regions or [20_000, 130_000]
    os.environ["ACCORD_MAX_REGIONS"] = str(max(sizes))
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        server = Server("sqlite", Path(tmp))
        server.start()
        try:
            people = setup_people(server, annotators=0, managers=0)
            headers = {"Authorization": f"Bearer {people['owner']}"}
            with httpx.Client(base_url=server.url, headers=headers, timeout=600) as client:
                for n in sizes:
                    for _ in range(args.runs):
                        task_id = _image_task(client, people["org_id"])
                        rows.append(one_run(client, server.url, task_id, n))
                        print(json.dumps(rows[-1]), flush=True)
        finally:
            server.stop()
    RESULTS_DIR.mkdir(exist_ok=True)
    out = RESULTS_DIR / f"large_submit-{time.strftime('%Y%m%dT%H%M%S')}.json"
    out.write_text(json.dumps({"machine": machine(), "runs": rows}, indent=2))
    print(f"written to {out}")


if __name__ == "__main__":
    main()
