"""The whole pipeline on a synthetic province: import, a first run, a second run with
nothing changed, a report; each as its own process (wall time, peak RSS), with the
seconds of every stage of both runs.

Usage: python -m bench.bench_pipeline SOURCE_DIR WORKSPACE
SOURCE_DIR is a folder made by 'landclean generate'; WORKSPACE must not exist yet.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from bench.run_bench import landclean, measure
from landclean.workspace import open_workspace


def main() -> None:
    source, ws = Path(sys.argv[1]), Path(sys.argv[2])
    steps = [
        ("init", landclean("init", str(ws))),
        ("import", landclean("import", str(ws), str(source))),
        ("run (first: build and every stage)", landclean("run", str(ws))),
        ("run (again, nothing changed)", landclean("run", str(ws))),
        ("report", landclean("report", str(ws), "--out", str(ws.with_suffix(".report")))),
    ]
    print("| step | wall time (s) | peak RSS (MiB) |\n|---|---:|---:|")
    for name, command in steps:
        m = measure(*command)
        print(f"| {name} | {m['seconds']:.1f} | {m['peak_mib']:,.0f} |", flush=True)
    with open_workspace(ws, read_only=True) as w:
        runs = w.con.execute(
            "SELECT run_id, stage_seconds FROM pipeline_run WHERE stages LIKE '%campaign%' "
            "ORDER BY run_id"
        ).fetchall()
    print("\nSeconds per stage (first run, second run):\n")
    print("| stage | first | again |\n|---|---:|---:|")
    first, again = (json.loads(r[1]) for r in runs[-2:])
    for stage in first:
        if "." not in stage:
            print(f"| {stage} | {first[stage]:.1f} | {again.get(stage, 0):.1f} |")


if __name__ == "__main__":
    main()
