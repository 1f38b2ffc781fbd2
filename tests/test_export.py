"""Findings exported with lineage: each format reads back, rows lead to the original."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import openpyxl
import pyogrio
import pytest

from landclean.errors import ReportError
from landclean.labels import labels
from landclean.reports.export import COLUMNS, export_findings
from landclean.workspace import Workspace
from tests.conftest import q

OPEN = "SELECT rule_id, record_id FROM finding WHERE state = 'open'"


def _pairs_csv(path: Path) -> set[tuple[str, str]]:
    rows = duckdb.sql(
        f"SELECT rule_id, record_id FROM read_csv('{path}', all_varchar = true)"
    ).fetchall()
    return {(str(a), str(b)) for a, b in rows}


def test_csv_holds_every_open_finding_with_lineage(ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "findings.csv"
    result = export_findings(ws.con, out, "csv")
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM for Excel
    expected = {(str(a), str(b)) for a, b in q(ws.con, OPEN)}
    assert result.rows == len(expected) and _pairs_csv(out) == expected
    lineage = duckdb.sql(
        f"SELECT record_id, source_file, source_row FROM read_csv('{out}', all_varchar = true) "
        "WHERE rule_id = 'PARCEL_MISSING_SHEET'"
    ).fetchall()
    truth = q(
        ws.con,
        "SELECT record_id, source_file, CAST(source_row AS VARCHAR) FROM finding "
        "WHERE rule_id = 'PARCEL_MISSING_SHEET' AND state = 'open'",
    )
    assert lineage and sorted(lineage) == sorted(truth)


def test_lineage_leads_to_the_row_in_the_original_spreadsheet(
    ws: Workspace, tmp_path: Path
) -> None:
    out = tmp_path / "findings.xlsx"
    export_findings(ws.con, out, "xlsx", lang="en")
    book = openpyxl.load_workbook(out, read_only=True)
    rows = list(book.worksheets[0].iter_rows(values_only=True))
    assert rows[1] == tuple(labels("export_columns", "en")[c] for c in COLUMNS)  # title, headers
    col = {name: i for i, name in enumerate(COLUMNS)}
    wanted = [
        r
        for r in rows[2:]
        if r[col["record_type"]] == "parcel" and str(r[col["source_file"]]).endswith(".xlsx")
    ][:25]
    assert wanted
    books: dict[str, openpyxl.Workbook] = {}
    for r in wanted:
        path = str(r[col["source_file"]])
        source = books.setdefault(path, openpyxl.load_workbook(path, read_only=True))
        sheet = source[str(r[col["source_sheet"]])]
        row_no = int(r[col["source_row"]])
        cells = next(sheet.iter_rows(min_row=row_no, max_row=row_no, values_only=True))
        assert r[col["parcel_id"]] in cells, (path, row_no)


def test_geopackage_has_the_parcels_geometry(ws: Workspace, tmp_path: Path) -> None:
    out = tmp_path / "findings.gpkg"
    export_findings(ws.con, out, "gpkg")
    info = pyogrio.read_info(out)
    assert info["features"] == len(q(ws.con, OPEN))
    assert "9218" in str(info["crs"])
    _, table = pyogrio.read_arrow(out, columns=["rule_id", "record_id"])
    geo = table.column(table.column_names[-1]).to_pylist()
    rules = table.column("rule_id").to_pylist()
    overlap = [g for g, r in zip(geo, rules, strict=True) if r == "PARCEL_OVERLAP"]
    missing = [g for g, r in zip(geo, rules, strict=True) if r == "PARCEL_MISSING_GEOMETRY"]
    assert overlap and all(g is not None for g in overlap)
    assert missing and all(g is None for g in missing)


def test_personal_data_is_masked_unless_asked(ws: Workspace, tmp_path: Path) -> None:
    masked, whole = tmp_path / "m.csv", tmp_path / "w.csv"
    export_findings(ws.con, masked, "csv")
    export_findings(ws.con, whole, "csv", masked=False)
    twelve = re.compile(r"\b[0-9]{12}\b")
    text = masked.read_text(encoding="utf-8-sig")
    assert not twelve.search(text)
    assert re.search(r"[0-9]{3}\*{7}[0-9]{2}", text)
    assert twelve.search(whole.read_text(encoding="utf-8-sig"))


def test_one_commune(ws: Workspace, tmp_path: Path) -> None:
    commune = q(
        ws.con,
        "SELECT p.unit_code FROM finding f JOIN parcel p USING (parcel_id) "
        "WHERE f.state = 'open' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    )[0][0]
    out = tmp_path / "one.csv"
    result = export_findings(ws.con, out, "csv", commune=commune)
    expected = q(  # a sheet's findings go to the default new commune of its old commune
        ws.con,
        "SELECT count(*) FROM finding f LEFT JOIN parcel p USING (parcel_id) "
        "LEFT JOIN admin_crosswalk c ON f.record_type = 'sheet' AND c.is_default "
        "AND c.old_code = split_part(f.record_id, '/', 1) "
        "WHERE f.state = 'open' AND COALESCE(p.unit_code, c.new_code) = ?",
        [commune],
    )[0][0]
    assert result.rows == expected > 0
    codes = duckdb.sql(
        f"SELECT DISTINCT commune_code FROM read_csv('{out}', all_varchar = true)"
    ).fetchall()
    assert codes == [(commune,)]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"fmt": "pdf"}, "unknown format 'pdf'"),
        ({"fmt": "csv", "commune": "99999"}, "--commune 99999: no such commune"),
        ({"fmt": "csv", "lang": "fr"}, "unknown language 'fr'"),
    ],
)
def test_bad_requests_are_clear(
    ws: Workspace, tmp_path: Path, kwargs: dict[str, str], message: str
) -> None:
    with pytest.raises(ReportError, match=message):
        export_findings(ws.con, tmp_path / "x.out", **kwargs)  # type: ignore[arg-type]
