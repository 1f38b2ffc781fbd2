"""A map layer's coordinate reference system, made the workspace's: VN-2000 / TM-3 108°30′.

Every geometry of a workspace is in EPSG:9218 (VN-2000 / TM-3, central meridian
108°30′, the one of Đắk Lắk and of Phú Yên).  A layer is taken as it declares itself:

- in EPSG:9218, or in a CRS pyproj finds to be that one (a ``.prj`` spelling out
  VN-2000 / TM-3 108°30′ without a code, with or without its TOWGS84): as it is;
- in another CRS pyproj can convert (WGS 84 longitude/latitude, Web Mercator, UTM,
  another TM-3 zone …): converted, batch by batch (``reproject``), and noted among the
  import's warnings;
- in a CRS pyproj cannot convert: refused;
- without a CRS (DGN, DXF, a Shapefile without ``.prj``): taken as EPSG:9218 only when
  its extent lies within the province's (``province_extent``) and noted; refused when
  its coordinates look like longitude/latitude or lie elsewhere.

Coordinates that contradict the declared CRS (degrees in a CRS of metres, or the
reverse) are refused.  Every refusal is one line: file, layer, the extent found and, for
a layer without CRS, the extent expected.
"""

from __future__ import annotations

import logging
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import shapely
from pyproj import CRS, Transformer
from pyproj.exceptions import CRSError, ProjError

from landclean.errors import ImportError_
from landclean.vn.admin_units import old_units

log = logging.getLogger(__name__)

WORKSPACE_CRS = "EPSG:9218"  # VN-2000 / TM-3 108°30′
WORKSPACE_EPSG = 9218
# A layer without CRS is taken as VN-2000 when it lies within the old communes' boxes
# (administrative data) widened by this much: a survey may reach past a border.
PROVINCE_MARGIN_M = 10_000.0

Extent = tuple[float, float, float, float]  # x min, y min, x max, y max


@dataclass
class LayerCrs:
    """What reading a layer does with its coordinates."""

    transformer: Transformer | None = None  # None: already in the workspace's CRS
    warnings: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    source: str = WORKSPACE_CRS  # the CRS the layer declares, as named in messages


@cache
def province_extent() -> Extent:
    """The province in EPSG:9218: the bounding box of its old communes' extents
    (longitude/latitude boxes of the administrative data, their edges densified so
    that the projected box holds them whole), widened by ``PROVINCE_MARGIN_M``."""
    boxes = [u.bbox for u in old_units() if u.bbox is not None]
    lat0 = min(b[0] for b in boxes)
    lon0 = min(b[1] for b in boxes)
    lat1 = max(b[2] for b in boxes)
    lon1 = max(b[3] for b in boxes)
    to_ws = Transformer.from_crs("EPSG:4326", WORKSPACE_CRS, always_xy=True)
    x0, y0, x1, y1 = to_ws.transform_bounds(lon0, lat0, lon1, lat1, densify_pts=51)
    m = PROVINCE_MARGIN_M
    return (x0 - m, y0 - m, x1 + m, y1 + m)


def show_extent(extent: Sequence[float]) -> str:
    """``(x0, y0) – (x1, y1)``, metres to the metre, degrees to 6 decimals."""
    digits = 6 if looks_like_degrees(extent) else 0
    x0, y0, x1, y1 = (f"{v:.{digits}f}" for v in extent)
    return f"({x0}, {y0}) – ({x1}, {y1})"


def looks_like_degrees(extent: Sequence[float]) -> bool:
    x0, y0, x1, y1 = extent
    return -180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90


def _within(extent: Sequence[float], box: Sequence[float]) -> bool:
    return box[0] <= extent[0] <= extent[2] <= box[2] and box[1] <= extent[1] <= extent[3] <= box[3]


def _usable(bounds: Sequence[float] | None) -> Extent | None:
    """The layer's extent, or None when it has no geometry to speak of."""
    if bounds is None or len(bounds) != 4:
        return None
    values = [float(v) for v in bounds]
    if not all(math.isfinite(v) for v in values) or values[0] > values[2]:
        return None
    return (values[0], values[1], values[2], values[3])


def _name(crs: CRS) -> str:
    code = crs.to_authority(min_confidence=90)
    return f"{crs.name} ({':'.join(code)})" if code else crs.name


