"""Many corrections at once (a worklist) end exactly as the same corrections one by one."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landclean.corrections import Correction, record_correction, record_corrections, typed_text
from landclean.errors import LandcleanError
from landclean.workspace import Workspace
from tests.conftest import q

COLUMNS = {
    "parcel": ("sheet_no", "legal_area", "address"),
    "party": ("full_name", "birth_date", "id_number"),
    "nope": ("x",),
}
VALUES = st.sampled_from(
    ["12", "007", "1234.50", "abc", "1965-03-12", "31/02/1965", "Nguyễn Thị Hoà", "", None]
)


def _state(ws: Workspace, touched: set[tuple[str, str, str]]) -> tuple[Any, ...]:
    logged = q(
        ws.con,
        "SELECT table_name, record_id, column_name, before, value, actor, note "
        "FROM correction ORDER BY correction_id",
    )
    values = []
    for table, record, column in sorted(touched):
        if table in ("parcel", "party") and column in COLUMNS[table]:
            key = f"{table}_id"
            values.append(
                q(
                    ws.con,
                    f"SELECT CAST({column} AS VARCHAR) FROM {table} WHERE {key} = ?",
                    [record],
                )
            )
    return logged, values


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_bulk_equals_one_by_one(copy_ws: Workspace, data: st.DataObject) -> None:
    con = copy_ws.con
    parcels = [r[0] for r in q(con, "SELECT parcel_id FROM parcel ORDER BY 1 LIMIT 3")]
    parties = [r[0] for r in q(con, "SELECT party_id FROM party ORDER BY 1 LIMIT 3")]
    records = {"parcel": [*parcels, "NO-SUCH"], "party": [*parties, "NO-SUCH"], "nope": ["1"]}
    table = st.sampled_from(sorted(COLUMNS))
    items = data.draw(
        st.lists(
            table.flatmap(
                lambda t: st.tuples(
                    st.just(t),
                    st.sampled_from(records[t]),
                    st.sampled_from(COLUMNS[t]),
                    VALUES,
                    st.sampled_from(["cán bộ A", "cán bộ B"]),
                )
            ),
            max_size=12,
        )
    )
    corrections = [
        Correction(t, r, c, v, a, f"note {i}") for i, (t, r, c, v, a) in enumerate(items)
    ]
    touched = {(c.table, c.record_id, c.column) for c in corrections}

    con.execute("BEGIN TRANSACTION")
    refused_one = set()
    for i, c in enumerate(corrections):
        if record_corrections(con, [c]):
            refused_one.add(i)
    one_by_one = _state(copy_ws, touched)
    con.execute("ROLLBACK")

    con.execute("BEGIN TRANSACTION")
    refused_bulk = record_corrections(con, corrections)
    bulk = _state(copy_ws, touched)
    con.execute("ROLLBACK")

    assert set(refused_bulk) == refused_one
    assert bulk == one_by_one


def test_one_correction_is_read_as_a_worklist_cell_is(copy_ws: Workspace) -> None:
    """``landclean correct`` and a worklist read a person's text the same way: dates as
    DD/MM/YYYY, decimal commas, an ID number's lost leading zero; what follows from the
    value (the ID's type, the birth year) is set with it; nonsense is refused."""
    con = copy_ws.con
    parcel = q(con, "SELECT parcel_id FROM parcel ORDER BY 1 LIMIT 1")[0][0]
    party = q(con, "SELECT party_id FROM party ORDER BY 1 LIMIT 1")[0][0]
    con.execute("BEGIN TRANSACTION")
    try:
        assert record_correction(con, "parcel", parcel, "legal_area", "1.234,5", "A") == "1234.5"
        assert record_correction(con, "party", party, "birth_date", "05/03/1980", "A") == (
            "1980-03-05"
        )
        assert record_correction(con, "party", party, "id_number", "66089000123", "A") == (
            "066089000123"
        )
        assert q(con, "SELECT legal_area FROM parcel WHERE parcel_id = ?", [parcel]) == [(1234.5,)]
        assert q(
            con,
            "SELECT birth_date::VARCHAR, birth_year, birth_precision, id_number, id_type "
            "FROM party WHERE party_id = ?",
            [party],
        ) == [("1980-03-05", 1980, "day", "066089000123", "CCCD")]
        for column, text, reason in (
            ("legal_area", "nhiều", "not a number"),
            ("sheet_no", "abc", "not a whole number"),
        ):
            with pytest.raises(LandcleanError, match=reason):
                record_correction(con, "parcel", parcel, column, text, "A")
        with pytest.raises(LandcleanError, match="31/02/1980"):
            record_correction(con, "party", party, "birth_date", "31/02/1980", "A")
    finally:
        con.execute("ROLLBACK")


@pytest.mark.parametrize(
    ("kind", "column", "text", "stored"),
    [
        ("INTEGER", "parcel_no", "12,0", "12"),
        ("INTEGER", "parcel_no", "12.5", "not_a_whole_number"),  # never rounded to 13
        ("INTEGER", "parcel_no", "1e3", "not_a_whole_number"),
        ("INTEGER", "sheet_no", "-1", "not_a_whole_number"),
        ("INTEGER", "sheet_no", "99999999999", "not_a_whole_number"),
        ("INTEGER", "scale", "1:2.000", "2000"),
        ("INTEGER", "scale", "50", "not_a_scale"),
        ("INTEGER", "birth_year", "2999", "date_in_future"),
        ("DOUBLE", "legal_area", "-5", "negative_number"),
        ("DATE", "issue_date", "01/01/2999", "date_in_future"),
        ("BOOLEAN", "vbdlis_synced", "Có", "true"),
        ("BOOLEAN", "vbdlis_synced", "chưa", "false"),
        ("BOOLEAN", "vbdlis_synced", "abc", "not_yes_or_no"),
        ("VARCHAR", "sex", "Nữ", "F"),
        ("VARCHAR", "sex", "khác", "not_one_of"),
        ("VARCHAR", "party_type", "Hộ gia đình", "household"),
        ("VARCHAR", "party_type", "cá nhân", "individual"),
        ("VARCHAR", "digital_status", "Chưa có dữ liệu số", "paper_only"),
        ("VARCHAR", "digital_status", "xyz", "not_one_of"),
        ("VARCHAR", "land_use", "odt.", "ODT"),
        ("VARCHAR", "full_name", "Nguye\u0302\u0303n Va\u0306n A", "Nguyễn Văn A"),  # NFD -> NFC
    ],
)
def test_a_person_s_value_is_read_for_its_column(
    kind: str, column: str, text: str, stored: str
) -> None:
    """What ``correct`` and a worklist take for a column with a narrow domain: the value
    as the column holds it, or the reason it cannot be one (the error's key)."""
    try:
        assert typed_text(kind, column, text) == stored
    except LandcleanError as exc:
        assert exc.key == stored
