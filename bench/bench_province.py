"""A province end to end, then live: issue 17's targets, each command its own process.

Usage: python -m bench.bench_province --parcels N --work DIR [--seed 7] [--source DIR]
       [--from WS] [--no-full] [--district NAME]

1. From nothing (unless ``--from WS``, a workspace already run, is copied instead):
   ``generate`` (not counted), ``init``, ``import``, the first ``run``, ``report``.
2. Live, on that workspace: ``run`` with nothing changed; one correction, then ``run``;
   1,000 corrections in the commune with the most land users (ID numbers from the
   generator's truth, legal areas, land uses), then ``run``; 200 sheet numbers there
   (which renumber the commune's sheets), then ``run``; a district's newer export (1,000
   rows and 100 polygons changed: ``landclean.synth.newer_export``) imported, then ``run``;
   finally ``run --full``.

Prints a Markdown table (wall seconds, peak RSS of the process) and each run's stage
seconds; the corrections are recorded as ``apply`` records them (one transaction), and
their recording is not part of the run's time.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path

from bench.run_bench import landclean, measure
from landclean.corrections import Correction, record_corrections
from landclean.synth.newer_export import newer_export
from landclean.workspace import open_workspace

BY = "bench"


def _commune(ws_path: Path) -> str:
    with open_workspace(ws_path, read_only=True) as ws:
        row = ws.con.execute(
            "SELECT p.unit_code FROM land_right r JOIN parcel p USING (parcel_id) "
            "WHERE p.unit_code IS NOT NULL GROUP BY 1 ORDER BY count(DISTINCT r.party_id) DESC "
            "LIMIT 1"
        ).fetchone()
    assert row is not None
    return str(row[0])


def _correct(ws_path: Path, corrections: list[Correction]) -> int:
    """Record the corrections as a worklist's are; how many changed a value."""
    unchanged: set[int] = set()
    with open_workspace(ws_path) as ws, ws.transaction() as con:
        errors = record_corrections(con, corrections, unchanged)
    return len(corrections) - len(errors) - len(unchanged)


def _party_ids(ws_path: Path, truth: Path | None, commune: str, n: int) -> list[Correction]:
    """Up to ``n`` land users of the commune whose ID differs from the true one, given it
    (without the generator's truth: ``n`` users with the last digit of their ID changed)."""
    with open_workspace(ws_path, read_only=True) as ws:
        if truth is not None and (truth / "parties.parquet").exists():
            rows = ws.con.execute(
                f"SELECT DISTINCT r.party_id, s.cccd FROM land_right r "
                f"JOIN parcel p USING (parcel_id) "
                f"JOIN '{truth}/parties.parquet' t ON t.party_id = r.party_id "
                f"JOIN '{truth}/persons.parquet' s USING (person_id) "
                f"JOIN party y ON y.party_id = r.party_id WHERE p.unit_code = ? "
                f"AND s.cccd IS NOT NULL AND y.id_number IS DISTINCT FROM s.cccd "
                f"ORDER BY 1 LIMIT ?",
                [commune, n],
            ).fetchall()
        else:
            rows = ws.con.execute(
                "SELECT DISTINCT r.party_id, left(y.id_number, -1) || "
                "((right(y.id_number, 1)::INTEGER + 1) % 10) FROM land_right r "
                "JOIN parcel p USING (parcel_id) JOIN party y USING (party_id) "
                "WHERE p.unit_code = ? AND y.id_number IS NOT NULL ORDER BY 1 LIMIT ?",
                [commune, n],
            ).fetchall()
    return [Correction("party", str(p), "id_number", str(v), BY) for p, v in rows]


def _parcels(ws_path: Path, commune: str, n: int, offset: int = 0) -> list[tuple]:
    """(parcel, its legal area rounded, its sheet) of ``n`` parcels of the commune."""
    with open_workspace(ws_path, read_only=True) as ws:
        return ws.con.execute(
            "SELECT parcel_id, COALESCE(round(legal_area), round(ST_Area(geom))), sheet_no "
            "FROM parcel WHERE unit_code = ? AND geom IS NOT NULL "
            "ORDER BY parcel_id LIMIT ? OFFSET ?",
            [commune, n, offset],
        ).fetchall()


