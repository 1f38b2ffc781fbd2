"""Find a parcel from what a certificate prints (old commune, sheet, parcel; or the
serial), with its new commune, new sheet and identifier; and write the crosswalk tables
per commune in the layout provinces publish (old commune, scale, old sheet -> new sheet):
a read-only Excel form (``excel_form``: frozen header and old-commune columns, filters,
protection, sheet numbers and scales as whole numbers) and a CSV.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from landclean.errors import LandcleanError, check_lang
from landclean.excel_form import Column, FormSheet, write_form
from landclean.labels import labels
from landclean.safe_cells import quote_table

LOOKUP_COLUMNS = (
    "parcel_id",
    "old_unit_code",
    "old_commune",
    "scale",
    "old_sheet_no",
    "parcel_no",
    "unit_code",
    "commune",
    "new_sheet_no",
    "uid",
    "placement",
)


LOOKUP_SQL = """
SELECT p.parcel_id, p.old_unit_code, o.name, p.scale, p.sheet_no, p.parcel_no,
       p.unit_code, u.name, p.new_sheet_no, p.uid, p.placement
FROM parcel p
LEFT JOIN admin_unit_old o ON o.code = p.old_unit_code
LEFT JOIN admin_unit u ON u.code = p.unit_code
"""


@dataclass
class Found:
    parcel_id: str
    old_unit_code: str
    old_commune: str
    scale: int | None
    old_sheet_no: int | None
    parcel_no: int | None
    unit_code: str | None
    commune: str | None
    new_sheet_no: int | None
    uid: str | None
    placement: str | None


def _old_commune(con: duckdb.DuckDBPyConnection, commune: str) -> str:
    """An old commune by its code or its name (case, accents and 'Xã' optional)."""
    if commune.isdigit():
        row = con.execute("SELECT code FROM admin_unit_old WHERE code = ?", [commune]).fetchone()
        if row:
            return str(row[0])
        raise LandcleanError("old_commune_code", commune=commune)
    rows = con.execute(  # accents, Đ, case and the unit type ("Xã") optional
        """SELECT code, name || ' (' || district_name || ')' FROM admin_unit_old
           WHERE lc_ascii_key(name) = lc_ascii_key(?)
              OR lc_unit_bare_key(name) = lc_unit_bare_key(?)
           ORDER BY code""",
        [commune, commune],
    ).fetchall()
    if len(rows) == 1:
        return str(rows[0][0])
    if not rows:
        raise LandcleanError("old_commune_name", commune=commune)
    candidates = "; ".join(f"{c} {n}" for c, n in rows)
    raise LandcleanError("old_commune_ambiguous", commune=commune, candidates=candidates)


def lookup_old(
    con: duckdb.DuckDBPyConnection,
    old_commune: str,
    sheet: int,
    parcel: int,
    scale: int | None = None,
) -> list[Found]:
    """Parcels with these old numbers (several when the commune has sheets of several
    scales with the same number and no scale is given)."""
    code = _old_commune(con, old_commune)
    sql = LOOKUP_SQL + " WHERE p.old_unit_code = ? AND p.sheet_no = ? AND p.parcel_no = ?"
    params: list[object] = [code, sheet, parcel]
    if scale is not None:
        sql += " AND p.scale = ?"
        params.append(scale)
    return [Found(*r) for r in con.execute(sql + " ORDER BY p.scale", params).fetchall()]


def lookup_serial(con: duckdb.DuckDBPyConnection, serial: str) -> list[Found]:
    """The parcels of the certificate(s) with this serial (spaces and case ignored)."""
    sql = (
        LOOKUP_SQL + " JOIN certificate_parcel cp USING (parcel_id) "
        "JOIN certificate c USING (certificate_id) "
        "WHERE replace(upper(c.serial), ' ', '') = replace(upper(trim(?)), ' ', '') "
        "ORDER BY p.parcel_id"
    )
    return [Found(*r) for r in con.execute(sql, [serial]).fetchall()]


CROSSWALK_COLUMNS = ("no", "old_code", "old_name", "scale", "old_sheet", "new_sheet", "parcels",
                     "new_code", "new_name")  # labels "crosswalk"  # fmt: skip

# in the workbook: (width, kind); the scale is its denominator there (2000 for 1/2000)
CROSSWALK_LAYOUT = {
    "no": (7, "int"), "old_code": (10, "text"), "old_name": (24, "text"), "scale": (12, "int"),
    "old_sheet": (10, "int"), "new_sheet": (10, "int"), "parcels": (10, "int"),
    "new_code": (10, "text"), "new_name": (24, "text"),
}  # fmt: skip
CROSSWALK_FROZEN = 3  # number and old commune stay in view

CROSSWALK_SQL = """
SELECT row_number() OVER (ORDER BY x.position, x.scale, x.old_sheet_no) AS no,
       x.old_unit_code, o.name AS old_name, x.scale, x.old_sheet_no,
       x.new_sheet_no, x.parcels, x.unit_code, u.name AS new_name
FROM sheet_crosswalk x
JOIN admin_unit_old o ON o.code = x.old_unit_code
JOIN admin_unit u ON u.code = x.unit_code
WHERE x.unit_code = ?
ORDER BY x.position, x.scale, x.old_sheet_no
"""


def write_crosswalks(
    con: duckdb.DuckDBPyConnection, out: Path, commune: str | None = None, lang: str = "vi"
) -> list[Path]:
    """One XLSX and one CSV per new commune (or the one given): its sheet crosswalk."""
    check_lang(lang)
    units = con.execute(
        "SELECT DISTINCT x.unit_code, u.name FROM sheet_crosswalk x "
        "JOIN admin_unit u ON u.code = x.unit_code "
        + ("WHERE x.unit_code = ? " if commune else "")
        + "ORDER BY 1",
        [commune] if commune else [],
    ).fetchall()
    if not units:
        if commune:
            raise LandcleanError("no_crosswalk_commune", commune=commune)
        raise LandcleanError("no_crosswalk")
    out.mkdir(parents=True, exist_ok=True)
    words = labels("crosswalk", lang)
    headers = [words[c] for c in CROSSWALK_COLUMNS]
    title = words["title"]
    columns = [
        Column(c, words["scale_denominator" if c == "scale" else c], *CROSSWALK_LAYOUT[c])
        for c in CROSSWALK_COLUMNS
    ]
    written = []
    for code, name in units:
        table = con.execute(CROSSWALK_SQL, [code]).fetch_arrow_table()
        xlsx, csv = (
            out / f"{code}_doi_chieu_to_ban_do.xlsx",
            out / f"{code}_doi_chieu_to_ban_do.csv",
        )
        table = table.rename_columns(list(CROSSWALK_COLUMNS))
        sheet = FormSheet(str(code), columns, table, f"{title}: {name}", CROSSWALK_FROZEN)
        write_form(xlsx, [sheet])
        scale = pc.binary_join_element_wise("1/", pc.cast(table["scale"], pa.string()), "")
        named = pa.table(table.set_column(3, "scale", scale).columns, names=headers)  # 1/2000
        with csv.open("wb") as f:
            f.write(b"\xef\xbb\xbf")
            pacsv.write_csv(quote_table(named), f)  # no formulas out (safe_cells)
        written += [xlsx, csv]
    return written
