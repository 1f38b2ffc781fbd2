"""Change sets: what a newer export changed compared with the records already held.

For each record key (the parcel code, the person's ID …) the newest earlier version is
compared with the incoming one: ``added`` (never seen), ``changed`` (with the fields that
differ) or, for full exports of a commune, ``removed`` (held for that commune before, absent
now).  Nothing is overwritten: raw rows of every batch stay; the canonical tables take the
newest version and skip removed records.
"""

from __future__ import annotations

import duckdb

from landclean.ingest.profiles import TARGET_TABLES

# target -> (key expression, scope column for removals or None)
KEYS: dict[str, tuple[str, str | None]] = {
    "parcel_record": ("record_key", "COALESCE(key_commune, commune_code)"),
    "map_feature": ("record_key", "COALESCE(key_commune, commune_code)"),
    "registry": ("regexp_replace(so_dinh_danh, '[^0-9]', '', 'g')", None),
    "commune_status": ("trim(unit_code)", None),
    "commune_progress": ("trim(unit_code) || '|' || trim(report_date)", None),
    "commune_target": ("trim(unit_code)", None),
}
LINEAGE = {
    "batch_id",
    "source_file",
    "source_sheet",
    "source_layer",
    "row_no",
    "key_problem",
    "profile",
    "extra",
    "geom_wkb",
}


def _fields(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position",
        [table],
    ).fetchall()
    return [r[0] for r in rows if r[0] not in LINEAGE]


def record_changes(
    con: duckdb.DuckDBPyConnection, target: str, batches: list[int]
) -> dict[int, dict[str, int]]:
    """Write the change set of this import's batches of one layout into import_change;
    return counts per batch and change.  Compared against everything imported before."""
    if not batches:
        return {}
    table = TARGET_TABLES[target]
    key = KEYS[target][0]
    first = min(batches)
    earlier = con.execute(
        f"SELECT count(*) > 0 FROM {table} WHERE batch_id < ?", [first]
    ).fetchone()
    if not (earlier and earlier[0]):  # a first import: everything is new, nothing to list
        rows = con.execute(
            f"SELECT batch_id, count(DISTINCT {key}) FROM {table} "
            "WHERE list_contains(?, batch_id) GROUP BY 1",
            [batches],
        ).fetchall()
        return {int(b): {"added": int(n)} for b, n in rows}
    fields = _fields(con, table)
    diff = ", ".join(f"CASE WHEN n.{f} IS DISTINCT FROM p.{f} THEN '{f}' END" for f in fields)
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE incoming AS
        SELECT {key} AS k, * FROM {table}
        WHERE list_contains(?, batch_id) AND {key} IS NOT NULL AND {key} <> ''
        QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY batch_id DESC, row_no) = 1""",
        [batches],
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE previous AS
        SELECT {key} AS k, * FROM {table} WHERE batch_id < ? AND {key} IN (SELECT k FROM incoming)
        QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY batch_id DESC, row_no) = 1""",
        [first],
    )
    con.execute(
        f"""
        INSERT INTO import_change
        SELECT n.batch_id, ?, n.k,
               CASE WHEN p.k IS NULL THEN 'added' ELSE 'changed' END,
               CASE WHEN p.k IS NULL THEN NULL
                    ELSE list_filter([{diff}], x -> x IS NOT NULL) END,
               p.batch_id
        FROM incoming n LEFT JOIN previous p USING (k)
        WHERE p.k IS NULL OR len(list_filter([{diff}], x -> x IS NOT NULL)) > 0""",
        [target],
    )
    return {b: _counts(con, b) for b in batches}


def _counts(con: duckdb.DuckDBPyConnection, batch_id: int) -> dict[str, int]:
    rows = con.execute(
        "SELECT change, count(*) FROM import_change WHERE batch_id = ? GROUP BY 1", [batch_id]
    ).fetchall()
    return {str(c): int(n) for c, n in rows}


def record_removals(con: duckdb.DuckDBPyConnection, target: str, batches: list[int]) -> int:
    """Records held for a commune that the commune's new export (all files and sheets of
    this import together) no longer has; listed as removed in the first new batch."""
    key, scope = KEYS[target]
    if not scope or not batches:
        return 0
    table = TARGET_TABLES[target]
    first = min(batches)
    before = con.execute("SELECT count(*) FROM import_change").fetchone()
    con.execute(
        f"""
        INSERT INTO import_change
        SELECT ?, ?, k, 'removed', NULL, batch_id FROM (
            SELECT {key} AS k, batch_id, {scope} AS scope FROM {table} WHERE batch_id < ?
            QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY batch_id DESC) = 1) old
        WHERE scope IN (SELECT DISTINCT {scope} FROM {table} WHERE list_contains(?, batch_id))
          AND k NOT IN (SELECT {key} FROM {table} WHERE list_contains(?, batch_id)
                        AND {key} IS NOT NULL)
          AND NOT EXISTS (SELECT 1 FROM import_change c WHERE c.record_type = ?
                          AND c.change = 'removed' AND c.record_key = old.k
                          AND c.batch_id > old.batch_id)""",
        [first, target, first, batches, batches, target],
    )
    after = con.execute("SELECT count(*) FROM import_change").fetchone()
    return (int(after[0]) if after else 0) - (int(before[0]) if before else 0)


def record_listed_removals(
    con: duckdb.DuckDBPyConnection, target: str, batch: int, uuids: list[str]
) -> int:
    """Records an exchange package retires (by the UUIDs of their parcels, as
    ``exchange.gml`` derives them), listed as removed in its batch; parcels not held,
    or already removed, are skipped."""
    key = KEYS[target][0]
    if not uuids or target not in ("parcel_record", "map_feature"):
        return 0
    from landclean.exchange.gml import register_macros

    register_macros(con)
    table = TARGET_TABLES[target]
    before = con.execute("SELECT count(*) FROM import_change").fetchone()
    con.execute(
        f"""
        INSERT INTO import_change
        SELECT ?, ?, k, 'removed', NULL, batch_id FROM (
            SELECT {key} AS k, batch_id FROM {table} WHERE batch_id < ? AND {key} IS NOT NULL
            QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY batch_id DESC) = 1) old
        WHERE list_contains(?, lc_xuuid('parcel', k))
          AND NOT EXISTS (SELECT 1 FROM import_change c WHERE c.record_type = ?
                          AND c.change = 'removed' AND c.record_key = old.k
                          AND c.batch_id > old.batch_id)""",
        [batch, target, batch, uuids, target],
    )
    after = con.execute("SELECT count(*) FROM import_change").fetchone()
    return (int(after[0]) if after else 0) - (int(before[0]) if before else 0)
