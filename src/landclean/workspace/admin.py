"""Load the real administrative units into a new workspace."""

from __future__ import annotations

import duckdb

from landclean.vn import admin_units as au


def load_admin_units(con: duckdb.DuckDBPyConnection) -> None:
    """Fill admin_unit, admin_unit_old and admin_crosswalk from the packaged data."""
    olds = au.old_units()
    cross = au.crosswalk()
    region_of_old = {u.code: u.region for u in olds}
    region_of_new = {row.new_code: region_of_old[row.old_code] for row in cross}
    con.executemany(
        "INSERT INTO admin_unit VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                u.code,
                u.name,
                u.name_raw,
                u.unit_type,
                region_of_new[u.code],
                u.lat,
                u.lon,
                u.area_km2,
            ]
            for u in au.new_units()
        ],
    )
    con.executemany(
        "INSERT INTO admin_unit_old VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            [
                u.code,
                u.name,
                u.unit_type,
                u.district_code,
                u.district_name,
                u.old_province_code,
                u.region,
                u.lat,
                u.lon,
                *(u.bbox or (None,) * 4),
            ]
            for u in olds
        ],
    )
    con.executemany(
        "INSERT INTO admin_crosswalk VALUES (?, ?, ?, ?)",
        [[r.old_code, r.new_code, r.is_default, r.is_split] for r in cross],
    )
