"""GeoHash (base-32, interleaved longitude/latitude bits), vectorized with numpy.

The parcel unique identifier (mã định danh thửa đất) is the 12-character GeoHash of a
representative interior point of the parcel in WGS84.  Registered in DuckDB as the
Arrow function ``lc_geohash(lat, lon)`` (see ``register``).
"""

from __future__ import annotations

import duckdb
import duckdb.func as func
import numpy as np
import numpy.typing as npt
import pyarrow as pa

BASE32 = "0123456789bcdefghjkmnpqrstuvwxyz"
_ALPHABET = np.frombuffer(BASE32.encode(), dtype=np.uint8)


def _spread(v: npt.NDArray[np.uint64]) -> npt.NDArray[np.uint64]:
    """Put the 32 low bits of v on the even bit positions (Morton code)."""
    v = v & np.uint64(0xFFFFFFFF)
    for shift, mask in (
        (16, 0x0000FFFF0000FFFF),
        (8, 0x00FF00FF00FF00FF),
        (4, 0x0F0F0F0F0F0F0F0F),
        (2, 0x3333333333333333),
        (1, 0x5555555555555555),
    ):
        v = (v | (v << np.uint64(shift))) & np.uint64(mask)
    return v


def _bisect(x: npt.NDArray[np.float64], lo: float, hi: float, bits: int) -> npt.NDArray[np.uint64]:
    """The cell index of x after ``bits`` halvings of [lo, hi], as the reference
    implementations compute it (compare with the midpoint; no rounding of a division)."""
    low = np.full(x.shape, lo)
    high = np.full(x.shape, hi)
    index = np.zeros(x.shape, dtype=np.uint64)
    for _ in range(bits):
        mid = (low + high) / 2
        upper = x >= mid
        index = (index << np.uint64(1)) | upper.astype(np.uint64)
        low = np.where(upper, mid, low)
        high = np.where(upper, high, mid)
    return index


def encode(lat: npt.ArrayLike, lon: npt.ArrayLike, precision: int = 12) -> npt.NDArray[np.str_]:
    """GeoHash strings of the points (precision ≤ 12 characters)."""
    if not 1 <= precision <= 12:
        raise ValueError("precision must be 1..12")
    la = np.asarray(lat, dtype=np.float64)
    lo = np.asarray(lon, dtype=np.float64)
    bits = 5 * precision
    lon_bits, lat_bits = (bits + 1) // 2, bits // 2
    qlon_u, qlat_u = _bisect(lo, -180.0, 180.0, lon_bits), _bisect(la, -90.0, 90.0, lat_bits)
    # longitude takes the first (most significant) bit of every pair
    if lon_bits == lat_bits:
        code = (_spread(qlon_u) << np.uint64(1)) | _spread(qlat_u)
    else:  # odd number of bits: one more longitude bit
        code = (_spread(qlon_u) << np.uint64(0)) | (_spread(qlat_u) << np.uint64(1))
    chars = np.empty((la.size, precision), dtype=np.uint8)
    for i in range(precision):
        shift = np.uint64(bits - 5 * (i + 1))
        chars[:, i] = _ALPHABET[((code >> shift) & np.uint64(31)).astype(np.intp)]
    return chars.view(f"S{precision}").ravel().astype(str)


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Make ``lc_geohash(lat DOUBLE, lon DOUBLE) -> VARCHAR`` (12 characters) available."""

    def geohash(lat: pa.Array, lon: pa.Array) -> pa.Array:
        valid = np.asarray(lat.is_valid()) & np.asarray(lon.is_valid())
        la = np.asarray(lat.fill_null(0.0), dtype=np.float64)
        lo = np.asarray(lon.fill_null(0.0), dtype=np.float64)
        return pa.array(encode(la, lo), pa.string(), mask=~valid)

    con.create_function(
        "lc_geohash",
        geohash,
        [duckdb.sqltype("DOUBLE"), duckdb.sqltype("DOUBLE")],
        duckdb.sqltype("VARCHAR"),
        type=func.PythonUDFType.ARROW,
        null_handling=func.FunctionNullHandling.SPECIAL,
    )
