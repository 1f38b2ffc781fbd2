"""Benchmarks: wall time and peak memory of each step on synthetic provinces.

Usage: python bench/run_bench.py [--sizes 20000,1000000,3400000] [--pipeline-sizes 20000]
Each step runs as its own process, so its peak RSS is its own.  Results are printed as
a Markdown table and appended to bench/RESULTS.md with --record.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MEASURE = (
    "import resource, subprocess, sys, time, json\n"
    "t = time.perf_counter()\n"
    "rc = subprocess.run(sys.argv[1:]).returncode\n"
    "wall = time.perf_counter() - t\n"
    "rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024\n"
    "print(json.dumps({'rc': rc, 'seconds': wall, 'peak_mib': rss}))\n"
)


def measure(*command: str) -> dict[str, float]:
    """Run a command in a fresh process; its wall time and peak RSS (MiB)."""
    out = subprocess.run(
        [sys.executable, "-c", MEASURE, *command], capture_output=True, text=True, check=True
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    if result["rc"] != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    return result


def landclean(*args: str) -> list[str]:
    return [sys.executable, "-m", "landclean", *args]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="20000,1000000,3400000")
    parser.add_argument(
        "--pipeline-sizes",
        default="20000",
        help="sizes at which import + run + report are measured too",
    )
    parser.add_argument("--record", action="store_true", help="append to bench/RESULTS.md")
    args = parser.parse_args()
    rows = []
    work = Path(tempfile.mkdtemp(prefix="landclean-bench-"))
    try:
        for size in [int(s) for s in args.sizes.split(",") if s]:
            out = work / f"p{size}"
            r = measure(
                *landclean("generate", "--parcels", str(size), "--seed", "1", "--out", str(out))
            )
            rows.append((size, "generate", r))
            print(size, "generate", r, flush=True)
            if str(size) in args.pipeline_sizes.split(","):
                ws = work / f"ws{size}.duckdb"
                steps = [
                    ("init", landclean("init", str(ws))),
                    ("import", landclean("import", str(ws), str(out))),
                    ("run", landclean("run", str(ws))),
                    ("report", landclean("report", str(ws), "--out", str(work / "rep"))),
                ]
                for name, cmd in steps:
                    r = measure(*cmd)
                    rows.append((size, name, r))
                    print(size, name, r, flush=True)
            shutil.rmtree(out, ignore_errors=True)
        r = measure(*landclean("demo", "--workdir", str(work / "demo")))
        rows.append((20_000, "demo (whole)", r))
        print("demo", r, flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = ["| parcels | step | wall time (s) | peak RSS (MiB) |", "|---:|---|---:|---:|"]
    table += [
        f"| {n:,} | {step} | {r['seconds']:.1f} | {r['peak_mib']:.0f} |" for n, step, r in rows
    ]
    text = "\n".join(table)
    print(text)
    if args.record:
        head = (
            f"\n## {dt.date.today():%d/%m/%Y}: {platform.processor() or platform.machine()}"
            f", Python {platform.python_version()}\n\n"
        )
        with Path(__file__).with_name("RESULTS.md").open("a", encoding="utf-8") as f:
            f.write(head + text + "\n")


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"bench finished in {time.perf_counter() - started:.0f} s")
