"""Exchange packages at province scale (issue 21), each command its own process.

Usage: python -m bench.bench_exchange --from WS --work DIR [--changes 10000] [--groups 1,2,3]
       [--no-import]

On a copy of ``WS`` (a workspace already run):

1. ``exchange export`` of the whole province (every new commune, the groups given);
2. ``exchange check`` of the largest package: checksums, and its GML validated against
   its XSD by lxml;
3. (unless ``--no-import``) that package read back into a new workspace;
4. ``--changes`` corrections spread over the province (legal areas of that many parcels,
   recorded as ``apply`` records them), ``run`` (timed apart), then ``exchange export
   --since last``: the packages of changes, checked the same way.

Prints a Markdown table: wall seconds and peak RSS (MiB) of each process, and the
packages' figures.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from bench.run_bench import landclean, measure
from landclean.corrections import Correction, record_corrections
from landclean.workspace import open_workspace

BY = "bench"


def _areas(ws_path: Path, n: int) -> list[Correction]:
    """``n`` parcels spread over every commune (every k-th by code), each legal area
    changed by 1.5 m²."""
    with open_workspace(ws_path, read_only=True) as ws:
        total = int(ws.scalar("SELECT count(*) FROM parcel WHERE legal_area IS NOT NULL"))
        rows = ws.con.execute(
            "SELECT parcel_id, legal_area + 1.5 FROM (SELECT parcel_id, legal_area, "
            "row_number() OVER (ORDER BY parcel_id) AS i FROM parcel "
            "WHERE legal_area IS NOT NULL) WHERE i % ? = 0 LIMIT ?",
            [max(total // n, 1), n],
        ).fetchall()
    return [Correction("parcel", str(p), "legal_area", f"{v:.2f}", BY) for p, v in rows]


def _figures(folder: Path) -> dict[str, int]:
    """Objects, added, changed, retired and bytes over the packages in ``folder``."""
    out = {"packages": 0, "objects": 0, "added": 0, "changed": 0, "retired": 0, "gml_mb": 0}
    for manifest in folder.glob("*/manifest.json"):
        data = json.loads(manifest.read_text(encoding="utf-8"))
        out["packages"] += 1
        for counts in data["counts"].values():
            for k in ("objects", "added", "changed", "retired"):
                out[k] += int(counts.get(k, 0))
        out["gml_mb"] += sum(f.stat().st_size for f in manifest.parent.glob("*.gml")) >> 20
    return out


def _largest(folder: Path) -> Path:
    return max(
        (p.parent for p in folder.glob("*/manifest.json")),
        key=lambda d: sum(f.stat().st_size for f in d.glob("*.gml")),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--from", dest="source_ws", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--groups", default="1,2,3")
    parser.add_argument(
        "--no-import", action="store_true", help="leave out reading the largest package back"
    )
    args = parser.parse_args()
    work: Path = args.work
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ws = work / "province.duckdb"
    shutil.copyfile(args.source_ws, ws)
    rows: list[tuple[str, dict[str, float], dict[str, int]]] = []

    def step(name: str, *command: str, out: Path | None = None) -> None:
        result = measure(*command)
        figures = _figures(out) if out else {}
        rows.append((name, result, figures))
        print(name, json.dumps(result), json.dumps(figures), flush=True)

    full, delta = work / "full", work / "delta"
    step(
        "export, whole province", *landclean(
            "exchange", "export", str(ws), "--out", str(full), "--groups", args.groups
        ), out=full,
    )  # fmt: skip
    largest = _largest(full)
    step(
        f"check the largest package ({largest.name})", *landclean("exchange", "check", str(largest))
    )
    if not args.no_import:
        fresh = work / "received.duckdb"
        step("init a new workspace", *landclean("init", str(fresh)))
        step(
            "exchange import of that package into it (--no-build)",
            *landclean("exchange", "import", str(fresh), str(largest), "--no-build"),
        )
    corrections = _areas(ws, args.changes)
    with open_workspace(ws) as w, w.transaction() as con:
        errors = record_corrections(con, corrections, set())
    print(f"{len(corrections)} corrections recorded, {len(errors)} refused", flush=True)
    step(f"run after {len(corrections)} corrections", *landclean("run", str(ws)))
    step(
        f"export --since last ({len(corrections)} parcels changed)", *landclean(
            "exchange", "export", str(ws), "--out", str(delta), "--groups", args.groups,
            "--since", "last",
        ), out=delta,
    )  # fmt: skip
    step(
        "check every package of changes",
        *landclean("exchange", "check", *(str(p.parent) for p in delta.glob("*/manifest.json"))),
    )
    print(
        "\n| step | wall (s) | peak RSS (MiB) | packages | objects | added | changed | retired "
        "| GML (MiB) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for name, result, f in rows:
        cells = [
            str(f.get(k, ""))
            for k in ("packages", "objects", "added", "changed", "retired", "gml_mb")
        ]
        print(
            f"| {name} | {result['seconds']:.1f} | {result['peak_mib']:.0f} | "
            + " | ".join(cells)
            + " |"
        )


if __name__ == "__main__":
    main()
