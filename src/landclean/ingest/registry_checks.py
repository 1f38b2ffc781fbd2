"""Plausibility at the door for the population registry extract: a row whose ID number,
birth date or name cannot be what it claims is quarantined with the column, the value
and the reason (one set-based statement per imported file).

The registry is the national population extract, so every person in it has

- a citizen ID: 12 digits (or an old 9-digit ID card number) once the cleanup every ID
  gets (``lc_id_number``: spaces, dots and dashes dropped, a leading zero lost by a
  spreadsheet restored, a number in scientific notation expanded when no digit was
  lost) is done; the old ID card column, where filled, holds 9 digits (or 12);
- where the file has a birth-date column, a birth date the project's date parser reads
  (``lc_date_any``: DD/MM/YYYY and the other forms offices write; a year alone is
  accepted), not after today and not before ``EARLIEST_BIRTH_YEAR``;
- a full name with letters (any script's, with their accents), spaces and the marks
  names are written with (``H'Lê Ksor``, ``Y-Bhin``), and no digit, control character
  or other sign.

A row with several problems is listed once, with the first of them in that order. Land
users' records are not checked here: cleaning them is the pipeline's work.
"""

from __future__ import annotations

import duckdb

from landclean.ingest.profiles import Profile

EARLIEST_BIRTH_YEAR = 1880
ID_EXPECTED = "expected 12 digits (or the old 9-digit ID card number)"
CMND_EXPECTED = "expected 9 digits (or 12)"
NAME_EXPECTED = "expected a full name: letters, spaces and ' - . , ( )"
# what a name may be written with: letters with their marks, spaces, and these signs
NAME_CHARS = r"[\p{L}\p{M}\p{Zs}'’‘ʼ`.,()-]"
# an ID number as typed: digits with spaces, dots or dashes, a spreadsheet's leading
# apostrophe allowed (a number in scientific notation is read by lc_id_digits)
ID_TYPED = r"['’]?[0-9][0-9\s.-]*"
# an old ID card cell that says "none"
NO_CMND = "(lc_text(so_cmnd) IS NULL OR regexp_full_match(trim(so_cmnd), '[-–—.0]+'))"


def _lit(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _id_checks(column: str, what: str, expected: str, lengths: str) -> list[tuple[str, str]]:
    """(condition, reason) for an ID column that has a value."""
    filled = f"lc_text({column}) IS NOT NULL"
    return [
        (
            f"{filled} AND NOT (regexp_full_match(trim({column}), {_lit(ID_TYPED)}) "
            f"OR lc_id_scientific({column}))",
            _lit(f"{what} has letters or signs; {expected}"),
        ),
        (
            f"{filled} AND lc_id_number({column}) IS NULL",
            _lit(f"{what} lost digits: it was stored in scientific notation; {expected}"),
        ),
        (
            f"{filled} AND length(lc_id_number({column})) NOT IN ({lengths})",
            f"{_lit(what + ' has ')} || length(lc_id_number({column})) || "
            f"{_lit(' digits; ' + expected)}",
        ),
    ]


def _birth_checks() -> list[tuple[str, str]]:
    year = "COALESCE(year(lc_date_any(ngay_sinh)), lc_year(ngay_sinh))"
    day = "COALESCE(lc_date_any(ngay_sinh), make_date(lc_year(ngay_sinh), 1, 1))"
    return [
        ("lc_text(ngay_sinh) IS NULL", _lit("person has no birth date; expected DD/MM/YYYY")),
        (
            "lc_date_any(ngay_sinh) IS NULL AND lc_year(ngay_sinh) IS NULL",
            _lit("not a date; expected the birth date as DD/MM/YYYY (or the year of birth)"),
        ),
        (
            f"{year} < {EARLIEST_BIRTH_YEAR}",
            f"'born in ' || {year} || "
            + _lit(f", before {EARLIEST_BIRTH_YEAR}; expected a living person's birth date"),
        ),
        (
            f"{day} > current_date",
            _lit("the birth date is in the future; expected a date before today"),
        ),
    ]


def _name_checks() -> list[tuple[str, str]]:
    return [
        ("lc_text(ho_ten) IS NULL", _lit("person has no name; expected the full name")),
        (r"regexp_matches(ho_ten, '\p{N}')", _lit(f"the name has digits; {NAME_EXPECTED}")),
        (
            r"regexp_matches(ho_ten, '\p{C}')",
            _lit(f"the name has control or invisible characters; {NAME_EXPECTED}"),
        ),
        (
            f"NOT regexp_full_match(trim(ho_ten), {_lit(NAME_CHARS + '+')})",
            f"""'the name has "' || regexp_replace(trim(ho_ten), {_lit(NAME_CHARS)}, '', 'g') """
            f"""|| {_lit('"; ' + NAME_EXPECTED)}""",
        ),
        (r"NOT regexp_matches(ho_ten, '\p{L}')", _lit(f"the name has no letters; {NAME_EXPECTED}")),
    ]


def _checks(found: set[str]) -> list[tuple[str, str, str]]:
    """(field, condition, reason expression) in the order a row's problem is named."""
    checks = [
        (
            "so_dinh_danh",
            f"lc_text(so_dinh_danh) IS NULL AND {NO_CMND}",
            _lit(f"person has no ID number; {ID_EXPECTED}"),
        )
    ]
    for cond, reason in _id_checks("so_dinh_danh", "the ID number", ID_EXPECTED, "12, 9"):
        checks.append(("so_dinh_danh", cond, reason))
    for cond, reason in _id_checks("so_cmnd", "the old ID card number", CMND_EXPECTED, "9, 12"):
        checks.append(("so_cmnd", f"NOT {NO_CMND} AND {cond}", reason))
    if "ngay_sinh" in found:  # a file without the column is not refused row by row
        checks += [("ngay_sinh", cond, reason) for cond, reason in _birth_checks()]
    checks += [("ho_ten", cond, reason) for cond, reason in _name_checks()]
    return checks


def quarantine_registry(
    con: duckdb.DuckDBPyConnection, profile: Profile, batch_id: int, found: set[str]
) -> None:
    """List in ``quarantine`` the rows of the batch that cannot be a registered person,
    each with the column (as the profile names it), the cell and the reason."""
    checks = _checks(found)
    field = " ".join(f"WHEN {cond} THEN {_lit(f)}" for f, cond, _ in checks)
    reason = " ".join(f"WHEN {cond} THEN {r}" for _, cond, r in checks)
    fields = sorted({f for f, _, _ in checks})
    header = " ".join(f"WHEN {_lit(f)} THEN ?" for f in fields)
    value = " ".join(f"WHEN {_lit(f)} THEN CAST({f} AS VARCHAR)" for f in fields)
    headers = [profile.header_of(f) if f in profile.fields else f for f in fields]
    con.execute(
        f"""INSERT INTO quarantine
        SELECT batch_id, source_file, NULL, row_no, CASE field {header} END,
               CASE field {value} END, reason
        FROM (SELECT *, CASE {field} END AS field, CASE {reason} END AS reason
              FROM {profile.table} WHERE batch_id = ?)
        WHERE reason IS NOT NULL""",
        [*headers, batch_id],
    )
