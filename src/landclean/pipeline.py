"""The pipeline: an ordered tuple of stages (``landclean.stage``), run and recorded.

build → renumber → standardize → validate → authenticate → classify → campaign → map

Each stage runs in its own transaction (validation evaluates its rules outside one, then
records them in one): a stage that fails leaves its tables as they were, and the run is
recorded with the stage that failed.  The build stage runs whenever imports wait, even
when other stages are chosen, so that no stage reads stale canonical tables; renumber
runs with it then, so that no rebuilt parcel is left without its commune.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from landclean.authenticate import stage as authenticate
from landclean.campaign import stage as campaign
from landclean.errors import LandcleanError, PipelineError, PreflightError, first_line
from landclean.incremental import changes_for, current_mark, record_mark
from landclean.ingest import build
from landclean.maps import stage as map_stage
from landclean.preflight import run_problems
from landclean.renumber import stage as renumber
from landclean.rules import classify, validate
from landclean.settings import Settings, current_actor, get_settings
from landclean.stage import Stage, StageContext, StageReport
from landclean.standardize import stage as standardize
from landclean.workspace import Workspace

STAGES: tuple[Stage, ...] = (
    build.STAGE,
    renumber.STAGE,
    standardize.STAGE,
    validate.STAGE,
    authenticate.STAGE,
    classify.STAGE,
    campaign.STAGE,
    map_stage.STAGE,
)
STAGE_NAMES = tuple(s.name for s in STAGES)


@dataclass
class RunReport:
    """One run of the pipeline: a report per stage that ran, in order."""

    run_id: int
    stages: list[StageReport]

    def __getitem__(self, name: str) -> StageReport:
        for report in self.stages:
            if report.stage == name:
                return report
        raise KeyError(name)

    def __contains__(self, name: object) -> bool:
        return any(r.stage == name for r in self.stages)

    @property
    def seconds(self) -> float:
        return sum(r.seconds for r in self.stages)


def chosen_stages(names: list[str] | None, rebuild: bool = False) -> tuple[Stage, ...]:
    """The stages to run, in pipeline order (all by default).  The build always comes
    first; when it will rebuild (``rebuild``: imports wait), renumber comes with it."""
    if names is None:
        return STAGES
    names = [n.strip() for n in names if n.strip()]
    if not names:
        raise PipelineError("no_stages", known=", ".join(STAGE_NAMES))
    unknown = [n for n in names if n not in STAGE_NAMES]
    if unknown:
        raise PipelineError(
            "unknown_stages", stages=", ".join(unknown), known=", ".join(STAGE_NAMES)
        )
    implied = {"build", "renumber"} if rebuild else {"build"}
    return tuple(s for s in STAGES if s.name in names or s.name in implied)


def _count(ws: Workspace, table: str) -> int:
    value = ws.scalar(f"SELECT count(*) FROM {table}")
    return int(value) if isinstance(value, int) else 0


def _input_problems(
    ws: Workspace, stages: tuple[Stage, ...], registry_coming: bool = False
) -> list[LandcleanError]:
    """What the chosen stages cannot do without (checked again after the build; the
    build and the renumbering it brings along run on an empty workspace too)."""
    problems: list[LandcleanError] = []
    if len(stages) > 1 and _count(ws, "parcel") == 0:
        problems.append(PipelineError("no_parcels"))
    needs_registry = any(s.name == "authenticate" for s in stages)
    if needs_registry and not registry_coming and _count(ws, "registry_person") == 0:
        problems.append(PipelineError("no_registry"))
    return problems


def raise_problems(problems: list[LandcleanError]) -> None:
    """One problem raised as itself, several as one ``PreflightError``."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise PreflightError(problems)


def start_problems(
    ws: Workspace, settings: Settings, stages: list[str] | None, registry_coming: bool = False
) -> list[LandcleanError]:
    """Everything that would stop a run of ``stages`` before it starts: the settings'
    files, and parcels and registry unless imports wait to be built.  ``registry_coming``:
    a registry file is imported first (so the build, and renumbering, will run)."""
    waiting = build.waiting_batches(ws.con) > 0
    todo = chosen_stages(stages, waiting or registry_coming)
    problems = run_problems(ws.con, settings, [s.name for s in todo])
    if not waiting:
        problems += _input_problems(ws, chosen_stages(stages), registry_coming)
    return problems


