"""Import speed against DuckDB's own readers on the same files.

Usage: python -m bench.bench_import SOURCE_DIR   (a folder made by 'landclean generate')
For the registry (CSV and Parquet) and one map layer (GeoPackage): DuckDB's read_csv /
read_parquet / ST_Read into a table, in memory and into a database file (what storing the
rows takes at least) and as a new process (start-up and loading the extension included,
like our command), then 'landclean import' of the same file into a fresh workspace
(start-up, hashing, reading, raw table with lineage, quarantine, change set), and
'landclean import --build' (the same plus the canonical rebuild that 'run' does otherwise).
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


def duckdb_baseline(sql: str, path: Path, database: str = ":memory:") -> tuple[float, int]:
    con = duckdb.connect(database)
    con.execute(f"LOAD '{spatial_extension_path()}'")
    t = time.perf_counter()
    con.execute(f"CREATE TABLE t AS {sql}", [str(path)])
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - t
    row = con.execute("SELECT count(*) FROM t").fetchone()
    con.close()
    return seconds, int(row[0]) if row else 0


def duckdb_file_baseline(sql: str, path: Path) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        return duckdb_baseline(sql, path, str(Path(tmp) / "t.duckdb"))[0]


PROCESS = (
    "import sys, duckdb\n"
    "from landclean.workspace.spatial import spatial_extension_path\n"
    "con = duckdb.connect(sys.argv[1])\n"
    "con.execute(f\"LOAD '{spatial_extension_path()}'\")\n"
    "con.execute(f'CREATE TABLE t AS {sys.argv[2]}', [sys.argv[3]])\n"
    "con.execute('CHECKPOINT')\n"
)


def duckdb_process_baseline(sql: str, path: Path) -> float:
    """DuckDB's reader end to end like our command: a new process, a database file."""
    from bench.run_bench import measure

    with tempfile.TemporaryDirectory() as tmp:
        db = str(Path(tmp) / "t.duckdb")
        return measure(sys.executable, "-c", PROCESS, db, sql, str(path))["seconds"]


def landclean_import(path: Path, profile: str | None, *extra: str) -> dict[str, float]:
    from bench.run_bench import landclean, measure

    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp) / "ws.duckdb"
        subprocess.run(landclean("init", str(ws)), check=True, capture_output=True)
        args = ["import", str(ws), str(path), *extra]
        return measure(*landclean(*args, *(["--profile", profile] if profile else [])))


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
        file_s = duckdb_file_baseline(sql, path)
        process_s = duckdb_process_baseline(sql, path)
        ours = landclean_import(path, profile)
        built = landclean_import(path, profile, "--build")
        rows_out.append(
            {
                "case": name,
                "rows": rows,
                "duckdb_s": base_s,
                "duckdb_file_s": file_s,
                "duckdb_process_s": process_s,
                "landclean_s": ours["seconds"],
                "peak_mib": ours["peak_mib"],
                "build_s": built["seconds"],
            }
        )
        print(json.dumps(rows_out[-1]), flush=True)
    print(
        "| source | rows | DuckDB in memory (s) | DuckDB into a file (s) | DuckDB process "
        "into a file (s) | landclean import (s) | rows/s | ratio to process | ratio to file "
        "| ratio to memory | peak RSS (MiB) | import --build (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows_out:
        print(
            f"| {r['case']} | {r['rows']:,} | {r['duckdb_s']:.2f} | {r['duckdb_file_s']:.2f} | "
            f"{r['duckdb_process_s']:.2f} | "
            f"{r['landclean_s']:.2f} | {r['rows'] / r['landclean_s']:,.0f} | "
            f"{r['landclean_s'] / r['duckdb_process_s']:.1f}× | "
            f"{r['landclean_s'] / r['duckdb_file_s']:.1f}× | "
            f"{r['landclean_s'] / r['duckdb_s']:.1f}× | {r['peak_mib']:.0f} | "
            f"{r['build_s']:.2f} |"
        )


if __name__ == "__main__":
    main()
