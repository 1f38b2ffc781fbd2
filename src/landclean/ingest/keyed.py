"""A build of the records new imports touch, not of the whole province.

A district sends a newer export: a full rebuild would read every raw row of the province
again (2 minutes at 3.4 M parcels) to change a few thousand records.  Instead the build
finds what the new batches can change, rebuilds exactly that with the very statements
of a full build (``ingest.canonical``), and swaps it in:

1. **The old communes touched** (``kb_commune``): those of the new batches' rows, and
   those the records they name were in before.  Every record with a raw row there is
   rebuilt (``kb_key``): a feature and an attribute row keyed differently are matched
   by old commune, sheet and number, and a full export of a commune removes what it no
   longer has, so a commune is decided whole.  Rows without a commune go with it.
2. **The land users and certificates of those records** (``kb_party``,
   ``kb_certificate``): those their raw rows name and those they held.  A land user's
   and a certificate's newest row may be on another commune's record, so the form
   rows of every record holding one of them are read too (``kb_rows``); those other
   records themselves are not written back (nothing of theirs changed).
3. **The same statements**, run while temp tables of the same names shadow the raw
   tables (holding only those rows) and the canonical tables (empty): DuckDB resolves a
   name to the temp table first.  The other stages' results are carried back and
   people's corrections applied again on the shadows, as a full build does.
4. **The swap**: the records in scope deleted from the workspace's tables and the
   rebuilt ones inserted (``merge``), the shadows dropped.

``tests/test_incremental.py`` imports districts' newer exports in random sequences and
compares with a full recomputation; ``tests/test_reimport.py`` checks the keyed build
gives the tables a full build gives.
"""

from __future__ import annotations

import duckdb

# the full build's statements a keyed build runs (the others are whole-table ones)
RECORD_STEPS = (
    "latest_form",
    "match_features",
    "parcel",
    "land_use",
    "cert_keys",
    "party",
    "certificate",
    "asset",
)
# canonical table -> (the column naming its record, the scope table of that kind)
RECORD_TABLES = {
    "parcel": ("parcel_id", "kb_parcel"),
    "parcel_land_use": ("parcel_id", "kb_parcel"),
    "asset": ("parcel_id", "kb_parcel"),
    "land_right": ("parcel_id", "kb_parcel"),
    "certificate_parcel": ("parcel_id", "kb_parcel"),
    "parcel_source_conflict": ("parcel_id", "kb_parcel"),
    "parcel_filled_value": ("parcel_id", "kb_parcel"),
    "party": ("party_id", "kb_party"),
    "certificate": ("certificate_id", "kb_certificate"),
}
# tables the statements or the other stages' restores write besides those
SCRATCH_TABLES = ("map_sheet", "party_commune", "certificate_commune")
SCOPE_TABLES = (
    "kb_raw_commune",
    "kb_commune",
    "kb_key",
    "kb_parcel",
    "kb_party",
    "kb_certificate",
    "kb_rows",
)
# a raw row's old commune, as the build reads it (once per distinct pair of cells)
_COMMUNE = "COALESCE(key_commune, lc_unit_code(commune_code), trim(commune_code))"
# the certificate a raw row names (as ingest.canonical.CERT_KEYS composes it)
_CERTIFICATE = (
    "'GCN-' || substr(md5(COALESCE(cert_serial, '') || '|' || COALESCE(cert_book_no, '') "
    "|| '|' || COALESCE(cert_issue_date, '')), 1, 16)"
)

