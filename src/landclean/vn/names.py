"""A person's name: its standard form, and the keys that compare two spellings.

Standard form (``standard_name``): legacy encodings decoded (TCVN3 or VNI text shown
through Windows-1252), NFC, the usual tone placement, single spaces, Vietnamese title
case, Ê Đê prefixes kept ("H'Hen Niê").

Comparison keys (all lower case), computed in SQL once per distinct name
(``name_keys_sql``; the macros are registered on every workspace connection):

* ``nfc``     — the name in NFC with single spaces (what the registry prints);
* ``tone``    — tone-placement insensitive: each syllable's tone mark moved behind the
  syllable, so *Hoà* and *Hòa*, *Thuỷ* and *Thủy* give one key, but *Hà* and *Hạ* differ;
* ``ascii``   — accents stripped and Đ→D (*Đặng Thị Hoà* → ``dang thi hoa``);
* ``tokens``  — the ascii syllables sorted, so a reversed Ê Đê order still compares;
* ``family``  — the family name or clan: the first syllable, or the last one when the
  name starts with a highland given-name prefix (*Y Bih Niê*, *H'Hen Ksor*), so
  *Niê Y Bih* and *Y Bih Niê* share family ``nie`` and given ``y bih``;
* ``given``   — the other syllables, ascii (``given_tone``: with tones).

DuckDB has no NFD, so one vectorized Arrow function (``lc_nfd``) supplies it.
"""

from __future__ import annotations

import re
import unicodedata

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from duckdb import func

from landclean.vn.legacy_encodings import decode_tcvn3, decode_vni_glyphs
from landclean.vn.text import TONE_MARKS, clean_label, nfc, title_case, usual_tone_placement

_VOWELS = "aăâeêioôơuưyáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
# Vowel nuclei of Vietnamese syllables (tone marks removed), longest first.
_NUCLEI = sorted(
    (
        "a",
        "ă",
        "â",
        "e",
        "ê",
        "i",
        "o",
        "ô",
        "ơ",
        "u",
        "ư",
        "y",
        "ai",
        "ao",
        "au",
        "ay",
        "âu",
        "ây",
        "eo",
        "êu",
        "ia",
        "iê",
        "iu",
        "oa",
        "oă",
        "oe",
        "oi",
        "ôi",
        "ơi",
        "ua",
        "uâ",
        "uê",
        "ui",
        "uô",
        "uơ",
        "ưa",
        "ưi",
        "ưu",
        "ươ",
        "uy",
        "yê",
        "iêu",
        "oai",
        "oay",
        "oeo",
        "uây",
        "uôi",
        "ươi",
        "ươu",
        "uya",
        "uyê",
        "yêu",
        "uyu",
    ),
    key=len,
    reverse=True,
)
_SYLLABLE = re.compile(
    r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdđghklmnprstvx])?"
    rf"(?:{'|'.join(_NUCLEI)})(?:ng|nh|ch|[cmnpt])?"
)


def syllable_share(text: str) -> float:
    """Share of words that are well-formed Vietnamese syllables with at most one tone."""
    words = [w for w in re.split(r"[\s']+", nfc(text).lower()) if w]
    if not words:
        return 0.0
    good = 0
    for w in words:
        parts = unicodedata.normalize("NFD", w)
        tones = sum(c in TONE_MARKS for c in parts)
        bare = nfc("".join(c for c in parts if c not in TONE_MARKS))
        good += tones <= 1 and _SYLLABLE.fullmatch(bare) is not None
    return good / len(words)


_LETTERS = set(_VOWELS + _VOWELS.upper() + "đĐ")
# Latin-1 characters that are not Vietnamese letters: their presence in a name means a
# legacy encoding was shown through Windows-1252.  VNI also writes "oâ" for "ô" etc.,
# and a toned i or y as the letter and its tone glyph ("iù" for í, "yõ" for ỹ): a tone
# on u or o right after i or y, which Vietnamese spelling does not have (in capitals,
# "YÕ" is also TCVN3's "Yế": not a sign of VNI).
_SUSPECT = {chr(c) for c in range(0xA0, 0x100)} - _LETTERS - {"\xa0"}
_VNI_PAIR = re.compile(r"[aeoAEO][âêÂÊ]|[aA][êÊ]|[iIyY][ùõ]")
_VNI_ONLY = set("øûïöñØÛÏÖÑ")


def has_mojibake_marks(text: str) -> bool:
    """Whether the text shows a character or pair that no Vietnamese text has."""
    return any(c in _SUSPECT or c in _VNI_ONLY for c in text) or bool(_VNI_PAIR.search(text))


def decode_mojibake(text: str) -> str:
    """Undo TCVN3 or VNI text shown through Windows-1252 ("B¶o" -> "Bảo", "Nieâ" -> "Niê").

    A reading is taken when it has more well-formed Vietnamese syllables than the text as
    it is, or as many when the text shows the marks of that encoding."""
    candidates = [(syllable_share(text), 0, text)]
    vni = decode_vni_glyphs(text)
    if vni != text:
        marked = bool(_VNI_PAIR.search(text) or any(c in _VNI_ONLY for c in text))
        candidates.append((syllable_share(vni), int(marked), vni))
    try:
        tcvn3 = decode_tcvn3(text.encode("cp1252"))
    except UnicodeEncodeError:
        tcvn3 = text
    if tcvn3 != text:
        candidates.append((syllable_share(tcvn3), int(any(c in _SUSPECT for c in text)), tcvn3))
    return max(candidates, key=lambda c: (c[0], c[1]))[2]


def standard_name(raw: str | None) -> str | None:
    """The standard form of a name as typed (None stays None)."""
    if raw is None or not raw.strip():
        return None
    text = decode_mojibake(nfc(raw))
    return title_case(usual_tone_placement(clean_label(text)))


# ---------------------------------------------------------------- comparison keys

# Registered on every workspace connection (``vn.sql``); ``lc_ascii_key`` is in ``vn.text``.
MACROS = f"""
CREATE OR REPLACE TEMP MACRO lc_clean_name(x) AS
    nullif(regexp_replace(trim(nfc_normalize(x)), '\\s+', ' ', 'g'), '');
CREATE OR REPLACE TEMP MACRO lc_tone_key(x) AS
    nfc_normalize(regexp_replace(lower(lc_nfd(regexp_replace(lc_clean_name(x),
                                                            '[’‘`´ʼ]', '''', 'g'))),
                                 '([{TONE_MARKS}])([^ ]*)', '\\2\\1', 'g'));
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


def register_nfd(con: duckdb.DuckDBPyConnection) -> None:
    """The Arrow function ``lc_nfd(VARCHAR) -> VARCHAR`` (DuckDB has no NFD)."""
    con.create_function(
        "lc_nfd",
        _nfd,
        [duckdb.sqltype("VARCHAR")],
        duckdb.sqltype("VARCHAR"),
        type=func.PythonUDFType.ARROW,
        null_handling=func.FunctionNullHandling.SPECIAL,
    )


def name_keys_sql(names: str) -> str:
    """The query giving every key for each distinct ``name`` of the query ``names``."""
    return NAME_KEYS_SQL.format(names=names)
