"""Legacy Vietnamese 8-bit encodings: TCVN3 (ABC) and VNI Windows, from mapping tables.

Python has a cp1258 codec but none for TCVN3 or VNI, which old land systems still
export.  Both are built here from data: TCVN3 from ``data/tcvn3.json`` (one byte per
letter), VNI from its composition rules (a base letter followed by a diacritic glyph).
Text that was stored in one of these encodings and then read as Windows-1252 shows up
as mojibake ("B¶o Th¾ng" for "Bảo Thắng", "chaøo" for "chào"); ``decode_mojibake`` undoes it.

VNI fonts have one glyph for a toned i ("ì" for ì, "ò" for ị) and for ỵ ("î"), but some
typing tools write these as the letter followed by the tone glyph of the other vowels
("iø", "iï", "yï"; also "Iø", a lower-case tone after a capital).  Decoding accepts
both forms; encoding writes the single glyph.
"""

from __future__ import annotations

import json
import unicodedata
from functools import cache
from importlib import resources

from landclean.vn.text import TONE_MARKS

# ---------------------------------------------------------------- TCVN3


@cache
def _tcvn3_tables() -> tuple[dict[str, int], dict[int, str]]:
    doc = json.loads(resources.files("landclean.vn").joinpath("data/tcvn3.json").read_text("utf-8"))
    decode = {int(code, 16): char for code, char in doc["bytes"].items()}
    encode = {char: code for code, char in decode.items()}
    return encode, decode


def encode_tcvn3(text: str, *, abc: bool = False) -> bytes:
    """Encode NFC text to TCVN3 bytes; raises ValueError naming the first unmappable char.

    ``abc=True`` writes as the ABC fonts did: they have no upper-case toned letters, so
    those are written with the lower-case code (the font made them look upper-case).
    """
    encode, _ = _tcvn3_tables()
    out = bytearray()
    for pos, ch in enumerate(unicodedata.normalize("NFC", text)):
        if abc and ch in encode and encode[ch] < 0xA0 and ch.lower() in encode:
            out.append(encode[ch.lower()])
        elif ch in encode:
            out.append(encode[ch])
        elif ord(ch) < 0x80:
            out.append(ord(ch))
        else:
            raise ValueError(f"character {ch!r} at position {pos} has no TCVN3 code")
    return bytes(out)


@cache
def _tcvn3_translate() -> dict[int, str]:
    _, decode = _tcvn3_tables()
    return dict(decode)


def decode_tcvn3(data: bytes) -> str:
    """Decode TCVN3 bytes to NFC text (bytes without a letter pass through as Latin-1)."""
    text = data.decode("latin-1").translate(_tcvn3_translate())
    return unicodedata.normalize("NFC", text)


# ---------------------------------------------------------------- VNI Windows

# VNI writes a letter as base + (vowel mark and/or tone) glyphs, in the cp1252 range.
_VNI_TONE = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
_VNI_CIRC_TONE = {
    "": "â",
    "\u0301": "á",
    "\u0300": "à",
    "\u0309": "å",
    "\u0303": "ã",
    "\u0323": "ä",
}
_VNI_BREVE_TONE = {
    "": "ê",
    "\u0301": "é",
    "\u0300": "è",
    "\u0309": "ú",
    "\u0303": "ü",
    "\u0323": "ë",
}
_VNI_I = {"\u0301": "í", "\u0300": "ì", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}
_VNI_SINGLE = {"ơ": "ô", "ư": "ö", "đ": "ñ", "ỵ": "î"}
# Letters whose tone some tools write as a separate glyph even where the fonts have a
# single one (decoded, never written).
_VNI_SEPARATE_TONE = ("i", "y")


def _vni_lower(ch: str) -> str:
    """VNI glyph sequence of one lower-case Vietnamese letter."""
    if ch in _VNI_SINGLE:
        return _VNI_SINGLE[ch]
    parts = unicodedata.normalize("NFD", ch)
    base, marks = parts[0], parts[1:]
    tone = next((m for m in marks if m in _VNI_TONE), "")
    shape = next((m for m in marks if m in ("\u0302", "\u0306", "\u031b")), "")
    if base == "i" and tone:
        return _VNI_I[tone]
    if shape == "\u0302":  # circumflex: â ê ô
        return base + _VNI_CIRC_TONE[tone]
    if shape == "\u0306":  # breve: ă
        return base + _VNI_BREVE_TONE[tone]
    if shape == "\u031b":  # horn: ơ ư
        return _VNI_SINGLE[unicodedata.normalize("NFC", base + shape)] + _VNI_TONE.get(tone, "")
    return base + _VNI_TONE.get(tone, "")


