"""Record keys at import: the parcel's code, or one composed from several columns.

A land office's export may have no parcel code: its parcels are known by old commune +
map sheet + parcel number (and the scale, where a commune has sheets of several scales
numbered from 1 each).  The key is composed here, in SQL over the file's rows, as
``<old commune code>-<scale>-<sheet>-<parcel>`` (the scale left out when the file has
none).  The commune may be given by code or by name, old or new; a name is matched
with or without its type word ("Xã Ea Rốk", "Ea Rốk"), a new (2025) unit only where it
was formed from one old commune (sheets are numbered per old commune).  A row whose
key cannot be composed gets a ``key_problem`` and is quarantined.

Owners without a code get one too: from their ID, name and birth date, or from their
position among the rows of their parcel (one row per owner), so that no owner is lost
and different people are never merged by the key.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from landclean.ingest.profiles import CommuneColumn, Profile

# The commune a name names: matched with its accents first, then without; with its
# type word ("Xã Ea Rốk"), then without ("Ea Rốk").  A lookup row is (k, code, n): n > 1
# where the key fits several communes ("Ea Bar" is a commune of two old districts).
NAME_KEYS = (
    "lower(regexp_replace(trim(nfc_normalize({x})), '\\s+', ' ', 'g'))",
    "regexp_replace(lower(regexp_replace(trim(nfc_normalize({x})), '\\s+', ' ', 'g')), "
    "'^(xã|phường|thị trấn|tt|p|x)[ .]+', '')",
    "lc_ascii_key({x})",
    "lc_unit_bare_key({x})",
)


def _name_lookup(table: str, tier: int) -> str:
    k = NAME_KEYS[tier].format(x="name")
    return (
        f"(SELECT {k} AS k, min(code) AS code, count(DISTINCT code) AS n FROM {table} GROUP BY 1)"
    )


def _name_sql(table: str, v: str) -> tuple[str, str, str]:
    """(joins, code, n) matching the value ``v`` to ``table``'s names, tier by tier."""
    tiers = range(len(NAME_KEYS))
    joins = " ".join(
        f"LEFT JOIN {_name_lookup(table, t)} n{t} ON n{t}.k = {NAME_KEYS[t].format(x=v)}"
        for t in tiers
    )
    code = "CASE " + " ".join(f"WHEN n{t}.k IS NOT NULL THEN n{t}.code" for t in tiers) + " END"
    n = "CASE " + " ".join(f"WHEN n{t}.k IS NOT NULL THEN n{t}.n" for t in tiers) + " END"
    return joins, code, n


# a new unit's old commune, where it was formed from exactly one
_NEW_TO_OLD = """
SELECT new_code AS code, min(old_code) AS old_code, count(*) AS n_old
FROM admin_crosswalk GROUP BY new_code
"""


@dataclass(frozen=True)
class KeyedSelect:
    """The SQL that reads CTE ``s`` (the file's mapped fields) with its keys added."""

    sql: str
    composed: bool  # the parcel key is composed (the file has no parcel-code column)


def _col(found: set[str], name: str | None) -> str:
    return name if name and name in found else "NULL::VARCHAR"


def _commune_sql(commune: CommuneColumn) -> tuple[str, str, str]:
    """(joins, resolved old code, problem) for the file's commune column."""
    v = commune.field
    if commune.kind == "old_code":
        return (
            f"LEFT JOIN admin_unit_old ou ON ou.code = lc_unit_code({v})",
            "ou.code",
            f"CASE WHEN lc_text({v}) IS NULL THEN 'no commune'"
            f" WHEN lc_unit_code({v}) IS NULL THEN 'commune code ''' || trim({v}) || "
            "''' is not a 5-digit code'"
            f" WHEN ou.code IS NULL THEN 'commune code ''' || trim({v}) || "
            "''' is not an old commune of the province' END",
        )
    if commune.kind == "old_name":
        joins, code, n = _name_sql("admin_unit_old", v)
        problem = (
            f"CASE WHEN lc_text({v}) IS NULL THEN 'no commune' "
            f"WHEN {n} > 1 THEN 'commune ''' || trim({v}) || "
            "''' fits several old communes: give its code' "
            f"WHEN {n} IS NULL THEN 'commune ''' || trim({v}) || "
            "''' is not an old commune of the province' END"
        )
        return joins, f"CASE WHEN {n} = 1 THEN {code} END", problem
    if commune.kind == "new_code":
        joins = f"LEFT JOIN ({_NEW_TO_OLD}) nx ON nx.code = lc_unit_code({v})"
    else:
        joins, code, n = _name_sql("admin_unit", v)
        joins += f" LEFT JOIN ({_NEW_TO_OLD}) nx ON nx.code = CASE WHEN {n} = 1 THEN {code} END"
    unit = f"trim({v})"
    code = "CASE WHEN nx.n_old = 1 THEN nx.old_code END"
    problem = (
        f"CASE WHEN lc_text({v}) IS NULL THEN 'no commune' "
        f"WHEN nx.code IS NULL THEN 'commune ''' || {unit} || "
        "''' is not a new (2025) commune of the province' "
        f"WHEN nx.n_old > 1 THEN 'new commune ''' || {unit} || ''' was formed from ' || "
        "nx.n_old || ' old communes and sheets are numbered per old commune: "
        "give the old commune' END"
    )
    return joins, code, problem


