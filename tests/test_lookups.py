"""``keys_in``: a list of keys as SQL literals finds exactly the keys asked for, whatever
they hold (quotes, any character)."""

from __future__ import annotations

import duckdb
from hypothesis import given, settings
from hypothesis import strategies as st

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
