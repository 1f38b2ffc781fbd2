"""Export findings with their lineage, so that an official can find the row in the
original spreadsheet: CSV, XLSX or GeoPackage (with the parcel's geometry).

Personal data (ID numbers, names, birth dates in the details) is masked unless asked
otherwise: these files circulate among communes.  The details read in words
(``reports.details``: "Diện tích pháp lý: 2.655 m²; …"), and as the rule's JSON in the
next column, for programs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyogrio

from landclean.errors import ReportError, check_lang
from landclean.labels import label, labels
from landclean.reports.details import details_in_words
from landclean.rules.catalogue import rules_table
from landclean.rules.classify import group_mapping
from landclean.safe_cells import quote_table
from landclean.xlsx import MAX_ROWS, Sheet, write_workbook

FORMATS = ("csv", "xlsx", "gpkg")

# The columns of an export, in order (headers: labels "export_columns").
COLUMNS = tuple(labels("export_columns", "en"))


@dataclass
class ExportResult:
    path: Path
    rows: int
    masked: bool


def findings_query(
    commune: str | None, states: tuple[str, ...], masked: bool, words: str | None = None
) -> str:
    """The findings with their rule, commune, parcel and lineage (columns: ``COLUMNS``
    and the geometry).  ``details`` and ``details_data`` hold the details as JSON (masked
    if ``masked``); ``words``, an expression of ``details`` (``details_in_words``), turns
    ``details`` into words."""
    details = "lc_mask_details(w.details)" if masked else "CAST(w.details AS VARCHAR)"
    where = "list_contains($states, f.state)"
    if commune:
        where += " AND w.commune_code = $commune"
    # a finding on a map sheet ('old commune/scale/sheet') belongs to the sheet's old
    # commune and that commune's (default) new commune
    query = f"""
    WITH located AS (
        SELECT f.*, p.sheet_no AS p_sheet, p.parcel_no, p.geom AS p_geom,
               COALESCE(p.old_unit_code, CASE WHEN f.record_type = 'sheet'
                        THEN split_part(f.record_id, '/', 1) END) AS old_commune_code,
               COALESCE(p.unit_code, (SELECT c.new_code FROM admin_crosswalk c
                        WHERE f.record_type = 'sheet' AND c.is_default
                          AND c.old_code = split_part(f.record_id, '/', 1))) AS commune_code
        FROM finding f LEFT JOIN parcel p USING (parcel_id)
    )
    SELECT w.commune_code, u.name AS commune_name,
           w.old_commune_code, o.name AS old_commune_name,
           w.rule_id, t.title AS rule_title, w.severity, t.grp AS parcel_group,
           t.message AS what_to_do, w.record_type, w.record_id, w.parcel_id,
           COALESCE(w.p_sheet, CASE WHEN w.record_type = 'sheet'
                    THEN TRY_CAST(split_part(w.record_id, '/', 3) AS INTEGER) END) AS sheet_no,
           w.parcel_no, w.source_file, w.source_sheet, w.source_row,
           {details} AS details, {details} AS details_data, w.state, w.first_seen_run,
           w.last_seen_run,
           ST_AsWKB(COALESCE(w.geom, w.p_geom)) AS geometry
    FROM located w
    LEFT JOIN admin_unit u ON u.code = w.commune_code
    LEFT JOIN admin_unit_old o ON o.code = w.old_commune_code
    LEFT JOIN rule_text t USING (rule_id)
    WHERE {where.replace("f.state", "w.state")}"""
    order = "ORDER BY commune_code, rule_id, parcel_id, record_id"
    if words:
        return f"SELECT * REPLACE ({words} AS details) FROM ({query}) {order}"
    return f"{query} {order}"


def export_findings(
    con: duckdb.DuckDBPyConnection,
    out: Path,
    fmt: str,
    commune: str | None = None,
    all_states: bool = False,
    masked: bool = True,
    lang: str = "vi",
    classification: Path | None = None,
) -> ExportResult:
    """Write the findings (open ones unless ``all_states``) to ``out``."""
    if fmt not in FORMATS:
        raise ReportError("unknown_format", fmt=fmt, formats=", ".join(FORMATS))
    check_lang(lang, ReportError)
    if commune is not None:
        hit = con.execute("SELECT name FROM admin_unit WHERE code = ?", [commune]).fetchone()
        if hit is None:
            raise ReportError("no_commune", commune=commune)
    if not out.parent.is_dir():
        raise ReportError("no_such_folder", path=out.parent)
    rules_table(con, lang, group_mapping(classification))
    states = ("open", "fixed", "exception") if all_states else ("open",)
    query = findings_query(commune, states, masked, details_in_words(con, "details", lang))
    params: dict[str, object] = {"states": list(states)}
    if commune:
        params["commune"] = commune
    table = con.execute(query, params).fetch_arrow_table()
    try:
        _write(table, out, fmt, lang)
    except OSError as exc:
        raise ReportError("cannot_write", path=out, reason=exc.strerror or exc) from exc
    return ExportResult(out, table.num_rows, masked)


def _write(table: pa.Table, out: Path, fmt: str, lang: str) -> None:
    if fmt == "gpkg":
        out.unlink(missing_ok=True)
        pyogrio.write_arrow(
            table,
            out,
            layer="loi_phat_hien",
            driver="GPKG",
            geometry_name="geometry",
            geometry_type="Unknown",
            crs="EPSG:9218",
        )
        return
    table = table.drop_columns(["geometry"])
    if fmt == "csv":
        with out.open("wb") as f:
            f.write(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel keeps the Vietnamese letters
            pacsv.write_csv(quote_table(table), f)  # no formulas out (safe_cells)
        return
    names = labels("export_columns", lang)
    headers = [names[c] for c in table.column_names]
    if table.num_rows > MAX_ROWS - 2:
        raise ReportError("too_many_rows", n=table.num_rows, limit=MAX_ROWS - 2)
    title = label("commune_report", "findings_title", lang)
    write_workbook(out, [Sheet(title, table, headers, title)])
