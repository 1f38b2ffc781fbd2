"""The build stage: the canonical tables, rebuilt from the raw imports when new ones wait.

``import`` keeps raw rows and the change set only; the first pipeline run after it (or
``import --build``, or ``correct``, which need the records) rebuilds the canonical
tables once for all the batches imported meanwhile.  A registry extract, progress
reports or targets alone rebuild only their own tables.  After a full rebuild the
results other stages carry on canonical rows are put back (each stage's ``restore``),
then people's corrections are applied again: a rebuild loses nobody's work.  When the
new batches touch a few old communes only, only their records are rebuilt
(``ingest.keyed``); either way the build keeps the records it added, changed or removed
(``ingest.delta``) for the stages after it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import duckdb

from landclean.corrections import apply_corrections, find_conflicts
from landclean.ingest import canonical as sql
from landclean.ingest import delta, keyed
from landclean.ingest.canonical import CANONICAL_TABLES
from landclean.ingest.profiles import TARGET_TABLES
from landclean.stage import Stage, StageContext, StageReport, StageWarning

# Layouts whose tables nothing else is built from: importing them rebuilds only those.
LIGHT_TARGETS = {
    "registry": ("registry_person",),
    "commune_progress": ("commune_progress",),
    "commune_target": ("commune_target",),
}
FULL_BUILD = {  # in the order they run, by the name their seconds are reported under
    "latest_form": sql.LATEST_FORM,
    "match_features": sql.MATCH_FEATURES,
    "parcel": sql.PARCEL,
    "land_use": sql.LAND_USE,
    "cert_keys": sql.CERT_KEYS,
    "party": sql.PARTY,
    "certificate": sql.CERTIFICATE,
    "asset": sql.ASSET,
    "log_filled": sql.LOG_FILLED,
    "map_sheet": sql.MAP_SHEET,
    "registry": sql.REGISTRY,
    "commune_status": sql.COMMUNE_STATUS,
    "commune_progress": sql.COMMUNE_PROGRESS,
    "commune_target": sql.COMMUNE_TARGET,
}
LIGHT_BUILD = {
    "registry_person": sql.REGISTRY,
    "commune_progress": sql.COMMUNE_PROGRESS,
    "commune_target": sql.COMMUNE_TARGET,
}


WAITING_SQL = """
SELECT count(*) FROM import_batch
WHERE batch_id > (SELECT COALESCE(max(through_batch), 0) FROM canonical_build)
"""


def waiting_batches(con: duckdb.DuckDBPyConnection) -> int:
    """How many batches were imported since the canonical tables were last built."""
    row = con.execute(WAITING_SQL).fetchone()
    return int(row[0]) if row else 0


def pending_batches(con: duckdb.DuckDBPyConnection) -> tuple[list[int], set[str]]:
    """Batches imported since the canonical tables were last built, and their layouts."""
    row = con.execute("SELECT COALESCE(max(through_batch), 0) FROM canonical_build").fetchone()
    since = int(row[0]) if row else 0
    batches = [
        int(r[0])
        for r in con.execute(
            "SELECT batch_id FROM import_batch WHERE batch_id > ? ORDER BY 1", [since]
        ).fetchall()
    ]
    targets = set()
    if batches:
        for target, table in TARGET_TABLES.items():
            hit = con.execute(
                f"SELECT 1 FROM {table} WHERE batch_id > ? LIMIT 1", [since]
            ).fetchone()
            if hit:
                targets.add(target)
    return batches, targets


def tables_to_build(targets: set[str]) -> tuple[str, ...]:
    """The canonical tables that imports of these layouts change."""
    if targets and targets <= set(LIGHT_TARGETS):
        return tuple(t for target in sorted(targets) for t in LIGHT_TARGETS[target])
    return CANONICAL_TABLES


# the tables of the layouts nothing else is built from, and the communes' status: a
# keyed build rebuilds them whole when their layouts were imported
WHOLE_TARGETS = {**LIGHT_TARGETS, "commune_status": ("commune_status",)}
WHOLE_BUILD = {**LIGHT_BUILD, "commune_status": sql.COMMUNE_STATUS}
# a keyed build rebuilding more than this share of the parcels: a full build instead
KEYED_MAX_SHARE = 0.3
KEYED_SCOPE = {"parcel": "kb_parcel", "party": "kb_party", "certificate": "kb_certificate"}


def _keyed_scope(con: duckdb.DuckDBPyConnection, since_batch: int) -> bool:
    """The scope of a keyed build of the batches after ``since_batch`` (``ingest.keyed``),
    when it is small enough to be worth it."""
    parcels = keyed.scope(con, since_batch)
    row = con.execute("SELECT count(*) FROM parcel").fetchone()
    if parcels <= KEYED_MAX_SHARE * (int(row[0]) if row else 0):
        return True
    keyed.drop_scope(con)
    return False


def build_canonical(
    con: duckdb.DuckDBPyConnection,
    tables: tuple[str, ...],
    restores: tuple[Stage, ...] = (),
    conflicts_for: int | None = None,
    batches: int = 0,
    report: StageReport | None = None,
    since_batch: int | None = None,
    targets: frozenset[str] = frozenset(),
) -> tuple[dict[str, int], int]:
    """Rebuild ``tables`` from the raw tables, put back what the ``restores`` stages
    carry (their ``restore``, in pipeline order), list the conflicts of the newer import
    ``conflicts_for`` with people's corrections, then apply the corrections again;
    returns row counts and conflicts.  With ``since_batch`` (the batches after it are
    new, of the layouts ``targets``), only the records they touch are rebuilt when they
    are few (``ingest.keyed``).  The build is recorded (``canonical_build``: taking in
    the ``batches`` up to ``conflicts_for``) with the records it added, changed or
    removed (``ingest.delta``), so that every later stage recomputes those (or, without
    a delta, everything: docs/incremental.md).

    Runs inside the caller's transaction; ``report`` gets each step's seconds."""

    def lap(step: str) -> None:
        if report is not None:
            report.lap(step)

    started = time.perf_counter()
    row = con.execute("SELECT COALESCE(max(build_id), 0) FROM canonical_build").fetchone()
    build_id = (int(row[0]) if row else 0) + 1
    records = tables == CANONICAL_TABLES
    if records and since_batch is not None and build_id > 1 and _keyed_scope(con, since_batch):
        lap("scope")
        wholes = tuple(t for target in sorted(targets) for t in WHOLE_TARGETS.get(target, ()))
        conflicts = _keyed_build(con, wholes, restores, conflicts_for, lap)
    else:
        wholes = tables if records else tuple(t for t in tables if t in delta.WHOLE_TABLES)
        conflicts = _full_build(con, tables, restores, conflicts_for, lap, build_id > 1)
    counts = {}
    for table in tables:
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        counts[table] = int(row[0]) if row else 0
    kept = False
    if build_id > 1:
        delta.snapshot_tables(con, "after", wholes)
        kept = delta.record(con, build_id)
    lap("delta")
    con.execute(
        "INSERT INTO canonical_build SELECT ?, now()::TIMESTAMP, "
        "COALESCE(?, max(through_batch), 0), ?, ?, ?, ? FROM canonical_build",
        [build_id, conflicts_for, batches, time.perf_counter() - started, conflicts, kept],
    )
    return counts, conflicts


def _full_build(
    con: duckdb.DuckDBPyConnection,
    tables: tuple[str, ...],
    restores: tuple[Stage, ...],
    conflicts_for: int | None,
    lap: Callable[[str], None],
    compare: bool,
) -> int:
    """Every one of ``tables`` from every raw row (``compare``: snapshots taken for the
    build's delta); returns the conflicts listed."""
    records = tables == CANONICAL_TABLES
    # the records' hashes (a build of whole tables alone changes no record)
    take = delta.snapshot_records if records else delta.no_records
    if compare:  # what the records were: the build's delta (ingest.delta)
        take(con, "before")
        delta.snapshot_tables(con, "before", tables)
        lap("snapshot")
    for table in tables:
        con.execute(f"DELETE FROM {table}")
    if records:
        for name, statement in FULL_BUILD.items():
            con.execute(statement)
            lap(name)
        for stage in restores:
            if stage.restore is not None:
                stage.restore(con)
        lap("restore")
    else:
        for table in tables:
            con.execute(LIGHT_BUILD[table])
    conflicts = find_conflicts(con, conflicts_for) if conflicts_for is not None else 0
    apply_corrections(con)
    lap("corrections")
    if compare:
        take(con, "after")
    return conflicts


def _keyed_build(
    con: duckdb.DuckDBPyConnection,
    wholes: tuple[str, ...],
    restores: tuple[Stage, ...],
    conflicts_for: int | None,
    lap: Callable[[str], None],
) -> int:
    """The records in the keyed scope rebuilt on shadows and swapped in, and the whole
    tables ``wholes`` rebuilt; returns the conflicts listed."""
    delta.snapshot_records(con, "before", KEYED_SCOPE)
    delta.snapshot_tables(con, "before", wholes)
    lap("snapshot")
    keyed.shadow(con)
    try:
        for name in keyed.RECORD_STEPS:
            con.execute(FULL_BUILD[name])
            lap(name)
        for stage in restores:
            if stage.restore is not None:
                stage.restore(con)
        lap("restore")
        conflicts = find_conflicts(con, conflicts_for) if conflicts_for is not None else 0
        apply_corrections(con)
        lap("corrections")
        delta.snapshot_records(con, "after", KEYED_SCOPE)
        keyed.merge(con)
        lap("merge")
    finally:  # (after a failure the transaction is rolled back, the shadows with it)
        with contextlib.suppress(duckdb.Error):
            keyed.drop_shadows(con)
    for table in wholes:
        con.execute(f"DELETE FROM {table}")
        con.execute(WHOLE_BUILD[table])
    con.execute("DELETE FROM map_sheet")
    con.execute(sql.MAP_SHEET)
    con.execute(sql.LOG_FILLED)
    keyed.drop_scope(con)
    lap("wholes")
    return conflicts


def run(ctx: StageContext) -> StageReport:
    """Take in the batches imported since the last build (nothing to do without any)."""
    report = StageReport("build")
    batches, targets = pending_batches(ctx.con)
    if not batches:
        report.ran = False
        return report
    tables = tables_to_build(targets)
    restores = tuple(s for s in ctx.stages if s.restore is not None)  # in pipeline order
    counts, conflicts = build_canonical(
        ctx.con,
        tables,
        restores,
        max(batches),
        len(batches),
        report,
        since_batch=min(batches) - 1,
        targets=frozenset(targets),
    )
    report.counts = {"batches": len(batches), **counts, "conflicts": conflicts}
    if conflicts:
        report.warnings.append(StageWarning.of("conflicts", n=conflicts))
    return report


STAGE = Stage(
    name="build",
    summary="the canonical tables from the raw imports, once for every batch imported since",
    reads=(
        "import_batch",
        "import_change",
        *TARGET_TABLES.values(),
        "correction",
    ),
    owns=(*CANONICAL_TABLES, "canonical_build", "build_delta", "import_conflict"),
    run=run,
)