def _owner_key(profile: Profile, found: set[str], prefix: str, suffix: str) -> str:
    """An owner's key: their code; else from ID, name, birth (as the profile says, by
    default ID and name where the ID is given); else their position on the parcel."""
    code, name, idn, birth = (
        _col(found, f"{prefix}_{part}") for part in ("code", "name", "id", "birth")
    )
    position = f"record_key || '#' || pos || '{suffix}'"  # pos: the row's place on the parcel
    wanted = profile.owner_key
    parts_of = {
        "owner_id": f"lc_id_number({idn})",
        # with its tones: "Lê Thị Hà" and "Lê Thị Hạ" are two people
        "owner_name": f"lower(regexp_replace(trim(nfc_normalize({name})), '\\s+', ' ', 'g'))",
        "owner_birth": f"lc_text({birth})",
    }
    if wanted == ("position",):
        by_fields = "NULL"
    else:
        fields = wanted or ("owner_id", "owner_name")
        parts = [parts_of[f] for f in fields]
        condition = " AND ".join(f"{p} IS NOT NULL" for p in parts)
        if not wanted:  # by default: only where the ID is given
            condition = f"lc_id_number({idn}) IS NOT NULL"
        by_fields = (
            f"CASE WHEN {condition} THEN 'U-' || "
            f"substr(md5(concat_ws('|', {', '.join(parts)})), 1, 16) END"
        )
    return (
        f"CASE WHEN lc_text({code}) IS NOT NULL THEN trim({code}) "
        f"WHEN record_key IS NULL OR (lc_text({name}) IS NULL AND lc_text({idn}) IS NULL) "
        f"THEN NULL ELSE COALESCE({by_fields}, {position}) END"
    )


