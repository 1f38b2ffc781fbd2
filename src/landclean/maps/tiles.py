"""Vector tiles (Mapbox Vector Tile 2.1) cut by DuckDB from the ``map`` stage's tables.

``tile(con, layer, z, x, y, communes)`` answers one tile of one layer: the rows whose box
meets the tile's (``ST_TileEnvelope``), clipped and encoded by ``ST_AsMVTGeom`` and
``ST_AsMVT``.  ``communes`` narrows it to a commune user's communes.  What a tile may
carry is fixed here, layer by layer: numbers, codes, groups and counts, never a name,
an ID number or a birth date (the tables hold none either).  ``TileCache`` keeps the
tiles served, and drops those the boxes of a later run of the stage meet.
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb

from landclean.workspace.lookups import keys_in

EXTENT = 4096  # tile coordinates per side
BUFFER = 64  # and this many around it, so that outlines are not cut at the edges
MAX_ZOOM = 22
HALF_WORLD = 20037508.342789244  # Web Mercator's half width, in metres


@dataclass(frozen=True)
class Layer:
    """One layer of the map: its table, the zooms it is cut at and what a feature says."""

    name: str
    table: str
    min_zoom: int
    max_zoom: int
    properties: tuple[str, ...]  # columns of the table a feature carries
    aggregate: bool = False  # figures of whole communes: what a leader may see


PARCEL_PROPERTIES = (
    "parcel_id", "unit_code", "old_unit_code", "sheet_no", "new_sheet_no", "parcel_no",
    "scale", "uid", "placement", "grp", "open_findings", "authenticated",
)  # fmt: skip

LAYERS: dict[str, Layer] = {
    layer.name: layer
    for layer in (
        Layer(
            "parcels",
            "map_parcel",
            15,
            MAX_ZOOM,
            PARCEL_PROPERTIES,
        ),
        Layer(
            "problems",
            "map_problem",
            12,
            MAX_ZOOM,
            ("rule_id", "record_type", "record_id", "parcel_id", "unit_code", "severity"),
        ),
        Layer(
            "sheets",
            "map_sheet_outline",
            12,
            MAX_ZOOM,
            ("old_unit_code", "sheet_no", "scale", "unit_code", "new_sheet_no", "parcels"),
        ),
        Layer(
            "communes",
            "map_commune",
            0,
            MAX_ZOOM,
            ("unit_code", "name", "parcels", "usable", "open_findings", "share_usable"),
            aggregate=True,
        ),
    )
}


def tile_bounds(z: int, x: int, y: int) -> tuple[float, float, float, float]:
    """The tile's box in Web Mercator (x min, y min, x max, y max)."""
    size = 2 * HALF_WORLD / (1 << z)
    return (
        -HALF_WORLD + x * size,
        HALF_WORLD - (y + 1) * size,
        -HALF_WORLD + (x + 1) * size,
        HALF_WORLD - y * size,
    )


def tile_of(mx: float, my: float, z: int) -> tuple[int, int]:
    """The tile at zoom ``z`` holding the Web Mercator point (``mx``, ``my``)."""
    n = 1 << z
    x = int((mx + HALF_WORLD) / (2 * HALF_WORLD) * n)
    y = int((HALF_WORLD - my) / (2 * HALF_WORLD) * n)
    return min(max(x, 0), n - 1), min(max(y, 0), n - 1)


def lon_lat(mx: float, my: float) -> tuple[float, float]:
    """Web Mercator metres to WGS 84 degrees."""
    lon = mx / HALF_WORLD * 180.0
    lat = math.degrees(2 * math.atan(math.exp(my / 6378137.0)) - math.pi / 2)
    return lon, lat


def _with_margin(box: tuple[float, float, float, float]) -> tuple[float, float, float, float]:
    """The box a tile reads: its own and the buffer around it."""
    margin = (box[2] - box[0]) * BUFFER / EXTENT
    return box[0] - margin, box[1] - margin, box[2] + margin, box[3] + margin


def valid_tile(z: int, x: int, y: int) -> bool:
    return 0 <= z <= MAX_ZOOM and 0 <= x < (1 << z) and 0 <= y < (1 << z)


