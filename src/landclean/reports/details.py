"""A finding's details in words: "Diện tích pháp lý: 2.655 m²; diện tích bản đồ: 2.601,3
m²; dung sai: 5 %" rather than the JSON the rules store.

Each rule's SQL (``rules.catalogue``) builds its details as a struct of a few keys
(``legal_area``, ``serial``, ``id_number``, ``parties`` …).  ``DETAIL_KINDS`` says how
each key's value reads: an area in m², a share in %, a map scale as 1/2000, a plain
number (sheet, parcel, year, code: no thousands separator), a list, a yes/no, a coded
value (sex, placement) in words.  Labels and coded values are in ``labels.json``
(sections ``detail_keys``, ``detail_values``, ``placements``); numbers are written the
Vietnamese way in Vietnamese (``2.601,3``), the English way in English (``2,601.3``).  A
key no rule produces reads "key: value"; a value of another type than its key's usual
one (text where a number is expected) reads as it is.

Set-based and once per kind of details, not per row: ``details_in_words`` reads which
key sets the findings hold (one cheap scan: a rule's details always have the same keys)
and returns one SQL expression with a branch per key set, its labels written in as
literals; the query that selects the rows evaluates it (about 3 µs a row).  The details
given to it are already masked where they are masked (``privacy.lc_mask_details``): the
masked ID numbers, names and birth dates stay as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import duckdb

from landclean.labels import labels

# key -> how its value reads: area (m²), percent (a share: 0.05 -> 5 %), scale (1/2000),
# plain (an integer without thousands separator: numbers of sheets, parcels, years,
# codes, coordinates), number (thousands separator and decimals), list, groups (a list
# of comma-joined lists), sex and placement (coded values in words), text
DETAIL_KINDS: dict[str, str] = {
    "values": "text",
    "sources": "text",
    "parcel_no": "plain",
    "sheet_no": "plain",
    "sheet": "plain",
    "vertices": "plain",
    "repaired": "text",
    "overlaps": "list",
    "area": "area",
    "old_unit_code": "plain",
    "scale": "scale",
    "code": "text",
    "seq": "plain",
    "legal_area": "area",
    "geometry_area": "area",
    "tolerance": "percent",
    "total_share": "percent",
    "serial": "text",
    "name": "text",
    "id_number": "text",
    "birth_year": "plain",
    "sex": "sex",
    "book_entry_no": "text",
    "asset_type": "text",
    "unit_code": "plain",
    "digits": "plain",
    "birth": "text",
    "parties": "list",
    "compactness": "number",
    "x": "plain",
    "y": "plain",
    "commune": "plain",
    "old_commune": "plain",
    "gaps": "plain",
    "parcels": "list",
    "land_users": "groups",
    "placement": "placement",
    "uid": "text",
}
SEXES = ("M", "F")  # labels "detail_values" sex_M, sex_F


def _q(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _number(x: str, lang: str) -> str:
    """SQL: the number ``x`` with thousands separators and at most 4 decimals (trailing
    zeros dropped), the Vietnamese way in Vietnamese."""
    text = rf"regexp_replace(format('{{:,.4f}}', CAST({x} AS DOUBLE)), '\.?0+$', '')"
    return f"translate({text}, ',.', '.,')" if lang == "vi" else text


def _plain(x: str) -> str:
    """SQL: a whole number without separators (965150.0 -> '965150'), else as it is."""
    d = f"CAST({x} AS DOUBLE)"
    return (
        f"CASE WHEN {d} = round({d}) THEN CAST(CAST({d} AS HUGEINT) AS VARCHAR) "
        f"ELSE CAST({x} AS VARCHAR) END"
    )


def _value(v: str, kind: str, lang: str) -> str:
    """SQL: the JSON value ``v`` of a key of ``kind``, in words."""
    words = labels("detail_values", lang)
    blank, none = _q(words["blank"]), _q(words["none"])
    text = f"json_extract_string({v}, '$')"
    items = f"CAST(json_extract_string({v}, '$[*]') AS VARCHAR[])"
    if kind == "groups":  # ["P1", "P2,P3", ""] -> P1 / P2, P3 / (none)
        items = (
            f"list_transform({items}, e -> CASE WHEN coalesce(e, '') = '' THEN {none} "
            "ELSE replace(e, ',', ', ') END)"
        )
    joined = f"array_to_string({items}, {_q(' / ' if kind == 'groups' else ', ')})"
    coded = {"sex": {s: words[f"sex_{s}"] for s in SEXES}}.get(kind)
    if kind == "placement":
        coded = dict(labels("placements", lang))
    string = f"coalesce(nullif({text}, ''), {blank})"
    if coded:
        whens = " ".join(f"WHEN {_q(k)} THEN {_q(w)}" for k, w in coded.items())
        string = f"CASE {text} {whens} ELSE {string} END"
    number = {
        "area": f"{_number(v, lang)} || ' m²'",
        "percent": f"{_number(f'100 * CAST({v} AS DOUBLE)', lang)} || ' %'",
        "scale": f"'1/' || {_plain(v)}",
        "plain": _plain(v),
    }.get(kind, _number(v, lang))
    return (
        f"CASE coalesce(json_type({v}), 'NULL') WHEN 'NULL' THEN {blank} "
        f"WHEN 'ARRAY' THEN coalesce(nullif({joined}, ''), {none}) "
        f"WHEN 'BOOLEAN' THEN CASE WHEN CAST({v} AS BOOLEAN) THEN {_q(words['yes'])} "
        f"ELSE {_q(words['no'])} END "
        f"WHEN 'VARCHAR' THEN {string} WHEN 'OBJECT' THEN CAST({v} AS VARCHAR) "
        f"ELSE {number} END"
    )


def _key_label(key: str, first: bool, lang: str) -> str:
    """A key's label; lower case after the first ("Diện tích: …; dung sai: …")."""
    text = labels("detail_keys", lang).get(key, key)
    return text if first else text[:1].lower() + text[1:]


def words_sql(column: str, keysets: Iterable[Sequence[str]], lang: str) -> str:
    """SQL: the details in ``column`` (JSON text) in words in ``lang``, for rows whose keys
    are one of ``keysets`` (in the details' order); other rows' details as they are."""
    branches = []
    for keys in keysets:
        parts = [
            f"{_q(_key_label(k, i == 0, lang) + ': ')} || "
            + _value(f"json_extract({column}, {_q(f'$.{_json_key(k)}')})", _kind(k), lang)
            for i, k in enumerate(keys)
        ]
        body = " || '; ' || ".join(f"({p})" for p in parts) if parts else "NULL"
        branches.append(f"WHEN {_q(','.join(keys))} THEN {body}")
    if not branches:
        return f"CAST({column} AS VARCHAR)"
    return (
        f"CASE array_to_string(json_keys({column}), ',') {' '.join(branches)} "
        f"ELSE CAST({column} AS VARCHAR) END"
    )


def _kind(key: str) -> str:
    return DETAIL_KINDS.get(key, "number_or_text")


def _json_key(key: str) -> str:
    """A key in a JSON path ('$."key"')."""
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def details_in_words(con: duckdb.DuckDBPyConnection, column: str, lang: str) -> str:
    """SQL: ``column`` (a finding's details as JSON text, masked or not) in words in
    ``lang``, for every key set the workspace's findings hold (read once)."""
    keysets = con.execute(
        "SELECT DISTINCT json_keys(details) FROM finding WHERE details IS NOT NULL"
    ).fetchall()
    return words_sql(column, sorted(tuple(k) for (k,) in keysets), lang)
