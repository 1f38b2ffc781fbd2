"""Every finding can be closed, through the worklist, the way its sheet says.

For every rule of the catalogue: a generated record with that defect (the synthetic
province's own, or one made here when the province has none), corrected on the
commune's worklist with the right value (from the generator's truth, or computed
independently: the shape's area, a serial nobody holds), is closed by the next run.  A
rule no single field fixes is accepted as an exception with the reason on the same
sheet, and its closing is documented (labels ``rule_closing``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import openpyxl
import pytest

from landclean.campaign.apply import apply_worklist
from landclean.campaign.worklist import CERTS, ELSEWHERE, FINDINGS, HEADER_ROW, export_worklist
from landclean.labels import labels
from landclean.pipeline import run_pipeline
from landclean.rules.catalogue import CATALOGUE
from landclean.workspace import open_workspace
from tests.conftest import Province, q

HEAD = HEADER_ROW


def _make(con: duckdb.DuckDBPyConnection) -> None:
    """Records with the defects the generator does not make (PARCEL_SOURCES_DISAGREE,
    PARCEL_UID_COLLISION, PARCEL_MISSING_NUMBER), as a build would leave them."""
    parcel, sheet = q(
        con,
        "SELECT parcel_id, sheet_no FROM parcel WHERE sheet_no IS NOT NULL AND unit_code "
        "IS NOT NULL AND geom IS NOT NULL ORDER BY parcel_id LIMIT 1",
    )[0]
    con.execute(
        "INSERT INTO parcel_source_conflict (parcel_id, field, origin, source_values) "
        "VALUES (?, 'map_sheet', 'map', [?, ?])",
        [parcel, str(sheet), str(sheet + 1)],
    )
    a, b, c = q(
        con,
        "SELECT parcel_id FROM parcel WHERE uid IS NOT NULL AND unit_code IS NOT NULL "
        "AND parcel_no IS NOT NULL ORDER BY parcel_id LIMIT 3 OFFSET 5",
    )
    # a parcel drawn twice: two records, one shape, one UID
    con.execute("UPDATE parcel SET geom = (SELECT geom FROM parcel WHERE parcel_id = ?) "
                "WHERE parcel_id = ?", [a[0], b[0]])  # fmt: skip
    con.execute("UPDATE parcel SET parcel_no = NULL WHERE parcel_id = ?", [c[0]])


def _right_value(con: duckdb.DuckDBPyConnection, truth: Path, rule: str, record: str) -> Any:
    """The value that closes ``rule`` for ``record``, known independently of landclean:
    the generator's truth, the geometry's own area, or a value no other record holds."""
    if rule in ("PARCEL_MISSING_SHEET",):
        return q(con, f"SELECT sheet_no FROM '{truth}/parcels.parquet' WHERE parcel_id = ?",
                 [record])[0][0]  # fmt: skip
    if rule in ("PARCEL_MISSING_NUMBER", "PARCEL_DUPLICATE_NUMBER"):
        return q(con, "SELECT max(parcel_no) + 100 FROM parcel")[0][0]  # a number nobody has
    if rule in ("AREA_MISMATCH", "PARCEL_MISSING_AREA", "PARCEL_AREA_IMPLAUSIBLE"):
        area = q(
            con,
            f"SELECT coalesce(round(ST_Area(p.geom), 1), t.true_area) FROM parcel p "
            f"JOIN '{truth}/parcels.parquet' t USING (parcel_id) WHERE p.parcel_id = ?",
            [record],
        )[0][0]
        return f"{area:.1f}".replace(".", ",")  # as officials type it
    if rule in ("LAND_USE_INVALID_CODE", "PARCEL_MISSING_LAND_USE"):
        return q(con, f"SELECT land_use_main FROM '{truth}/parcels.parquet' WHERE parcel_id = ?",
                 [record])[0][0]  # fmt: skip
    if rule == "ASSET_ON_NON_RESIDENTIAL":  # a house: the parcel has residential land too
        codes = q(con, "SELECT string_agg(code, ' + ' ORDER BY seq) FROM parcel_land_use "
                  "WHERE parcel_id = ?", [record])[0][0]  # fmt: skip
        return f"ONT + {codes}"
    if rule in ("CERT_SERIAL_FORMAT", "CERT_MISSING_SERIAL", "CERT_DUPLICATE_SERIAL"):
        n = q(con, "SELECT count(*) FROM certificate WHERE certificate_id < ?", [record])[0][0]
        return f"zz{900000 + n}"  # a serial no certificate holds, typed carelessly
    if rule == "CERT_BOOK_ENTRY_FORMAT":
        return "CS 01234"
    person = f"""SELECT s.{{}} FROM '{truth}/parties.parquet' p
                 JOIN '{truth}/persons.parquet' s USING (person_id) WHERE p.party_id = ?"""
    ids = ("PARTY_MISSING_ID", "PARTY_SAME_ID_DIFFERENT_PEOPLE")
    if rule.startswith("PARTY_ID") or rule in ids:
        return q(con, person.format("cccd"), [record])[0][0]
    if rule == "PARTY_MISSING_NAME":
        return q(con, person.format("full_name"), [record])[0][0]
    if rule in ("PARTY_MISSING_BIRTH", "PARTY_IMPOSSIBLE_BIRTH_DATE"):
        day = q(con, person.format("birth_date"), [record])[0][0]
        return day.strftime("%d/%m/%Y")
    raise AssertionError(f"no right value known for {rule}")


def _pick(con: duckdb.DuckDBPyConnection, truth: Path) -> dict[str, tuple[str, str, str]]:
    """One open finding per rule (not the informational ones): (record type, record,
    the new commune whose worklist lists it)."""
    picked = {}
    for rule, rtype, record, commune in q(
        con,
        f"""
        SELECT f.rule_id, f.record_type, f.record_id,
               coalesce(p.unit_code, (SELECT min(x.unit_code) FROM parcel x
                   WHERE x.old_unit_code = json_extract_string(f.details, '$.commune')
                     AND x.sheet_no = TRY_CAST(json_extract(f.details, '$.sheet') AS INTEGER)
                     AND x.scale = TRY_CAST(json_extract(f.details, '$.scale') AS INTEGER)))
        FROM finding f LEFT JOIN parcel p USING (parcel_id)
        LEFT JOIN '{truth}/parties.parquet' t ON t.party_id = f.record_id
        LEFT JOIN '{truth}/persons.parquet' s USING (person_id)
        LEFT JOIN party y ON y.party_id = f.record_id
        WHERE f.state = 'open' AND f.severity <> 'info'
        -- an ID finding is closed by the true ID only where the recorded one is wrong
        ORDER BY f.rule_id, (y.id_number IS NOT DISTINCT FROM s.cccd), f.record_id
        """,
    ):
        if rule not in picked and commune is not None:
            picked[rule] = (rtype, record, commune)
    return picked


def _fill(path: Path, wanted: dict[str, tuple[str, Any]]) -> set[str]:
    """Write each finding's value (or exception reason) on the worklist; returns the
    finding keys found on it."""
    wb = openpyxl.load_workbook(path)
    sheet = wb[FINDINGS]
    col = {c.value: i + 1 for i, c in enumerate(sheet[HEAD]) if c.value}
    seen = set()
    for row in range(HEAD + 1, sheet.max_row + 1):
        key = sheet.cell(row, 1).value
        if key not in wanted:
            continue
        seen.add(key)
        how, value = wanted[key]
        if how == "value":
            field = sheet.cell(row, col["Trường cần sửa"]).value
            assert field and "." not in field and "_" not in field, field  # words
            sheet.cell(row, col["Giá trị đúng"]).value = value
        else:
            sheet.cell(row, col["Chấp nhận ngoại lệ: lý do"]).value = value
        sheet.cell(row, col["Người sửa"]).value = "Cán bộ địa chính xã"
    certs = wb[CERTS]
    c_col = {c.value: i + 1 for i, c in enumerate(certs[HEAD]) if c.value}
    for row in range(HEAD + 1, certs.max_row + 1):
        key = f"cert|{certs.cell(row, 1).value}"
        if key in wanted:
            seen.add(key)
            certs.cell(row, c_col["Ngày nhập CSDL (DD/MM/YYYY hoặc x)"]).value = "x"
    wb.save(path)
    return seen


def test_every_finding_can_be_closed_from_the_worklist(
    built_workspace: Path, province: Province, tmp_path: Path
) -> None:
    copy = tmp_path / "ws.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    truth = province.root / "truth"
    closing = labels("rule_closing", "vi")
    with open_workspace(copy) as ws:
        con = ws.con
        with ws.transaction() as tx:
            _make(tx)
        run_pipeline(ws, full=True)  # defects made by hand, not by people's corrections
        picked = _pick(con, truth)
        graded = {r.rule_id for r in CATALOGUE if r.severity != "info"}
        assert graded - set(picked) == set(), "rules with no open finding to close"
        by_commune: dict[str, dict[str, tuple[str, Any]]] = {}
        expect = {}
        for rule, (rtype, record, commune) in picked.items():
            fix = next(r.fix for r in CATALOGUE if r.rule_id == rule)
            if rule in ELSEWHERE:  # paper-only certificates: the certificates sheet
                key, how = f"cert|{record}", ("entered", "x")
                expect[rule, record] = "fixed"
            elif fix is not None and fix[0] == rtype:
                value = _right_value(con, truth, rule, record)
                key, how = f"{rule}|{rtype}|{record}", ("value", value)
                expect[rule, record] = "fixed"
            else:
                assert rule in closing, f"{rule}: no field closes it and its closing is not said"
                key, how = f"{rule}|{rtype}|{record}", ("exception", "Đã kiểm tra thực địa")
                expect[rule, record] = "exception"
            by_commune.setdefault(commune, {})[key] = how
        for commune, wanted in by_commune.items():
            path = tmp_path / f"{commune}.xlsx"
            export_worklist(con, commune, path)
            assert _fill(path, wanted) == set(wanted), commune  # every finding is listed
            with ws.transaction() as tx:
                done = apply_worklist(tx, path, "Nguyễn Văn Kiểm")
            assert not done.rejected, done.errors
        run_pipeline(ws)
        states = {
            (rule, record): q(
                con, "SELECT state FROM finding WHERE rule_id = ? AND record_id = ?", [rule, record]
            )[0][0]
            for rule, record in expect
        }
        assert states == expect
        assert q(con, "SELECT count(*) FROM parcel_source_conflict")[0][0] > 0  # decided, kept
        logged = q(
            con,
            "SELECT count(*) FROM change_log WHERE stage = 'exception' AND actor = "
            "'Cán bộ địa chính xã' AND note = 'Đã kiểm tra thực địa'",
        )[0][0]
        assert logged == sum(1 for s in expect.values() if s == "exception")


def test_an_exception_is_accepted_with_its_reason_and_kept(
    built_workspace: Path, tmp_path: Path
) -> None:
    from landclean import api
    from landclean.errors import LandcleanError

    copy = tmp_path / "ws.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    with open_workspace(copy) as ws:
        con = ws.con
        record = q(
            con,
            "SELECT record_id FROM finding WHERE rule_id = 'PARCEL_OVERLAP' AND state = 'open' "
            "ORDER BY 1 LIMIT 1",
        )[0][0]
        for bad in (("", "Trần Văn B"), ("đất công", "")):  # a reason and a name, both needed
            with pytest.raises(LandcleanError):
                api.accept_exception(ws, "PARCEL_OVERLAP", record, reason=bad[0], by=bad[1])
        with pytest.raises(LandcleanError, match="no open PARCEL_OVERLAP finding"):
            api.accept_exception(ws, "PARCEL_OVERLAP", "no-such", reason="x", by="Trần Văn B")
        api.accept_exception(ws, "PARCEL_OVERLAP", record, reason="đo đạc lại", by="Trần Văn B")
        run_pipeline(ws)  # still an exception, though the rule still finds it
        assert q(
            con,
            "SELECT state FROM finding WHERE rule_id = 'PARCEL_OVERLAP' AND record_id = ?",
            [record],
        ) == [("exception",)]
        assert q(
            con,
            "SELECT actor, note, before, after FROM change_log WHERE stage = 'exception'",
        ) == [("Trần Văn B", "đo đạc lại", "open", "exception")]