def _stage_seconds(ws_path: Path) -> dict[str, float]:
    with open_workspace(ws_path, read_only=True) as ws:
        row = ws.con.execute(
            "SELECT stage_seconds FROM pipeline_run ORDER BY run_id DESC LIMIT 1"
        ).fetchone()
    return json.loads(row[0]) if row and row[0] else {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--parcels", type=int, default=3_400_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--from", dest="source_ws", type=Path, default=None)
    parser.add_argument("--source", type=Path, default=None, help="generated already")
    parser.add_argument("--no-full", action="store_true", help="leave out the last run --full")
    parser.add_argument("--district", default="thanhphotuyhoa", help="of the newer export")
    args = parser.parse_args()
    work: Path = args.work
    work.mkdir(parents=True, exist_ok=True)
    source = args.source or work / f"source_{args.parcels}_{args.seed}"
    ws = work / "province.duckdb"
    rows: list[tuple[str, dict[str, float], dict[str, float]]] = []

    def step(name: str, *command: str) -> None:
        result = measure(*command)
        seconds = _stage_seconds(ws) if command[3] == "run" else {}
        rows.append((name, result, seconds))
        print(name, json.dumps(result), json.dumps(seconds), flush=True)

    if args.source_ws is None:
        if not source.exists():
            subprocess.run(
                landclean(
                    "generate", "--parcels", str(args.parcels), "--seed", str(args.seed),
                    "--out", str(source),
                ),
                check=True,
            )  # fmt: skip
        for suffix in ("", ".wal", ".tmp"):
            p = Path(str(ws) + suffix)
            shutil.rmtree(p) if p.is_dir() else p.unlink(missing_ok=True)
        step("init", *landclean("init", str(ws)))
        step("import", *landclean("import", str(ws), str(source)))
        step("first run", *landclean("run", str(ws)))
        step("report", *landclean("report", str(ws), "--out", str(work / "report")))
        truth: Path | None = source / "truth"
    else:
        shutil.copyfile(args.source_ws, ws)
        truth = (args.source or args.source_ws.with_suffix("")) / "truth"
        step("run (catching up)", *landclean("run", str(ws)))
    step("run, nothing changed", *landclean("run", str(ws)))
    commune = _commune(ws)
    parcels = _parcels(ws, commune, 1200)
    first, area, _ = parcels[0]
    one = [Correction("parcel", str(first), "legal_area", str(int(area) + 3), BY)]
    print("one correction:", _correct(ws, one), flush=True)
    step("run after 1 correction", *landclean("run", str(ws)))
    batch = _party_ids(ws, truth, commune, 500)
    rest = parcels[1 : 1 + 1000 - len(batch)]
    half = len(rest) // 2
    batch += [
        Correction("parcel", str(p), "legal_area", str(int(a) + 1), BY) for p, a, _ in rest[:half]
    ]
    batch += [Correction("parcel", str(p), "land_use", "ONT+CLN", BY) for p, _, _ in rest[half:]]
    changed = _correct(ws, batch)
    print(f"{commune}: {changed} of {len(batch)} corrections changed a value", flush=True)
    step("run after 1,000 corrections", *landclean("run", str(ws)))
    sheets = [
        Correction("parcel", str(p), "sheet_no", str(int(s or 0) + 1), BY)
        for p, _, s in _parcels(ws, commune, 200, offset=1200)
    ]
    print(f"{commune}: {_correct(ws, sheets)} sheet numbers recorded", flush=True)
    step("run after 200 sheet numbers", *landclean("run", str(ws)))
    if args.source is not None or args.source_ws is None:  # the generated files are at hand
        export = newer_export(source, args.district, work / "newer", 1000)
        step("import a district's newer export", *landclean("import", str(ws), *map(str, export)))
        step("run after the newer export", *landclean("run", str(ws)))
    if not args.no_full:
        step("run --full", *landclean("run", str(ws), "--full"))
    print("\n| step | wall (s) | peak RSS (MiB) |\n|---|---:|---:|")
    for name, result, _ in rows:
        print(f"| {name} | {result['seconds']:.1f} | {result['peak_mib']:,.0f} |")
    print()
    for name, _, seconds in rows:
        if seconds:
            stages = ", ".join(f"{k} {v:.1f}" for k, v in seconds.items() if "." not in k)
            print(f"- {name}: {stages}")


if __name__ == "__main__":
    main()
