"""Land users verified through the simulated population service (issue 22).

Usage: python -m bench.bench_registry --from WS --extract FILE --work DIR [--rate 10]
       [--batch-size 1000] [--faults SPEC]

On a copy of ``WS`` (a workspace already run), with the simulated service running as its
own process (``landclean registry simulate``):

0. ``run`` once, outside the figures (a workspace of an earlier version recomputes
   everything once: its settings' hash now names the new setting);
1. ``registry verify`` of every land user at ``--rate`` requests per second, in-process so
   that its time splits into waiting (the rate limit, backoff), the service's answers,
   planning the batches, and landclean's own work per batch (building each body,
   checking and applying its verdicts, recording each attempt);
2. ``run`` afterwards (the verdicts become authentication results), as its own process;
3. ``registry verify --only all`` again under ``--faults`` against a fresh service: every
   user asked again, every fault survived.

After each verify, the service's own count says whether any request key was done twice
as new work, and the workspace's whether any verdict is missing.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from bench.run_bench import landclean, measure
from landclean.registry_service.connector import verify
from landclean.registry_service.protocol import load_protocol
from landclean.workspace import open_workspace


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _service(extract: Path, faults: str) -> tuple[subprocess.Popen, str]:
    port = _port()
    proc = subprocess.Popen(
        landclean("registry", "simulate", "--extract", str(extract), "--port", str(port),
                  "--faults", faults),
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            urllib.request.urlopen(url + "/", timeout=1).read()
            return proc, url
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the simulated service did not start")


def _stats(url: str) -> dict:
    return json.loads(urllib.request.urlopen(url + "/", timeout=30).read())


def _verify(ws_path: Path, url: str, args: argparse.Namespace, selection: str) -> dict:
    p = load_protocol()
    with open_workspace(ws_path) as ws:
        before = int(ws.scalar("SELECT count(*) FROM registry_verdict"))  # type: ignore[arg-type]
        done = verify(ws, p, url, by="bench", selection=selection, batch_size=args.batch_size,
                      rate=args.rate, timeout=10, patience=900)  # fmt: skip
        verdicts = int(ws.scalar("SELECT count(*) FROM registry_verdict"))  # type: ignore[arg-type]
        # lost: a request of these batches whose key has no verdict at all (a verdict
        # equal to the key's current one is not recorded again: it is counted unchanged)
        missing = int(ws.scalar(  # type: ignore[arg-type]
            "SELECT count(*) FROM registry_request q JOIN registry_batch b USING (batch_id) "
            "WHERE b.selection = ? AND b.created_by = 'bench' AND NOT EXISTS ("
            "SELECT 1 FROM registry_verdict v WHERE v.request_key = q.request_key)", [selection],
        ))  # fmt: skip
        unanswered = int(ws.scalar(  # type: ignore[arg-type]
            "SELECT count(*) FROM registry_batch WHERE status <> 'answered'"
        ))  # fmt: skip
    assert done.planned is not None
    own = done.seconds - done.waited - done.service_seconds - done.plan_seconds
    return {
        "requests": done.planned.requests,
        "batches": done.batches,
        "attempts": done.attempts,
        "retries": done.retries,
        "new_verdicts": verdicts - before,
        "unchanged": done.applied.unchanged,
        "missing": missing,
        "unanswered_batches": unanswered,
        "seconds": round(done.seconds, 1),
        "waited": round(done.waited, 1),
        "service": round(done.service_seconds, 1),
        "plan": round(done.plan_seconds, 1),
        "own_ms_per_batch": round(1000 * own / max(done.batches, 1), 1),
        "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss >> 10,
        "service_count": _stats(url),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--from", dest="source", type=Path, required=True)
    parser.add_argument("--extract", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--rate", type=float, default=10.0)
    parser.add_argument("--batch-size", type=int, default=1000)
    parser.add_argument(
        "--faults",
        default="timeout=0.02,throttle=0.05,error=0.02,truncated=0.02,malformed=0.02,"
        "duplicated=0.02,stale=0.02,hang=35,retry_after=2,outage_after=500,outage_seconds=60",
    )
    parser.add_argument(
        "--verify-only", action="store_true", help="the first verify alone (no run, no faults)"
    )
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    ws_path = args.work / "ws.duckdb"
    shutil.copyfile(args.source, ws_path)
    with open_workspace(ws_path):
        pass  # migrated outside the figures
    # a run first, outside the figures: a workspace made before this version recomputes
    # everything once (its settings' hash names the new setting)
    results_before = measure(*landclean("run", str(ws_path)))
    print(json.dumps({"run_before": results_before}), flush=True)
    results = {}
    proc, url = _service(args.extract, "")
    try:
        results["verify"] = _verify(ws_path, url, args, "unverified")
    finally:
        proc.terminate()
    print(json.dumps(results["verify"]), flush=True)
    if args.verify_only:
        return
    results["run"] = measure(*landclean("run", str(ws_path)))
    with open_workspace(ws_path, read_only=True) as ws:
        row = ws.con.execute(
            "SELECT stage_seconds FROM pipeline_run ORDER BY run_id DESC LIMIT 1"
        ).fetchone()
        results["run"]["stages"] = json.loads(row[0]) if row and row[0] else {}
        results["run"]["statuses"] = dict(
            ws.con.execute(
                "SELECT method || ' ' || status, count(*) FROM auth_result GROUP BY 1 ORDER BY 1"
            ).fetchall()
        )
    print(json.dumps(results["run"]), flush=True)
    proc, url = _service(args.extract, args.faults + ",seed=7")
    try:
        results["verify_faults"] = _verify(ws_path, url, args, "all")
    finally:
        proc.terminate()
    print(json.dumps(results["verify_faults"]), flush=True)
    json.dump(results, sys.stdout, indent=1)


if __name__ == "__main__":
    main()
