"""The topology checks side by side: DuckDB spatial (as the validate stage runs them)
against GEOS through shapely 2's STRtree, on the same parcels, in one process.

Usage: python -m bench.bench_overlap WS [--limit N]

WS is a workspace after ``landclean run``.  Both contenders get the parcels' geometries
as validation sees them (valid ones; invalid ones were repaired by standardization), and
compute the same three things:

1. validity of every geometry (``ST_IsValid`` / ``shapely.is_valid``);
2. the pairs of parcels whose interiors overlap, with the overlap area (a spatial join on
   ``ST_Overlaps`` / ``STRtree.query(predicate="overlaps")``, then the intersections);
3. the holes inside each map sheet's parcels of 1 m² or more (the union per sheet and
   its interior rings).

Loading the geometries into shapely (from WKB) is timed apart.  The pair counts and hole
counts must agree; the ratios are DuckDB's time over GEOS's.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import shapely

from landclean.workspace import open_workspace

OVERLAPS_SQL = (
    "SELECT count(*), sum(area) FROM (SELECT ST_Area(ST_Intersection(a.geom, b.geom)) AS area "
    "FROM bo_geom a JOIN bo_geom b ON ST_Overlaps(a.geom, b.geom))"
)
HOLES_SQL = """
WITH sheets AS (SELECT sheet, ST_Union_Agg(geom) AS g FROM bo_geom WHERE sheet IS NOT NULL
                GROUP BY sheet),
polys AS (SELECT unnest(ST_Dump(g)).geom AS poly FROM sheets),
rings AS (SELECT poly, unnest(generate_series(1, ST_NInteriorRings(poly))) AS k
          FROM polys WHERE ST_NInteriorRings(poly) > 0)
SELECT count(*) FROM rings WHERE ST_Area(ST_MakePolygon(ST_InteriorRingN(poly, k))) >= 1
"""


def _timed(label: str, results: dict[str, float], fn):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    value = fn()
    results[label] = time.perf_counter() - started
    return value


def _holes(geoms: np.ndarray, sheets: np.ndarray) -> int:
    order = np.argsort(sheets, kind="stable")
    _keys, starts = np.unique(sheets[order], return_index=True)
    holes = 0
    for i, start in enumerate(starts):
        end = starts[i + 1] if i + 1 < len(starts) else len(order)
        union = shapely.union_all(geoms[order[start:end]])
        for poly in shapely.get_parts(union):
            for ring in getattr(poly, "interiors", []):
                holes += shapely.Polygon(ring).area >= 1
    return int(holes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    limit = f"LIMIT {int(args.limit)}" if args.limit else ""
    duck: dict[str, float] = {}
    geos: dict[str, float] = {}
    with open_workspace(args.workspace, read_only=True) as ws:
        con = ws.con
        con.execute(
            "CREATE TEMP TABLE bo_geom AS SELECT parcel_id, "
            "old_unit_code || '/' || scale || '/' || sheet_no AS sheet, geom FROM parcel "
            f"WHERE geom IS NOT NULL ORDER BY parcel_id {limit}"
        )
        n = int(con.execute("SELECT count(*) FROM bo_geom").fetchone()[0])  # type: ignore[index]
        valid_d = _timed(
            "validity",
            duck,
            lambda: con.execute("SELECT count(*) FROM bo_geom WHERE ST_IsValid(geom)").fetchone(),
        )
        con.execute("DELETE FROM bo_geom WHERE NOT ST_IsValid(geom)")
        pairs_d = _timed("overlaps", duck, lambda: con.execute(OVERLAPS_SQL).fetchone())
        holes_d = _timed(
            "sheet holes",
            duck,
            lambda: con.execute(HOLES_SQL).fetchone(),
        )
        table = con.execute(
            "SELECT ST_AsWKB(geom) AS wkb, sheet FROM bo_geom ORDER BY parcel_id"
        ).fetch_arrow_table()
        everything = con.execute(
            f"SELECT ST_AsWKB(geom) FROM parcel WHERE geom IS NOT NULL ORDER BY parcel_id {limit}"
        ).fetch_arrow_table()
    started = time.perf_counter()
    all_geoms = shapely.from_wkb(everything.column(0).to_numpy(zero_copy_only=False))
    geoms = shapely.from_wkb(table.column("wkb").to_numpy(zero_copy_only=False))
    sheets = np.array(table.column("sheet").to_pylist(), dtype=object)
    load = time.perf_counter() - started
    valid_g = _timed("validity", geos, lambda: int(shapely.is_valid(all_geoms).sum()))

    def overlaps() -> tuple[int, float]:
        tree = shapely.STRtree(geoms)
        left, right = tree.query(geoms, predicate="overlaps")
        areas = shapely.area(shapely.intersection(geoms[left], geoms[right]))
        return len(left), float(areas.sum())

    pairs_g = _timed("overlaps", geos, overlaps)
    known = np.array([s is not None for s in sheets])
    holes_g = _timed("sheet holes", geos, lambda: _holes(geoms[known], sheets[known].astype(str)))
    print(f"{n:,} parcels; shapely loaded them from WKB in {load:.1f} s\n")
    print("| check | DuckDB spatial (s) | GEOS via shapely STRtree (s) | ratio | results |")
    print("|---|---:|---:|---:|---|")
    agree = {
        "validity": (valid_d[0], valid_g),  # type: ignore[index]
        "overlaps": (pairs_d[0], pairs_g[0]),  # type: ignore[index]
        "sheet holes": (holes_d[0], holes_g),  # type: ignore[index]
    }
    for check, (d, g) in agree.items():
        same = "same" if d == g else "DIFFER"
        print(
            f"| {check} | {duck[check]:.1f} | {geos[check]:.1f} | "
            f"{duck[check] / max(geos[check], 1e-9):.2f} | {d:,} / {g:,} ({same}) |"
        )


if __name__ == "__main__":
    main()
