"""Run the fuzz corpus against ``landclean import`` and report per probe.

    .venv/bin/python -m tests.hardening.run --cases 10000 --seed 1 --report docs/reliability.md
    .venv/bin/python -m tests.hardening.run --seed 1 --case 417          # one case again
    .venv/bin/python -m tests.hardening.run --seed 1 --case 417 --write out/   # its files

Cases run in-process on ``--jobs`` worker processes (default: one per core); with
``--subprocess K`` the first K cases also run as real ``landclean`` processes and must
give the same exit code, output and workspace.  Exit code 1 when any case breaks the
contract (``tests/hardening/contract.py``); the report is written first.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

from tests.hardening.contract import FAILURE_TITLES, Verdict, explain, judge
from tests.hardening.corpus import make_case
from tests.hardening.report import render, write_between_markers
from tests.hardening.runner import Session
from tests.hardening.seeds import build_seeds
from tests.hardening.worker import Outcome


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m tests.hardening.run", description=__doc__.split("\n")[0]
    )
    p.add_argument("--cases", type=int, default=1000, help="number of cases (default 1000)")
    p.add_argument("--seed", type=int, default=1, help="corpus seed (default 1)")
    p.add_argument("--start", type=int, default=0, help="first case number (default 0)")
    p.add_argument("--case", type=int, action="append", help="run only this case (repeatable)")
    p.add_argument(
        "--write", type=Path, help="with --case: write the case's files here, run nothing"
    )
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="worker processes")
    p.add_argument("--timeout", type=float, default=120.0, help="seconds before a case is a hang")
    p.add_argument("--memory-gb", type=float, default=4.0, help="resident memory that is a failure")
    p.add_argument("--subprocess", type=int, default=0, help="cases also run as real processes")
    p.add_argument("--report", type=Path, help="Markdown file whose table to rewrite")
    p.add_argument("--show", type=int, default=3, help="failures printed per probe (default 3)")
    return p.parse_args(argv)


def _same(a: Outcome, b: Outcome) -> list[str]:
    """How a subprocess run differs from the in-process one (nothing: the same)."""
    return [
        name
        for name in ("code", "stdout", "stderr", "changed")
        if getattr(a, name) != getattr(b, name)
    ]


def _write(seed: int, numbers: list[int], folder: Path) -> int:
    seeds = build_seeds(folder / "seeds")
    for n in numbers:
        case = make_case(seed, n, seeds, folder / f"case{n}")
        env = " ".join(f"{k}='{v}'" for k, v in sorted(case.env.items()))
        files = " ".join(repr(a) for a in [str(case.target), *case.args])
        print(f"{case.label}\n  {env} landclean import WS.duckdb {files}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _arguments(argv)
    numbers = args.case or list(range(args.start, args.start + args.cases))
    if args.write:
        return _write(args.seed, numbers, args.write)
    begin = time.perf_counter()
    results: list[tuple[Outcome, Verdict]] = []
    mismatches: list[str] = []
    jobs = min(args.jobs, len(numbers))
    with Session(jobs=jobs, timeout=args.timeout, memory=int(args.memory_gb * (1 << 30))) as s:
        setup = time.perf_counter() - begin
        print(f"fuzz: seed {args.seed}, {len(numbers)} cases, {jobs} workers, set up {setup:.0f} s")
        for o in s.run_many(args.seed, numbers):
            v = judge(o)
            results.append((o, v))
            if args.case:
                shown = f"{v.status}: {o.label}\n  stderr: {o.stderr.strip()}\n  stdout: {o.stdout}"
                print(explain(o, v) if v.failures else shown.strip())
            if len(results) % 100 == 0:
                bad = sum(1 for _, v in results if v.failures)
                print(
                    f"  {len(results)} cases, {bad} failing, {time.perf_counter() - begin:.0f} s",
                    flush=True,
                )
        for n in sorted(numbers)[: args.subprocess]:
            inner, outer = s.run_pair(args.seed, n)
            if diff := _same(inner, outer):
                mismatches.append(
                    f"case {n}: in-process and subprocess differ in {', '.join(diff)}\n"
                    f"  in-process: {inner.stderr.strip()[:300]}\n"
                    f"  subprocess: {outer.stderr.strip()[:300]}"
                )
    seconds = time.perf_counter() - begin
    results.sort(key=lambda r: r[0].number)
    failing = [(o, v) for o, v in results if v.failures]
    if not args.case:
        shown: dict[str, int] = {}
        for o, v in failing:
            shown[o.kind] = shown.get(o.kind, 0) + 1
            if shown[o.kind] <= args.show:
                print(explain(o, v, 600))
    mean = sum(o.seconds for o, _ in results) / max(1, len(results))
    heading = (
        f"Seed {args.seed}, cases {numbers[0]}–{numbers[-1]} ({len(results)}), {jobs} workers, "
        f"{seconds:.0f} s in all (a case: {mean:.2f} s on average)."
    )
    table = render(results, heading)
    print(table)
    for line in mismatches:
        print(line)
    if args.report and not args.case:
        write_between_markers(args.report, table)
        print(f"written: {args.report}")
    counts = {t: sum(1 for _, v in failing if f in v.failures) for f, t in FAILURE_TITLES.items()}
    print(f"{len(failing)} of {len(results)} cases fail the contract "
          f"({', '.join(f'{t}: {n}' for t, n in counts.items() if n) or 'none'}); "
          f"{len(mismatches)} in-process/subprocess mismatches; {seconds:.0f} s")  # fmt: skip
    return 1 if failing or mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
