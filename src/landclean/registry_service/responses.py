"""Response files of the population service: read into ``rv_in`` (CSV or JSON, columns
matched whatever their case, spacing and byte-order mark), and the rows not applied
written out for the officer who brought them (``landclean registry response --problems``).
Checking and applying the rows is ``verdicts``."""

from __future__ import annotations

from pathlib import Path

import duckdb

from landclean.registry_service.protocol import Protocol, RegistryServiceError
from landclean.registry_service.verdicts import BATCH, ROW, folded, load_rows


def read_file(con: duckdb.DuckDBPyConnection, p: Protocol, path: str) -> bool:
    """``rv_in``: a response file's rows (CSV with a header row, or the protocol's JSON
    body, or a bare JSON list of records).  A file named as a batch, or a JSON body naming
    its batch, answers that batch alone (``apply``'s ``tagged``); else each key answers
    its latest request (returns whether the rows carry their batch).  A file that cannot
    be read as either, or lacks the request key or the verdict column, is one clear error
    naming it."""
    lower = path.lower()
    batch = _batch(con, Path(path).stem)  # answer files keep their request file's name
    try:
        if lower.endswith(".json"):
            con.execute(
                "CREATE OR REPLACE TEMP TABLE rv_json AS SELECT * FROM "
                "read_json(?, maximum_object_size = 2147483647, union_by_name = true)",
                [path],
            )
            columns = {str(r[0]) for r in con.execute("DESCRIBE rv_json").fetchall()}
            if p.response.records in columns:  # the protocol's body: its records unnested
                if p.response.batch in columns:  # the batch it says it answers
                    said = con.execute(f"SELECT {_ident(p.response.batch)} FROM rv_json").fetchone()
                    batch = _batch(con, str(said[0]) if said and said[0] else "") or batch
                con.execute(
                    "CREATE OR REPLACE TEMP TABLE rv_file AS "
                    f"SELECT unnest({_ident(p.response.records)}, recursive := true) FROM rv_json"
                )
                if not con.execute("SELECT 1 FROM rv_file LIMIT 1").fetchone():  # no record
                    con.execute(
                        "CREATE OR REPLACE TEMP TABLE rv_file AS SELECT "
                        f"NULL::VARCHAR AS {_ident(p.response.name('request_key'))}, "
                        f"NULL::VARCHAR AS {_ident(p.response.name('found'))} WHERE false"
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
    names = {folded(c) for c in present}
    missing = [
        p.response.name(f)
        for f in ("request_key", "found")
        if folded(p.response.name(f)) not in names
    ]
    if missing:
        con.execute("DROP TABLE rv_file")
        raise RegistryServiceError(
            "registry_response_columns", path=path, missing=", ".join(missing),
            found=", ".join(sorted(present)),
        )  # fmt: skip
    if batch is not None:  # each row answers that batch (a key of another is unknown)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE rv_file AS SELECT *, "
            f"$batch AS {_ident(BATCH)}, row_number() OVER () AS {_ident(ROW)} FROM rv_file",
            {"batch": batch},
        )
    load_rows(con, p, "rv_file", present, tagged=batch is not None, where=path)
    con.execute("DROP TABLE rv_file")
    return batch is not None


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _batch(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """``name`` if it is a batch of the workspace."""
    found = con.execute("SELECT batch_id FROM registry_batch WHERE batch_id = ?", [name])
    row = found.fetchone()
    return str(row[0]) if row else None


PROBLEMS = ("malformed", "unknown_key", "duplicate", "conflicting")


def write_problems(
    con: duckdb.DuckDBPyConnection, sources: list[str], since: object, out: Path, lang: str
) -> int:
    """Every row of ``sources`` read since ``since`` that was not applied, and why, as a
    CSV (UTF-8 with a byte-order mark, the words in ``lang``, no formulas out:
    ``safe_cells``); how many."""
    import pyarrow.csv as pacsv

    from landclean.labels import label
    from landclean.safe_cells import quote_table

    words = " ".join(
        f"WHEN '{k}' THEN {_literal(label('registry_problems', k, lang))}" for k in PROBLEMS
    )
    table = con.execute(
        f"SELECT source, row_number, request_key, CASE problem {words} END, detail "
        "FROM registry_problem WHERE received_at >= $since AND list_contains($sources, source) "
        "ORDER BY source, row_number",
        {"since": since, "sources": sources},
    ).fetch_arrow_table()
    head = [
        label("registry", k, lang) for k in ("source", "row", "request_key", "problem", "detail")
    ]
    with out.open("wb") as f:
        f.write(b"\xef\xbb\xbf")  # Excel reads the diacritics
        pacsv.write_csv(quote_table(table.rename_columns(head)), f)
    return table.num_rows


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"
