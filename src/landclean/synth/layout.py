"""Where the parcels are: allocation to old communes, sheet series, sheets, footprints."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from landclean.synth.geometry import SHEET_GRID, SheetPlan, place_footprints, to_projected
from landclean.vn.admin_units import OldUnit

# Sheet series per kind of old commune: each option is a list of (scale, share).
SERIES_OPTIONS: dict[str, list[list[tuple[int, float]]]] = {
    "Phường": [[(500, 0.8), (2000, 0.2)], [(500, 1.0)], [(500, 0.6), (1000, 0.4)]],
    "Thị trấn": [[(1000, 0.7), (5000, 0.3)], [(500, 0.5), (2000, 0.5)]],
    "Xã": [
        [(1000, 0.3), (5000, 0.7)],
        [(2000, 1.0)],
        [(2000, 0.8), (10000, 0.2)],
        [(1000, 0.4), (2000, 0.6)],
    ],
}
URBAN_DENSITY = {"Phường": 3.0, "Thị trấn": 2.0, "Xã": 1.0}


def allocate(total: int, weights: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """Split ``total`` proportionally to ``weights`` (largest remainder; exact sum)."""
    share = weights / weights.sum() * total
    base = np.floor(share).astype(np.int64)
    rest = total - int(base.sum())
    order = np.argsort(-(share - base), kind="stable")
    base[order[:rest]] += 1
    return base


def commune_weights(olds: list[OldUnit], active: npt.NDArray[np.bool_]) -> npt.NDArray[np.float64]:
    """Area (from the unit's extent) times an urban density factor; 0 where no land DB."""
    w = np.zeros(len(olds))
    for i, u in enumerate(olds):
        if u.bbox is None:
            area = 20.0
        else:
            lat0, lon0, lat1, lon1 = u.bbox
            area = (lat1 - lat0) * 111.0 * (lon1 - lon0) * 111.0 * np.cos(np.radians(u.lat))
        w[i] = max(area, 2.0) * URBAN_DENSITY.get(u.unit_type, 1.0)
    return np.where(active, w, 0.0)


@dataclass
class Layout:
    sheets: SheetPlan
    # per parcel
    sheet_of_parcel: npt.NDArray[np.int64]
    cell_of_parcel: npt.NDArray[np.int64]
    parcel_no: npt.NDArray[np.int64]


def plan_sheets(
    rng: np.random.Generator,
    olds: list[OldUnit],
    counts: npt.NDArray[np.int64],
    centres: dict[str, tuple[float, float]] | None = None,
) -> Layout:
    """Sheets per old commune and series, placed around the commune's centre.

    ``centres`` overrides the (lat, lon) centre of some communes: a split commune is
    centred between its new communes, so that location really divides it.
    """
    rows: list[tuple[int, int, int, float, float, int]] = []  # commune, scale, no, dx, dy, n
    width = np.zeros(len(olds))
    height = np.zeros(len(olds))
    for ci, unit in enumerate(olds):
        n = int(counts[ci])
        if n == 0:
            continue
        options = SERIES_OPTIONS.get(unit.unit_type, SERIES_OPTIONS["Xã"])
        series = options[int(rng.integers(len(options)))]
        parts = allocate(n, np.array([s for _, s in series]))
        band_y = 0.0
        for (scale, _), m in zip(series, parts, strict=True):
            if m == 0:
                continue
            side, grid = SHEET_GRID[scale]
            per_sheet = grid * grid
            n_sheets = -(-int(m) // per_sheet)
            cols = int(np.ceil(np.sqrt(n_sheets)))
            for s in range(n_sheets):
                k = min(per_sheet, int(m) - s * per_sheet)
                rows.append((ci, scale, s + 1, (s % cols) * side, band_y + (s // cols) * side, k))
            width[ci] = max(width[ci], cols * side)
            band_y += -(-n_sheets // cols) * side
        height[ci] = band_y
    centres = centres or {}
    lat = np.array([centres.get(u.code, (u.lat, u.lon))[0] for u in olds])
    lon = np.array([centres.get(u.code, (u.lat, u.lon))[1] for u in olds])
    cx, cy = to_projected(lat, lon)
    order = np.argsort(-(width * height), kind="stable")
    order = order[(width * height)[order] > 0]
    fx, fy = place_footprints(cx, cy, width, height, order)
    arr = np.array(rows, dtype=float)
    commune = arr[:, 0].astype(np.int64)
    plan = SheetPlan(
        commune=commune,
        scale=arr[:, 1].astype(np.int64),
        sheet_no=arr[:, 2].astype(np.int64),
        x0=fx[commune] + arr[:, 3],
        y0=fy[commune] + arr[:, 4],
        n_parcels=arr[:, 5].astype(np.int64),
    )
    sheet_of_parcel = np.repeat(np.arange(len(rows)), plan.n_parcels)
    starts = np.cumsum(plan.n_parcels) - plan.n_parcels
    cell = np.arange(len(sheet_of_parcel)) - starts[sheet_of_parcel]
    return Layout(plan, sheet_of_parcel, cell, cell + 1)
