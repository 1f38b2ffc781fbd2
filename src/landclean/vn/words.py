"""Yes/no and sex as Vietnamese offices write them in spreadsheets.

One vocabulary for every reader: the canonical build (a commune's flags, a parcel's VBDLIS
state, a certificate's digital state), the registry's sex column and the worklists
(an "x" that accepts a proposal).  Words are compared by their accent-free key, so
"Có", "CÓ", "co" and "có " are one word; a cell may also start with one ("Đã đồng bộ",
"Chưa có dữ liệu số").  What a cell that says neither yes nor no means is the reader's
choice (a commune flag: no; a parcel's VBDLIS state: yes, as exports write only "chưa").
"""

from __future__ import annotations

from landclean.vn.text import ascii_key

# accent-free keys
YES_WORDS = ("x", "co", "yes", "y", "true", "1", "dong y", "da", "roi", "ok")
NO_WORDS = ("khong", "no", "n", "false", "0", "chua")
# a cell starting with one of these says yes / no ("đã đồng bộ", "chưa có dữ liệu số")
YES_PREFIXES = ("da ", "co ")
NO_PREFIXES = ("chua ", "khong ")
SEX_WORDS = {"nam": "M", "male": "M", "m": "M", "nu": "F", "female": "F", "f": "F"}
# Who holds a right, as the field form's "Loại chủ" column words it (accent-free prefix)
PARTY_KINDS = {"ho gia dinh": "household", "to chuc": "organization", "vo chong": "couple"}


def yes_no(text: str | None) -> bool | None:
    """True for a yes, False for a no, None for an empty cell or another word."""
    if text is None or not text.strip():
        return None
    key = ascii_key(text)
    if key in NO_WORDS or key.startswith(NO_PREFIXES):
        return False
    if key in YES_WORDS or key.startswith(YES_PREFIXES):
        return True
    return None


def is_yes(text: str | None) -> bool:
    """Whether a cell says yes (a worklist's "x", "Có", "đồng ý" …)."""
    return yes_no(text) is True


def sex_code(text: str | None) -> str | None:
    """'M' or 'F' from "Nam", "Nữ" (and male/female, m/f); None otherwise."""
    return None if text is None else SEX_WORDS.get(ascii_key(text))


def party_kind(text: str | None) -> str | None:
    """'household', 'organization' or 'couple' ("Hộ gia đình", "Tổ chức", "Vợ chồng")."""
    key = ascii_key(text or "")
    return next((kind for prefix, kind in PARTY_KINDS.items() if key.startswith(prefix)), None)


def _sql_list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join("'" + v.replace("'", "''") + "'" for v in values) + "]"


def _sql_prefix(prefixes: tuple[str, ...]) -> str:
    return " OR ".join(f"starts_with(k, '{p}')" for p in prefixes)


def _sql_kinds() -> str:
    return " ".join(
        f"WHEN starts_with(k, '{prefix}') THEN '{kind}'" for prefix, kind in PARTY_KINDS.items()
    )


# The SQL twins of ``yes_no``, ``party_kind`` and ``sex_code``, registered on every
# workspace connection; ``k`` is the cell's key, computed once (a one-element list).
MACROS = f"""
CREATE OR REPLACE TEMP MACRO lc_yes(x) AS CASE WHEN lc_text(x) IS NOT NULL THEN
    list_transform([lc_ascii_key(x)], k -> CASE
        WHEN list_contains({_sql_list(NO_WORDS)}, k) OR {_sql_prefix(NO_PREFIXES)} THEN false
        WHEN list_contains({_sql_list(YES_WORDS)}, k) OR {_sql_prefix(YES_PREFIXES)} THEN true
        END)[1] END;
CREATE OR REPLACE TEMP MACRO lc_party_kind(x) AS
    list_transform([lc_ascii_key(x)], k -> CASE {_sql_kinds()} END)[1];
CREATE OR REPLACE TEMP MACRO lc_sex(x) AS map_extract(
    map({_sql_list(list(SEX_WORDS))}, {_sql_list(list(SEX_WORDS.values()))}), lc_ascii_key(x))[1];
"""
