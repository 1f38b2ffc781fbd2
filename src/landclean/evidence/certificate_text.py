"""What a certificate's scanned page says: its serial, sheet and parcel numbers.

A land-use right certificate (GCN) prints its serial (số phát hành: two letters and six
digits before the 2024 form, ``CS 264024``, ``BĐ 123456``; two letters and eight digits
since, ``AA 06654954``), the parcel (*Thửa đất số …*, *Tờ bản đồ số …*) and the book
entry (*Số vào sổ cấp GCN: CH 00324*).  From Tesseract's text:

* the serial is two capital letters (Đ included) and six or eight digits standing alone,
  not the book entry's number; OCR's usual slips (O for 0, I or l for 1, S for 5, B for
  8 in the digits, a Q's tail read as an O) are undone, and the serial is then marked
  ``repaired`` (a person checks it);
* the labels are found whatever Tesseract made of their accents (*bản đổ*).
* its confidence is the lowest of its words' (Tesseract's 0-100);
* two different serials on one page make it ambiguous (no serial is taken).

Nothing here decides a link: ``evidence.cards``' SQL sets what was read against the
certificates on record.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from landclean.evidence.ocr import PageText

_DIGIT_SLIPS = str.maketrans({"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1",
                              "S": "5", "B": "8", "Z": "2"})  # fmt: skip
# on the page's text with its accents dropped letter by letter (same length, same places)
SERIAL = re.compile(
    r"(?<![\w])([A-Z]{2})(O?)[ .]?([0-9OoDIl|SBZ]{8}|[0-9OoDIl|SBZ]{6})(?![\w])"
)  # (an O after the letters: the tail of a Q read as a letter of its own)
SHEET = re.compile(r"to\s*ban\s*do\s*so\s*[:.]?\s*(\d+)", re.IGNORECASE)
PARCEL = re.compile(r"thua\s*dat\s*so\s*[:.]?\s*(\d+)", re.IGNORECASE)
BOOK = re.compile(r"so\s*vao\s*so[^:\n]*[:.]\s*([A-Z]{1,3}[ .]*\d[\d .]*)", re.IGNORECASE)
TITLE = re.compile(r"GIAY\s+CHUNG\s+NHAN", re.IGNORECASE)


def folded(text: str) -> str:
    """``text`` with each letter's accents dropped (Đ to D), one character for one."""
    return "".join(
        "D" if c == "Đ" else "d" if c == "đ" else unicodedata.normalize("NFD", c)[0] for c in text
    )


@dataclass(frozen=True)
class CertificateText:
    """What was read on one page (None: not found)."""

    serial: str | None
    confidence: float | None
    repaired: bool
    ambiguous: bool
    sheet_no: str | None
    parcel_no: str | None
    book_entry_no: str | None

    @property
    def is_certificate(self) -> bool:
        return self.serial is not None or self.ambiguous


def _confidence(page: PageText, parts: tuple[str, ...]) -> float | None:
    found = [c for w, c in page.words if any(p and p in w for p in parts)]
    return min(found) if found else None


def read_certificate(page: PageText) -> CertificateText | None:
    """The serial, sheet, parcel and book entry read on a page; None when the page is not
    a certificate (no title, no serial)."""
    original = page.text
    text = folded(original)
    book = BOOK.search(text)
    serials: dict[str, tuple[bool, tuple[str, str]]] = {}
    for m in SERIAL.finditer(text):
        if book and book.start(1) <= m.start() < book.end(1):
            continue  # the book entry's own number
        letters = original[m.start(1) : m.end(1)]  # with its Đ
        digits = m[3].translate(_DIGIT_SLIPS)
        serials[f"{letters} {digits}"] = (digits != m[3] or bool(m[2]), (m[1], m[3]))
    if not serials and not TITLE.search(text):
        return None
    sheet, parcel = SHEET.search(text), PARCEL.search(text)
    common = {
        "sheet_no": sheet[1].lstrip("0") or "0" if sheet else None,
        "parcel_no": parcel[1].lstrip("0") or "0" if parcel else None,
        "book_entry_no": re.sub(r"\s+", " ", book[1]).strip() if book else None,
    }
    if len(serials) != 1:
        return CertificateText(None, None, False, len(serials) > 1, **common)
    ((serial, (repaired, parts)),) = serials.items()
    return CertificateText(serial, _confidence(page, parts), repaired, False, **common)
