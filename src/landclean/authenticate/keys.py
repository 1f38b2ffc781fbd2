"""Vietnamese comparison keys for people's names, computed once per distinct name.

The keys (all lower case):

* ``nfc``     — the name in NFC with single spaces (what the registry prints);
* ``tone``    — tone-placement insensitive: each syllable's tone mark moved behind the
  syllable, so *Hoà* and *Hòa*, *Thuỷ* and *Thủy* give one key, but *Hà* and *Hạ* differ;
* ``ascii``   — accents stripped and Đ→D (*Đặng Thị Hoà* → ``dang thi hoa``);
* ``tokens``  — the ascii syllables sorted, so a reversed Ê Đê order still compares;
* ``family``  — the family name or clan: the first syllable, or the last one when the
  name starts with a highland given-name prefix (*Y Bih Niê*, *H'Hen Ksor*), so
  *Niê Y Bih* and *Y Bih Niê* share family ``nie`` and given ``y bih``;
* ``given``   — the other syllables, ascii (``given_tone``: with tones).

DuckDB has no NFD, so one vectorized Arrow UDF (``lc_nfd``) supplies it; everything else
is SQL.
"""

from __future__ import annotations

import contextlib

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from duckdb import func

# Accent-free key used by the exact checks of the rules (kept for the rule catalogue).
NAME_KEY_MACRO = """
CREATE OR REPLACE TEMP MACRO lc_name_key(x) AS
    regexp_replace(lower(strip_accents(replace(replace(nfc_normalize(trim(x)), 'Đ', 'D'),
                                               'đ', 'd'))), '\\s+', ' ', 'g');
"""

_TONES = "\u0300\u0301\u0303\u0309\u0323"  # huyền, sắc, ngã, hỏi, nặng (combining)

KEY_MACROS = f"""
CREATE OR REPLACE TEMP MACRO lc_clean_name(x) AS
    nullif(regexp_replace(trim(nfc_normalize(x)), '\\s+', ' ', 'g'), '');
CREATE OR REPLACE TEMP MACRO lc_tone_key(x) AS
    nfc_normalize(regexp_replace(lower(lc_nfd(regexp_replace(lc_clean_name(x),
                                                            '[’‘`´ʼ]', '''', 'g'))),
                                 '([{_TONES}])([^ ]*)', '\\2\\1', 'g'));
CREATE OR REPLACE TEMP MACRO lc_ascii_words(x) AS
    trim(regexp_replace(regexp_replace(
        lower(strip_accents(replace(replace(lc_clean_name(x), 'Đ', 'D'), 'đ', 'd'))),
        '[’‘`´ʼ]', '''', 'g'), '[^a-z0-9'' ]', '', 'g'));
"""

# One row per distinct name: every key.  {names} is a query with one column ``name``.
# The given name of a highland name is the syllable pair starting with "Y" (men) or the
# syllable starting with "H'" (women), wherever it stands; the other syllables are the
# clan (one or more: Niê, Buôn Yă, Rơ Châm).  Otherwise the first syllable is the family
# name and the rest the given names.
NAME_KEYS_SQL = """
WITH d AS (SELECT DISTINCT name FROM ({names}) WHERE name IS NOT NULL),
k AS (
    SELECT name, lc_clean_name(name) AS nfc, lc_tone_key(name) AS tone,
           lc_ascii_words(name) AS words
    FROM d
),
t AS (
    SELECT *, string_split(words, ' ') AS w, string_split(tone, ' ') AS tw FROM k
),
m AS (   -- where a highland given name starts
    SELECT *,
        list_position(w[1:-2], 'y') AS iy,
        list_position(list_transform(w, x -> x LIKE 'h''_%'), true) AS ih
    FROM t
),
g AS (   -- the given-name span [g1, g2], 1-based
    SELECT *,
        CASE WHEN len(w) = 1 THEN 2 WHEN iy > 0 THEN iy WHEN ih > 0 THEN ih ELSE 2 END AS g1,
        CASE WHEN len(w) = 1 THEN 1 WHEN iy > 0 THEN iy + 1 WHEN ih > 0 THEN ih
             ELSE len(w) END AS g2
    FROM m
)
SELECT name, nfc, tone,
       replace(words, '''', '') AS ascii,
       array_to_string(list_sort(string_split(replace(words, '''', ''), ' ')), ' ') AS tokens,
       nullif(replace(array_to_string(list_filter(w, (x, i) -> i < g1 OR i > g2), ' '),
                      '''', ''), '') AS family,
       nullif(replace(array_to_string(w[g1:g2], ' '), '''', ''), '') AS given,
       nullif(array_to_string(tw[g1:g2], ' '), '') AS given_tone
FROM g
"""


def _nfd(names: pa.Array) -> pa.Array:
    return pc.utf8_normalize(names, "NFD")


def register(con: duckdb.DuckDBPyConnection) -> None:
    """Make ``lc_nfd`` and the key macros available on ``con``."""
    with contextlib.suppress(duckdb.InvalidInputException, duckdb.CatalogException):
        con.remove_function("lc_nfd")
    con.create_function(
        "lc_nfd",
        _nfd,
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
        type=func.PythonUDFType.ARROW,
        null_handling=func.FunctionNullHandling.SPECIAL,
    )
    con.execute(KEY_MACROS)


def name_keys_sql(names: str) -> str:
    """The query giving every key for each distinct ``name`` of the query ``names``."""
    return NAME_KEYS_SQL.format(names=names)
