"""Renumbering and UIDs on a synthetic province: time and memory of the renumber stage.

Usage: python -m bench.bench_renumber WORKSPACE
WORKSPACE holds an imported province whose canonical tables are built (a first
'landclean run' did it).  Runs 'landclean run WORKSPACE --stages renumber' as its own
process and prints wall time, peak RSS and what the stage produced.
"""

from __future__ import annotations

import sys
from pathlib import Path

from bench.run_bench import landclean, measure
from landclean.workspace import open_workspace


def main() -> None:
    ws_path = Path(sys.argv[1])
    m = measure(*landclean("run", str(ws_path), "--stages", "renumber"))
    with open_workspace(ws_path, read_only=True) as ws:
        con = ws.con
        parcels, uids, placed = con.execute(
            "SELECT count(*), count(uid), count(new_sheet_no) FROM parcel"
        ).fetchone() or (0, 0, 0)
        sheets, renumbered = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE new_sheet_no <> old_sheet_no) "
            "FROM sheet_crosswalk"
        ).fetchone() or (0, 0)
        conserved = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE conserved) FROM renumber_check"
        ).fetchone() or (0, 0)
        collisions = con.execute("SELECT count(DISTINCT uid) FROM uid_collision").fetchone()
        placement = con.execute(
            "SELECT placement, count(*) FROM parcel GROUP BY 1 ORDER BY 2 DESC"
        ).fetchall()
    print(
        "| parcels | wall time (s) | peak RSS (MiB) | with UID | with new sheet | sheets | "
        "renumbered | old communes conserved | UID collisions |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {parcels:,} | {m['seconds']:.1f} | {m['peak_mib']:,.0f} | {uids:,} | {placed:,} | "
        f"{sheets:,} | {renumbered:,} | {conserved[1]}/{conserved[0]} | "
        f"{collisions[0] if collisions else 0} |"
    )
    print("\nPlacement: " + ", ".join(f"{k} {v:,}" for k, v in placement))


if __name__ == "__main__":
    main()
