"""The rule catalogue on a synthetic province: time, memory and quality against truth.

Usage: python -m bench.bench_rules WORKSPACE SOURCE_DIR [--runs 2]
WORKSPACE holds SOURCE_DIR imported ('landclean import'); SOURCE_DIR is the folder made
by 'landclean generate' (its truth/ is read).  Each 'landclean run' is its own process
(wall time, peak RSS); the first also builds the canonical tables from the import.
Prints the stage and per-rule timings of the last run and the confusion table.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bench.run_bench import landclean, measure
from landclean.synth.scoring import confusion_markdown, score_rules
from landclean.workspace import open_workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("source", type=Path)
    parser.add_argument("--runs", type=int, default=2)
    args = parser.parse_args()
    print("| run | wall time (s) | peak RSS (MiB) | stages (s) |")
    print("|---:|---:|---:|---|")
    for i in range(args.runs):
        m = measure(*landclean("run", str(args.workspace)))
        with open_workspace(args.workspace, read_only=True) as ws:
            row = ws.con.execute(
                "SELECT stage_seconds FROM pipeline_run ORDER BY run_id DESC LIMIT 1"
            ).fetchone()
        stages = json.loads(row[0]) if row and row[0] else {}
        text = ", ".join(f"{k} {v:.1f}" for k, v in stages.items())
        print(f"| {i + 1} | {m['seconds']:.1f} | {m['peak_mib']:,.0f} | {text} |", flush=True)
    with open_workspace(args.workspace, read_only=True) as ws:
        con = ws.con
        rules = con.execute(
            "SELECT rule_id, found, seconds, error FROM rule_run "
            "WHERE run_id = (SELECT max(run_id) FROM rule_run) ORDER BY seconds DESC"
        ).fetchall()
        print("\n| rule | records found | seconds |")
        print("|---|---:|---:|")
        for rule_id, found, seconds, error in rules:
            print(f"| {rule_id} | {found:,} | {seconds:.2f}{' FAILED ' + error if error else ''} |")
        scores = score_rules(con, args.source / "truth")
    print()
    print(confusion_markdown(scores))
    tp = sum(s.true_positive for s in scores)
    fp = sum(s.false_positive for s in scores)
    fn = sum(s.false_negative for s in scores)
    print(
        f"\nAll paired rules: recall {tp / (tp + fn):.4%}, precision {tp / (tp + fp):.4%}; "
        f"lowest recall {min(s.recall for s in scores):.4%}, "
        f"lowest precision {min(s.precision for s in scores):.4%}"
    )


if __name__ == "__main__":
    main()
