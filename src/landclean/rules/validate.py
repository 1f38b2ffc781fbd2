"""The validate stage: the rule catalogue run, each rule isolated, findings kept with
their history.

Rules are evaluated outside any transaction, each as its own statement into a temp
table (DuckDB aborts a whole transaction on an error, so a failing rule, or a failing
reference table that only some rules read, must stay local); then every finding is
recorded in one transaction.  A finding is open while its rule finds it, fixed when a
run no longer does (kept, never deleted), or an exception a person accepted.

After people's changes (corrections, certificates' dates) or an import that kept its
delta, a run is *scoped* (``scope``): each rule is evaluated over the records they
changed and those sharing a key with them (``Rule.scope``; docs/incremental.md), and
only those records' findings are decided again.  The rules of geometries and
placements wait for an import: then they look at the parcels it changed, their old
communes, and the overlaps kept between runs (``overlap_pair``), brought up to date for
those parcels.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, field

import duckdb

from landclean.errors import first_line
from landclean.incremental import IMPORT, Changes, scope_values
from landclean.rules.catalogue import CATALOGUE, Rule
from landclean.rules.reference import reference_tables
from landclean.rules.scope import (
    SCOPE_SQL,
    Plan,
    deciding,
    drop_scope,
    geometries_changed,
    nothing_to_check,
    plan,
)
from landclean.settings import Settings
from landclean.stage import Stage, StageContext, StageReport, StageWarning

log = logging.getLogger(__name__)


@dataclass
class RuleResult:
    rule_id: str
    found: int
    error: str | None = None
    seconds: float = 0.0


@dataclass
class ValidationReport:
    results: list[RuleResult] = field(default_factory=list)
    reference_seconds: float = 0.0  # shared tables: shapes, overlaps, extents, identities
    scoped: bool = False  # only the records people changed, and what depends on them
    plans: list[Plan] = field(default_factory=list)  # the rules evaluated, and how

    @property
    def failed(self) -> list[RuleResult]:
        return [r for r in self.results if r.error]


def _hits_table(index: int) -> str:
    return f"rule_hits_{index}"


def _run_rule(con: duckdb.DuckDBPyConnection, step: Plan, within: str | None) -> int:
    """Evaluate one rule into a temp table (its own statement: a failure stays local);
    ``within``: what its narrowed ``IN`` reads (``scope_values``), None: everything."""
    rule = step.rule
    hits = _hits_table(step.index)
    columns = "record_id, parcel_id, details" + (", geom" if rule.spatial else "")
    extra = "" if rule.spatial else ", NULL::GEOMETRY AS geom"
    sql = rule.evaluated_sql(within)
    # one finding per record; of a certificate's or a land user's several parcels, the
    # first by id (a fixed choice: the same inputs give the same findings)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE {hits} AS "
        f"SELECT DISTINCT ON (record_id) *{extra} FROM ({sql}) AS h({columns}) "
        "ORDER BY record_id, parcel_id NULLS LAST"
    )
    row = con.execute(f"SELECT count(*) FROM {hits}").fetchone()
    return int(row[0]) if row else 0


NO_LINEAGE = (
    "(SELECT NULL AS k, NULL AS source_file, NULL AS source_sheet, NULL::BIGINT AS source_row)"
)
_LINEAGE = {
    "parcel": ("parcel", "parcel_id"),
    "party": ("party", "party_id"),
    "certificate": ("certificate", "certificate_id"),
}


# A scoped run reads the lineage of the records it decided once per kind, not once per rule
# (each a scan of the whole table): (kind, the ids decided, their lineage table).
SCOPED_LINEAGE = (
    ("parcel", "vs_parcel", "vs_lineage_parcel"),
    ("party", "vs_id_party", "vs_lineage_party"),
    ("certificate", "vs_serial_certificate", "vs_lineage_certificate"),
)


def _scoped_lineage(con: duckdb.DuckDBPyConnection) -> None:
    for kind, ids, lineage in SCOPED_LINEAGE:
        source, key = _LINEAGE[kind]
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE {lineage} AS SELECT {key}, source_file, "
            f"source_sheet, source_row FROM {source} WHERE {key} IN (SELECT id FROM {ids})"
        )


def _upsert_findings(con: duckdb.DuckDBPyConnection, step: Plan, run_id: int) -> None:
    rule = step.rule
    hits = _hits_table(step.index)
    # lineage: the record's source row (a map sheet has none)
    source, key = _LINEAGE.get(rule.target, (NO_LINEAGE, "k"))
    if step.decided is not None and rule.target in _LINEAGE:  # hits among the decided
        source = next(t for kind, _, t in SCOPED_LINEAGE if kind == rule.target)
    # changed_run: the run in which the finding's state, details or parcel last changed
    con.execute(
        f"""
        INSERT INTO finding
        SELECT ?, ?, h.record_id, h.parcel_id, ?, to_json(h.details), 'open', ?, ?,
               s.source_file, s.source_sheet, s.source_row, h.geom, ?
        FROM {hits} h LEFT JOIN {source} s ON s.{key} = h.record_id
        ON CONFLICT (rule_id, record_type, record_id) DO UPDATE SET
            state = CASE WHEN finding.state = 'exception' THEN 'exception' ELSE 'open' END,
            changed_run = CASE WHEN finding.state = 'fixed'
                OR finding.details IS DISTINCT FROM excluded.details
                OR finding.parcel_id IS DISTINCT FROM excluded.parcel_id
                THEN excluded.changed_run ELSE finding.changed_run END,
            details = excluded.details, parcel_id = excluded.parcel_id,
            last_seen_run = excluded.last_seen_run, geom = excluded.geom
        """,
        [rule.rule_id, rule.target, rule.severity, run_id, run_id, run_id],
    )


def _fix_findings(con: duckdb.DuckDBPyConnection, steps: list[Plan], run_id: int) -> None:
    """Findings of the rules not seen in this run are fixed (kept, never deleted); of a
    narrowed rule, only among the records it decided (gathered first, then one update)."""
    con.execute("CREATE OR REPLACE TEMP TABLE vs_fixed (rule_id VARCHAR, record_id VARCHAR)")
    for step in steps:
        hits = _hits_table(step.index)
        if step.decided is None:
            con.execute(
                "UPDATE finding SET state = 'fixed', changed_run = ? WHERE rule_id = ? "
                f"AND state = 'open' AND record_id NOT IN (SELECT record_id FROM {hits})",
                [run_id, step.rule.rule_id],
            )
        else:
            con.execute(
                f"INSERT INTO vs_fixed SELECT ?, id FROM {step.decided} "
                f"WHERE id NOT IN (SELECT record_id FROM {hits})",
                [step.rule.rule_id],
            )
    con.execute(
        "UPDATE finding SET state = 'fixed', changed_run = ? FROM vs_fixed v "
        "WHERE finding.rule_id = v.rule_id AND finding.record_id = v.record_id "
        "AND finding.state = 'open'",
        [run_id],
    )
    con.execute("DROP TABLE vs_fixed")


def evaluate_rules(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    rules: tuple[Rule, ...] = CATALOGUE,
    changes: Changes | None = None,
) -> ValidationReport:
    """Evaluate every rule (``changes`` not full: only what they call for) outside any
    transaction; a rule that fails is reported and the others still run (DuckDB aborts a
    whole transaction on error, so each rule is its own statement here, writing only temp
    tables)."""
    started = time.perf_counter()
    scoped = changes is not None and not changes.full
    if scoped and changes is not None:
        for sql in SCOPE_SQL:
            con.execute(sql.format(journal=changes.journal("correction", "worklist", IMPORT)))
    failures = reference_tables(con, settings, scoped, geometries_changed(changes))
    report = ValidationReport(reference_seconds=time.perf_counter() - started, scoped=scoped)
    report.plans = plan(rules, changes)
    values: dict[str, str] = {}
    if scoped:
        report.plans = deciding(con, report.plans)
        for table in {step.narrowed for step in report.plans if step.narrowed}:
            values[table] = scope_values(con, table, "id")
    for step in report.plans:
        rule = step.rule
        started = time.perf_counter()
        try:
            # a table of the rule's failed: the rule too (one kept between runs would
            # still be there, as it was)
            for table, error in failures.items():
                if re.search(rf"\b{table}\b", rule.sql):
                    raise duckdb.Error(f"reference table {table}: {error}")
            found = _run_rule(con, step, values[step.narrowed] if step.narrowed else None)
            report.results.append(
                RuleResult(rule.rule_id, found, seconds=time.perf_counter() - started)
            )
        except duckdb.Error as exc:
            log.warning("rule %s failed: %s", rule.rule_id, exc)
            error = first_line(exc)
            causes = [f"{t}: {e}" for t, e in failures.items() if t in rule.sql]
            if causes:
                error += " (reference table " + "; ".join(causes) + ")"
            report.results.append(
                RuleResult(rule.rule_id, 0, error, seconds=time.perf_counter() - started)
            )
    return report


def record_findings(con: duckdb.DuckDBPyConnection, report: ValidationReport, run_id: int) -> None:
    """Write the findings of the rules that ran (call inside a transaction)."""
    failed = {r.rule_id for r in report.failed}
    steps = [step for step in report.plans if step.rule.rule_id not in failed]
    if report.scoped:
        _scoped_lineage(con)
    for step in steps:
        _upsert_findings(con, step, run_id)
    _fix_findings(con, steps, run_id)


def run(ctx: StageContext) -> StageReport:
    """Evaluate every rule (outside a transaction), then record the findings in one."""
    report = StageReport("validate")
    if nothing_to_check(ctx.changes):
        report.ran = False
        return report
    evaluated = evaluate_rules(ctx.con, ctx.settings, changes=ctx.changes)
    report.steps["reference_tables"] = round(evaluated.reference_seconds, 3)
    report.lap("evaluate")
    with ctx.transaction() as con:
        record_findings(con, evaluated, ctx.run_id)
        con.executemany(
            "INSERT INTO rule_run (run_id, rule_id, found, seconds, error) VALUES (?, ?, ?, ?, ?)",
            [[ctx.run_id, r.rule_id, r.found, r.seconds, r.error] for r in evaluated.results],
        )
    report.lap("record")
    report.counts = {  # per rule: table rule_run
        "rules": len(evaluated.results),
        "findings": sum(r.found for r in evaluated.results),
        "failed": len(evaluated.failed),
    }
    if evaluated.scoped:  # the records a scoped run checked again
        row = ctx.con.execute(
            "SELECT (SELECT count(*) FROM vs_parcel) + (SELECT count(*) FROM vs_id_party) "
            "+ (SELECT count(*) FROM vs_serial_certificate)"
        ).fetchone()
        report.counts["rechecked"] = int(row[0]) if row else 0
    drop_scope(ctx.con)
    report.warnings = [
        StageWarning.of("rule_failed", rule=r.rule_id, error=r.error) for r in evaluated.failed
    ]
    report.caught_up = not evaluated.failed
    return report


STAGE = Stage(
    name="validate",
    summary="every rule of the catalogue: the findings, open, fixed or accepted as exceptions",
    reads=(
        "parcel",
        "parcel_land_use",
        "party",
        "land_right",
        "certificate",
        "certificate_parcel",
        "asset",
        "uid_collision",
        "admin_unit_old",
        "correction",
        "certificate_step",
        "parcel_source_conflict",
    ),
    owns=("finding", "rule_run", "overlap_pair"),
    run=run,
    atomic=False,
    takes_imports=True,
)
