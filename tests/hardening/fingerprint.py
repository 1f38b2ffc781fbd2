"""A workspace's content, as rows that can be compared between two workspaces.

The crash and disk-full harnesses compare a workspace after an interrupted command (and
its re-run) with the same command run once, uninterrupted.  What must be equal is what
the workspace *says*; what may differ is when, in which run and under which surrogate
number it was said:

* every base table of the workspace is compared (views are derived from them), as a
  multiset of rows: order is no content, and one row more or less is a failure (a
  correction recorded twice is one more row);
* columns left out everywhere: TIMESTAMP columns (when a row was written: import,
  correction, snapshot, training, task update), ``run_id`` / ``first_seen_run`` /
  ``last_seen_run`` / ``changed_run`` (a killed run used a run number too), ``seconds``
  (timings), and ``imported_by`` / ``applied_by`` (the operator's login);
* surrogate keys drawn from a sequence (``correction_id``, ``change_id``, ``build_id``,
  ``model_id``) are left out, but a correction's place among the corrections of the
  same record and column is kept (``nth``): the latest correction wins, so their order is
  content;
* whole tables left out: ``pipeline_run``, ``rule_run`` and ``stage_state`` (the record
  of every run started, of each rule in it and of each stage's watermark: a killed run
  legitimately leaves its own) and
  ``schema_migration`` (applied when the workspace was created, the same in both);
* DOUBLE values are compared to 9 significant digits (an aggregate's last bit depends
  on how the threads split the rows), geometries as WKB.

``fingerprints`` also gives each table without the columns a later stage carries onto
it (``parcel.unit_code`` …), and ``stage_states`` says, for each pipeline stage, whether
its own tables are as before a command, as after it, or a mixture (a stage that kept
half its work).  The workspace is read with DuckDB directly (read-only, the spatial
extension loaded); that landclean opens it is checked by ``landclean status``.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import duckdb

Rows = Counter[str]
Fingerprint = dict[str, Rows]

SKIP_TABLES = frozenset({"pipeline_run", "rule_run", "schema_migration", "stage_state"})
SKIP_COLUMNS = frozenset(
    {
        "run_id",
        "first_seen_run",
        "last_seen_run",
        "changed_run",
        "seconds",
        "imported_by",
        "applied_by",
        "correction_id",
        "change_id",
        "build_id",
        "model_id",
    }
)
# table -> the columns a row's rank among its kind is taken over (sequence order kept)
RANKED = {"correction": ("correction_id", ("table_name", "record_id", "column_name"))}


def _value(v: object) -> object:
    if isinstance(v, float):
        return v if math.isnan(v) or v == 0 else float(f"{v:.9g}")
    if isinstance(v, bytes | bytearray | memoryview):
        return bytes(v).hex()
    if isinstance(v, list):
        return [_value(x) for x in v]
    if isinstance(v, dict):
        return {k: _value(x) for k, x in v.items()}
    return v


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    """The compared columns of ``table``: (name, the SQL that reads it)."""
    cols = con.execute(
        "SELECT column_name, data_type FROM information_schema.columns "
        "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position",
        [table],
    ).fetchall()
    shown = [
        (str(name), f'ST_AsHEXWKB("{name}")' if kind == "GEOMETRY" else f'"{name}"')
        for name, kind in cols
        if name not in SKIP_COLUMNS and not str(kind).startswith("TIMESTAMP")
    ]
    if table in RANKED:
        order, over = RANKED[table]
        shown.append(
            ("nth", f"row_number() OVER (PARTITION BY {', '.join(over)} ORDER BY {order})")
        )
    return shown


def tables(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The workspace's base tables that are compared."""
    names = con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY 1"
    ).fetchall()
    return [str(n) for (n,) in names if n not in SKIP_TABLES]


