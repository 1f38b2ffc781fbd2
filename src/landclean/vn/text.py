"""Vietnamese text: NFC, tone-placement keys, accent stripping with Đ, name casing."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_SPACES = re.compile(r"\s+")
# The five tone marks as combining characters (huyền, sắc, ngã, hỏi, nặng): the one
# definition every module uses (Python sets, SQL regular expressions, encoders).
TONE_MARKS = "\u0300\u0301\u0303\u0309\u0323"
_TONES = frozenset(TONE_MARKS)
# Lower-case letters only Vietnamese has (vowel shapes, toned vowels, đ).
VIETNAMESE_LETTERS = frozenset(
    "ăâđêôơưáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ"
)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'"})

# Old ("oà, oá, uỷ") vs new ("òa, óa, ủy") tone placement: the two spellings of the same
# syllable.  Pairs are (old, new) on the bare vowel cluster + tone.
_OLD_TO_NEW_CLUSTERS = ("oa", "oe", "uy")


def nfc(text: str) -> str:
    """Unicode NFC form (what every stored name must be)."""
    return unicodedata.normalize("NFC", text)


def clean_spaces(text: str) -> str:
    """Collapse runs of white space and trim: 'Phường  Tân An ' -> 'Phường Tân An'."""
    return _SPACES.sub(" ", text).strip()


def clean_label(text: str) -> str:
    """An administrative or person label as stored: NFC, single spaces, straight apostrophes."""
    return clean_spaces(nfc(text).translate(_APOSTROPHES))


def strip_tones(text: str) -> str:
    """Remove the five tone marks but keep vowel shapes (â, ơ, ư) and Đ."""
    decomposed = unicodedata.normalize("NFD", text)
    return nfc("".join(ch for ch in decomposed if ch not in _TONES))


def ascii_key(text: str) -> str:
    """Accent-free lower-case key with Đ→D: 'Đắk Lắk' -> 'dak lak'."""
    text = nfc(text).replace("Đ", "D").replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return clean_spaces(bare.translate(_APOSTROPHES).lower())


@lru_cache(maxsize=1 << 16)  # the same headers and names are keyed over and over
def compact_key(text: str) -> str:
    """Key used by vietnamadminunits: accent-free, lower-case, letters and digits only."""
    return re.sub(r"[^a-z0-9]", "", ascii_key(text))


def tone_key(text: str) -> str:
    """A key that is equal for old and new tone placement (Hoà = Hòa, Thuỷ = Thủy).

    Each syllable is reduced to its tone-less letters plus the tone it carries,
    wherever the mark sits.
    """
    out = []
    for syllable in clean_spaces(nfc(text)).lower().split(" "):
        decomposed = unicodedata.normalize("NFD", syllable)
        tones = [ch for ch in decomposed if ch in _TONES]
        bare = nfc("".join(ch for ch in decomposed if ch not in _TONES))
        out.append(bare + ("".join(tones)))
    return " ".join(out)


def to_old_tone_placement(text: str) -> str:
    """Move tones to the old position in oa/oe/uy syllables: 'Hòa' -> 'Hoà', 'Thủy' -> 'Thuỷ'."""

    def fix(match: re.Match[str]) -> str:
        cluster = unicodedata.normalize("NFD", match.group(0))
        tones = [ch for ch in cluster if ch in _TONES]
        if not tones:
            return match.group(0)
        letters = [ch for ch in cluster if ch not in _TONES]
        return nfc(letters[0] + letters[1] + tones[0] + "".join(letters[2:]))

    pattern = re.compile(r"(?i)(?:[oòóỏõọ][aàáảãạeèéẻẽẹ]|[uùúủũụ][yỳýỷỹỵ])(?![a-zđ])")
    return pattern.sub(fix, nfc(text))


# "oà", "oé", "uỷ" at the end of a syllable (not after q): the tone goes on the first vowel.
_NEW_PLACEMENT = re.compile(r"(?i)(?<!q)([ou])([aeyàáảãạèéẻẽẹỳýỷỹỵ])(?![a-zđ])")


def usual_tone_placement(text: str) -> str:
    """'Hoà' -> 'Hòa', 'Thuỷ' -> 'Thủy', 'Khoẻ' -> 'Khỏe' (the spelling of official data)."""

    def move(match: re.Match[str]) -> str:
        first, second = match.group(1), match.group(2)
        parts = unicodedata.normalize("NFD", second)
        tones = [c for c in parts if c in _TONES]
        if not tones:
            return match.group(0)
        if first.lower() == "u" and parts[0].lower() != "y":
            return match.group(0)
        if first.lower() == "o" and parts[0].lower() not in "ae":
            return match.group(0)
        bare = "".join(c for c in parts if c not in _TONES)
        return nfc(first + tones[0]) + nfc(bare)

    return _NEW_PLACEMENT.sub(move, nfc(text))


def title_case(text: str) -> str:
    """Vietnamese title case, keeping Ê Đê prefixes: "h'hen niê" -> "H'Hen Niê"."""
    words = []
    for word in clean_label(text).split(" "):
        parts = word.split("'")
        words.append("'".join(p[:1].upper() + p[1:].lower() for p in parts))
    return " ".join(words)


# The SQL twins of ``ascii_key`` and of an empty cell, registered on every workspace
# connection (``vn.sql``).
MACROS = r"""
CREATE OR REPLACE TEMP MACRO lc_text(x) AS NULLIF(trim(x), '');
-- strip_accents drops the marks of any normalization form, so no NFC is needed first
CREATE OR REPLACE TEMP MACRO lc_ascii_key(x) AS
    trim(regexp_replace(lower(strip_accents(translate(x, 'Đđ’‘`´ʼ', 'Dd'''''''''''))),
                        '\s+', ' ', 'g'));
"""
