"""Numbers, shares and dates as Vietnamese offices type them.

What the build reads from imports is parsed in SQL (the macros below); a number a
person types (a worklist, ``correct``) is parsed by ``parse_number``, the twin of
``lc_num`` (tests check they agree), and a date a person types (options, settings,
worklists) by ``parse_date``, day first, with no SQL twin: imports take far more forms.

* numbers: "1.234,5" and "1,234.5" and "1234,5", "1.234" (thousands), "250 m2";
* shares: 95, "95 %", "95,5 %", "0,95", "0.95" -> 0.95 (a fraction when at most 1);
* dates: 12/03/1965, 12-3-65, 1965-03-12, "12/03/1965 00:00:00", Excel serial numbers;
  a year alone ("1965") is a year, kept with its precision (``lc_precision``);
* map scales: "1/2000", "1:2000", "2000" -> 2000.

Registered on every workspace connection (``vn.sql``); no user value is pasted into SQL.
"""

from __future__ import annotations

import datetime as dt
import re

_NUMBER_CLEAN = re.compile(r"\s*(m2|m²|m\^2)$|\s")
_DOT_THOUSANDS = re.compile(r"[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?")
_COMMA_THOUSANDS = re.compile(r"[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?")
_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")


def parse_number(text: str | None) -> float | None:
    """'1.234,5' -> 1234.5, '1,234.5' -> 1234.5, '1234,5' -> 1234.5, '1.234' -> 1234,
    '250 m2' -> 250; None when it is not a number (the twin of the macro ``lc_num``)."""
    if text is None:
        return None
    cleaned = _NUMBER_CLEAN.sub("", text.strip().lower())
    if _DOT_THOUSANDS.fullmatch(cleaned):
        cleaned = cleaned.replace(".", "").replace(",", ".")
    elif _COMMA_THOUSANDS.fullmatch(cleaned):
        cleaned = cleaned.replace(",", "")
    else:
        cleaned = cleaned.replace(",", ".")
    return float(cleaned) if _DECIMAL.fullmatch(cleaned) else None


# A date a person types (options, settings, worklists): day first, as in Vietnam.
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d")


def parse_date(text: str | None) -> dt.date | None:
    """'30/11/2025', '30-11-2025', '30.11.2025' or '2025-11-30' as a date; None if not one."""
    if text is None:
        return None
    for form in DATE_FORMATS:
        try:
            return dt.datetime.strptime(text.strip(), form).date()
        except ValueError:
            continue
    return None


