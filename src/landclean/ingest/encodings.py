"""Detect the text encoding of a CSV export and decode it to NFC Unicode."""

from __future__ import annotations

import codecs
import unicodedata
from functools import cache

from landclean.vn.legacy_encodings import _tcvn3_tables, decode_vni_glyphs

VIETNAMESE = set("ăâđêôơưáàảãạắằẳẵặấầẩẫậéèẻẽẹếềểễệíìỉĩịóòỏõọốồổỗộớờởỡợúùủũụứừửữựýỳỷỹỵ")


@cache
def _tcvn3_translate() -> dict[int, str]:
    _, decode = _tcvn3_tables()
    return {code: char for code, char in decode.items()}


TONES = set("\u0300\u0301\u0303\u0309\u0323")


def _score(text: str) -> float:
    """Vietnamese letters per word, minus a heavy penalty for words with two tone marks
    (which a wrong decoding produces and Vietnamese never has)."""
    words = text[:200_000].lower().split()
    if not words:
        return 0.0
    good = bad = 0
    for word in words:
        tones = sum(ch in TONES for ch in unicodedata.normalize("NFD", word))
        if tones > 1:
            bad += 1
        good += sum(ch in VIETNAMESE for ch in word)
    return (good - 5 * bad) / len(words)


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a text file; returns (NFC text, encoding name).

    UTF-8 (with or without BOM) and UTF-16 (with BOM) are taken as they are. Otherwise the
    bytes are decoded as TCVN3, VNI and CP1258 and the one that yields the most Vietnamese
    letters wins.
    """
    if data.startswith(codecs.BOM_UTF8):
        return unicodedata.normalize("NFC", data[3:].decode("utf-8")), "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return unicodedata.normalize("NFC", data.decode("utf-16")), "utf-16"
    try:
        return unicodedata.normalize("NFC", data.decode("utf-8")), "utf-8"
    except UnicodeDecodeError:
        pass
    latin = data.decode("latin-1")
    candidates = {
        "tcvn3": latin.translate(_tcvn3_translate()),
        "vni": decode_vni_glyphs(data.decode("cp1252", errors="replace")),
        "cp1258": unicodedata.normalize("NFC", data.decode("cp1258", errors="replace")),
    }
    best = max(candidates, key=lambda k: _score(candidates[k]))
    return unicodedata.normalize("NFC", candidates[best]), best
