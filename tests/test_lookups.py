"""``keys_in``: a list of keys as SQL literals finds exactly the keys asked for, whatever
they hold (quotes, any character); the commune page's records to fix, whose records are
looked up by such lists, carry what a record's own page gives."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landclean.workspace import Workspace
from landclean.workspace.lookups import keys_in

KEYS = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12
)


@settings(max_examples=60, deadline=None)
@given(table=st.lists(KEYS, max_size=8), wanted=st.lists(st.none() | KEYS, max_size=6))
def test_keys_in_finds_exactly_the_keys_asked_for(
    table: list[str], wanted: list[str | None]
) -> None:
    con = duckdb.connect()
    con.execute("CREATE TABLE t (k VARCHAR)")
    con.execute("INSERT INTO t SELECT unnest(?::VARCHAR[])", [table])
    found = {r[0] for r in con.execute(f"SELECT k FROM t WHERE {keys_in('k', wanted)}").fetchall()}
    assert found == set(table) & {w for w in wanted if w is not None}


def test_records_to_fix_carry_each_findings_lineage_and_the_version_on_record(
    ws: Workspace,
) -> None:
    """Each row of a commune's records to fix names the file, sheet and row its finding
    holds, and the version of the value on record an edit is based on, as the record's
    own page gives it (looked up here one record at a time)."""
    from landclean.browse.commune import records_to_fix
    from landclean.browse.records import current_value, version_token

    communes = [
        r[0]
        for r in ws.con.execute(
            "SELECT p.unit_code FROM finding f JOIN parcel p USING (parcel_id) "
            "WHERE f.state = 'open' GROUP BY 1 ORDER BY count(*) DESC LIMIT 3"
        ).fetchall()
    ]
    checked = 0
    seen: set[str] = set()
    for commune in communes:
        for row in records_to_fix(ws.con, commune, limit=300):
            held = ws.con.execute(
                "SELECT source_file, source_sheet, source_row FROM finding "
                "WHERE rule_id = ? AND record_type = ? AND record_id = ?",
                [row["rule_id"], row["record_type"], row["record_id"]],
            ).fetchone()
            assert (row["source_file"], row["source_sheet"], row["source_row"]) == held
            if row["column"] is None:
                assert row["based_on"] is None
                continue
            now = current_value(ws.con, row["record_type"], row["record_id"], row["column"])
            assert row["based_on"] == version_token(now), row
            checked += 1
            seen.add(row["record_type"])
    assert checked >= 50 and len(seen) >= 2, (checked, seen)


@pytest.mark.parametrize(
    ("table", "column"),
    [
        ("land_right", "party_id"),
        ("certificate_parcel", "certificate_id"),
        ("change_log", "record_id"),
        ("party", "party_id"),
        ("certificate", "certificate_id"),
    ],
)
def test_a_records_rows_are_found_through_its_index(ws: Workspace, table: str, column: str) -> None:
    """The lookups a record page makes by a column the table is not stored in the order
    of go through an index, and find what a scan of the whole table finds."""
    keys = [
        r[0]
        for r in ws.con.execute(
            f"SELECT {column} FROM {table} WHERE {column} IS NOT NULL "
            f"GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 5"
        ).fetchall()
    ]
    assert keys
    for key in keys:
        plan = "\n".join(str(r[1]) for r in ws.con.execute(
            f"EXPLAIN ANALYZE SELECT * FROM {table} WHERE {column} = ?", [key]
        ).fetchall())  # fmt: skip
        assert "Index Scan" in plan, plan
        indexed = ws.con.execute(
            f"SELECT * FROM {table} WHERE {column} = ? ORDER BY ALL", [key]
        ).fetchall()
        scanned = ws.con.execute(  # (an expression over the column: no index)
            f"SELECT * FROM {table} WHERE {column} || '' = ? ORDER BY ALL", [key]
        ).fetchall()
        assert indexed == scanned and indexed