def run_pipeline(
    ws: Workspace,
    stages: list[str] | None = None,
    settings: Settings | None = None,
    actor: str | None = None,
    day: dt.date | None = None,
    progress: Callable[[str], None] | None = None,
    checked: bool = False,
    full: bool = False,
) -> RunReport:
    """Run the chosen stages (all by default) in order and record the run.

    Each stage recomputes only what changed since it last succeeded
    (``landclean.incremental``); ``full``: every stage recomputes everything.  ``day`` is
    the day the run counts for (the campaign's daily snapshot; today by default).
    ``checked``: the caller has raised ``start_problems`` already.  Raises
    ``PipelineError`` for a stage that cannot run; a stage that fails leaves its tables
    as they were and the run records the failure."""
    settings = settings or get_settings()
    if not checked:  # every problem, before any work
        raise_problems(start_problems(ws, settings, stages))
    todo = chosen_stages(stages, build.waiting_batches(ws.con) > 0)
    requested = chosen_stages(stages)
    who = current_actor(actor, settings)
    # the run's number is drawn in the transaction that records it: DuckDB does not log a
    # number drawn in a transaction of its own, and after a crash would draw it again
    with ws.transaction() as con:
        row = con.execute(
            "INSERT INTO pipeline_run (run_id, started_at, actor, stages, settings) "
            "VALUES (nextval('run_seq'), now()::TIMESTAMP, ?, ?, ?) RETURNING run_id",
            [
                who,
                ",".join(s.name for s in todo),
                json.dumps(settings.model_dump(mode="json")),
            ],
        ).fetchone()
    run_id = int(row[0]) if row else 1
    ctx = StageContext(ws, run_id, settings, who, day or dt.date.today(), STAGES, progress)
    report = RunReport(run_id, [])
    current = ""
    try:
        for stage in todo:
            current = stage.name
            mark = current_mark(ws.con, settings, ctx.day)
            ctx.changes = changes_for(ws.con, stage.name, mark, full, stage.takes_imports)
            report.stages.append(_run_stage(ctx, stage))
            if report.stages[-1].caught_up:  # it has taken in everything up to mark
                with ws.transaction() as con:
                    record_mark(con, stage.name, run_id, mark)
            if stage.name == "build" and report.stages[-1].ran:
                raise_problems(_input_problems(ws, requested))
    except BaseException as exc:
        with contextlib.suppress(duckdb.Error):  # the failure itself stays the error raised
            _finish(ws, report, f"{current}: {first_line(exc)}")
        raise
    finally:
        ws.doing(None)
    _finish(ws, report, None)
    return report


def _run_stage(ctx: StageContext, stage: Stage) -> StageReport:
    ctx.ws.doing(stage.name)  # the workspace's status file shows it to other commands
    ctx.tell(stage.name)
    started = time.perf_counter()
    if stage.atomic:
        with ctx.transaction():
            result = stage.run(ctx)
    else:
        result = stage.run(ctx)
    result.seconds = time.perf_counter() - started
    return result


def _finish(ws: Workspace, report: RunReport, error: str | None) -> None:
    seconds = {r.stage: round(r.seconds, 3) for r in report.stages if r.ran}
    for r in report.stages:
        seconds.update({f"{r.stage}.{k}": v for k, v in r.steps.items()})
    counts = {r.stage: r.counts for r in report.stages if r.ran}
    warnings = {
        r.stage: [{"key": w.key, **dict(w.values)} for w in r.warnings]
        for r in report.stages
        if r.warnings
    }
    with ws.transaction() as con:
        con.execute(
            "UPDATE pipeline_run SET finished_at = now()::TIMESTAMP, stage_seconds = ?, "
            "stage_counts = ?, stage_warnings = ?, error = ? WHERE run_id = ?",
            [
                json.dumps(seconds),
                json.dumps(counts),
                json.dumps(warnings, ensure_ascii=False, default=str),
                error,
                report.run_id,
            ],
        )


def ensure_built(ws: Workspace, actor: str | None = None) -> StageReport | None:
    """Run the build stage (and renumber, which places the rebuilt parcels) if imports
    wait (``import --build``, ``correct``); None when the canonical tables were up to
    date."""
    if not build.waiting_batches(ws.con):
        return None
    return run_pipeline(ws, ["build"], actor=actor)["build"]
