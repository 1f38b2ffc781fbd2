"""What changed in the workspace since the last export, found without building any
object: every row of the tables packages are made from, as the hash of its key and the
hash of the whole row, compared with the same taken at the last export
(``exchange_fingerprint``).  Two keys of one table with the same hash (a chance of
about 1 in 10^5 at 25 M rows) only make both rows look changed: more work, never less.
The rows are first compared by bucket (``exchange_fingerprint_bucket``: the sum, over
the rows whose key hashes share their top 16 bits, of the hash of key and row hashes),
and row by row only in the buckets whose sums or counts moved: 10,000 changed rows of
a 4 M-row table are in at most 10,000 of 65,536 buckets.

A package of changes of a large province then needs only the parcels touched
(``x_touched``): those whose rows differ, with those sharing a land user or a
certificate with them, so that what each commune holds of those land users and
certificates is known whole (``exchange.objects`` narrows its staging to them and
``exchange.versions`` what the receivers hold to the same).  It is taken only when it
answers the same as comparing everything: the fingerprint was taken by the export that
made each commune's latest package, the package is since that one, and the groups are
the same (``exchange_fingerprint_mark``); otherwise every object is compared.
"""

from __future__ import annotations

import duckdb

# every table exchange.objects reads objects of a parcel, a land user or a certificate
# from: its key, and the parcel, land user and certificate each row refers to
SOURCES = {
    "parcel": ("parcel_id", "parcel_id", "NULL", "NULL"),
    "parcel_group": ("parcel_id", "parcel_id", "NULL", "NULL"),
    "parcel_land_use": ("parcel_id || '/' || seq", "parcel_id", "NULL", "NULL"),
    "land_right": ("parcel_id || '/' || party_id", "parcel_id", "party_id", "certificate_id"),
    "asset": ("asset_id", "parcel_id", "NULL", "NULL"),
    "certificate_parcel": (
        "parcel_id || '/' || certificate_id",
        "parcel_id",
        "NULL",
        "certificate_id",
    ),
    "party": ("party_id", "NULL", "party_id", "NULL"),
    "auth_result": ("party_id", "NULL", "party_id", "NULL"),
    "certificate": ("certificate_id", "NULL", "NULL", "certificate_id"),
}


def _rows(table: str, refs: bool = False, buckets: str | None = None) -> str:
    """SELECT of a source's rows as (kh: the hash of the key, h: of the whole row), with
    what they refer to (``refs``); ``buckets``: of the rows whose key hash is in one of
    those (a subquery of ``b``), chosen before whole rows are hashed."""
    key, parcel, party, cert = SOURCES[table]
    more = (
        f", {parcel}::VARCHAR AS parcel_ref, {party}::VARCHAR AS party_ref, "
        f"{cert}::VARCHAR AS cert_ref"
        if refs
        else ""
    )
    where = f" WHERE {_bucket(f'hash({key})')} IN {buckets}" if buckets else ""
    return f"SELECT '{table}' AS src, hash({key}) AS kh, hash(t) AS h{more} FROM {table} t{where}"


def _bucket(kh: str = "kh") -> str:
    """A row's bucket: the top 16 bits of its key's hash ``kh``."""
    return f"({kh} >> 48)::USMALLINT"


BUCKET = _bucket()
# a bucket's sum and rows (migration 025 computes them the same way)
SUMS = "sum(hash(kh, h)::HUGEINT) AS s, count(*) AS n"


def _buckets(rows: str) -> str:
    """SELECT of the buckets of ``rows`` (kh, h): b, the sum s of hash(kh, h), rows n."""
    return f"SELECT {BUCKET} AS b, {SUMS} FROM {rows} GROUP BY b"


def can_narrow(con: duckdb.DuckDBPyConnection, groups: list[int]) -> bool:
    """Whether the packages of ``x_pkg`` may be made from the parcels touched: each
    is since its commune's latest package, which the fingerprint was taken with, for
    the same groups."""
    row = con.execute(
        "SELECT count(*) FILTER (WHERE m.unit_code IS NULL OR m.seq <> p.last_seq "
        "OR p.base_seq <> p.last_seq OR p.last_seq = 0 OR m.groups <> ?::INTEGER[]), count(*) "
        "FROM x_pkg p LEFT JOIN exchange_fingerprint_mark m ON m.unit_code = p.pkg",
        [groups],
    ).fetchone()
    return row is not None and int(row[0]) == 0 and int(row[1]) > 0


