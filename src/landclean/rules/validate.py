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
from landclean.vn.land_use import land_use_codes

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


def _derived(
    con: duckdb.DuckDBPyConnection,
    failures: dict[str, str],
    sql: str,
    params: list[object] | None = None,
) -> None:
    """Create one derived reference table; if it fails (a geometry GEOS cannot handle …)
    the error is kept and the table left out, so only the rules that read it fail."""
    name = sql.split("TEMP TABLE ", 1)[1].split()[0]
    try:
        con.execute(sql, params or [])
    except duckdb.Error as exc:
        log.warning("reference table %s failed: %s", name, exc)
        failures[name] = first_line(exc)
        con.execute(f"DROP TABLE IF EXISTS {name}")


# Pairs of parcels whose interiors overlap (edge-sharing neighbours do not), with the
# overlap area, both ways round, kept in ``overlap_pair`` between runs: computed here,
# where the planner uses its spatial join; after an import only the pairs of the parcels
# it changed (``vs_moved``) are computed again.
OVERLAPS_SQL = (
    "SELECT a, b, ST_Area(g) AS area, g FROM (SELECT a.parcel_id AS a, b.parcel_id AS b, "
    "ST_Intersection(a.geom, b.geom) AS g "
    "FROM valid_geometry a JOIN valid_geometry b ON ST_Overlaps(a.geom, b.geom))"
)
# the changed parcels against every parcel (the other side's validity tested on the
# candidates only: a materialized CTE, so that it is not computed for the province);
# each pair both ways round, the intersection computed in that order as a full run does
MOVED_OVERLAPS_SQL = """
CREATE OR REPLACE TEMP TABLE vs_overlap AS
WITH cand AS MATERIALIZED (
    SELECT m.parcel_id AS a, o.parcel_id AS b, m.geom AS ga, o.geom AS gb,
           o.parcel_id IN (SELECT id FROM vs_moved) AS both_moved
    FROM (SELECT * FROM valid_geometry WHERE parcel_id IN (SELECT id FROM vs_moved)) m
    JOIN parcel o ON ST_Overlaps(m.geom, o.geom)
), valid AS MATERIALIZED (SELECT *, ST_IsValid(gb) AS ok FROM cand)
SELECT a, b, ST_Area(g) AS area, g FROM (
    SELECT a, b, ST_Intersection(ga, gb) AS g FROM valid WHERE ok
    UNION ALL
    SELECT b, a, ST_Intersection(gb, ga) FROM valid WHERE ok AND NOT both_moved)
"""


def _overlaps(con: duckdb.DuckDBPyConnection, failures: dict[str, str], moved: bool) -> None:
    """Bring ``overlap_pair`` up to date: every pair again, or (``moved``) those of the
    parcels in ``vs_moved``; in one transaction, so that it is never half done (a failure
    leaves it as it was, and the rules reading it fail)."""
    try:
        if moved:
            con.execute(MOVED_OVERLAPS_SQL)
        con.begin()
        try:
            if moved:  # two plain semi joins (an OR of the two is not planned as joins)
                con.execute("DELETE FROM overlap_pair WHERE a IN (SELECT id FROM vs_moved)")
                con.execute("DELETE FROM overlap_pair WHERE b IN (SELECT id FROM vs_moved)")
                con.execute("INSERT INTO overlap_pair SELECT * FROM vs_overlap")
            else:
                con.execute("DELETE FROM overlap_pair")
                con.execute(f"INSERT INTO overlap_pair {OVERLAPS_SQL}")
            con.commit()
        except BaseException:
            con.rollback()
            raise
    except duckdb.Error as exc:
        log.warning("reference table overlap_pair failed: %s", exc)
        failures["overlap_pair"] = first_line(exc)
    con.execute("DROP TABLE IF EXISTS vs_overlap")


def _geometry_tables(
    con: duckdb.DuckDBPyConnection, failures: dict[str, str], settings: Settings, moved: bool
) -> None:
    """The reference tables only the rules of geometries read (not in a run scoped to
    people's changes; after an import, over the parcels it changed: ``moved``)."""
    _overlaps(con, failures, moved)
    # Each old commune's extent from the administrative data (its bounding box, projected
    # to VN-2000), widened by a margin, and, for communes of 100+ parcels, the extent of
    # its own parcels (robust): a parcel outside both is misplaced (a false easting added
    # twice, the wrong zone, x and y swapped fall far outside).  (After an import,
    # parcel_shape holds every parcel of the old communes it changed.)
    _derived(
        con,
        failures,
        "CREATE OR REPLACE TEMP TABLE commune_extent AS "
        "WITH admin AS (SELECT code AS old_unit_code, ST_X(lo) - ? AS x0, ST_Y(lo) - ? AS y0, "
        "ST_X(hi) + ? AS x1, ST_Y(hi) + ? AS y1 FROM ("
        "SELECT code, ST_Transform(ST_Point(min_lon, min_lat), 'EPSG:4326', 'EPSG:9218', "
        "always_xy := true) AS lo, ST_Transform(ST_Point(max_lon, max_lat), 'EPSG:4326', "
        "'EPSG:9218', always_xy := true) AS hi FROM admin_unit_old WHERE min_lat IS NOT NULL)), "
        # the commune's own parcels: 1st-99th percentiles widened by half their span
        "own AS (SELECT old_unit_code, x0 - (x1 - x0) / 2 AS px0, x1 + (x1 - x0) / 2 AS px1, "
        "y0 - (y1 - y0) / 2 AS py0, y1 + (y1 - y0) / 2 AS py1 FROM ("
        "SELECT p.old_unit_code, quantile_cont(s.cx, 0.01) AS x0, "
        "quantile_cont(s.cx, 0.99) AS x1, quantile_cont(s.cy, 0.01) AS y0, "
        "quantile_cont(s.cy, 0.99) AS y1 FROM parcel_shape s JOIN parcel p USING (parcel_id) "
        "GROUP BY 1 HAVING count(*) >= 100)) "
        "SELECT * FROM admin LEFT JOIN own USING (old_unit_code)",
        [settings.commune_extent_margin] * 4,
    )