def keyed_select(profile: Profile, found: set[str], owners: bool) -> KeyedSelect:
    """SELECT over CTE ``s`` adding record_key, key_commune (the old commune code the
    commune column resolves to), key_problem (and, for parcel records, owner_key and
    spouse_key)."""
    code = _col(found, "parcel_code")
    key = profile.parcel_key
    commune = key.commune_in(found) if key else None
    composed_expr, joins, problem = "NULL::VARCHAR", "", "'no parcel code'"
    old, empty = "NULL::VARCHAR", ""
    if key is not None and commune is not None:
        joins, old, commune_problem = _commune_sql(commune)
        sheet = f"lc_key_part({_col(found, key.sheet)})"
        parcel = f"lc_key_part({_col(found, key.parcel)})"
        scale_cell = _col(found, key.scale)
        scale = f"CAST(lc_scale({scale_cell}) AS VARCHAR)"
        bad_scale = f"(lc_text({scale_cell}) IS NOT NULL AND lc_scale({scale_cell}) IS NULL)"
        composed_expr = (
            f"CASE WHEN {old} IS NOT NULL AND {sheet} IS NOT NULL AND {parcel} IS NOT NULL "
            f"AND NOT {bad_scale} THEN concat_ws('-', {old}, {scale}, {sheet}, {parcel}) END"
        )
        problem = (
            f"concat_ws('; ', {commune_problem}, "
            f"CASE WHEN {bad_scale} THEN 'scale ''' || trim({scale_cell}) || "
            "''' is not a map scale (e.g. 1:2000)' END, "
            f"CASE WHEN {sheet} IS NULL THEN 'no map sheet number' END, "
            f"CASE WHEN {parcel} IS NULL THEN 'no parcel number' END)"
        )
        key_cells = [code, *(_col(found, f) for f in (commune.field, key.sheet, key.parcel))]
        empty = " AND ".join(f"lc_text({c}) IS NULL" for c in key_cells)
    elif key is not None:
        problem = "'no parcel code, and no commune column to compose the key from'"
    parts = (
        f"SELECT s.*, lc_text({code}) AS key_code, {composed_expr} AS key_composed, "
        f"{old} AS key_commune, NULLIF({problem}, '') AS key_problem0 FROM s {joins}"
    )
    # a row whose code cell is blank takes the code another row of the same parcel
    # (same composed key) has in the file
    adopted = "NULL"
    if code != "NULL::VARCHAR" and composed_expr != "NULL::VARCHAR":
        adopted = "max(key_code) OVER (PARTITION BY key_composed)"
    # an owner's row without any key cell under a parcel's row (cells merged over the
    # parcel's owners in a spreadsheet): the parcel above
    above = "NULL"
    if owners and empty:
        has_owner = " OR ".join(
            f"lc_text({_col(found, f)}) IS NOT NULL"
            for f in ("owner_name", "owner_id", "spouse_name", "spouse_id")
        )
        above = (
            f"CASE WHEN {empty} AND ({has_owner}) THEN last_value(COALESCE(key_code, "
            "key_composed) IGNORE NULLS) OVER (ORDER BY row_no ROWS BETWEEN UNBOUNDED "
            "PRECEDING AND 1 PRECEDING) END"
        )
    inner = (
        "SELECT * EXCLUDE (key_code, key_composed, key_problem0, key_row), "
        "key_row AS record_key, CASE WHEN key_row IS NULL THEN key_problem0 END AS key_problem "
        "FROM (SELECT *, COALESCE(key_code, CASE WHEN key_composed IS NOT NULL "
        f"THEN {adopted} END, key_composed, {above}) AS key_row FROM ({parts}))"
    )
    if not owners:
        return KeyedSelect(inner, code == "NULL::VARCHAR")
    owner = _owner_key(profile, found, "owner", "")
    spouse = _owner_key(profile, found, "spouse", ".2")
    placed = (
        f"SELECT *, row_number() OVER (PARTITION BY record_key ORDER BY row_no) AS pos "
        f"FROM ({inner})"
    )
    more = ", ".join(f"{_owner_key(profile, found, f'owner{n}', f'.{n}')} AS o{n}" for n in (3, 4))
    keyed = f"SELECT *, {owner} AS ok, {spouse} AS sk, {more} FROM ({placed})"
    # owners 3 and 4 of a row keyed like one already on it: kept apart by position
    others = ", ".join(
        f"CASE WHEN starts_with(o{n}, 'U-') AND list_contains([ok, sk{', o3' if n == 4 else ''}],"
        f" o{n}) THEN record_key || '#' || pos || '.{n}' ELSE o{n} END AS owner{n}_key"
        for n in (3, 4)
    )
    if profile.owner_key == ("position",):
        sql = (
            f"SELECT * EXCLUDE (ok, sk, o3, o4, pos), ok AS owner_key, sk AS spouse_key, "
            f"{others} FROM ({keyed})"
        )
        return KeyedSelect(sql, code == "NULL::VARCHAR")
    # A person keyed by their ID and name twice on one parcel (owner and spouse of one
    # row, or two rows) is kept twice, the second by position: the duplicate is then a
    # finding (PARTY_DUPLICATE), not a silently merged right.
    sql = (
        f"SELECT * EXCLUDE (ok, sk, o3, o4, pos), {others}, "
        "CASE WHEN starts_with(ok, 'U-') AND row_number() OVER "
        "(PARTITION BY record_key, ok ORDER BY row_no) > 1 THEN record_key || '#' || pos "
        "ELSE ok END AS owner_key, "
        "CASE WHEN starts_with(sk, 'U-') AND (sk = ok OR row_number() OVER "
        "(PARTITION BY record_key, sk ORDER BY row_no) > 1) "
        "THEN record_key || '#' || pos || '.2' ELSE sk END AS spouse_key "
        f"FROM ({keyed})"
    )
    return KeyedSelect(sql, code == "NULL::VARCHAR")


def commune_code_warnings(
    con: duckdb.DuckDBPyConnection, table: str, batch_id: int, commune: CommuneColumn
) -> list[tuple[str, dict[str, object]]]:
    """Warnings about a commune-code column: new (2025) codes where old ones are
    expected (or the reverse), and codes that are in both lists when the column looks
    like it holds new codes."""
    if commune.kind not in ("old_code", "new_code"):
        return []
    rows = con.execute(
        f"""
        WITH v AS (SELECT DISTINCT lc_unit_code({commune.field}) AS code FROM {table}
                   WHERE batch_id = ? AND lc_unit_code({commune.field}) IS NOT NULL)
        SELECT code, code IN (SELECT code FROM admin_unit_old) AS is_old,
               code IN (SELECT code FROM admin_unit) AS is_new
        FROM v ORDER BY code""",
        [batch_id],
    ).fetchall()
    only_new = [c for c, old, new in rows if new and not old]
    only_old = [c for c, old, new in rows if old and not new]
    both = [c for c, old, new in rows if old and new]
    known = [c for c, old, new in rows if old or new]
    out: list[tuple[str, dict[str, object]]] = []
    if commune.kind == "old_code":
        if only_new:
            out.append(("commune_new_codes", {"codes": _few(only_new), "n": len(only_new)}))
        if both and len(both) == len(known) - len(only_new) and not only_old:
            out.append(("commune_codes_ambiguous", {"codes": _few(both), "n": len(both)}))
    elif only_old:
        out.append(("commune_old_codes", {"codes": _few(only_old), "n": len(only_old)}))
    return out


def _few(codes: list[str]) -> str:
    return ", ".join(codes[:5]) + (" …" if len(codes) > 5 else "")
