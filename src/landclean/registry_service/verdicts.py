"""Verdicts read back from the population service, applied set-based and never blindly.

Rows arrive in the service's names (a response file, CSV or JSON, or an online batch's
body) and are read as text into ``rv_in``.  Each row is then checked, in SQL:

- **malformed**: no request key, a yes/no that is neither word of the protocol, a
  birth date that is not one, or neither a verdict (``found``) nor an error code;
- **unknown_key**: a request key the workspace never sent (online: not in the batch
  this body answers);
- **duplicate**: the same key more than once with the same verdict (applied once);
  **conflicting**: the same key with different verdicts (none applied).

The rest become ``registry_verdict`` rows, unless equal to the key's current verdict
(a response applied twice changes nothing).  Each land user whose verdict is new is
journalled (``change_log``, stage ``evidence``) so that the next ``run`` re-authenticates
them (``authenticate.verdicts``).  Rows not applied are kept in ``registry_problem``
and returned, to be listed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import duckdb
import pyarrow as pa

from landclean.registry_service.protocol import FLAGS, RESPONSE, Protocol, RegistryServiceError

SHOWN = 1000  # problems returned to be shown (all are in registry_problem)
VERDICT = (*FLAGS, "registry_id", "registry_name", "registry_birth", "registry_sex", "error_code")


@dataclass
class Applied:
    """What reading one response did."""

    rows: int = 0
    applied: int = 0  # new verdicts recorded (errors included)
    unchanged: int = 0  # equal to the verdict already recorded
    errors: int = 0  # of the applied: the service could not verify (error code)
    # the first ``SHOWN`` rows not applied (row, key, problem, detail), and how many
    problems: list[tuple[int | None, str | None, str, str]] = field(default_factory=list)
    problem_count: int = 0
    batches: set[str] = field(default_factory=set)  # batches the verdicts answered

    def add(self, other: Applied) -> None:
        self.rows += other.rows
        self.applied += other.applied
        self.unchanged += other.unchanged
        self.errors += other.errors
        self.problems += other.problems[: max(SHOWN - len(self.problems), 0)]
        self.problem_count += other.problem_count
        self.batches |= other.batches


def _words_map(p: Protocol) -> str:
    """The protocol's yes/no words as a DuckDB MAP literal (JSON's true/false too)."""
    pairs = {w: "false" for w in (*p.false_values, "false")} | {
        w: "true" for w in (*p.true_values, "true")
    }
    return (
        "MAP {" + ", ".join("'" + w.replace("'", "''") + f"': {v}" for w, v in pairs.items()) + "}"
    )


def folded(name: str) -> str:
    """A column name as matched: NFC, case folded, a byte-order mark and the spaces
    around it ignored, spaces, underscores and hyphens alike."""
    text = unicodedata.normalize("NFC", name.lstrip("\ufeff")).casefold().strip()
    return re.sub(r"[\s_\-]+", "_", text)


def load_rows(
    con: duckdb.DuckDBPyConnection,
    p: Protocol,
    relation: str,
    present: set[str],
    tagged: bool = False,
    where: str = "",
) -> None:
    """``rv_in``: the rows of ``relation`` (numbered in order, columns in the service's
    names, matched whatever their case and spacing; ``present``: the columns it has) as
    text under landclean's names.  ``tagged``: its rows carry the batch they answer and
    their row in that body (``rows_relation``'s ``BATCH`` and ``ROW``); ``where``: the file
    or URL they come from (two columns for one field are an error naming it)."""
    columns: dict[str, str] = {}
    for c in sorted(present):
        if folded(c) in columns:
            raise RegistryServiceError(
                "registry_response_ambiguous", path=where, first=columns[folded(c)], second=c
            )
        columns[folded(c)] = c
    cols = []
    for f in RESPONSE:
        name = columns.get(folded(p.response.name(f)))
        quoted = None if name is None else '"' + name.replace('"', '""') + '"'
        cols.append(f"CAST({quoted} AS VARCHAR) AS {f}" if quoted else f"NULL::VARCHAR AS {f}")
    where = (
        f'"{BATCH}" AS for_batch, "{ROW}" AS row_number'
        if tagged
        else "NULL::VARCHAR AS for_batch, row_number() OVER () AS row_number"
    )
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE rv_in AS SELECT row_number() OVER () AS seq, {where}, "
        f"{', '.join(cols)} FROM {relation}"
    )


BATCH, ROW = "_lc_batch_", "_lc_row_"  # rows_relation's own columns


def rows_relation(con: duckdb.DuckDBPyConnection, bodies: list[tuple[str, list]]) -> set[str]:
    """Register the records of answers (batch id, records) as ``rv_body``: every value as
    text, each row with its batch and its row in the body (``BATCH``, ``ROW``; a record
    that is not an object becomes a row with no key, reported as malformed); the
    service's columns."""
    names: dict[str, None] = {}
    for _, records in bodies:
        for r in records:
            if isinstance(r, dict):
                names.update(dict.fromkeys(map(str, r)))
    columns = [c for c in names if c not in (BATCH, ROW)]

    def text(v: object) -> str | None:
        if v is None:
            return None
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    data: dict[str, list] = {c: [] for c in columns}
    batches: list[str] = []
    rows: list[int] = []
    for batch_id, records in bodies:
        for i, r in enumerate(records, start=1):
            for c in columns:
                data[c].append(text(r.get(c)) if isinstance(r, dict) else None)
            batches.append(batch_id)
            rows.append(i)
    table = {c: pa.array(v, pa.string()) for c, v in data.items()}
    table[BATCH] = pa.array(batches, pa.string())
    table[ROW] = pa.array(rows, pa.int64())
    con.register("rv_body", pa.table(table))
    return set(columns)


def apply(
    con: duckdb.DuckDBPyConnection,
    p: Protocol,
    *,
    source: str,
    by: str,
    tagged: bool = False,
) -> Applied:
    """Check and apply the rows of ``rv_in`` (see the module); ``tagged``: each row
    answers the batch it carries (online), else any request the workspace sent.  Call in
    a transaction."""
    words = _words_map(p)
    fmt = p.response.date_format.replace("'", "''")
    sexes = " ".join(
        "WHEN lower(nfc_normalize(trim(registry_sex))) = '"
        + unicodedata.normalize("NFC", w).casefold().replace("'", "''")
        + f"' THEN '{k}'"
        for k, w in p.response.sex_values.items()
    )
    birth = (
        f"coalesce(try_strptime(registry_birth, '{fmt}')::DATE, try_cast(registry_birth AS DATE))"
    )
    normalized = ", ".join(f"nullif(lower(nfc_normalize(trim({c}))), '') AS {c}" for c in FLAGS)
    unknown = ", ".join(f"CASE WHEN NOT map_contains({words}, {c}) THEN '{c}' END" for c in FLAGS)
    # each yes/no written once as a word to look up (NFC, lower case, trimmed): its value
    # from the protocol's words, or a malformed column when it is none of them
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE rv_p AS
        WITH w AS (
            SELECT seq, for_batch, row_number, nullif(trim(request_key), '') AS request_key,
                   {normalized},
                   registry_id, nullif(trim(registry_name), '') AS registry_name,
                   nullif(trim(registry_birth), '') AS registry_birth, registry_sex,
                   nullif(trim(error_code), '') AS error_code
            FROM rv_in
        )
        SELECT seq, for_batch, row_number, request_key,
               {", ".join(f"{words}[{c}] AS {c}" for c in FLAGS)},
               nullif(regexp_replace(coalesce(registry_id, ''), '[^0-9]', '', 'g'), '')
                   AS registry_id,
               registry_name, {birth} AS registry_birth,
               CASE WHEN nullif(trim(registry_sex), '') IS NULL THEN NULL {sexes}
                    ELSE trim(registry_sex) END AS registry_sex,
               error_code,
               list_filter([
                   CASE WHEN request_key IS NULL THEN 'request_key' END,
                   {unknown},
                   CASE WHEN registry_birth IS NOT NULL AND {birth} IS NULL
                        THEN 'registry_birth' END,
                   CASE WHEN nullif(trim(registry_id), '') IS NOT NULL   -- a CCCD's 12
                             AND length(regexp_replace(registry_id, '[^0-9]', '', 'g')) <> 12
                        THEN 'registry_id' END,   -- digits (Excel drops the leading 0)
                   CASE WHEN found IS NULL AND error_code IS NULL THEN 'found' END
               ], x -> x IS NOT NULL) AS bad
        FROM w
        """
    )
    if tagged:  # the request of the batch each row answers
        known = (
            "JOIN (SELECT * FROM registry_request WHERE batch_id IN "
            "(SELECT DISTINCT for_batch FROM rv_in)) q "
            "ON q.request_key = v.request_key AND q.batch_id = v.for_batch"
        )
    else:  # the latest request of the key sent as a file (online batches are the
        known = (  # connector's own)
            "JOIN (SELECT * FROM registry_request WHERE batch_id IN (SELECT batch_id "
            "FROM registry_batch WHERE channel = 'file') QUALIFY row_number() OVER "
            "(PARTITION BY request_key ORDER BY batch_id DESC) = 1) q USING (request_key)"
        )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE rv_known AS
        SELECT v.* EXCLUDE (for_batch), q.batch_id, q.party_id, q.sent_hash FROM rv_p v
        {known}
        WHERE len(v.bad) = 0
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE rv_verdicts AS
        SELECT request_key, batch_id, count(*) AS n,
               count(DISTINCT ({", ".join(VERDICT)})) AS kinds,
               arg_min(rv_known, seq) AS v
        FROM rv_known GROUP BY request_key, batch_id
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE rv_problem AS
        SELECT seq, row_number, request_key, 'malformed' AS problem,
               array_to_string(bad, ', ') AS detail
        FROM rv_p WHERE len(bad) > 0
        UNION ALL
        SELECT seq, row_number, request_key, 'unknown_key', for_batch FROM rv_p
        WHERE len(bad) = 0 AND seq NOT IN (SELECT seq FROM rv_known)
        UNION ALL
        SELECT k.seq, k.row_number, k.request_key,
               CASE WHEN g.kinds > 1 THEN 'conflicting' ELSE 'duplicate' END,
               g.n::VARCHAR || ' rows'
        FROM rv_known k JOIN rv_verdicts g USING (request_key, batch_id)
        WHERE g.n > 1 AND (g.kinds > 1 OR k.seq <> g.v.seq)
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE rv_new AS
        SELECT unnest(g.v) FROM rv_verdicts g WHERE g.kinds = 1
        """
    )
    # a verdict given before is not recorded again: online, to the same batch; from a
    # file not named as a batch, to any batch of the key (an older file read again)
    same_batch = "AND b.batch_id = n.batch_id" if tagged else ""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE rv_apply AS
        WITH prior AS (   -- the verdicts these keys were given, found by numbers
            SELECT DISTINCT key_hash, batch_id, verdict_hash
            FROM registry_verdict WHERE key_hash IN (SELECT hash(request_key) FROM rv_new)
        ),
        n AS (SELECT *, hash(request_key) AS key_hash, hash({", ".join(VERDICT)}) AS verdict_hash
              FROM rv_new)
        SELECT n.* FROM n
        WHERE NOT EXISTS (SELECT 1 FROM prior b WHERE b.key_hash = n.key_hash
                          AND b.verdict_hash = n.verdict_hash {same_batch})
        """
    )
    row = con.execute(
        "SELECT (SELECT count(*) FROM rv_p), (SELECT count(*) FROM rv_new), "
        "(SELECT count(*) FROM rv_apply), "
        "(SELECT count(*) FROM rv_apply WHERE error_code IS NOT NULL), "
        "(SELECT list(DISTINCT batch_id) FROM rv_new), (SELECT count(*) FROM rv_problem)"
    ).fetchone()
    assert row is not None
    rows, new, applied, errors, batches, problem_count = row
    report = Applied(rows=rows, applied=applied, unchanged=new - applied, errors=errors)
    report.batches = {str(b) for b in batches or ()}
    report.problem_count = problem_count
    report.problems = [
        (r[0], r[1], str(r[2]), r[3] or "")
        for r in con.execute(
            f"SELECT * EXCLUDE (seq) FROM rv_problem ORDER BY seq LIMIT {SHOWN}"
        ).fetchall()
    ]
    con.execute(
        f"""
        INSERT INTO registry_verdict (request_key, key_hash, batch_id, party_id, sent_hash,
            verdict_hash, {", ".join(VERDICT)}, received_at, received_by, source)
        SELECT request_key, key_hash, batch_id, party_id, sent_hash, verdict_hash,
               {", ".join(VERDICT)},
               now()::TIMESTAMP, $by, $source
        FROM rv_apply ORDER BY seq
        """,
        {"by": by, "source": source},
    )
    con.execute(
        """
        INSERT INTO change_log (changed_at, actor, stage, table_name, record_id, column_name,
                                before, after, note)
        SELECT now()::TIMESTAMP, $by, 'evidence', 'party', party_id, 'registry_verdict', NULL,
               CASE WHEN found THEN 'found' ELSE 'not_found' END, 'registry ' || batch_id
        FROM rv_apply WHERE error_code IS NULL
        """,
        {"by": by},
    )
    con.execute(  # the batches answered: their requests with a verdict of theirs
        """
        UPDATE registry_batch b SET status = 'answered',
               answered_at = coalesce(b.answered_at, now()::TIMESTAMP), answered = c.n
        FROM (SELECT q.batch_id, count(DISTINCT q.request_key)::INTEGER AS n
              FROM registry_request q
              JOIN (SELECT key_hash, batch_id FROM registry_verdict
                    WHERE batch_id IN (SELECT batch_id FROM rv_new)) v
                ON v.batch_id = q.batch_id AND v.key_hash = hash(q.request_key)
              WHERE q.batch_id IN (SELECT batch_id FROM rv_new) GROUP BY q.batch_id) c
        WHERE b.batch_id = c.batch_id
        """
    )
    con.execute(
        "INSERT INTO registry_problem SELECT now()::TIMESTAMP, $source, * EXCLUDE (seq) "
        "FROM rv_problem ORDER BY seq",
        {"source": source},
    )
    con.execute(
        "; ".join(
            f"DROP TABLE IF EXISTS {t}"
            for t in (
                "rv_in",
                "rv_p",
                "rv_known",
                "rv_verdicts",
                "rv_new",
                "rv_apply",
                "rv_problem",
            )
        )
    )
    return report
