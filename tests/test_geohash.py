"""GeoHash: known values, and properties against an independent bisection decoder."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from landclean.vn.geohash import BASE32, encode


def _decode_box(code: str) -> tuple[float, float, float, float]:
    """Textbook bisection decoder: (lat_lo, lat_hi, lon_lo, lon_hi)."""
    lat, lon = [-90.0, 90.0], [-180.0, 180.0]
    even = True
    for ch in code:
        bits = BASE32.index(ch)
        for shift in range(4, -1, -1):
            box = lon if even else lat
            mid = (box[0] + box[1]) / 2
            if bits >> shift & 1:
                box[0] = mid
            else:
                box[1] = mid
            even = not even
    return lat[0], lat[1], lon[0], lon[1]


def test_published_values() -> None:
    # Wikipedia's examples (Jutland, and the Spanish one), and a point in Buôn Ma Thuột
    assert encode([57.64911], [10.40744], 11)[0] == "u4pruydqqvj"
    assert encode([42.6], [-5.6], 5)[0] == "ezs42"
    assert encode([12.6667], [108.05], 12)[0].startswith("w6")


LAT = st.floats(-89.999, 89.999, allow_nan=False)
LON = st.floats(-179.999, 179.999, allow_nan=False)


@given(LAT, LON, st.integers(1, 12))
def test_the_cell_holds_the_point(lat: float, lon: float, precision: int) -> None:
    code = encode([lat], [lon], precision)[0]
    assert len(code) == precision and set(code) <= set(BASE32)
    lat_lo, lat_hi, lon_lo, lon_hi = _decode_box(code)
    assert lat_lo <= lat < lat_hi or lat == lat_hi
    assert lon_lo <= lon < lon_hi or lon == lon_hi


@given(LAT, LON, st.integers(1, 11))
def test_shorter_codes_are_prefixes(lat: float, lon: float, precision: int) -> None:
    assert encode([lat], [lon], 12)[0].startswith(encode([lat], [lon], precision)[0])
