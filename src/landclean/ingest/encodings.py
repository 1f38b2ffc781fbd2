"""Detect the text encoding of an export and decode it to NFC Unicode.

UTF-8 (with or without BOM) and UTF-16 (with BOM) are recognised by their bytes. Other
files are tried as TCVN3, VNI, CP1258 and Windows-1252, and the reading that yields the
most plausible Vietnamese wins: many Vietnamese letters per word, and no word with two
tone marks (which a wrong decoding produces and Vietnamese never has).
"""

from __future__ import annotations

import codecs
import unicodedata
from pathlib import Path

import pyarrow as pa

from landclean.vn.legacy_encodings import LEGACY, decode_legacy
from landclean.vn.text import TONE_MARKS, VIETNAMESE_LETTERS

CHUNK = 8 << 20


def plausibility(text: str) -> float:
    """Vietnamese letters per word, minus penalties for what a wrong decoding leaves:
    words with two tone marks, and non-ASCII characters that are not Vietnamese letters."""
    words = text[:200_000].lower().split()
    if not words:
        return 0.0
    good = bad = 0
    for word in words:
        tones = sum(ch in TONE_MARKS for ch in unicodedata.normalize("NFD", word))
        bad += 5 * (tones > 1)
        for ch in word:
            if ch in VIETNAMESE_LETTERS:
                good += 1
            elif ord(ch) > 127:
                bad += 3
    return (good - bad) / len(words)


def sniff_encoding(sample: bytes, complete: bool = False) -> str:
    """The encoding of a file, judged from its first bytes (``complete``: the whole file)."""
    if sample.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    try:
        codecs.getincrementaldecoder("utf-8")().decode(sample, final=complete)
        return "utf-8"
    except UnicodeDecodeError:
        pass
    return max(LEGACY, key=lambda enc: plausibility(decode_legacy(sample, enc)))


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a whole (small) text: (NFC text, encoding name)."""
    encoding = sniff_encoding(data[: 1 << 20], complete=len(data) <= 1 << 20)
    if encoding in ("utf-8", "utf-8-sig", "utf-16"):
        text = data.decode(encoding)
    else:
        text = decode_legacy(data, encoding)
    return unicodedata.normalize("NFC", text), encoding


def transcode_to_utf8(src: Path, dst: Path, encoding: str) -> None:
    """Stream ``src`` into a UTF-8 copy, chunk by chunk (cut at line ends for 8-bit
    encodings, so that a VNI letter's two bytes are never split)."""
    with src.open("rb") as fin, dst.open("w", encoding="utf-8", newline="") as fout:
        if encoding == "utf-16":
            decoder = codecs.getincrementaldecoder("utf-16")()
            while chunk := fin.read(CHUNK):
                fout.write(unicodedata.normalize("NFC", decoder.decode(chunk)))
            fout.write(decoder.decode(b"", final=True))
            return
        rest = b""
        while chunk := fin.read(CHUNK):
            data = rest + chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                rest = data
                continue
            fout.write(decode_legacy(data[:cut], encoding))
            rest = data[cut:]
        if rest:
            fout.write(decode_legacy(rest, encoding))


def decode_text(column: pa.Array | pa.ChunkedArray, encoding: str) -> pa.Array:
    """Re-decode text that was read byte for byte (latin-1) in the right encoding.

    Works on the distinct values only (names and codes repeat a lot)."""
    values = column.to_pylist()
    mapping: dict[str, str] = {}
    for value in set(values):
        if value is None:
            continue
        raw = value.encode("latin-1", errors="replace")
        if encoding in ("utf-8", "utf-8-sig"):
            mapping[value] = unicodedata.normalize("NFC", raw.decode("utf-8", errors="replace"))
        else:
            mapping[value] = decode_legacy(raw, encoding)
    return pa.array([None if v is None else mapping[v] for v in values], pa.string())