def touched(con: duckdb.DuckDBPyConnection) -> None:
    """``x_fp_diff`` (src, kh: the rows that differ from the fingerprint, by source,
    compared on hashes alone, with their hash now and what they refer to now and then;
    row by row only in the buckets whose sums moved, ``x_fp_bucket``, whose rows now
    are kept in ``x_fp_now``) and ``x_fp_changed`` (what they referred to then and now);
    the land users and certificates touched (``x_touched_party``,
    ``x_touched_certificate``): those whose rows differ, whose rights or links do (now
    or then), or of a parcel whose rows differ; and ``x_touched`` (parcel_id): the
    parcels whose rows differ and every parcel of a land user or certificate touched."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE x_fp_diff (src VARCHAR, kh UBIGINT, h UBIGINT, "
        "parcel_ref VARCHAR, party_ref VARCHAR, cert_ref VARCHAR, was_parcel VARCHAR, "
        "was_party VARCHAR, was_cert VARCHAR)"
    )
    con.execute("CREATE OR REPLACE TEMP TABLE x_fp_bucket (src VARCHAR, b USMALLINT)")
    con.execute(
        "CREATE OR REPLACE TEMP TABLE x_fp_now AS SELECT * FROM exchange_fingerprint LIMIT 0"
    )
    for table in SOURCES:
        con.execute(
            f"INSERT INTO x_fp_bucket SELECT '{table}', COALESCE(c.b, s.b) "
            f"FROM ({_buckets(f'({_rows(table)})')}) c "
            f"FULL JOIN (SELECT b, s, n FROM exchange_fingerprint_bucket WHERE src = '{table}') s "
            "ON c.b = s.b WHERE c.s IS DISTINCT FROM s.s OR c.n IS DISTINCT FROM s.n"
        )
        moved = f"(SELECT b FROM x_fp_bucket WHERE src = '{table}')"
        # the rows of the buckets that moved, as they are now (kept for the record)
        con.execute(f"INSERT INTO x_fp_now {_rows(table, refs=True, buckets=moved)}")
        con.execute(
            f"INSERT INTO x_fp_diff SELECT '{table}', COALESCE(c.kh, s.kh), c.h, "
            "c.parcel_ref, c.party_ref, c.cert_ref, s.parcel_ref, s.party_ref, s.cert_ref "
            f"FROM (SELECT * FROM x_fp_now WHERE src = '{table}') c "
            f"FULL JOIN (SELECT * FROM exchange_fingerprint WHERE src = '{table}' "
            f"AND {BUCKET} IN {moved}) s ON c.kh = s.kh WHERE c.h IS DISTINCT FROM s.h"
        )
        # and a key hash whose rows are the same but not as many (a row repeated, or
        # a repeat gone): nothing to send, but the fingerprint is to count them
        con.execute(
            f"INSERT INTO x_fp_diff (src, kh) SELECT '{table}', c.kh "
            f"FROM (SELECT kh, count(*) AS n FROM x_fp_now WHERE src = '{table}' GROUP BY kh) c "
            f"JOIN (SELECT kh, count(*) AS n FROM exchange_fingerprint WHERE src = '{table}' "
            f"AND {BUCKET} IN {moved} GROUP BY kh) s ON c.kh = s.kh AND c.n <> s.n"
        )
    con.execute(
        "CREATE OR REPLACE TEMP TABLE x_fp_changed AS "
        "SELECT parcel_ref, party_ref, cert_ref FROM x_fp_diff "
        "UNION ALL SELECT was_parcel, was_party, was_cert FROM x_fp_diff"
    )
    con.execute(
        """
