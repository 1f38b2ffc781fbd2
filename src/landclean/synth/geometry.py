"""Map sheets and parcel polygons: per old commune, tessellated sheets in EPSG:9218.

Each sheet is a square tile whose ground size follows its scale; inside it a lattice of
vertices is jittered by a hash of (sheet, vertex), so that neighbouring parcels share
their edges exactly and the whole sheet is a coverage (no gaps, no overlaps).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import shapely
from pyproj import Transformer

# scale -> (sheet side on the ground in metres, parcels per sheet side)
SHEET_GRID: dict[int, tuple[float, int]] = {
    500: (250.0, 10),
    1000: (500.0, 12),
    2000: (1000.0, 14),
    5000: (2500.0, 10),
    10000: (5000.0, 8),
}
JITTER = 0.28  # share of a cell a lattice vertex may move
CRS = "EPSG:9218"  # VN-2000 / TM-3 108°30'


@dataclass
class SheetPlan:
    """Sheets of all old communes, one row per sheet (parallel arrays)."""

    commune: npt.NDArray[np.int64]  # index into the old-commune list
    scale: npt.NDArray[np.int64]
    sheet_no: npt.NDArray[np.int64]
    x0: npt.NDArray[np.float64]  # lower-left corner
    y0: npt.NDArray[np.float64]
    n_parcels: npt.NDArray[np.int64]


def to_projected(
    lat: npt.NDArray[np.float64], lon: npt.NDArray[np.float64]
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """WGS84 lat/lon -> EPSG:9218 easting/northing."""
    tr = Transformer.from_crs("EPSG:4326", CRS, always_xy=True)
    x, y = tr.transform(lon, lat)
    return np.asarray(x), np.asarray(y)


def _hash_uniform(
    a: npt.NDArray[np.int64], b: npt.NDArray[np.int64], c: npt.NDArray[np.int64], seed: int
) -> npt.NDArray[np.float64]:
    """Deterministic uniform [0, 1) noise from integer keys (splitmix64)."""
    with np.errstate(over="ignore"):
        z = (
            a.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
            ^ b.astype(np.uint64) * np.uint64(0xBF58476D1CE4E5B9)
            ^ c.astype(np.uint64) * np.uint64(0x94D049BB133111EB)
            ^ np.uint64(seed)
        )
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) / float(1 << 53)


def parcel_quads(
    plan: SheetPlan,
    sheet_of_parcel: npt.NDArray[np.int64],
    cell_of_parcel: npt.NDArray[np.int64],
    seed: int,
) -> npt.NDArray[np.float64]:
    """Corner coordinates (n, 4, 2) of each parcel, counter-clockwise from lower-left."""
    scale = plan.scale[sheet_of_parcel]
    side = np.array([SHEET_GRID[int(s)][0] for s in plan.scale])[sheet_of_parcel]
    grid = np.array([SHEET_GRID[int(s)][1] for s in plan.scale])[sheet_of_parcel]
    cell = side / grid
    ci = cell_of_parcel % grid  # column
    cj = cell_of_parcel // grid  # row
    corners = np.empty((len(scale), 4, 2))
    for k, (di, dj) in enumerate(((0, 0), (1, 0), (1, 1), (0, 1))):
        vi, vj = ci + di, cj + dj
        interior = (vi > 0) & (vi < grid) & (vj > 0) & (vj < grid)
        sheet_key = sheet_of_parcel.astype(np.int64)
        jx = (_hash_uniform(sheet_key, vi, vj, seed) - 0.5) * 2 * JITTER
        jy = (_hash_uniform(sheet_key, vi, vj, seed + 1) - 0.5) * 2 * JITTER
        corners[:, k, 0] = plan.x0[sheet_of_parcel] + (vi + np.where(interior, jx, 0.0)) * cell
        corners[:, k, 1] = plan.y0[sheet_of_parcel] + (vj + np.where(interior, jy, 0.0)) * cell
    return corners


def quads_to_polygons(corners: npt.NDArray[np.float64]) -> npt.NDArray[np.object_]:
    """Closed shapely polygons from (n, 4, 2) corners (vertex order is kept as given)."""
    ring = np.concatenate([corners, corners[:, :1, :]], axis=1)
    return shapely.polygons(ring)


def place_footprints(
    cx: npt.NDArray[np.float64],
    cy: npt.NDArray[np.float64],
    width: npt.NDArray[np.float64],
    height: npt.NDArray[np.float64],
    order: npt.NDArray[np.int64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """Lower-left corners for commune footprints near their real centres, never overlapping.

    Communes are placed in ``order``; a footprint that would overlap one already placed
    moves outward along a spiral until it is free (a few hundred rectangles: cheap).
    """
    placed: list[tuple[float, float, float, float]] = []
    x0 = np.zeros(len(cx))
    y0 = np.zeros(len(cx))
    golden = np.pi * (3 - np.sqrt(5))
    for i in order:
        w, h = float(width[i]), float(height[i])
        step = max(w, h) * 0.25 + 50.0
        for k in range(100_000):
            r = step * np.sqrt(k)
            x = float(cx[i]) - w / 2 + r * np.cos(k * golden)
            y = float(cy[i]) - h / 2 + r * np.sin(k * golden)
            if all(
                x + w + 20 < a or b + 20 < x or y + h + 20 < c or d + 20 < y
                for a, c, b, d in placed
            ):
                break
        placed.append((x, y, x + w, y + h))
        x0[i], y0[i] = x, y
    return x0, y0


def sheet_gaps(
    old_code: npt.NDArray[np.str_],
    scale: npt.NDArray[np.int64],
    sheet_no: npt.NDArray[np.int64],
    geometry: npt.NDArray[np.object_],
    on_sheet: npt.NDArray[np.bool_],
    disturbed: npt.NDArray[np.bool_],
) -> list[str]:
    """Truth for gaps: the sheets ('old/scale/sheet') whose parcels leave a hole of 1 m² or
    more.  A sheet's parcels tile it exactly (shared corners), so only sheets with a
    disturbed parcel (missing, moved, shrunk, twisted, or without its sheet number) can
    have one; those are unioned with GEOS (``on_sheet``: the parcels the map shows there)."""
    keys = np.char.add(
        np.char.add(np.char.add(old_code.astype(str), "/"), np.char.add(scale.astype(str), "/")),
        sheet_no.astype(str),
    )
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    starts = np.flatnonzero(np.r_[True, sorted_keys[1:] != sorted_keys[:-1]])
    ends = np.r_[starts[1:], len(order)]
    found = []
    for start, end in zip(starts, ends, strict=True):
        members = order[start:end]
        if not disturbed[members].any():
            continue
        shown = members[on_sheet[members]]
        union = shapely.union_all(shapely.make_valid(geometry[shown]))
        holes = [
            shapely.area(shapely.polygons(shapely.get_interior_ring(p, i)))
            for p in shapely.get_parts(union)
            for i in range(shapely.get_num_interior_rings(p))
        ]
        if any(a >= 1.0 for a in holes):
            found.append(str(sorted_keys[start]))
    return sorted(found)