def tile(
    con: duckdb.DuckDBPyConnection,
    layer: Layer,
    z: int,
    x: int,
    y: int,
    communes: Sequence[str] | None = None,
) -> bytes:
    """One tile of ``layer`` (empty outside the layer's zooms); ``communes``: only the
    rows of those new communes (None: all).  A shape that snapping to the tile's grid
    makes invalid, which GEOS then cannot clip, is sent unclipped (the map clips it), or
    left out when even that fails, as is a shape smaller than the tile's grid."""
    if not layer.min_zoom <= z <= layer.max_zoom or not valid_tile(z, x, y):
        return b""
    minx, miny, maxx, maxy = _with_margin(tile_bounds(z, x, y))
    scope = "" if communes is None else f"AND {keys_in('unit_code', list(communes))}"
    properties = ", ".join(f"'{p}': {p}" for p in layer.properties)
    shape = (
        f"ST_AsMVTGeom(geom, ST_Extent(ST_TileEnvelope($z, $x, $y)), {EXTENT}, {BUFFER}, {{clip}})"
    )
    row = con.execute(
        f"""
        WITH cut AS (
            SELECT COALESCE(TRY({shape.format(clip="true")}), TRY({shape.format(clip="false")}))
                   AS geom, {", ".join(layer.properties)}
            FROM {layer.table}
            WHERE maxx >= $minx AND minx <= $maxx AND maxy >= $miny AND miny <= $maxy {scope}
        )
        SELECT ST_AsMVT({{'geom': geom, {properties}}}, '{layer.name}', {EXTENT}, 'geom')
        FROM cut WHERE geom IS NOT NULL AND NOT ST_IsEmpty(geom)
        """,
        {
            "z": z,
            "x": x,
            "y": y,
            "minx": minx,
            "maxx": maxx,
            "miny": miny,
            "maxy": maxy,
        },
    ).fetchone()
    return bytes(row[0]) if row and row[0] is not None else b""


Key = tuple[str, int, int, int, tuple[str, ...] | None]


class TileCache:
    """Tiles served, by layer, tile and scope, up to ``budget`` bytes (least recently
    used first out); ``refresh`` drops those a later run of the map stage changed."""

    def __init__(self, budget: int = 256 * 1024 * 1024) -> None:
        self.budget = budget
        self.size = 0
        self.seen = -1  # the last run of the map stage taken into account
        self._tiles: OrderedDict[Key, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Key) -> bytes | None:
        with self._lock:
            found = self._tiles.get(key)
            if found is not None:
                self._tiles.move_to_end(key)
            return found

    def put(self, key: Key, data: bytes, seen: int) -> None:
        """Keep a tile cut when the stage's last run was ``seen`` (a tile cut before a
        run the cache has taken in since may hold what that run changed: not kept)."""
        with self._lock:
            if seen != self.seen:
                return
            old = self._tiles.pop(key, None)
            self.size += len(data) - (len(old) if old is not None else 0)
            self._tiles[key] = data
            while self.size > self.budget and self._tiles:
                _, dropped = self._tiles.popitem(last=False)
                self.size -= len(dropped)

    def refresh(self, con: duckdb.DuckDBPyConnection) -> int:
        """Drop the tiles the boxes of runs after ``seen`` meet; returns how many."""
        rows = con.execute(
            "SELECT run_id, layer, minx, miny, maxx, maxy FROM map_change WHERE run_id > ?",
            [self.seen],
        ).fetchall()
        if not rows:
            return 0
        with self._lock:
            before = len(self._tiles)
            for key in list(self._tiles):
                layer, z, x, y, _ = key
                box = _with_margin(tile_bounds(z, x, y))
                for _, changed, *bounds in rows:
                    if changed != layer:
                        continue
                    if bounds[0] is None or (
                        bounds[2] >= box[0]
                        and bounds[0] <= box[2]
                        and bounds[3] >= box[1]
                        and bounds[1] <= box[3]
                    ):
                        self.size -= len(self._tiles.pop(key))
                        break
            self.seen = max(int(r[0]) for r in rows)
            return before - len(self._tiles)