CREATE OR REPLACE TEMP TABLE x_changed_parcel AS
SELECT DISTINCT parcel_ref AS parcel_id FROM x_fp_changed WHERE parcel_ref IS NOT NULL"""
    )
    # a parcel that changed may have left its commune or the groups sent: what its
    # commune holds of its land users and certificates is compared too
    con.execute(
        """
CREATE OR REPLACE TEMP TABLE x_touched_party AS
SELECT party_ref AS party_id FROM x_fp_changed WHERE party_ref IS NOT NULL
UNION SELECT party_id FROM land_right WHERE parcel_id IN (SELECT parcel_id FROM x_changed_parcel)"""
    )
    con.execute(
        """
CREATE OR REPLACE TEMP TABLE x_touched_certificate AS
SELECT cert_ref AS certificate_id FROM x_fp_changed WHERE cert_ref IS NOT NULL
UNION SELECT certificate_id FROM land_right
      WHERE certificate_id IS NOT NULL
        AND parcel_id IN (SELECT parcel_id FROM x_changed_parcel)
UNION SELECT certificate_id FROM certificate_parcel
      WHERE parcel_id IN (SELECT parcel_id FROM x_changed_parcel)"""
    )
    # every parcel of those land users and certificates, so that what each commune
    # holds of them is known whole
    con.execute(
        """
CREATE OR REPLACE TEMP TABLE x_touched AS
FROM x_changed_parcel
UNION SELECT parcel_id FROM land_right
      WHERE party_id IN (SELECT party_id FROM x_touched_party)
         OR certificate_id IN (SELECT certificate_id FROM x_touched_certificate)
UNION SELECT parcel_id FROM certificate_parcel
      WHERE certificate_id IN (SELECT certificate_id FROM x_touched_certificate)"""
    )


def record(
    con: duckdb.DuckDBPyConnection, narrowed: bool, seqs: dict[str, int], groups: list[int]
) -> None:
    """The fingerprint of the rows now kept for the next export (replaced whole, or only
    the rows that differed when ``narrowed``), and the communes whose receivers now hold
    what it describes: those of this export (``seqs``: their new packages)."""
    if narrowed:
        con.execute(
            "DELETE FROM exchange_fingerprint WHERE (src, kh) IN (SELECT src, kh FROM x_fp_diff)"
        )
        # every row now of a key hash that differed (those of two keys sharing one hash
        # too, whether or not each differed), from the rows the comparison kept
        con.execute(
            "INSERT INTO exchange_fingerprint SELECT * FROM x_fp_now "
            "WHERE (src, kh) IN (SELECT src, kh FROM x_fp_diff)"
        )
        # the sums of the buckets that moved, taken from the rows stored
        moved = "(src, b) IN (SELECT src, b FROM x_fp_bucket)"
        con.execute(f"DELETE FROM exchange_fingerprint_bucket WHERE {moved}")
        stored = (
            f"(SELECT *, {BUCKET} AS b FROM exchange_fingerprint "
            f"WHERE (src, {BUCKET}) IN (SELECT src, b FROM x_fp_bucket))"
        )
    else:
        con.execute("DELETE FROM exchange_fingerprint")
        for table in SOURCES:
            con.execute(f"INSERT INTO exchange_fingerprint {_rows(table, refs=True)}")
        con.execute("DELETE FROM exchange_fingerprint_bucket")
        stored = f"(SELECT *, {BUCKET} AS b FROM exchange_fingerprint)"
    con.execute(
        f"INSERT INTO exchange_fingerprint_bucket SELECT src, b, {SUMS} FROM {stored} "
        "GROUP BY src, b"
    )
    con.execute("DELETE FROM exchange_fingerprint_mark")
    con.executemany(
        "INSERT INTO exchange_fingerprint_mark VALUES (?, ?, ?)",
        [[code, seq, groups] for code, seq in seqs.items()],
    )


def drop(con: duckdb.DuckDBPyConnection) -> None:
    touched = ("x_changed_parcel", "x_touched", "x_touched_party", "x_touched_certificate")
    for table in ("x_fp_bucket", "x_fp_now", "x_fp_diff", "x_fp_changed", *touched):
        con.execute(f"DROP TABLE IF EXISTS {table}")
