"""Standard form of a person's name: legacy encodings decoded, NFC, the usual tone
placement, single spaces, Vietnamese title case, Ê Đê prefixes kept ("H'Hen Niê")."""

from __future__ import annotations

import re
import unicodedata

from landclean.ingest.encodings import decode_legacy
from landclean.vn.legacy_encodings import decode_vni_glyphs
from landclean.vn.text import clean_label, nfc, title_case

_TONES = "\u0300\u0301\u0303\u0309\u0323"
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
        tones = sum(c in _TONES for c in parts)
        bare = nfc("".join(c for c in parts if c not in _TONES))
        good += tones <= 1 and _SYLLABLE.fullmatch(bare) is not None
    return good / len(words)


_LETTERS = set(_VOWELS + _VOWELS.upper() + "đĐ")
# Latin-1 characters that are not Vietnamese letters: their presence in a name means a
# legacy encoding was shown through Windows-1252.  VNI also writes "oâ" for "ô" etc.
_SUSPECT = {chr(c) for c in range(0xA0, 0x100)} - _LETTERS - {"\xa0"}
_VNI_PAIR = re.compile(r"[aeoAEO][âêÂÊ]|[aA][êÊ]")
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
        tcvn3 = decode_legacy(text.encode("cp1252"), "tcvn3")
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