def _vni_separate_forms(ch: str) -> dict[str, str]:
    """The other glyph sequences read as a lower-case letter or its capital: a toned i or
    y written as the letter and its tone glyph ("iø" -> ì, "IØ" and "Iø" -> Ì)."""
    parts = unicodedata.normalize("NFD", ch)
    base, marks = parts[0], parts[1:]
    if base not in _VNI_SEPARATE_TONE or marks not in _VNI_TONE:
        return {}
    tone = _VNI_TONE[marks]
    return {base + tone: ch, (base + tone).upper(): ch.upper(), base.upper() + tone: ch.upper()}


@cache
def _vni_tables() -> tuple[dict[str, str], dict[str, str]]:
    letters = "áàảãạăắằẳẵặâấầẩẫậéèẻẽẹêếềểễệíìỉĩịóòỏõọôốồổỗộơớờởỡợúùủũụưứừửữựýỳỷỹỵđ"
    encode: dict[str, str] = {}
    for lower in letters:
        glyphs = _vni_lower(lower)
        encode[lower] = glyphs
        encode[lower.upper()] = glyphs.upper()
    decode = {glyphs: char for char, glyphs in encode.items()}
    for lower in letters:
        for glyphs, char in _vni_separate_forms(lower).items():
            decode.setdefault(glyphs, char)
    return encode, decode


def vni_glyphs(text: str) -> str:
    """The VNI glyph string of ``text`` (what a VNI file shows when read as cp1252)."""
    encode, _ = _vni_tables()
    return "".join(encode.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


def encode_vni(text: str) -> bytes:
    """Encode NFC text to VNI Windows bytes."""
    return vni_glyphs(text).encode("cp1252")


def decode_vni_glyphs(glyphs: str) -> str:
    """Turn a VNI glyph string back into NFC text (longest match first).

    A toned i or y is read in either form: one glyph ("ò") or letter and tone ("iï")."""
    _, decode = _vni_tables()
    glyphs = unicodedata.normalize("NFC", glyphs)
    out: list[str] = []
    i = 0
    while i < len(glyphs):
        for width in (2, 1):
            piece = glyphs[i : i + width]
            if len(piece) == width and piece in decode:
                out.append(decode[piece])
                i += width
                break
        else:
            out.append(glyphs[i])
            i += 1
    return unicodedata.normalize("NFC", "".join(out))


def decode_vni(data: bytes) -> str:
    """Decode VNI Windows bytes to NFC text (either form of a toned i or y)."""
    return decode_vni_glyphs(data.decode("cp1252", errors="replace"))


# ---------------------------------------------------------------- mojibake


def tcvn3_mojibake(text: str) -> str:
    """What TCVN3 text looks like when a system reads it as Windows-1252 (``B¶o Th¾ng``)."""
    return encode_tcvn3(text, abc=True).decode("cp1252", errors="replace")


def vni_mojibake(text: str) -> str:
    """What VNI text looks like when read as Windows-1252 (``chaøo``)."""
    return vni_glyphs(text)


# ---------------------------------------------------------------- CP1258


def encode_cp1258(text: str) -> bytes:
    """Encode to Windows-1258: vowel shapes precomposed (â, ơ, ư …), tones as combining marks.

    Python's cp1258 codec maps bytes one to one and leaves this composition to the caller.
    """
    out = []
    for ch in unicodedata.normalize("NFC", text):
        parts = unicodedata.normalize("NFD", ch)
        tones = [m for m in parts if m in TONE_MARKS]
        base = unicodedata.normalize("NFC", "".join(m for m in parts if m not in TONE_MARKS))
        out.append(base + "".join(tones))
    return "".join(out).encode("cp1258")


def decode_cp1258(data: bytes) -> str:
    """Decode Windows-1258 bytes to NFC text."""
    return unicodedata.normalize("NFC", data.decode("cp1258"))


# ---------------------------------------------------------------- any of them

LEGACY = ("tcvn3", "vni", "cp1258", "cp1252")


def decode_legacy(data: bytes, encoding: str) -> str:
    """Decode bytes of one of the ``LEGACY`` 8-bit encodings to NFC text (bytes a
    single-byte code page lacks are replaced, never an error)."""
    if encoding == "tcvn3":
        return decode_tcvn3(data)
    if encoding == "vni":
        return decode_vni(data)
    return unicodedata.normalize("NFC", data.decode(encoding, errors="replace"))
