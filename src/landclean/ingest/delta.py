"""What a build changed: the records it added, changed or removed (``build_delta``).

A build rebuilds the canonical tables from every raw row, or the records of the old
communes new batches touch (``ingest.keyed``); most records come out as they were.
Before the rebuild and after it (people's corrections applied again, the other stages'
results carried back; for a keyed build, the records in scope only), each record is
summed up as one hash of all its rows: a parcel with its land uses, assets, rights,
certificate links, conflicts and values taken from the map; a land user with their
rights; a certificate with its parcels.  The batch a row came from is left out (a
record imported again as it was is unchanged); the file, sheet and row it was read from
are kept in (findings show them).
Records whose hash differs are written to ``build_delta`` with what they held before
that other records may share (a parcel's old commune, a land user's ID number, a
certificate's serial), so that the stages after the build recompute those records and
what depends on them (docs/incremental.md).  Tables that are not made of such records
(the registry, the communes' status, progress and targets) are compared whole.

The delta is not kept (``canonical_build.delta`` false: every later stage recomputes
everything, as after a first import) when there was no build before, when the communes'
status changed (every placement depends on it), or when more than ``MAX_SHARE`` of the
records changed (recomputing all is then as fast).
"""

from __future__ import annotations

import duckdb

# kind -> (the column holding what others may share, the tables whose rows make up a
# record of that kind with the column naming the record in each)
KINDS: dict[str, tuple[str, dict[str, str]]] = {
    "parcel": (
        "old_unit_code",
        {
            "parcel": "parcel_id",
            "parcel_land_use": "parcel_id",
            "asset": "parcel_id",
            "land_right": "parcel_id",
            "certificate_parcel": "parcel_id",
            "parcel_source_conflict": "parcel_id",
            "parcel_filled_value": "parcel_id",
        },
    ),
    "party": ("id_number", {"party": "party_id", "land_right": "party_id"}),
    "certificate": (
        "serial",
        {"certificate": "certificate_id", "certificate_parcel": "certificate_id"},
    ),
}
WHOLE_TABLES = ("registry_person", "commune_status", "commune_progress", "commune_target")
# a change of these makes every later stage recompute everything
EVERYTHING = ("commune_status",)
# more than this share of the records changed: no delta (everything is recomputed)
MAX_SHARE = 0.3
LEFT_OUT = ("source_batch",)


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    rows = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
        "AND database_name = current_database() AND schema_name = 'main' "
        "ORDER BY column_index",
        [table],
    ).fetchall()
    return [str(r[0]) for r in rows if r[0] not in LEFT_OUT]


def _row_hash(con: duckdb.DuckDBPyConnection, table: str) -> str:
    return f"hash('{table}', " + ", ".join(f'"{c}"' for c in _columns(con, table)) + ")"


def snapshot_records(
    con: duckdb.DuckDBPyConnection, name: str, scope: dict[str, str] | None = None
) -> None:
    """Temp table ``bd_{name}`` (kind, record_id, h, k): every record's hash and what it
    holds that others may share; ``scope``: of the records whose ids the temp table
    named for their kind holds (column ``id``), only."""
    parts = []
    for kind, (key, tables) in KINDS.items():
        for table, id_column in tables.items():
            held = f'"{key}"' if table == kind else "NULL"
            within = f' WHERE "{id_column}" IN (SELECT id FROM {scope[kind]})' if scope else ""
            parts.append(
                f"SELECT '{kind}' AS kind, \"{id_column}\" AS record_id, "
                f"{_row_hash(con, table)} AS h, {held}::VARCHAR AS k FROM {table}{within}"
            )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE bd_{name} AS SELECT kind, record_id, sum(h) AS h, "
        f"any_value(k) AS k FROM ({' UNION ALL '.join(parts)}) GROUP BY kind, record_id"
    )


def no_records(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """An empty ``bd_{name}``: a build of whole tables alone changes no record."""
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE bd_{name} (kind VARCHAR, record_id VARCHAR, "
        "h HUGEINT, k VARCHAR)"
    )


def snapshot_tables(
    con: duckdb.DuckDBPyConnection, name: str, tables: tuple[str, ...] = WHOLE_TABLES
) -> None:
    """Temp table ``bd_{name}_whole`` (table_name, h): a hash of each of ``tables``."""
    wholes = " UNION ALL ".join(
        [
            f"SELECT '{t}' AS table_name, COALESCE(sum({_row_hash(con, t)}), 0) AS h FROM {t}"
            for t in tables
            if t in WHOLE_TABLES
        ]
        + ["SELECT NULL AS table_name, NULL::HUGEINT AS h WHERE false"]
    )
    con.execute(f"CREATE OR REPLACE TEMP TABLE bd_{name}_whole AS {wholes}")


def record(con: duckdb.DuckDBPyConnection, build_id: int) -> bool:
    """Compare the snapshots ``before`` and ``after`` (records and whole tables), write
    the build's delta to ``build_delta`` and say whether it is kept (False: recompute
    everything); the snapshots dropped."""
    changed_whole = [
        str(r[0])
        for r in con.execute(
            "SELECT a.table_name FROM bd_after_whole a JOIN bd_before_whole b USING (table_name) "
            "WHERE a.h <> b.h ORDER BY 1"
        ).fetchall()
    ]
    con.execute(
        "CREATE OR REPLACE TEMP TABLE bd_changed AS "
        "SELECT COALESCE(a.kind, b.kind) AS kind, COALESCE(a.record_id, b.record_id) AS record_id, "
        "CASE WHEN b.record_id IS NULL THEN 'added' WHEN a.record_id IS NULL THEN 'removed' "
        "ELSE 'changed' END AS change, b.k AS key_before "
        "FROM bd_after a FULL JOIN bd_before b ON a.kind = b.kind AND a.record_id = b.record_id "
        "WHERE a.h IS DISTINCT FROM b.h"
    )
    row = con.execute(
        "SELECT (SELECT count(*) FROM bd_changed), (SELECT count(*) FROM parcel) "
        "+ (SELECT count(*) FROM party) + (SELECT count(*) FROM certificate)"
    ).fetchone()
    changed, total = (int(row[0]), int(row[1])) if row else (0, 0)
    kept = not set(changed_whole) & set(EVERYTHING) and changed <= MAX_SHARE * max(total, 1)
    if kept:
        con.execute(
            "INSERT INTO build_delta SELECT ?, kind, record_id, change, key_before FROM bd_changed",
            [build_id],
        )
        for table in changed_whole:
            con.execute(
                "INSERT INTO build_delta VALUES (?, ?, NULL, 'table', NULL)", [build_id, table]
            )
    drop(con)
    return kept


def drop(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the comparison's temp tables."""
    for table in ("bd_before", "bd_before_whole", "bd_after", "bd_after_whole", "bd_changed"):
        con.execute(f"DROP TABLE IF EXISTS {table}")
