"""Importing the generated layouts: counts and values against truth; idempotence; errors."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from landclean.api import import_sources
from landclean.errors import ImportError_, LandcleanError
from landclean.workspace import Workspace
from tests.conftest import Province, ids, q


def test_every_parcel_party_and_certificate_arrives(ws: Workspace, province: Province) -> None:
    con = ws.con
    t = province.truth
    assert q(con, "SELECT count(*) FROM parcel") == q(con, f"SELECT count(*) FROM '{t('parcels')}'")
    assert ids(con, "SELECT party_id FROM party") == ids(
        con, f"SELECT party_id FROM '{t('parties')}'"
    )
    n_cert = q(con, f"SELECT count(DISTINCT certificate_id) FROM '{t('certificates')}'")
    assert q(con, "SELECT count(*) FROM certificate") == n_cert
    assert q(con, "SELECT count(*) FROM land_right") == q(
        con, f"SELECT count(*) FROM '{t('rights')}'"
    )


def test_values_match_truth(ws: Workspace, province: Province) -> None:
    con = ws.con
    t = province.truth
    # recorded names arrive verbatim (TCVN3 files carry NFC text only)
    bad = q(
        con,
        f"""SELECT p.party_id, p.full_name_raw, t.name FROM party p
                     JOIN '{t("parties")}' t USING (party_id)
                     WHERE p.full_name_raw <> t.name""",
    )
    assert all(unicodedata.normalize("NFC", truth) == raw for _, raw, truth in bad)
    # parcel numbers, scales, areas and the new commune by location
    diff = q(
        con,
        f"""SELECT count(*) FROM parcel p JOIN '{t("parcels")}' t USING (parcel_id)
                      WHERE p.parcel_no <> t.parcel_no OR p.scale <> t.scale
                         OR abs(p.legal_area - t.legal_area) > 0.05
                         OR (p.geom IS NOT NULL AND p.unit_code <> t.unit_code)""",
    )
    assert diff == [(0,)]
    shares = q(
        con,
        f"""SELECT count(*) FROM land_right r JOIN '{t("rights")}' t
                        USING (parcel_id, party_id) WHERE abs(r.share - t.share) > 1e-9""",
    )
    assert shares == [(0,)]
    ids_ok = q(
        con,
        f"""SELECT count(*) FROM party p JOIN '{t("parties")}' t USING (party_id)
                        WHERE COALESCE(p.id_number, '') <>
                              regexp_replace(t.id_number, '[^0-9]', '', 'g')""",
    )
    assert ids_ok == [(0,)]


def test_lineage_points_at_the_spreadsheet_row(ws: Workspace) -> None:
    row = q(
        ws.con,
        """SELECT p.source_file, p.source_sheet, p.source_row, f.parcel_code
                       FROM parcel p JOIN raw_parcel_record f
                         ON f.source_file = p.source_file AND f.row_no = p.source_row
                       WHERE p.source_file LIKE '%.xlsx' LIMIT 1""",
    )
    src, sheet, row_no, code = row[0]
    import openpyxl

    book = openpyxl.load_workbook(src, read_only=True)
    cells = [c.value for c in next(book[sheet].iter_rows(min_row=row_no, max_row=row_no))]
    assert code in cells


def test_tcvn3_csv_is_decoded(ws: Workspace) -> None:
    rows = q(
        ws.con,
        "SELECT owner_name FROM raw_parcel_record WHERE source_file LIKE '%tcvn3.csv' "
        "AND owner_name IS NOT NULL LIMIT 200",
    )
    assert rows
    names = " ".join(r[0] for r in rows)
    assert any(ch in names for ch in "ễịăơưđ")
    assert "¶" not in names and "Ã" not in names


def test_reimport_changes_nothing(fresh_ws: Workspace, province: Province) -> None:
    import_sources(fresh_ws, [province.root / "map"])
    before = q(
        fresh_ws.con, "SELECT count(*), (SELECT count(*) FROM import_batch) FROM raw_map_feature"
    )
    report = import_sources(fresh_ws, [province.root / "map"])
    assert all(f.skipped for f in report.files)
    assert (
        q(fresh_ws.con, "SELECT count(*), (SELECT count(*) FROM import_batch) FROM raw_map_feature")
        == before
    )


def test_bad_file_writes_nothing(fresh_ws: Workspace, province: Province, tmp_path: Path) -> None:
    bad = tmp_path / "broken.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a zip")
    good = next((province.root / "map").glob("*.gpkg"))
    with pytest.raises(ImportError_, match=r"broken\.xlsx"):
        import_sources(fresh_ws, [good, bad])
    assert q(fresh_ws.con, "SELECT count(*) FROM raw_map_feature") == [(0,)]
    assert q(fresh_ws.con, "SELECT count(*) FROM import_batch") == [(0,)]


def test_unknown_layout_is_refused(fresh_ws: Workspace, tmp_path: Path) -> None:
    f = tmp_path / "other.csv"
    f.write_text("a,b,c\n1,2,3\n", encoding="utf-8")
    with pytest.raises(LandcleanError, match="match no known layout"):
        import_sources(fresh_ws, [f])


def test_rows_without_parcel_code_are_quarantined(fresh_ws: Workspace, tmp_path: Path) -> None:
    from landclean.ingest.profiles import load_profile

    headers = load_profile("field_form").headers
    f = tmp_path / "form.csv"
    good = ["1", "24175", "Xã Hòa Phú"] + [""] * (len(headers) - 3)
    good[headers.index("Mã thửa")] = "T1"
    bad = ["2", "24175", "Xã Hòa Phú"] + [""] * (len(headers) - 3)
    f.write_text("\n".join(",".join(r) for r in (headers, good, bad)) + "\n", encoding="utf-8")
    report = import_sources(fresh_ws, [f])
    assert report.files[0].quarantined == 1
    assert q(fresh_ws.con, "SELECT row_no, column_name FROM quarantine") == [(3, "Mã thửa")]
    assert q(fresh_ws.con, "SELECT count(*) FROM raw_parcel_record") == [(2,)]  # nothing lost
    assert q(fresh_ws.con, "SELECT parcel_id FROM parcel") == [("T1",)]


def test_dry_run_writes_nothing(fresh_ws: Workspace, province: Province) -> None:
    report = import_sources(fresh_ws, [province.root / "map"], dry_run=True)
    assert report.rows > 0
    assert q(fresh_ws.con, "SELECT count(*) FROM raw_map_feature") == [(0,)]