def fingerprint_con(con: duckdb.DuckDBPyConnection) -> tuple[Fingerprint, Fingerprint]:
    """Every compared table of an open workspace as a multiset of row texts; and the
    same without the columns later stages carry onto a table (so that each table shows
    only its owner's work: the stage checks)."""
    full: Fingerprint = {}
    own: Fingerprint = {}
    for table in tables(con):
        columns = _columns(con, table)
        rows = con.execute(f'SELECT {", ".join(e for _, e in columns)} FROM "{table}"')
        keep = [i for i, (name, _) in enumerate(columns) if name not in carried(table)]
        full[table], own[table] = Counter(), Counter()
        for row in rows.fetchall():
            values = tuple(_value(v) for v in row)
            full[table][repr(values)] += 1
            own[table][repr(tuple(values[i] for i in keep))] += 1
    return full, own


def fingerprints(path: Path) -> tuple[Fingerprint, Fingerprint]:
    """``fingerprint_con`` of the workspace file ``path``, opened read-only (with the
    spatial extension, for its geometries)."""
    from landclean.workspace.spatial import load_spatial

    con = duckdb.connect(str(path), read_only=True)
    try:
        load_spatial(con)
        return fingerprint_con(con)
    finally:
        con.close()


def fingerprint(path: Path) -> Fingerprint:
    """The workspace file's fingerprint (all its compared columns)."""
    return fingerprints(path)[0]


@dataclass
class Difference:
    table: str
    only_a: list[str]
    only_b: list[str]
    count_a: int
    count_b: int

    def __str__(self) -> str:
        lines = [f"{self.table}: {self.count_a} rows vs {self.count_b}"]
        lines += [f"  - {r[:300]}" for r in self.only_a[:3]]
        lines += [f"  + {r[:300]}" for r in self.only_b[:3]]
        return "\n".join(lines)


def differences(a: Fingerprint, b: Fingerprint, only: set[str] | None = None) -> list[Difference]:
    """The tables whose rows differ (``only``: those tables alone), with a few rows each
    side has and the other lacks."""
    out = []
    for table in sorted(set(a) | set(b)):
        if only is not None and table not in only:
            continue
        ra, rb = a.get(table, Counter()), b.get(table, Counter())
        if ra != rb:
            out.append(
                Difference(
                    table,
                    sorted((ra - rb).elements()),
                    sorted((rb - ra).elements()),
                    ra.total(),
                    rb.total(),
                )
            )
    return out


def stage_tables() -> dict[str, set[str]]:
    """Each pipeline stage's own tables (docs/architecture.md), read from the stages."""
    from landclean.pipeline import STAGES

    return {s.name: set(s.owns) for s in STAGES}


def carried(table: str) -> set[str]:
    """Columns of ``table`` that a later stage carries its results onto."""
    from landclean.pipeline import STAGES

    return {c.split(".", 1)[1] for s in STAGES for c in s.carries if c.startswith(table + ".")}


def stage_states(
    before: Fingerprint, after: Fingerprint, now: Fingerprint, history: set[str]
) -> dict[str, str]:
    """Each pipeline stage (in order), and ``(no stage)`` for the tables none owns
    (``history`` left out): ``old`` when its tables are as before the command, ``new``
    when as after it, ``same`` when the command left them as they were anyway, ``mixed``
    when neither (a stage that kept half its work).  The fingerprints are taken with
    ``own_columns``."""
    groups = stage_tables()
    staged = set().union(*groups.values())
    groups["(no stage)"] = set(now) - staged - history
    out = {}
    for group, names in groups.items():
        old, new = not differences(before, now, names), not differences(after, now, names)
        out[group] = "same" if old and new else "old" if old else "new" if new else "mixed"
    return out


def order_problems(states: dict[str, str], order: list[str]) -> list[str]:
    """Groups of ``stage_states`` that kept their work although one committed before
    them (``order``: the order the command commits them in) kept none."""
    problems, empty = [], None
    for group in order:
        if states.get(group) == "old" and empty is None:
            empty = group
        elif states.get(group) == "new" and empty is not None:
            problems.append(f"{group} kept its work, {empty} before it none")
    return problems
