"""Masking a pair of ID numbers so that a reviewer sees the digits where they differ:
hand-worked examples, the rule as a property, and the SQL macro agreeing with Python."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landclean import privacy
from landclean.privacy import mask_id_pair


@pytest.fixture(scope="module")
def con() -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    privacy.register(connection)
    return connection


def _sql(con: duckdb.DuckDBPyConnection, a: str | None, b: str | None) -> tuple:
    row = con.execute("SELECT lc_mask_id_pair($a, $b), lc_mask_id_pair($b, $a)", {"a": a, "b": b})
    return row.fetchone()  # type: ignore[return-value]


# worked by hand, position by position
EXAMPLES = [
    # two digits swapped three apart: positions 6 and 8 differ
    ("066085403160", "066085304160", "066***4*3*60", "066***3*4*60"),
    # neighbours swapped: positions 5 and 6
    ("066123456760", "066124356760", "066**34***60", "066**43***60"),
    # one wrong digit: position 8
    ("001085001260", "001085007260", "001*****1*60", "001*****7*60"),
    # three of twelve differ (a quarter): positions 3, 6, 9
    ("066085001260", "066185101360", "0660**0**260", "0661**1**360"),
    # four of twelve differ (more than a quarter): another number, the usual masks
    ("066085001260", "066185101361", "066*******60", "066*******61"),
    # differences only where the usual mask shows anyway
    ("066085001260", "067085001261", "066*******60", "067*******61"),
    ("066085001260", "066085001260", "066*******60", "066*******60"),
    # 9 digits: two of nine differ (at most a quarter), three do not
    ("240123456", "240213456", "24012**56", "24021**56"),
    ("240123456", "240321556", "240****56", "240****56"),
    # lengths differ (an old card number against a citizen ID), or one is missing
    ("066085001", "066085001260", "066****01", "066*******60"),
    (None, "066085001260", None, "066*******60"),
    ("066085001260", None, "066*******60", None),
    (None, None, None, None),
    # too short to hide anything
    ("123", "124", "123", "124"),
]


@pytest.mark.parametrize(("a", "b", "masked_a", "masked_b"), EXAMPLES)
def test_pairs_worked_by_hand(
    con: duckdb.DuckDBPyConnection,
    a: str | None,
    b: str | None,
    masked_a: str | None,
    masked_b: str | None,
) -> None:
    assert mask_id_pair(a, b) == (masked_a, masked_b)
    assert _sql(con, a, b) == (masked_a, masked_b)


def test_the_macro_is_set_based_over_a_table(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("CREATE OR REPLACE TEMP TABLE pairs (a VARCHAR, b VARCHAR)")
    con.executemany("INSERT INTO pairs VALUES (?, ?)", [[a, b] for a, b, _, _ in EXAMPLES])
    got = con.execute(
        "SELECT lc_mask_id_pair(a, b), lc_mask_id_pair(b, a) FROM pairs ORDER BY rowid"
    ).fetchall()
    assert got == [(x, y) for _, _, x, y in EXAMPLES]


@st.composite
def pairs(draw: st.DrawFn) -> tuple[str, str]:
    """Two digit strings of one length: a number and a copy with some digits changed
    (few, as a typo, or many, as another person's number)."""
    n = draw(st.sampled_from([6, 9, 12]))
    a = draw(st.text("0123456789", min_size=n, max_size=n))
    changed = draw(st.sets(st.integers(0, n - 1), max_size=n))
    b = "".join(str((int(ch) + 1 + draw(st.integers(0, 8))) % 10) if i in changed else ch
                for i, ch in enumerate(a))  # fmt: skip
    if draw(st.booleans()):
        a, b = b, a
    return a, b


@settings(max_examples=300, deadline=None)
@given(pairs())
def test_a_pair_shows_exactly_the_differing_digits(pair: tuple[str, str]) -> None:
    a, b = pair
    n = len(a)
    x, y = mask_id_pair(a, b)
    assert x is not None and y is not None
    assert len(x) == len(y) == n
    ends = {i for i in range(n) if i < 3 or i >= n - 2}
    differ = {i for i in range(n) if a[i] != b[i]}
    shown_x = {i for i in range(n) if x[i] != "*"}
    shown_y = {i for i in range(n) if y[i] != "*"}
    assert shown_x == shown_y  # the same positions masked in both
    assert all(x[i] == a[i] and y[i] == b[i] for i in shown_x)  # a shown digit is its own
    assert len(shown_x) <= len(ends | differ)  # never more than the ends and the mistake
    if 4 * len(differ) <= n:  # a typo: exactly the ends and the differing digits
        assert shown_x == ends | differ
    else:  # another number: nothing but the ends
        assert shown_x == ends
        assert (x, y) == (privacy.mask_id(a), privacy.mask_id(b))
    assert shown_x - ends <= differ  # a masked position hides equal digits


@settings(max_examples=100, deadline=None)
@given(pairs())
def test_the_macro_agrees_with_python(pair: tuple[str, str]) -> None:
    con = duckdb.connect()
    privacy.register(con)
    a, b = pair
    assert _sql(con, a, b) == mask_id_pair(a, b)
