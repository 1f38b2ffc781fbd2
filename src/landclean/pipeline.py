"""Run the pipeline stages on a workspace: standardize → renumber → validate → authenticate
→ classify.

Rules are evaluated first (each isolated, into temp tables); then every result is
written in one transaction, so a failing stage leaves the workspace as it was.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from landclean.authenticate.cascade import AuthReport, authenticate
from landclean.errors import PipelineError
from landclean.ingest.canonical import CanonicalBuild, bring_up_to_date
from landclean.ingest.importer import import_sources
from landclean.renumber.stage import RenumberReport, renumber
from landclean.rules.classify import classify, group_mapping
from landclean.rules.runner import ValidationReport, evaluate_rules, record_findings
from landclean.settings import Settings, get_settings
from landclean.standardize.stage import standardize
from landclean.workspace import Workspace

STAGES = ("standardize", "renumber", "validate", "authenticate", "classify")


@dataclass
class RunReport:
    run_id: int
    stages: list[str]
    standardized: dict[str, int] = field(default_factory=dict)
    validation: ValidationReport | None = None
    authentication: dict[str, int] = field(default_factory=dict)
    groups: dict[int, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    canonical: CanonicalBuild | None = None
    renumbering: RenumberReport | None = None
    auth: AuthReport | None = None


def _count(ws: Workspace, table: str) -> int:
    value = ws.scalar(f"SELECT count(*) FROM {table}")
    return int(value) if isinstance(value, int) else 0


T = TypeVar("T")


def _timed(
    report: RunReport, stage: str, progress: Callable[[str], None] | None, work: Callable[[], T]
) -> T:
    if progress:
        progress(stage)
    started = time.perf_counter()
    result = work()
    report.seconds[stage] = time.perf_counter() - started
    return result


def _stage_seconds(report: RunReport) -> dict[str, float]:
    """Seconds per stage, and per step of the authentication stage."""
    out = {k: round(v, 3) for k, v in report.seconds.items()}
    if report.auth is not None:
        out.update({f"authenticate.{k}": v for k, v in report.auth.seconds.items()})
    return out


def run_pipeline(
    ws: Workspace,
    registry: Path | None = None,
    stages: list[str] | None = None,
    settings: Settings | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunReport:
    """Run the requested stages (all by default) and record the run."""
    settings = settings or get_settings()
    chosen = list(stages or STAGES)
    unknown = [s for s in chosen if s not in STAGES]
    if unknown:
        raise PipelineError(
            f"unknown stage(s) {', '.join(unknown)}; expected some of: {', '.join(STAGES)}"
        )
    mapping = group_mapping(settings.classification)  # a bad file fails before any work
    if registry is not None:
        import_sources(ws, [registry], profile="registry", build=False)
    report = RunReport(0, chosen)
    with ws.transaction() as con:  # imports since the last build: canonical tables first
        report.canonical = _timed(report, "canonical", progress, lambda: bring_up_to_date(con))
    if _count(ws, "parcel") == 0:
        raise PipelineError("the workspace holds no parcels; run 'landclean import' first")
    if "authenticate" in chosen and _count(ws, "registry_person") == 0:
        raise PipelineError("no population registry in the workspace; pass --registry FILE")
    actor = settings.actor or getpass.getuser()
    started_at = dt.datetime.now()
    row = ws.con.execute("SELECT nextval('run_seq')").fetchone()
    report.run_id = int(row[0]) if row else 1
    run_id = report.run_id
    if "standardize" in chosen:  # its own transaction: the rules must see its result
        with ws.transaction() as con:
            report.standardized = _timed(
                report, "standardize", progress, lambda: standardize(con, run_id)
            )
    if "renumber" in chosen:  # before validation: rules read placements and UIDs
        with ws.transaction() as con:
            report.renumbering = _timed(
                report,
                "renumber",
                progress,
                lambda: renumber(con, settings.renumber_order, settings.commune_boundaries),
            )
    if "validate" in chosen:
        report.validation = _timed(
            report, "validate", progress, lambda: evaluate_rules(ws.con, settings)
        )
    with ws.transaction() as con:
        con.execute(
            "INSERT INTO pipeline_run (run_id, started_at, actor, stages, settings) "
            "VALUES (?, ?, ?, ?, ?)",
            [
                run_id,
                started_at,
                actor,
                ",".join(chosen),
                json.dumps(settings.model_dump(), default=str),
            ],
        )
        if report.validation is not None:
            validation = report.validation
            _timed(report, "record", progress, lambda: record_findings(con, validation, run_id))
            con.executemany(
                "INSERT INTO rule_run VALUES (?, ?, ?, ?, ?)",
                [[run_id, r.rule_id, r.found, r.seconds, r.error] for r in validation.results],
            )
        if "authenticate" in chosen:
            auth = _timed(
                report, "authenticate", progress, lambda: authenticate(con, run_id, settings)
            )
            report.authentication = auth.counts
            report.auth = auth
        if "classify" in chosen:
            report.groups = _timed(
                report, "classify", progress, lambda: classify(con, run_id, mapping)
            )
        con.execute(
            "UPDATE pipeline_run SET finished_at = now()::TIMESTAMP, stage_seconds = ? "
            "WHERE run_id = ?",
            [json.dumps(_stage_seconds(report)), run_id],
        )
    return report
