"""Import speed against DuckDB's own readers on the same files.

Usage: python bench/bench_import.py SOURCE_DIR   (a folder made by 'landclean generate')
For the registry (CSV and Parquet) and one map layer (GeoPackage): DuckDB's read_csv /
read_parquet / ST_Read into a table, then 'landclean import' of the same file into a
fresh workspace (reading, raw table with lineage, change set, canonical rebuild).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from landclean.workspace.spatial import spatial_extension_path

MEASURE = Path(__file__).with_name("run_bench.py")


def duckdb_baseline(sql: str, path: Path) -> tuple[float, int]:
    con = duckdb.connect()
    con.execute(f"LOAD '{spatial_extension_path()}'")
    t = time.perf_counter()
    con.execute(f"CREATE TABLE t AS {sql}", [str(path)])
    seconds = time.perf_counter() - t
    row = con.execute("SELECT count(*) FROM t").fetchone()
    return seconds, int(row[0]) if row else 0


def landclean_import(path: Path, profile: str | None) -> dict[str, float]:
    from bench.run_bench import landclean, measure

    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws.duckdb"
        subprocess.run(landclean("init", str(ws)), check=True, capture_output=True)
        args = ["import", str(ws), str(path)] + (["--profile", profile] if profile else [])
        return measure(*landclean(*args))


def main() -> None:
    root = Path(sys.argv[1])
    gpkg = max((root / "map").glob("*.gpkg"), key=lambda p: p.stat().st_size)
    cases = [
        (
            "CSV (registry)",
            root / "registry" / "population.csv",
            "SELECT * FROM read_csv(?, all_varchar = true)",
            "registry",
        ),
        (
            "Parquet (registry)",
            root / "registry" / "population.parquet",
            "SELECT * FROM read_parquet(?)",
            "registry",
        ),
        (f"GeoPackage ({gpkg.name})", gpkg, "SELECT * FROM ST_Read(?)", None),
    ]
    rows_out = []
    for name, path, sql, profile in cases:
        base_s, rows = duckdb_baseline(sql, path)
        ours = landclean_import(path, profile)
        rows_out.append(
            {
                "case": name,
                "rows": rows,
                "duckdb_s": base_s,
                "landclean_s": ours["seconds"],
                "peak_mib": ours["peak_mib"],
            }
        )
        print(json.dumps(rows_out[-1]), flush=True)
    print(
        "| source | rows | DuckDB alone (s) | landclean import (s) | rows/s | ratio | "
        "peak RSS (MiB) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows_out:
        print(
            f"| {r['case']} | {r['rows']:,} | {r['duckdb_s']:.2f} | {r['landclean_s']:.2f} | "
            f"{r['rows'] / r['landclean_s']:,.0f} | {r['landclean_s'] / r['duckdb_s']:.1f}× | "
            f"{r['peak_mib']:.0f} |"
        )


if __name__ == "__main__":
    main()
