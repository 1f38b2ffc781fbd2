"""The QR code of a chip citizen ID card (CCCD, and the căn cước cards since 2024).

The code carries one line of text, fields separated by ``|``::

    CCCD|CMND|Full name|DDMMYYYY birth|Nam/Nữ|Permanent address|DDMMYYYY issue

Variants met in practice, all read by ``parse_payload``:

* the old 9-digit CMND field empty (a person who never had one), or left out altogether
  by some readers (six fields: the second one is then the name);
* more fields after the issue date (newer cards, readers that append their own), kept
  in ``extra``, never read as one of the seven;
* dates as ``DDMMYYYY``, ``DD/MM/YYYY`` or ``DD-MM-YYYY``; sex in any case, with or
  without its accent ("NỮ", "Nu");
* the text in NFD, with a byte-order mark, spaces around fields, or UTF-8 read as Latin-1
  by a phone app ("Nguyá»…n"): repaired before reading.

A payload is only as good as its checks: ``problems`` lists what does not hold (a
number that is not 12 digits, a birth year or sex the number contradicts, a date that
is none), and a payload with any problem is never used to link or correct a record.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass, field

from landclean.vn.citizen_id import parse_cccd
from landclean.vn.text import ascii_key, clean_spaces, nfc

SEPARATOR = "|"
FIELDS = 7
_DATE = re.compile(r"^(\d{2})[/.\-]?(\d{2})[/.\-]?(\d{4})$")
_MOJIBAKE = re.compile("[ÃÂÄÆáº»¼½¾Å]")


@dataclass(frozen=True)
class CardPayload:
    """What a card's QR code says, read and checked."""

    raw: str  # the text as decoded, kept verbatim
    id_number: str  # 12 digits (as read, even when it is not)
    cmnd: str | None
    full_name: str
    birth_date: dt.date | None
    female: bool | None
    address: str
    issue_date: dt.date | None
    extra: tuple[str, ...] = ()
    problems: tuple[str, ...] = field(default=())

    @property
    def usable(self) -> bool:
        """Every check holds: the payload may link and correct records."""
        return not self.problems


def repaired(text: str) -> str:
    """The payload text with a byte-order mark, NFD and UTF-8-read-as-Latin-1 undone."""
    text = text.lstrip("\ufeff").strip()
    if _MOJIBAKE.search(text):
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            text = text.encode("latin-1").decode("utf-8")
    return nfc(text)


def _date(text: str) -> dt.date | None:
    m = _DATE.match(text.strip())
    if not m:
        return None
    try:
        return dt.date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None


def _sex(text: str) -> bool | None:
    key = ascii_key(text)  # "Nữ", "NỮ", "Nu", NFD: one key
    return {"nam": False, "nu": True, "male": False, "female": True}.get(key)


def looks_like_payload(text: str) -> bool:
    """Whether decoded QR text is (meant to be) an ID card's: at least six ``|``-separated
    fields, the first twelve digits."""
    parts = repaired(text).split(SEPARATOR)
    return len(parts) >= FIELDS - 1 and bool(re.fullmatch(r"\d{9,12}", parts[0].strip()))


def parse_payload(text: str) -> CardPayload | None:
    """Read an ID card's QR text; None when it is not one (``looks_like_payload``)."""
    if not looks_like_payload(text):
        return None
    raw = text
    parts = [clean_spaces(p) for p in repaired(text).split(SEPARATOR)]
    if len(parts) == FIELDS - 1 or (parts[1] and not parts[1].isdigit()):
        parts.insert(1, "")  # the CMND field left out: the second field is the name
    while len(parts) < FIELDS:
        parts.append("")
    id_number, cmnd, name, birth, sex, address, issue = parts[:FIELDS]
    extra = tuple(p for p in parts[FIELDS:])
    problems: list[str] = []
    parts_of = parse_cccd(id_number)
    if parts_of is None:
        problems.append("id_not_12_digits")
    if cmnd and not re.fullmatch(r"\d{9}|\d{12}", cmnd):
        problems.append("cmnd_not_9_digits")
    if not name or any(c.isdigit() for c in name):
        problems.append("name_missing")
    birth_date, female, issue_date = _date(birth), _sex(sex), _date(issue)
    if birth_date is None:
        problems.append("birth_date_unreadable")
    if female is None:
        problems.append("sex_unreadable")
    if parts_of is not None and birth_date is not None and parts_of.birth_year != birth_date.year:
        problems.append("id_contradicts_birth_year")
    if parts_of is not None and female is not None and parts_of.female != female:
        problems.append("id_contradicts_sex")
    if issue and issue_date is None:
        problems.append("issue_date_unreadable")
    if birth_date and issue_date and issue_date < birth_date:
        problems.append("issued_before_birth")
    return CardPayload(
        raw=raw,
        id_number=id_number,
        cmnd=cmnd or None,
        full_name=name,
        birth_date=birth_date,
        female=female,
        address=address,
        issue_date=issue_date,
        extra=extra,
        problems=tuple(problems),
    )


def payload_text(
    id_number: str,
    cmnd: str | None,
    full_name: str,
    birth_date: dt.date,
    female: bool,
    address: str,
    issue_date: dt.date,
) -> str:
    """The QR text a card carries (the generator prints it)."""
    return SEPARATOR.join(
        [
            id_number,
            cmnd or "",
            full_name,
            birth_date.strftime("%d%m%Y"),
            "Nữ" if female else "Nam",
            address,
            issue_date.strftime("%d%m%Y"),
        ]
    )
