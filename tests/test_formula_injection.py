"""No formulas out: text people typed that a spreadsheet would take for a formula
(``=cmd|' /C calc'!A0``, ``+1+1``, ``-2+3``, ``@SUM(A1)``, a leading tab or carriage
return) reaches every workbook and CSV file landclean writes, and stays text there."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
import pyarrow.csv as pacsv

from landclean import api
from landclean.safe_cells import DANGEROUS_PREFIXES
from landclean.workspace import open_workspace
from tests.conftest import q

CALC = "=cmd|' /C calc'!A0"
SERIAL, NAME, BIRTH, ADDRESS = CALC, "+1+1", "-2+3", "@SUM(A1)"
SOURCE_FILE, SOURCE_SHEET = "\t=1", "\r=1"
COMMUNE, OLD_COMMUNE, ASSIGNEE, LEADER = '=HYPERLINK("http://x","y")', "@A1", CALC, "+A1"

# a commune with all that its files show: open findings, users in review with registry
# candidates, certificates to collect, progress reports, a sheet crosswalk
COMMUNE_SQL = """
SELECT p.unit_code FROM finding f JOIN parcel p USING (parcel_id)
WHERE f.state = 'open' AND f.severity <> 'info'
  AND p.unit_code IN (SELECT unit_code FROM commune_progress WHERE leader IS NOT NULL)
  AND p.unit_code IN (SELECT unit_code FROM sheet_crosswalk)
  AND p.unit_code IN (SELECT unit_code FROM certificate_commune JOIN certificate c
                      USING (certificate_id) WHERE c.digital_status <> 'digital')
  AND p.unit_code IN (SELECT uc.unit_code FROM auth_result a JOIN party_commune uc
                      USING (party_id) JOIN auth_candidate USING (party_id)
                      WHERE a.status = 'review')
GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1
"""

HOSTILE_SQL = [
    "UPDATE certificate SET serial = $serial WHERE certificate_id IN "
    "(SELECT certificate_id FROM certificate_commune WHERE unit_code = $c)",
    "UPDATE party SET full_name = $name, birth_raw = $birth WHERE party_id IN "
    "(SELECT party_id FROM party_commune WHERE unit_code = $c)",
    "UPDATE registry_person SET address = $address",
    "UPDATE finding SET source_file = $source_file, source_sheet = $source_sheet",
    "UPDATE admin_unit SET name = $commune WHERE code = $c",
    "UPDATE admin_unit_old SET name = $old_commune WHERE code IN "
    "(SELECT old_unit_code FROM sheet_crosswalk WHERE unit_code = $c)",
    "UPDATE commune_progress SET leader = $leader WHERE unit_code = $c",
]


def _xlsx_text(path: Path) -> set[str]:
    """Every text cell of the workbook; fails on any formula, and (except report.xlsx,
    written once and read) on formula-like text without a quote prefix."""
    texts = set()
    for ws in openpyxl.load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (path.name, ws.title, cell.coordinate, cell.value)
                if not isinstance(cell.value, str):
                    continue
                value = cell.value.replace("_x000D_", "\r")  # xlsxwriter's escaped CR
                texts.add(value)
                if value.startswith(DANGEROUS_PREFIXES) and path.name != "report.xlsx":
                    assert cell.quotePrefix, (path.name, ws.title, cell.coordinate, value)
    return texts


def _csv_text(path: Path) -> set[str]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        cells = {cell for row in csv.reader(f) for cell in row}
    assert not [c for c in cells if c.startswith(DANGEROUS_PREFIXES)], path.name
    return cells


def test_no_formulas_out(built_workspace: Path, tmp_path: Path) -> None:
    copy = tmp_path / "ws.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    out = tmp_path / "out"
    with open_workspace(copy) as ws:
        commune = q(ws.con, COMMUNE_SQL)[0][0]
        task = q(ws.con, "SELECT min(task_id) FROM task WHERE unit_code = ?", [commune])[0][0]
        values = {"c": commune, "serial": SERIAL, "name": NAME, "birth": BIRTH,
                  "address": ADDRESS, "source_file": SOURCE_FILE, "source_sheet": SOURCE_SHEET,
                  "commune": COMMUNE, "old_commune": OLD_COMMUNE, "leader": LEADER}  # fmt: skip
        for sql in HOSTILE_SQL:
            ws.con.execute(sql, {k: v for k, v in values.items() if f"${k}" in sql})
        # every writer, as the commands call them (`lookup` and `tasks` print, write no file)
        api.tasks(ws, assign=task, to=ASSIGNEE)  # a person's name, typed on the command line
        api.worklist(ws, commune, tmp_path / "worklist.xlsx")
        api.review(ws, out / "review", commune=commune)
        api.report(ws, out / "report", as_of=dt.date(2025, 11, 30))
        api.export(ws, out / "findings.csv")
        api.export(ws, out / "findings.xlsx")
        api.crosswalk(ws, out / "crosswalk", commune=commune)
    lineage = {SOURCE_FILE, SOURCE_SHEET, OLD_COMMUNE}
    expected = {
        tmp_path / "worklist.xlsx": {SERIAL, NAME, BIRTH},
        out / "review" / f"review_{commune}.xlsx": {NAME, BIRTH, ADDRESS},
        out / "report" / "report.xlsx": {COMMUNE, ASSIGNEE, LEADER},
        out / "report" / "communes" / f"{commune}.xlsx": lineage,
        out / "findings.xlsx": lineage | {COMMUNE},
        out / "crosswalk" / f"{commune}_doi_chieu_to_ban_do.xlsx": {COMMUNE, OLD_COMMUNE},
    }
    written = [*sorted(out.rglob("*.xlsx")), tmp_path / "worklist.xlsx"]
    assert set(expected) <= set(written)
    for path in written:  # every workbook: no formula, and what was typed is there as text
        assert expected.get(path, set()) <= _xlsx_text(path), path.name
    quoted = {f"'{v}" for v in lineage | {COMMUNE}}
    assert quoted <= _csv_text(out / "findings.csv")
    crosswalk_csv = out / "crosswalk" / f"{commune}_doi_chieu_to_ban_do.csv"
    assert {f"'{COMMUNE}", f"'{OLD_COMMUNE}"} <= _csv_text(crosswalk_csv)
    assert sorted(p.name for p in out.rglob("*.csv")) == sorted(
        ["findings.csv", crosswalk_csv.name]
    )
    # numbers stay numbers (no apostrophe before them)
    table = pacsv.read_csv(
        out / "findings.csv", parse_options=pacsv.ParseOptions(newlines_in_values=True)
    )
    assert str(table.schema.field("source_row").type) == "int64"
