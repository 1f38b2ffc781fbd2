"""Real administrative units of the new Đắk Lắk and the 2025 old→new conversion.

Sources (both PyPI packages, read as data):
- ``vietnam-provinces``: the official 2-level units and codes after 1 Jul 2025;
- ``vietnamadminunits``: the old 3-level units (with coordinates and extents) and the
  conversion of old communes to new ones, including split communes and their default.
Their dirt is cleaned here (double spaces, typographic apostrophes), and where the two
packages disagree on a code, the official ``vietnam-provinces`` code wins.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from functools import cache
from importlib import util
from pathlib import Path

from vietnam_provinces import Ward

from landclean.vn.text import clean_label, compact_key

PROVINCE_CODE = "66"
PROVINCE_NAME = "Đắk Lắk"
PROVINCE_KEY = "tinhdaklak"
# Old provinces merged into the new Đắk Lắk, and the campaign's region names.
OLD_PROVINCES = {"66": "west", "54": "east"}


UNIT_TYPES = ("Thành phố", "Thị trấn", "Thị xã", "Đặc khu", "Huyện", "Quận", "Phường", "Tỉnh", "Xã")


def clean_unit_name(name: str) -> str:
    """A unit name as stored: clean label, and the unit type spelled one way
    ("Thị Xã Buôn Hồ" -> "Thị xã Buôn Hồ")."""
    label = clean_label(name)
    for unit_type in UNIT_TYPES:
        if label.lower() == unit_type.lower() or label.lower().startswith(unit_type.lower() + " "):
            return unit_type + label[len(unit_type) :]
    return label


@dataclass(frozen=True)
class NewUnit:
    code: str
    name: str
    name_raw: str
    unit_type: str
    lat: float
    lon: float
    area_km2: float


@dataclass(frozen=True)
class OldUnit:
    code: str
    name: str
    unit_type: str
    district_code: str
    district_name: str
    old_province_code: str
    region: str
    lat: float
    lon: float
    bbox: tuple[float, float, float, float] | None  # min_lat, min_lon, max_lat, max_lon


@dataclass(frozen=True)
class CrosswalkRow:
    old_code: str
    new_code: str
    is_default: bool
    is_split: bool


def _vau_data() -> Path:
    """The package's data folder, found without importing the package (its parsers take
    half a second to load, and every workspace opened reads the province codes)."""
    spec = util.find_spec("vietnamadminunits")
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("vietnamadminunits")
    return Path(next(iter(spec.submodule_search_locations))) / "data"


def _connect_dataset() -> sqlite3.Connection:
    return sqlite3.connect(f"file:{_vau_data() / 'dataset.db'}?mode=ro", uri=True)


@cache
def legacy_province_codes() -> tuple[str, ...]:
    """The 63 pre-2025 province codes (2 digits)."""
    with _connect_dataset() as con:
        rows = con.execute("SELECT DISTINCT provinceCode FROM admin_units_legacy").fetchall()
    return tuple(sorted(r[0] for r in rows))


def _parse_bbox(text: str | None) -> tuple[float, float, float, float] | None:
    if not text or "–" not in text:
        return None
    low, high = (part.strip() for part in text.split("–"))
    lat1, lon1 = (float(v) for v in low.split(","))
    lat2, lon2 = (float(v) for v in high.split(","))
    return min(lat1, lat2), min(lon1, lon2), max(lat1, lat2), max(lon1, lon2)


@cache
def new_units() -> tuple[NewUnit, ...]:
    """The 102 communes and wards of the new Đắk Lắk, official codes and cleaned names."""
    with _connect_dataset() as con:
        geo = {
            row[0]: row[1:]
            for row in con.execute(
                "SELECT wardKey, wardLat, wardLon, wardAreaKm2 FROM admin_units "
                "WHERE provinceCode = ?",
                (PROVINCE_CODE,),
            )
        }
    units = []
    for ward in Ward.iter_by_province(int(PROVINCE_CODE)):  # type: ignore[arg-type]
        name = clean_unit_name(ward.name)
        lat, lon, area = geo[compact_key(name)]
        unit_type = name.split(" ")[0]
        units.append(NewUnit(str(ward.code.value), name, ward.name, unit_type, lat, lon, area))
    return tuple(sorted(units, key=lambda u: u.code))


@cache
def _old_rows() -> dict[str, OldUnit]:
    sql = (
        "SELECT provinceKey || '_' || districtKey || '_' || wardKey, wardCode, ward, wardType,"
        " districtCode, district, provinceCode, wardLat, wardLon, wardBounds"
        " FROM admin_units_legacy WHERE provinceCode IN (?, ?)"
    )
    with _connect_dataset() as con:
        rows = con.execute(sql, tuple(OLD_PROVINCES)).fetchall()
    return {
        key: OldUnit(
            code=code,
            name=clean_unit_name(ward),
            unit_type=clean_unit_name(wtype),
            district_code=dcode,
            district_name=clean_unit_name(district),
            old_province_code=pcode,
            region=OLD_PROVINCES[pcode],
            lat=lat,
            lon=lon,
            bbox=_parse_bbox(bounds),
        )
        for key, code, ward, wtype, dcode, district, pcode, lat, lon, bounds in rows
    }


@cache
def old_units() -> tuple[OldUnit, ...]:
    """The 286 old communes of old Đắk Lắk (west) and old Phú Yên (east)."""
    return tuple(sorted(_old_rows().values(), key=lambda u: u.code))


@cache
def crosswalk() -> tuple[CrosswalkRow, ...]:
    """Old commune → new commune, many-to-many; split communes flag their default."""
    doc = json.loads((_vau_data() / "converter_2025.json").read_text("utf-8"))
    whole = doc["DICT_PROVINCE_WARD_NO_DIVIDED"][PROVINCE_KEY]
    divided = doc["DICT_PROVINCE_WARD_DIVIDED"][PROVINCE_KEY]
    new_by_key = {compact_key(u.name): u.code for u in new_units()}
    old = _old_rows()
    rows: set[CrosswalkRow] = set()
    for new_key, old_keys in whole.items():
        for old_key in old_keys:
            if old_key not in divided:
                rows.add(CrosswalkRow(old[old_key].code, new_by_key[new_key], True, False))
    for old_key, targets in divided.items():
        for target in targets:
            rows.add(
                CrosswalkRow(
                    old[old_key].code,
                    new_by_key[target["newWardKey"]],
                    bool(target["isDefaultNewWard"]),
                    True,
                )
            )
    return tuple(sorted(rows, key=lambda r: (r.old_code, r.new_code)))


# An administrative unit's name without its type ("Xã Hòa Phú", "TP. Tuy Hòa" -> "hoa phu",
# "tuy hoa"), accent-free: how addresses name units.  Registered on every connection.
# How addresses name units, accent-free (lc_ascii_key): the unit types written before a
# commune, a district and a province ("TX. Buôn Hồ", "Tp Tuy Hòa"), and the provinces
# merged into the new Đắk Lắk; the province as the new 2-level addresses end.
COMMUNE_PREFIXES = ("xa", "phuong", "thi tran", "tt")
DISTRICT_PREFIXES = ("huyen", "quan", "thanh pho", "thi xa", "tp", "tx")
PROVINCE_PREFIXES = ("tinh",)
OLD_PROVINCE_KEYS = ("dak lak", "phu yen")
PROVINCE_IN_ADDRESS = f"Tỉnh {PROVINCE_NAME}"


def _alternatives(prefixes: tuple[str, ...]) -> str:
    return "|".join(prefixes)


MACROS = f"""
CREATE OR REPLACE TEMP MACRO lc_unit_bare_key(x) AS
    regexp_replace(lc_ascii_key(x), '^({
    _alternatives(COMMUNE_PREFIXES + DISTRICT_PREFIXES + PROVINCE_PREFIXES)
})[ .]+', '');
CREATE OR REPLACE TEMP MACRO lc_names_district(k) AS
    regexp_matches(k, '^({_alternatives(DISTRICT_PREFIXES)})[ .]');
CREATE OR REPLACE TEMP MACRO lc_names_old_province(k, bare) AS
    list_contains({list(OLD_PROVINCE_KEYS)}, bare)
    AND (starts_with(k, '{PROVINCE_PREFIXES[0]} ') OR k = bare);
"""
