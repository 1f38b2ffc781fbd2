"""Import of one province in two layouts: the campaign's field form (one row per parcel,
parcel and owner codes) and a land-system export with one row per land user and keys
composed from old commune + scale + sheet + parcel (map layers without parcel codes).

Usage: python -m bench.bench_layouts PARCELS WORKDIR
Generates both layouts into WORKDIR (unless there already) with the same seed, then
times 'landclean import' (a fresh process and workspace each) and the first build
('landclean run --stages build', which renumbers too), and prints the rows read, the
records, the merged rows, the land users and rights built, and the ratio of the
export's import time to the form's.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from bench.run_bench import landclean, measure
from landclean.workspace import open_workspace

LAYOUTS = ("field_form", "owner_rows")


def main() -> None:
    parcels, work = int(sys.argv[1]), Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    results = {}
    for layout in LAYOUTS:
        source = work / f"{layout}_{parcels}"
        if not source.exists():
            subprocess.run(
                landclean(
                    "generate", "--parcels", str(parcels), "--out", str(source), "--layout", layout
                ),
                check=True,
                capture_output=True,
            )
        ws = work / f"{layout}_{parcels}.duckdb"
        ws.unlink(missing_ok=True)
        subprocess.run(landclean("init", str(ws)), check=True, capture_output=True)
        imported = measure(*landclean("import", str(ws), str(source)))
        built = measure(*landclean("run", str(ws), "--stages", "build"))
        with open_workspace(ws, read_only=True) as w:
            row = w.con.execute(
                "SELECT sum(rows_read), sum(records), sum(rows_merged), sum(rows_quarantined), "
                "(SELECT count(*) FROM party), (SELECT count(*) FROM land_right) "
                "FROM import_batch b WHERE EXISTS "
                "(SELECT 1 FROM raw_parcel_record r WHERE r.batch_id = b.batch_id)"
            ).fetchone()
        assert row is not None
        results[layout] = (imported, built, row)
    print(
        "| layout | parcel rows | records | rows merged | quarantined | land users | "
        "rights | import (s) | import peak RSS (MiB) | build + renumber (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for layout, (imported, built, row) in results.items():
        counts = " | ".join(f"{int(v or 0):,}" for v in row)
        print(
            f"| {layout} | {counts} | {imported['seconds']:.1f} | "
            f"{imported['peak_mib']:,.0f} | {built['seconds']:.1f} |"
        )
    form, export = results["field_form"][0], results["owner_rows"][0]
    print(f"\nimport (whole province), export / form: {export['seconds'] / form['seconds']:.2f}×")


if __name__ == "__main__":
    main()
