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
import shutil
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from landclean.registry_service.protocol import FLAGS, RESPONSE, Protocol

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


def _folded(name: str) -> str:
    """A column name as matched: NFC, case folded, a byte-order mark and the spaces
    around it ignored, spaces, underscores and hyphens alike."""
    text = unicodedata.normalize("NFC", name.lstrip("\ufeff")).casefold().strip()
    return re.sub(r"[\s_\-]+", "_", text)


def load_rows(
    con: duckdb.DuckDBPyConnection, p: Protocol, relation: str, present: set[str]
) -> None:
    """``rv_in``: the rows of ``relation`` (numbered in order, columns in the service's
    names, matched whatever their case and spacing; ``present``: the columns it has) as
    text under landclean's names."""
    columns = {_folded(c): c for c in present}
    cols = []
    for f in RESPONSE:
        name = columns.get(_folded(p.response.name(f)))
        quoted = None if name is None else '"' + name.replace('"', '""') + '"'
        cols.append(f"CAST({quoted} AS VARCHAR) AS {f}" if quoted else f"NULL::VARCHAR AS {f}")
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE rv_in AS SELECT row_number() OVER () AS row_number, "
        f"{', '.join(cols)} FROM {relation}"
    )


def rows_relation(con: duckdb.DuckDBPyConnection, records: list) -> set[str]:
    """Register a body's records as ``rv_body`` (every value as text; a record that is
    not an object becomes a row with no key, reported as malformed); its columns."""
    names: dict[str, None] = {}
    for r in records:
        if isinstance(r, dict):
            names.update(dict.fromkeys(map(str, r)))
    columns = list(names) or ["_"]

    def text(v: object) -> str | None:
        if v is None:
            return None
        if isinstance(v, bool):
            return "true" if v else "false"
        return str(v)

    data = {c: [text(r.get(c)) if isinstance(r, dict) else None for r in records] for c in columns}
    con.register("rv_body", pa.table({c: pa.array(v, pa.string()) for c, v in data.items()}))
    return set(columns)


def apply(
    con: duckdb.DuckDBPyConnection,
    p: Protocol,
    *,
    source: str,
    by: str,
    batch_id: str | None = None,
) -> Applied:
    """Check and apply the rows of ``rv_in`` (see the module); ``batch_id``: the batch
    they answer (online), else any request the workspace sent.  Call in a transaction."""
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
            SELECT row_number, nullif(trim(request_key), '') AS request_key,
                   {normalized},
                   registry_id, nullif(trim(registry_name), '') AS registry_name,
                   nullif(trim(registry_birth), '') AS registry_birth, registry_sex,
                   nullif(trim(error_code), '') AS error_code
            FROM rv_in
        )
        SELECT row_number, request_key,
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
                   CASE WHEN found IS NULL AND error_code IS NULL THEN 'found' END
               ], x -> x IS NOT NULL) AS bad
        FROM w
        """
    )
    scope = "WHERE batch_id = $batch" if batch_id else ""
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE rv_known AS
        SELECT v.*, q.batch_id, q.party_id, q.sent_hash FROM rv_p v
        JOIN (SELECT * FROM registry_request {scope}
              QUALIFY row_number() OVER (PARTITION BY request_key ORDER BY batch_id DESC) = 1) q
          USING (request_key)
        WHERE len(v.bad) = 0
        """,
        {"batch": batch_id} if batch_id else {},
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE rv_verdicts AS
        SELECT request_key, count(*) AS n,
               count(DISTINCT ({", ".join(VERDICT)})) AS kinds,
               arg_min(rv_known, row_number) AS v
        FROM rv_known GROUP BY request_key
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE rv_problem AS
        SELECT row_number, request_key, 'malformed' AS problem, array_to_string(bad, ', ') AS detail
        FROM rv_p WHERE len(bad) > 0
        UNION ALL
        SELECT row_number, request_key, 'unknown_key', NULL FROM rv_p
        WHERE len(bad) = 0 AND request_key NOT IN (SELECT request_key FROM rv_known)
        UNION ALL
        SELECT k.row_number, k.request_key,
               CASE WHEN g.kinds > 1 THEN 'conflicting' ELSE 'duplicate' END,
               g.n::VARCHAR || ' rows'
        FROM rv_known k JOIN rv_verdicts g USING (request_key)
        WHERE g.n > 1 AND (g.kinds > 1 OR k.row_number <> g.v.row_number)
        """
    )
    con.execute(
        """
        CREATE OR REPLACE TEMP TABLE rv_new AS
        SELECT unnest(g.v) FROM rv_verdicts g WHERE g.kinds = 1
        """
    )
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE rv_apply AS
        WITH prior AS (   -- the current verdict of these keys alone, found by numbers
            SELECT key_hash, arg_max(verdict_hash, verdict_id) AS verdict_hash
            FROM registry_verdict WHERE key_hash IN (SELECT hash(request_key) FROM rv_new)
            GROUP BY key_hash
        ),
        n AS (SELECT *, hash(request_key) AS key_hash, hash({", ".join(VERDICT)}) AS verdict_hash
              FROM rv_new)
        SELECT n.* FROM n LEFT JOIN prior b USING (key_hash)
        WHERE b.verdict_hash IS DISTINCT FROM n.verdict_hash
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
        for r in con.execute(f"SELECT * FROM rv_problem ORDER BY 1 LIMIT {SHOWN}").fetchall()
    ]
    con.execute(
        f"""
        INSERT INTO registry_verdict (request_key, key_hash, batch_id, party_id, sent_hash,
            verdict_hash, {", ".join(VERDICT)}, received_at, received_by, source)
        SELECT request_key, key_hash, batch_id, party_id, sent_hash, verdict_hash,
               {", ".join(VERDICT)},
               now()::TIMESTAMP, $by, $source
        FROM rv_apply ORDER BY row_number
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
    con.execute(  # the batches answered, counted from their own verdicts alone
        """
        UPDATE registry_batch b SET status = 'answered',
               answered_at = coalesce(b.answered_at, now()::TIMESTAMP), answered = c.n
        FROM (SELECT batch_id, count(DISTINCT request_key)::INTEGER AS n FROM registry_verdict
              WHERE batch_id IN (SELECT batch_id FROM rv_new) GROUP BY batch_id) c
        WHERE b.batch_id = c.batch_id
        """
    )
    con.execute(
        "INSERT INTO registry_problem SELECT now()::TIMESTAMP, $source, * FROM rv_problem",
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


def _count(con: duckdb.DuckDBPyConnection, table: str, params: dict | None = None) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}", params or {}).fetchone()
    return int(row[0]) if row else 0


