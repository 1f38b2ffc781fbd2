"""The build stage: the canonical tables, rebuilt from the raw imports when new ones wait.

``import`` keeps raw rows and the change set only; the first pipeline run after it (or
``import --build``, or ``correct``, which need the records) rebuilds the canonical
tables once for all the batches imported meanwhile.  A registry extract, progress
reports or targets alone rebuild only their own tables.  After a full rebuild the
results other stages carry on canonical rows are put back (each stage's ``restore``),
then people's corrections are applied again: a rebuild loses nobody's work.
"""

from __future__ import annotations

import time

import duckdb

from landclean.corrections import apply_corrections, find_conflicts
from landclean.ingest import canonical as sql
from landclean.ingest import delta
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


def build_canonical(
    con: duckdb.DuckDBPyConnection,
    tables: tuple[str, ...],
    restores: tuple[Stage, ...] = (),
    conflicts_for: int | None = None,
    batches: int = 0,
    report: StageReport | None = None,
) -> tuple[dict[str, int], int]:
    """Rebuild ``tables`` from the raw tables, put back what the ``restores`` stages
    carry (their ``restore``, in pipeline order), list the conflicts of the newer import
    ``conflicts_for`` with people's corrections, then apply the corrections again;
    returns row counts and conflicts.  The build is recorded (``canonical_build``: taking
    in the ``batches`` up to ``conflicts_for``) with the records it added, changed or
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
    if build_id > 1:  # what the records were: the build's delta (ingest.delta)
        delta.snapshot(con, "before", records)
        lap("snapshot")
    for table in tables:
        con.execute(f"DELETE FROM {table}")
    if tables == CANONICAL_TABLES:
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
    counts = {}
    for table in tables:
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        counts[table] = int(row[0]) if row else 0
    kept = build_id > 1 and delta.record(con, build_id, records)
    lap("delta")
    con.execute(
        "INSERT INTO canonical_build SELECT ?, now()::TIMESTAMP, "
        "COALESCE(?, max(through_batch), 0), ?, ?, ?, ? FROM canonical_build",
        [build_id, conflicts_for, batches, time.perf_counter() - started, conflicts, kept],
    )
    return counts, conflicts


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
        ctx.con, tables, restores, max(batches), len(batches), report
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