def _reference_tables(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    scoped: bool = False,
    geometries: bool = False,
) -> dict[str, str]:
    """The tables rules share (in a scoped run, over the scope's records only, and none
    that only the rules of geometries read unless an import changed parcels:
    ``geometries``); returns the derived ones that failed."""
    failures: dict[str, str] = {}
    # the scope's filter comes first: DuckDB evaluates the conditions in their order, and
    # validity or a name key is expensive to compute for every row of the province
    in_parcels = in_communes = in_ids = ""
    if scoped:
        in_parcels = "parcel_id IN " + scope_values(con, "vs_parcel", "id") + " AND "
        in_communes = "p.old_unit_code IN " + scope_values(con, "vs_old_commune", "id") + " AND "
        in_ids = "id_number IN " + scope_values(con, "vs_id", "id") + " AND "
    con.execute("CREATE OR REPLACE TEMP TABLE land_use_code (code VARCHAR, status VARCHAR)")
    con.executemany(
        "INSERT INTO land_use_code VALUES (?, ?)",
        [[c.code, c.status] for c in land_use_codes().values()],
    )
    _derived(
        con,
        failures,
        "CREATE OR REPLACE TEMP TABLE valid_geometry AS SELECT parcel_id, geom "
        f"FROM parcel WHERE {in_parcels}geom IS NOT NULL AND ST_IsValid(geom)",
    )
    # Holes inside each map sheet's parcels (their union's interior rings, 1 m² or more).
    _derived(
        con,
        failures,
        "CREATE OR REPLACE TEMP TABLE sheet_hole AS "
        "WITH sheets AS ("
        "SELECT p.old_unit_code, p.scale, p.sheet_no, ST_Union_Agg(v.geom) AS g "
        "FROM valid_geometry v JOIN parcel p USING (parcel_id) "
        f"WHERE {in_communes}p.sheet_no IS NOT NULL AND p.scale IS NOT NULL GROUP BY ALL), "
        "polys AS (SELECT old_unit_code, scale, sheet_no, unnest(ST_Dump(g)).geom AS poly "
        "FROM sheets), "
        "rings AS (SELECT *, unnest(generate_series(1, ST_NInteriorRings(poly))) AS k "
        "FROM polys WHERE ST_NInteriorRings(poly) > 0) "
        "SELECT old_unit_code || '/' || scale || '/' || sheet_no AS sheet_key, old_unit_code, "
        "scale, sheet_no, ST_MakePolygon(ST_InteriorRingN(poly, k)) AS hole FROM rings "
        "WHERE ST_Area(ST_MakePolygon(ST_InteriorRingN(poly, k))) >= 1",
    )
    # Shape of every valid, unrepaired parcel: area, compactness (4πA/P², 1 for a circle,
    # ~0.79 for a square), centroid; a sliver is a thin strip or a speck.
    _derived(
        con,
        failures,
        "CREATE OR REPLACE TEMP TABLE parcel_shape AS "
        "SELECT *, compactness < ? OR area < 1 AS sliver FROM ("
        "SELECT v.parcel_id, ST_Area(v.geom) AS area, "
        "4 * pi() * ST_Area(v.geom) / greatest(ST_Perimeter(v.geom) ^ 2, 1e-9) AS compactness, "
        "ST_X(ST_Centroid(v.geom)) AS cx, ST_Y(ST_Centroid(v.geom)) AS cy "
        "FROM valid_geometry v JOIN parcel p USING (parcel_id) "
        "WHERE NOT COALESCE(p.geom_repaired, false))",
        [settings.sliver_compactness],
    )
    if not scoped or geometries:
        if geometries:  # the parcels an import added, changed or removed
            con.execute(
                "CREATE OR REPLACE TEMP TABLE vs_moved AS SELECT DISTINCT record_id AS id "
                f"FROM vs_journal WHERE table_name = 'parcel' AND stage = '{IMPORT}'"
            )
        _geometry_tables(con, failures, settings, geometries)
    # Who a land user is, as far as the records say: ID, name key, birth.
    _derived(
        con,
        failures,
        "CREATE OR REPLACE TEMP TABLE party_identity AS "
        "SELECT party_id, id_number, COALESCE(lc_ascii_key(full_name), '') AS name_key, "
        "COALESCE(CAST(birth_date AS VARCHAR), CAST(birth_year AS VARCHAR), '') AS birth_key "
        f"FROM party WHERE {in_ids}party_type IN ('individual', 'household') "
        "AND id_number IS NOT NULL",
    )
    con.execute("CREATE OR REPLACE TEMP TABLE area_tolerance (scale INTEGER, tolerance DOUBLE)")
    con.executemany(
        "INSERT INTO area_tolerance VALUES (?, ?)",
        [[k, v] for k, v in settings.area_tolerance.items()],
    )
    return failures


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
    failures = _reference_tables(con, settings, scoped, geometries_changed(changes))
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