def read_file(con: duckdb.DuckDBPyConnection, p: Protocol, path: str) -> None:
    """``rv_in``: a response file's rows (CSV with a header row, or the protocol's JSON
    body); a file that cannot be read as either, or lacks the request key or the
    verdict column, is one clear error naming it."""
    from landclean.registry_service.protocol import RegistryServiceError

    lower = path.lower()
    try:
        if lower.endswith(".json"):
            con.execute(
                "CREATE OR REPLACE TEMP TABLE rv_json AS SELECT * FROM "
                "read_json(?, maximum_object_size = 2147483647, union_by_name = true)",
                [path],
            )
            columns = {str(r[0]) for r in con.execute("DESCRIBE rv_json").fetchall()}
            if p.response.records in columns:  # the protocol's body: its records unnested
                key = p.response.records.replace('"', '""')
                con.execute(
                    "CREATE OR REPLACE TEMP TABLE rv_file AS "
                    f'SELECT unnest("{key}", recursive := true) FROM rv_json'
                )
            else:  # a bare list of records
                con.execute("CREATE OR REPLACE TEMP TABLE rv_file AS SELECT * FROM rv_json")
            con.execute("DROP TABLE rv_json")
            # a field of mixed kinds (true, "có", 1) is read as JSON: its text, unquoted
            kinds = con.execute("DESCRIBE rv_file").fetchall()
            if any(str(k[1]) == "JSON" for k in kinds):
                cols = ", ".join(
                    f'"{n}"' if str(t) != "JSON" else f'"{n}" ->> \'$\' AS "{n}"'
                    for n, t, *_ in ((str(k[0]).replace('"', '""'), k[1]) for k in kinds)
                )
                con.execute(f"CREATE OR REPLACE TEMP TABLE rv_file AS SELECT {cols} FROM rv_file")
        else:
            con.execute(
                "CREATE OR REPLACE TEMP TABLE rv_file AS SELECT * FROM read_csv(?, header = true, "
                "all_varchar = true, auto_detect = true)",
                [path],
            )
    except duckdb.Error as exc:
        raise RegistryServiceError(
            "registry_response_unreadable", path=path, problem=str(exc).splitlines()[0]
        ) from exc
    present = {str(r[0]) for r in con.execute("DESCRIBE rv_file").fetchall()}
    folded = {_folded(c) for c in present}
    missing = [
        p.response.name(f)
        for f in ("request_key", "found")
        if _folded(p.response.name(f)) not in folded
    ]
    if missing:
        con.execute("DROP TABLE rv_file")
        raise RegistryServiceError(
            "registry_response_columns", path=path, missing=", ".join(missing),
            found=", ".join(sorted(present)),
        )  # fmt: skip
    load_rows(con, p, "rv_file", present)
    con.execute("DROP TABLE rv_file")


PROBLEMS = ("malformed", "unknown_key", "duplicate", "conflicting")


def write_problems(
    con: duckdb.DuckDBPyConnection, sources: list[str], since: object, out: Path, lang: str
) -> int:
    """Every row of ``sources`` read since ``since`` that was not applied, and why, as a
    CSV (UTF-8 with a byte-order mark, the words in ``lang``); how many."""
    from landclean.labels import label

    def literal(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    def ident(text: str) -> str:
        return '"' + text.replace('"', '""') + '"'

    words = " ".join(
        f"WHEN {literal(k)} THEN {literal(label('registry_problems', k, lang))}" for k in PROBLEMS
    )
    head = {
        k: ident(label("registry", k, lang))
        for k in ("source", "row", "request_key", "problem", "detail")
    }
    query = (
        f"SELECT source AS {head['source']}, row_number AS {head['row']}, "
        f"request_key AS {head['request_key']}, CASE problem {words} END AS {head['problem']}, "
        f"detail AS {head['detail']} FROM registry_problem "
        "WHERE received_at >= $since AND list_contains($sources, source) "
        "ORDER BY source, row_number"
    )
    params = {"since": since, "sources": sources}
    n = _count(con, f"({query})", params)
    part = out.with_name(out.name + ".part")
    target = str(part).replace("'", "''")
    con.execute(f"COPY ({query}) TO '{target}' (HEADER, DELIMITER ',')", params)
    with out.open("wb") as written, part.open("rb") as body:
        written.write("\ufeff".encode())
        shutil.copyfileobj(body, written)
    part.unlink()
    return n