MACROS = r"""
CREATE OR REPLACE TEMP MACRO lc_int(x) AS TRY_CAST(TRY_CAST(trim(x) AS DOUBLE) AS INTEGER);
CREATE OR REPLACE TEMP MACRO lc_num_clean(x) AS
    regexp_replace(lower(trim(x)), '\s*(m2|m²|m\^2)$|\s', '', 'g');
CREATE OR REPLACE TEMP MACRO lc_num(x) AS TRY_CAST(CASE
    WHEN regexp_full_match(lc_num_clean(x), '[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?')
        THEN replace(replace(lc_num_clean(x), '.', ''), ',', '.')
    WHEN regexp_full_match(lc_num_clean(x), '[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?')
        THEN replace(lc_num_clean(x), ',', '')
    ELSE replace(lc_num_clean(x), ',', '.') END AS DOUBLE);
CREATE OR REPLACE TEMP MACRO lc_share_num(x) AS lc_num(replace(x, '%', ''));
CREATE OR REPLACE TEMP MACRO lc_share(x) AS CASE
    WHEN lc_share_num(x) > 0 AND lc_share_num(x) <= 1 THEN lc_share_num(x)
    WHEN lc_share_num(x) > 1 AND lc_share_num(x) <= 100 THEN lc_share_num(x) / 100 END;
CREATE OR REPLACE TEMP MACRO lc_date_any(x) AS CASE
    -- no digit, no date: words ("đã đồng bộ") never reach the formats below (trying them
    -- all took 27 s for a column of 3.4 M words)
    WHEN NOT regexp_matches(x, '[0-9]') THEN NULL
    WHEN regexp_full_match(x, '[0-9]{2}/[0-9]{2}/[0-9]{4}')
        THEN try_strptime(x, '%d/%m/%Y')::DATE
    WHEN regexp_full_match(trim(x), '[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2}') THEN
        try(make_date(
            CAST(regexp_extract(trim(x), '([0-9]{2})$', 1) AS INTEGER)
              + CASE WHEN CAST(regexp_extract(trim(x), '([0-9]{2})$', 1) AS INTEGER)
                          > year(current_date) % 100 THEN 1900 ELSE 2000 END,
            CAST(regexp_extract(trim(x), '^[0-9]{1,2}[/.-]([0-9]{1,2})', 1) AS INTEGER),
            CAST(regexp_extract(trim(x), '^([0-9]{1,2})', 1) AS INTEGER)))
    WHEN regexp_full_match(trim(x), '[0-9]{3,5}(\.0+)?')
         AND NOT CAST(trim(x) AS DOUBLE) BETWEEN 1850 AND 2100 THEN  -- Excel serial number
        DATE '1899-12-30' + CAST(CAST(trim(x) AS DOUBLE) AS INTEGER)
    ELSE try_strptime(trim(x), ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y', '%d-%m-%Y', '%d.%m.%Y',
                                '%Y-%m-%d %H:%M:%S', '%Y-%m-%d', '%Y/%m/%d'])::DATE END;
CREATE OR REPLACE TEMP MACRO lc_date(x) AS CASE
    WHEN year(lc_date_any(x)) BETWEEN 1850 AND 2100 THEN lc_date_any(x) END;
CREATE OR REPLACE TEMP MACRO lc_year(x) AS CASE
    WHEN regexp_full_match(trim(x), '(18|19|20)[0-9]{2}(\.0+)?')
        THEN CAST(CAST(trim(x) AS DOUBLE) AS INTEGER)
    ELSE year(lc_date(x)) END;
CREATE OR REPLACE TEMP MACRO lc_precision(x) AS CASE
    WHEN lc_date(x) IS NOT NULL AND NOT regexp_full_match(trim(x), '(18|19|20)[0-9]{2}(\.0+)?')
        THEN 'day'
    WHEN lc_year(x) IS NOT NULL THEN 'year' ELSE 'none' END;
-- a map scale: "1:2000", "1/2000", "2000", "2000.0", "1:2.000", "1 : 10 000" -> the
-- denominator; anything else (2000.5, 0) -> NULL
CREATE OR REPLACE TEMP MACRO lc_scale_text(x) AS regexp_replace(trim(x), '^.*[:/]\s*', '');
CREATE OR REPLACE TEMP MACRO lc_scale_any(x) AS CASE
    WHEN regexp_full_match(lc_scale_text(x), '[0-9]{1,3}([ .,][0-9]{3})+')
        THEN TRY_CAST(regexp_replace(lc_scale_text(x), '[ .,]', '', 'g') AS INTEGER)
    WHEN regexp_full_match(lc_scale_text(x), '[0-9]+([.,]0+)?')
        THEN TRY_CAST(regexp_extract(lc_scale_text(x), '^[0-9]+') AS INTEGER) END;
CREATE OR REPLACE TEMP MACRO lc_scale(x) AS CASE
    WHEN lc_scale_any(x) BETWEEN 100 AND 1000000 THEN lc_scale_any(x) END;
-- a sheet or parcel number as a key part: "012", "12.0" -> "12"; "012a" -> "12A";
-- "45.1" stays "45.1" (never rounded into another number)
CREATE OR REPLACE TEMP MACRO lc_key_part(x) AS CASE
    WHEN regexp_full_match(trim(x), '[0-9]+([.,]0+)?')
        THEN CAST(TRY_CAST(regexp_extract(trim(x), '^[0-9]+') AS BIGINT) AS VARCHAR)
    ELSE NULLIF(upper(regexp_replace(regexp_replace(trim(x), '\s+', '', 'g'), '^0+([0-9])',
                                     '\1')), '') END;
-- a 5-digit unit code as typed, or as a spreadsheet kept it ("2421" lost its leading 0)
CREATE OR REPLACE TEMP MACRO lc_unit_code(x) AS CASE
    WHEN regexp_full_match(trim(x), '[0-9]{1,5}(\.0+)?')
        THEN lpad(CAST(CAST(CAST(trim(x) AS DOUBLE) AS BIGINT) AS VARCHAR), 5, '0') END;
"""