def is_workspace_crs(crs: CRS) -> bool:
    """The workspace's CRS however spelled: EPSG:9218, or a definition pyproj finds
    equal to it (ignoring axis order and a TOWGS84 clause) or identifies as it."""
    target = CRS.from_epsg(WORKSPACE_EPSG)
    base = crs.source_crs if crs.is_bound and crs.source_crs is not None else crs
    if base.is_compound and base.sub_crs_list:  # a height beside: its horizontal part
        base = base.sub_crs_list[0]
    if crs.equals(target, ignore_axis_order=True) or base.equals(target, ignore_axis_order=True):
        return True
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return base.to_epsg() == WORKSPACE_EPSG


def plan_layer_crs(
    path: Path, layer: str, declared: str | None, bounds: Sequence[float] | None
) -> LayerCrs:
    """How the layer's coordinates become EPSG:9218, or ``ImportError_`` when they
    cannot: ``declared`` is the CRS GDAL read (code or WKT, None without one),
    ``bounds`` the layer's extent in it."""
    extent = _usable(bounds)
    if not declared:
        return _without_crs(path, layer, extent)
    try:
        crs = CRS.from_user_input(declared)
    except CRSError as exc:
        raise ImportError_(
            "map_crs_unusable", path=path, layer=layer, crs=declared[:80], reason=str(exc)[:160]
        ) from exc
    if extent is not None:
        if crs.is_geographic and not looks_like_degrees(extent):
            raise ImportError_(
                "map_crs_not_degrees",
                path=path,
                layer=layer,
                crs=_name(crs),
                found=show_extent(extent),
            )
        if crs.is_projected and looks_like_degrees(extent):
            raise ImportError_(
                "map_crs_degrees", path=path, layer=layer, crs=_name(crs), found=show_extent(extent)
            )
    if is_workspace_crs(crs):
        return LayerCrs()
    transformer = _transformer(path, layer, crs, extent)
    log.info("%s: layer %s in %s, converted to %s", path, layer, _name(crs), WORKSPACE_CRS)
    return LayerCrs(transformer, [("map_reprojected", {"crs": _name(crs)})], _name(crs))


def _transformer(path: Path, layer: str, crs: CRS, extent: Extent | None) -> Transformer:
    """pyproj's conversion of ``crs`` to the workspace's, tried on the layer's extent."""
    try:
        transformer = Transformer.from_crs(crs, WORKSPACE_CRS, always_xy=True)
        if extent is not None:
            x, y = transformer.transform(
                [extent[0], extent[2], (extent[0] + extent[2]) / 2],
                [extent[1], extent[3], (extent[1] + extent[3]) / 2],
                errcheck=True,
            )
            if not np.all(np.isfinite(np.concatenate([np.asarray(x), np.asarray(y)]))):
                raise ProjError("coordinates outside the CRS's area")
    except (CRSError, ProjError) as exc:
        raise ImportError_(
            "map_crs_unusable", path=path, layer=layer, crs=_name(crs), reason=str(exc)[:160]
        ) from exc
    return transformer


def _without_crs(path: Path, layer: str, extent: Extent | None) -> LayerCrs:
    if extent is None:  # no geometry at all: nothing to place
        return LayerCrs()
    expected = province_extent()
    if looks_like_degrees(extent):
        raise ImportError_("map_no_crs_degrees", path=path, layer=layer, found=show_extent(extent))
    if not _within(extent, expected):
        raise ImportError_(
            "map_no_crs_outside",
            path=path,
            layer=layer,
            found=show_extent(extent),
            expected=show_extent(expected),
        )
    log.info("%s: layer %s has no CRS; its extent lies within the province", path, layer)
    return LayerCrs(None, [("map_crs_assumed", {"found": show_extent(extent)})])


def reproject(wkb: pa.Array | pa.ChunkedArray, transformer: Transformer) -> pa.Array:
    """WKB geometries converted with ``transformer`` (x, y; a Z is kept as it is), as
    ISO WKB; empty and missing geometries stay so.  Raises ``ProjError`` or shapely's
    error for coordinates or WKB it cannot convert."""
    geoms = shapely.from_wkb(np.asarray(wkb.to_numpy(zero_copy_only=False), dtype=object))

    def convert(
        x: npt.NDArray[np.float64],
        y: npt.NDArray[np.float64],
        z: npt.NDArray[np.float64] | None = None,
    ) -> tuple[npt.NDArray[np.float64], ...]:
        nx, ny = transformer.transform(x, y, errcheck=True)
        return (nx, ny) if z is None else (nx, ny, z)

    moved = shapely.transform(geoms, convert, include_z=None, interleaved=False)
    return pa.array(shapely.to_wkb(moved, flavor="iso"), pa.binary())