SCOPE_SQL = f"""
-- the key and commune cells of every raw row, attribute rows and map features alike
CREATE OR REPLACE TEMP VIEW kb_raw AS
SELECT record_key, key_commune, commune_code, batch_id FROM raw_parcel_record
UNION ALL SELECT record_key, key_commune, commune_code, batch_id FROM raw_map_feature;
CREATE OR REPLACE TEMP TABLE kb_raw_commune AS
SELECT key_commune, commune_code, {_COMMUNE} AS commune FROM (
    SELECT DISTINCT key_commune, commune_code FROM kb_raw);
CREATE OR REPLACE TEMP TABLE kb_commune AS
SELECT c.commune FROM kb_raw r JOIN kb_raw_commune c
    ON c.key_commune IS NOT DISTINCT FROM r.key_commune
   AND c.commune_code IS NOT DISTINCT FROM r.commune_code
WHERE r.batch_id > $since
UNION SELECT old_unit_code FROM parcel WHERE parcel_id IN (
    SELECT record_key FROM kb_raw WHERE batch_id > $since
    UNION SELECT record_key FROM import_change
    WHERE batch_id > $since AND record_type IN ('parcel_record', 'map_feature'));
-- the raw cells of the touched communes (and of none): their records are rebuilt
CREATE OR REPLACE TEMP TABLE kb_raw_commune AS
SELECT key_commune, commune_code FROM kb_raw_commune
WHERE commune IS NULL OR commune IN (SELECT commune FROM kb_commune WHERE commune IS NOT NULL);
CREATE OR REPLACE TEMP TABLE kb_key AS
SELECT record_key AS id FROM kb_raw r WHERE record_key IS NOT NULL AND (
    batch_id > $since OR EXISTS (
        SELECT 1 FROM kb_raw_commune c WHERE c.key_commune IS NOT DISTINCT FROM r.key_commune
        AND c.commune_code IS NOT DISTINCT FROM r.commune_code))
UNION SELECT record_key FROM import_change
WHERE batch_id > $since AND record_type IN ('parcel_record', 'map_feature');
CREATE OR REPLACE TEMP TABLE kb_parcel AS
SELECT id FROM kb_key
UNION SELECT parcel_id FROM parcel
WHERE old_unit_code IN (SELECT commune FROM kb_commune WHERE commune IS NOT NULL);
CREATE OR REPLACE TEMP TABLE kb_party AS
SELECT unnest([owner_key, spouse_key, owner3_key, owner4_key]) AS id FROM raw_parcel_record
WHERE record_key IN (SELECT id FROM kb_key)
UNION SELECT party_id FROM land_right WHERE parcel_id IN (SELECT id FROM kb_parcel);
DELETE FROM kb_party WHERE id IS NULL;
CREATE OR REPLACE TEMP TABLE kb_certificate AS
SELECT {_CERTIFICATE} AS id FROM raw_parcel_record
WHERE record_key IN (SELECT id FROM kb_key)
  AND (lc_text(cert_serial) IS NOT NULL OR lc_text(cert_book_no) IS NOT NULL)
UNION SELECT certificate_id FROM certificate_parcel
WHERE parcel_id IN (SELECT id FROM kb_parcel);
-- the records whose form rows are read: those rebuilt, and those holding their land
-- users and certificates
CREATE OR REPLACE TEMP TABLE kb_rows AS
SELECT id FROM kb_key
UNION SELECT parcel_id FROM land_right WHERE party_id IN (SELECT id FROM kb_party)
UNION SELECT parcel_id FROM certificate_parcel
WHERE certificate_id IN (SELECT id FROM kb_certificate);
"""


def scope(con: duckdb.DuckDBPyConnection, since_batch: int) -> int:
    """The scope temp tables for the batches after ``since_batch``; returns how many
    parcels it rebuilds."""
    for statement in SCOPE_SQL.split(";\n"):
        if statement.strip():
            con.execute(statement, {"since": since_batch} if "$since" in statement else None)
    con.execute("DROP VIEW kb_raw")  # (it names the raw tables the shadows stand for)
    row = con.execute("SELECT count(*) FROM kb_parcel").fetchone()
    return int(row[0]) if row else 0


def shadow(con: duckdb.DuckDBPyConnection) -> None:
    """Temp tables shadowing the raw tables (the rows in scope) and the canonical ones
    (empty), so that the full build's statements and the restores work on the scope."""
    db = _database(con)
    con.execute(
        "CREATE TEMP TABLE raw_parcel_record AS SELECT * FROM "
        f"{db}.main.raw_parcel_record WHERE record_key IN (SELECT id FROM kb_rows)"
    )
    con.execute(
        "CREATE TEMP TABLE raw_map_feature AS SELECT * FROM "
        f"{db}.main.raw_map_feature WHERE record_key IN (SELECT id FROM kb_key)"
    )
    for table in (*RECORD_TABLES, *SCRATCH_TABLES):
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {db}.main.{table} WHERE false")


def merge(con: duckdb.DuckDBPyConnection) -> None:
    """The records in scope replaced in the workspace's tables by the rebuilt ones; the
    shadows dropped."""
    db = _database(con)
    for table, (key, kind) in RECORD_TABLES.items():
        con.execute(f"DELETE FROM {db}.main.{table} WHERE {key} IN (SELECT id FROM {kind})")
        con.execute(
            f"INSERT INTO {db}.main.{table} SELECT * FROM temp.main.{table} "
            f"WHERE {key} IN (SELECT id FROM {kind})"
        )
    drop_shadows(con)


def drop_shadows(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the shadows (after ``merge``, or when the build failed)."""
    for table in ("raw_parcel_record", "raw_map_feature", *RECORD_TABLES, *SCRATCH_TABLES):
        con.execute(f"DROP TABLE IF EXISTS temp.main.{table}")


def drop_scope(con: duckdb.DuckDBPyConnection) -> None:
    """Drop the scope's temp tables."""
    for table in SCOPE_TABLES:
        con.execute(f"DROP TABLE IF EXISTS {table}")


def _database(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute("SELECT current_database()").fetchone()
    return '"' + str(row[0] if row else "memory").replace('"', '""') + '"'
