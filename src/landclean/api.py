"""The operations of landclean: what the command line and the campaign server call.

Each operation takes an open workspace (``create_workspace`` / ``open_workspace``) and
returns a typed result; none prints.  Who acts is the ``actor`` given, else
``LANDCLEAN_ACTOR``, else the login name.  Settings are read once, typed and checked
(``landclean.settings``), and the files they name are checked before any work
(``landclean.preflight``).  The modules behind each operation own its SQL; this one only
strings them together.  It is over 400 lines because the whole face is here, one
function per operation, and an operation that reads or writes files imports its module
when called (a ``run`` after every edit starts without them).

    import landclean as lc

    with lc.create_workspace("dak_lak.duckdb") as ws:
        lc.import_sources(ws, ["ban_do/", "vbdlis.xlsx", "dan_cu.parquet"])
        run = lc.run(ws)
        summary = lc.report(ws, "bao_cao/").summary
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from landclean.campaign.rollup import summarize
from landclean.campaign.summary import Summary
from landclean.campaign.tasks import Task, TaskCounts, assign_task, list_tasks, task_counts
from landclean.corrections import record_correction
from landclean.errors import LandcleanError, check_lang
from landclean.pipeline import (
    RunReport,
    ensure_built,
    raise_problems,
    run_pipeline,
    start_problems,
)
from landclean.renumber.lookup import Found, lookup_old, lookup_serial, write_crosswalks
from landclean.rules.catalogue import CATALOGUE, Rule
from landclean.rules.exceptions import accept_one
from landclean.settings import Settings, current_actor, get_settings
from landclean.workspace import Workspace
from landclean.workspace import create_workspace as create_workspace  # re-exported
from landclean.workspace import open_workspace as open_workspace  # re-exported
from landclean.workspace_status import Status, workspace_status

# What reads or writes files (imports, worklists, reports, review files, profiles) is
# loaded when it is called: a run started after every edit need not load it (0.4 s).
if TYPE_CHECKING:
    from landclean.accounts import Account
    from landclean.authenticate.review import ReviewFile
    from landclean.campaign.apply import ApplyResult
    from landclean.campaign.worklist import WorklistFile
    from landclean.evidence.add import Added
    from landclean.evidence.notices import Issued
    from landclean.exchange.check import Checked
    from landclean.exchange.package import Package
    from landclean.ingest.importer import ImportReport
    from landclean.ingest.profiles import Profile
    from landclean.ingest.suggest import Suggestion
    from landclean.maps.layers import LayersResult
    from landclean.registry_service.batches import Planned
    from landclean.registry_service.connector import Verified
    from landclean.registry_service.verdicts import Applied
    from landclean.reports.export import ExportResult
    from landclean.reports.writer import ReportResult

Progress = Callable[[str], None]


def _lang(lang: str | None, settings: Settings | None = None) -> str:
    return check_lang(lang or (settings or get_settings()).lang)


def status(ws: Workspace) -> Status:
    """What the workspace holds: rows per table, the last run, imports waiting."""
    return workspace_status(ws)


def import_sources(
    ws: Workspace,
    sources: list[Path] | list[str],
    *,
    profile: str | None = None,
    profiles_dir: Path | None = None,
    dry_run: bool = False,
    build: bool = True,
    actor: str | None = None,
    progress: Progress | None = None,
) -> ImportReport:
    """Import files and folders (all or nothing); with ``build``, rebuild the canonical
    tables at once (the build stage), otherwise the next run does."""
    from landclean.ingest.importer import import_files
    from landclean.preflight import check_import

    paths = [Path(s) for s in sources]
    dirs = [profiles_dir] if profiles_dir else None
    check_import(dirs, paths)
    result = import_files(
        ws, paths, profile=profile, dry_run=dry_run, actor=actor, progress=progress,
        profile_dirs=dirs,
    )  # fmt: skip
    if build and not dry_run:  # also batches an earlier import left waiting
        built = ensure_built(ws, actor)
        if built is not None:
            result.built = True
            result.conflicts = built.counts.get("conflicts", 0)
            result.canonical = {
                k: v for k, v in built.counts.items() if k not in ("batches", "conflicts")
            }
    return result


def run(
    ws: Workspace,
    *,
    registry: Path | None = None,
    stages: list[str] | None = None,
    settings: Settings | None = None,
    actor: str | None = None,
    day: dt.date | None = None,
    progress: Progress | None = None,
    full: bool = False,
) -> RunReport:
    """Run the pipeline (all stages by default; ``registry``: a population registry file
    imported first).  ``day``: the day the run counts for (its campaign snapshot).  Each
    stage recomputes only what changed since it last ran; ``full``: everything."""
    if registry is not None:  # every check first: a run that cannot start imports nothing
        from landclean.ingest.importer import import_files
        from landclean.preflight import import_problems

        settings = settings or get_settings()
        problems = import_problems(None, [registry])
        problems += start_problems(ws, settings, stages, registry_coming=True)
        raise_problems(problems)
        import_files(ws, [registry], profile="registry", actor=actor)
    return run_pipeline(
        ws,
        stages=stages,
        settings=settings,
        actor=actor,
        day=day,
        progress=progress,
        checked=registry is not None,
        full=full,
    )


def summary(ws: Workspace, *, settings: Settings | None = None) -> Summary:
    """summary.json of the workspace as it is, without writing anything."""
    return summarize(ws.con, settings=settings)


def report(
    ws: Workspace,
    out: Path | str,
    *,
    lang: str | None = None,
    as_of: dt.date | None = None,
    settings: Settings | None = None,
) -> ReportResult:
    """Write summary.json, report.html/.xlsx, briefing.html, charts/ and communes/ into
    ``out``, dated ``as_of`` (today by default).  Reads only."""
    from landclean.reports.writer import write_reports

    settings = settings or get_settings()
    return write_reports(ws.con, Path(out), _lang(lang, settings), settings, as_of)


def export(
    ws: Workspace,
    out: Path | str,
    *,
    fmt: str | None = None,
    commune: str | None = None,
    all_states: bool = False,
    masked: bool = True,
    lang: str | None = None,
    settings: Settings | None = None,
) -> ExportResult:
    """The findings (open ones unless ``all_states``) with their lineage, as CSV, XLSX or
    GeoPackage (``fmt``, default from the file's suffix); personal data masked."""
    from landclean.reports.export import export_findings

    settings = settings or get_settings()
    path = Path(out)
    return export_findings(
        ws.con,
        path,
        fmt or path.suffix.lower().lstrip("."),
        commune=commune,
        all_states=all_states,
        masked=masked,
        lang=_lang(lang, settings),
        classification=settings.classification,
    )


def export_layers(
    ws: Workspace,
    out: Path | str,
    *,
    commune: str | None = None,
    lang: str | None = None,
    settings: Settings | None = None,
) -> LayersResult:
    """The map's layers (parcels, problems, sheets, communes) as one GeoPackage with
    their QGIS styles (docs/map.md); no personal data."""
    from landclean.maps.layers import export_layers as write_layers

    settings = settings or get_settings()
    return write_layers(ws.con, Path(out), commune, _lang(lang, settings))


def worklist(ws: Workspace, commune: str, out: Path | str) -> WorklistFile:
    """A commune's worklist workbook (findings to fix, users to verify, certificates)."""
    from landclean.campaign.worklist import export_worklist

    return export_worklist(ws.con, commune, Path(out))


@dataclass
class AppliedWorklist:
    """What ``apply`` recorded, and where the rejected rows were listed."""

    result: ApplyResult
    actor: str
    rejected_file: Path | None = None


def apply(
    ws: Workspace,
    file: Path | str,
    *,
    by: str | None = None,
    lang: str = "vi",
    again: bool = False,
) -> AppliedWorklist:
    """Take a filled-in worklist back: valid values recorded as corrections by ``by``;
    rejected cells listed (sheet, row, column, value, reason) in FILE.rejected.txt, in
    ``lang`` (Vietnamese by default, as the worklist is: the file goes back to the
    commune).  ``result.rejected`` words them in any language.  The same file taken back
    a second time records nothing (``result.applied_before`` says when it was), unless
    ``again``; a value equal to the record's is never recorded."""
    from landclean.campaign.apply import apply_worklist

    path, language = Path(file), _lang(lang)
    if not path.is_file():
        raise LandcleanError("no_file", path=path)
    actor = current_actor(by)
    ensure_built(ws, actor)
    with ws.transaction() as con:  # the list of rejected cells is written before it commits
        result = apply_worklist(con, path, actor, again=again)
        applied = AppliedWorklist(result, actor)
        if result.rejected:
            lines = [r.text(language) for r in result.rejected]
            applied.rejected_file = path.with_suffix(".rejected.txt")
            applied.rejected_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return applied


@dataclass
class CorrectionResult:
    table: str
    record_id: str
    column: str
    value: str | None
    actor: str
    changed: bool = True  # False: the record already held the value; nothing recorded


def correct(
    ws: Workspace,
    table: str,
    record_id: str,
    column: str,
    value: str | None,
    *,
    by: str,
    note: str | None = None,
) -> CorrectionResult:
    """Record a person's correction (``by``: who made it, required); it survives
    re-imports and re-runs.  The value is read as a worklist's is (DD/MM/YYYY dates,
    decimal commas, ID numbers); the result holds the value stored."""
    if not by.strip():
        raise LandcleanError("need_actor")
    actor = current_actor(by)
    ensure_built(ws, actor)  # the record may come from an import not yet built
    same: set[int] = set()
    with ws.transaction() as con:
        stored = record_correction(con, table, record_id, column, value, actor, note, same)
    return CorrectionResult(table, record_id, column, stored, actor, changed=0 not in same)


def accept_exception(ws: Workspace, rule_id: str, record_id: str, *, reason: str, by: str) -> str:
    """Accept one open finding as an exception (the record is right as it is), with the
    reason and who accepts it (both required); returns the actor recorded."""
    return accept_one(ws, rule_id, record_id, reason=reason, by=by)


def lookup(
    ws: Workspace,
    *,
    old_commune: str | None = None,
    sheet: int | None = None,
    parcel: int | None = None,
    scale: int | None = None,
    serial: str | None = None,
) -> list[Found]:
    """Parcels from what a certificate prints: old commune, sheet and parcel (and scale),
    or the serial; with their new commune, new sheet and UID."""
    if serial is not None:
        found = lookup_serial(ws.con, serial)
    elif old_commune is not None and sheet is not None and parcel is not None:
        found = lookup_old(ws.con, old_commune, sheet, parcel, scale)
    else:
        raise LandcleanError("lookup_args")
    if not found:
        raise LandcleanError("no_parcel_found")
    return found


def crosswalk(
    ws: Workspace, out: Path | str, *, commune: str | None = None, lang: str | None = None
) -> list[Path]:
    """Each new commune's sheet crosswalk (XLSX and CSV) in ``out``."""
    return write_crosswalks(ws.con, Path(out), commune, _lang(lang))


def review(
    ws: Workspace, out: Path | str, *, commune: str | None = None, lang: str | None = None
) -> list[ReviewFile]:
    """Each new commune's authentication review queue (review_CODE.xlsx) in ``out``."""
    from landclean.authenticate.review import export_review_queue

    return export_review_queue(ws.con, Path(out), commune, _lang(lang))


@dataclass
class TaskList:
    tasks: list[Task]
    counts: TaskCounts
    assigned: Task | None = None  # the task given by ``assign``, as it now is
    changes: dict[str, str] = field(default_factory=dict)


def tasks(
    ws: Workspace,
    *,
    commune: str | None = None,
    include_done: bool = False,
    assign: str | None = None,
    to: str | None = None,
    due: dt.date | None = None,
    actor: str | None = None,
    lang: str | None = None,
    settings: Settings | None = None,
) -> TaskList:
    """The campaign's tasks (brought up to date by every run's campaign stage), titled in
    ``lang``; ``assign`` a task ``to`` someone and/or move its ``due`` date (a person's
    decision: logged, and kept when the campaign stage regenerates the tasks)."""
    language = _lang(lang, settings)
    if (to or due) and not assign:
        raise LandcleanError("assign_needed")
    if assign:
        with ws.transaction() as con:
            assign_task(con, assign, to, due, current_actor(actor, settings))
    listed = TaskList(list_tasks(ws.con, commune, include_done, language), task_counts(ws.con))
    if assign:
        listed.assigned = list_tasks(ws.con, None, True, language, code=assign)[0]
        if to and to.strip():
            listed.changes["to"] = to.strip()
        if due:
            listed.changes["due"] = due.strftime("%d/%m/%Y")
    return listed


def list_rules() -> tuple[Rule, ...]:
    """The validation rules (docs/rules.md)."""
    return CATALOGUE


def list_profiles(profiles_dir: Path | None = None) -> list[Profile]:
    """The column-mapping profiles, built-in and the province's own (docs/profiles.md)."""
    from landclean.ingest.profiles import all_profiles

    return all_profiles([profiles_dir] if profiles_dir else None)


def suggest_profile(path: Path | str, sheet: str | None = None) -> Suggestion:
    """Draft a profile for a file no profile reads: the proposed mapping with its
    evidence and confidence, the composed parcel key, and what is still missing."""
    from landclean.ingest import suggest

    return suggest.suggest_profile(Path(path), sheet)


def write_suggested_profile(suggestion: Suggestion, out: Path | str) -> Path:
    """Save a drafted profile as JSON (put it in a profile folder to use it)."""
    from landclean.ingest import suggest

    return suggest.write_profile(suggestion, Path(out))


def generate(
    out: Path | str,
    *,
    parcels: int = 20_000,
    seed: int = 42,
    defect_scale: float = 1.0,
    layout: str = "field_form",
    id_cards: int = 0,
    certificate_scans: int = 0,
) -> dict[str, int]:
    """A synthetic province's source files (and truth/) in ``out``: counts written.
    ``id_cards``: that many land users' ID cards photographed or scanned, in
    ``out/evidence/id_cards`` (truth in ``truth/id_cards.parquet``); ``certificate_scans``:
    that many certificates scanned, in ``out/evidence/certificates``.
    ``layout``: ``field_form`` (the campaign's form, one row per parcel) or
    ``owner_rows`` (a land-system export, one row per land user, composed keys) or
    ``household_lists`` (a commune's list, head and spouse side by side, no codes)."""
    from pydantic import ValidationError

    from landclean.synth.config import GeneratorConfig
    from landclean.synth.generate import generate as generate_province

    try:
        config = GeneratorConfig(
            parcels=parcels,
            seed=seed,
            defect_scale=defect_scale,
            layout=layout,  # checked by the model
            id_cards=id_cards,
            certificate_scans=certificate_scans,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise LandcleanError("bad_option", option=first["loc"][0], reason=first["msg"]) from None
    return generate_province(config, Path(out))


def add_user(
    ws: Workspace,
    login: str,
    role: str,
    password: str,
    communes: list[str] | None = None,
    *,
    actor: str | None = None,
) -> Account:
    """Add a campaign-server account (role admin, province, commune or leader; a commune
    account names its new communes)."""
    from landclean.accounts import add_account

    with ws.transaction() as con:
        return add_account(con, login, role, password, communes, by=current_actor(actor))


def list_users(ws: Workspace) -> list[Account]:
    from landclean.accounts import list_accounts

    return list_accounts(ws.con)


def disable_user(ws: Workspace, login: str, *, actor: str | None = None) -> Account:
    """Disable an account: its sessions end, its tokens stop working."""
    from landclean.accounts import disable_account

    with ws.transaction() as con:
        return disable_account(con, login, by=current_actor(actor))


def reset_user(ws: Workspace, login: str, password: str, *, actor: str | None = None) -> Account:
    """Give an account a new password (enabled, unlocked, its sessions ended)."""
    from landclean.accounts import reset_password

    with ws.transaction() as con:
        return reset_password(con, login, password, by=current_actor(actor))


def user_token(ws: Workspace, login: str, days: int = 90, *, actor: str | None = None) -> str:
    """A new API token for an account (``Authorization: Bearer``), shown once."""
    from landclean.accounts import issue_token

    with ws.transaction() as con:
        return issue_token(con, login, days, by=current_actor(actor))


def demo_users(ws: Workspace, *, actor: str | None = None) -> list[tuple[Account, str | None]]:
    """An account of each role for trying the server (a commune account works in the
    commune with most parcels), with a random password each; accounts that exist
    already are left as they are (their password None)."""
    import secrets

    from landclean.accounts import add_account, get_account

    made: list[tuple[Account, str | None]] = []
    commune = ws.scalar(
        "SELECT unit_code FROM parcel WHERE unit_code IS NOT NULL "
        "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ) or ws.scalar("SELECT min(code) FROM admin_unit")
    wanted = [("quantri", "admin", []), ("tinh", "province", []),
              ("xa", "commune", [str(commune)]), ("lanhdao", "leader", [])]  # fmt: skip
    with ws.transaction() as con:
        for login, role, communes in wanted:
            existing = get_account(con, login)
            if existing is not None:
                made.append((existing, None))
                continue
            password = secrets.token_urlsafe(12)
            account = add_account(con, login, role, password, communes, by=current_actor(actor))
            made.append((account, password))
    return made


EVIDENCE_CHUNK = 200  # documents read and recorded per transaction
DOCUMENT_SUFFIXES = {".jpg", ".jpeg", ".png", ".tif", ".tiff", ".webp", ".bmp", ".pdf"}


def issue_notices(
    ws: Workspace,
    commune: str,
    out: Path,
    *,
    by: str | None = None,
    url: str | None = None,
    valid_days: int = 60,
    missing_only: bool = False,
    only: list[str] | None = None,
) -> Issued:
    """A printable notice with a one-time link for every land user of new commune
    ``commune`` (``evidence.notices``; ``only``: of these land users), written to
    ``out``; the links open the server at ``url`` (default: the ``public_url`` setting)."""
    from landclean.evidence.notices import issue_notices as issue

    actor = current_actor(by)
    ensure_built(ws, actor)
    return issue(
        ws, commune, out, by=actor, base_url=url or get_settings().public_url,
        valid_days=valid_days, missing_only=missing_only, only=only,
    )  # fmt: skip


def add_evidence(ws: Workspace, paths: list[Path | str], *, by: str | None = None) -> list[Added]:
    """Bring documents in as evidence (``evidence.add``): each file given, and the
    photos, scans and PDFs under each folder given; one outcome per file, in order.
    Files are recorded ``EVIDENCE_CHUNK`` at a time, each chunk all or nothing."""
    from landclean.evidence.add import add_documents

    files: list[Path] = []
    for given in map(Path, paths):
        if given.is_dir():
            files += [
                p
                for p in sorted(given.rglob("*"))
                if p.is_file() and p.suffix.lower() in DOCUMENT_SUFFIXES
            ]
        elif given.is_file():
            files.append(given)
        else:
            raise LandcleanError("no_file", path=given)
    if not files:
        raise LandcleanError("nothing_to_import", paths=", ".join(map(str, paths)))
    actor = current_actor(by)
    ensure_built(ws, actor)
    done: list[Added] = []
    for start in range(0, len(files), EVIDENCE_CHUNK):  # bounded memory: a chunk at a time
        chunk = files[start : start + EVIDENCE_CHUNK]
        done += add_documents(ws, [(str(p), p.read_bytes()) for p in chunk], by=actor)
    return done


def export_exchange(
    ws: Workspace,
    out: Path | str,
    *,
    communes: list[str] | None = None,
    groups: list[int] | None = None,
    since: str | None = None,
    by: str | None = None,
    catalogue: Path | None = None,
) -> list[Package]:
    """Exchange packages for the land information system (``exchange.package``): one per
    new commune (all, or ``communes``), of the parcels in ``groups`` (default: 1), whole
    or, with ``since`` (a package's id or folder, or "last"), the changes since."""
    from landclean.exchange.package import export_packages

    return export_packages(
        ws, Path(out), by=current_actor(by), communes=communes, groups=groups, since=since,
        catalogue=catalogue or get_settings().exchange_catalogue,
    )  # fmt: skip


def check_exchange(folder: Path | str) -> Checked:
    """A package checked on its own (``exchange.check``): checksums, XSD, counts."""
    from landclean.exchange.check import check_package

    return check_package(Path(folder))


def import_exchange(
    ws: Workspace,
    folders: list[Path | str],
    *,
    actor: str | None = None,
    build: bool = True,
    progress: Progress | None = None,
) -> ImportReport:
    """Packages read back (each folder checked first; a bare ``.gml``, as the land
    information system exports it, is validated against the catalogue's XSD as it is
    read): their GML imported like any export, a change set for what they change, the
    parcels they retire removed."""
    gml = [
        Path(f) if Path(f).suffix.lower() == ".gml" and Path(f).is_file() else check_exchange(f).gml
        for f in folders
    ]
    return import_sources(ws, gml, actor=actor, build=build, progress=progress)


def registry_request(
    ws: Workspace,
    out: Path | str,
    *,
    selection: str = "unverified",
    commune: str | None = None,
    batch_size: int = 1000,
    fmt: str = "csv",
    by: str | None = None,
) -> tuple[Planned, list[Path]]:
    """Request files for the population service (``registry_service.batches``): the land
    users chosen, in batches of ``batch_size``, one file per batch in ``out``."""
    from landclean.registry_service.batches import plan, write_files
    from landclean.registry_service.protocol import RegistryServiceError, load_protocol

    if fmt not in ("csv", "json"):  # checked before anything is planned
        raise RegistryServiceError("registry_format", value=fmt)
    actor = current_actor(by)
    ensure_built(ws, actor)
    p = load_protocol(get_settings().registry_protocol)
    Path(out).mkdir(parents=True, exist_ok=True)
    unwritten = [  # planned by a request stopped before it wrote them: written now
        str(r[0])
        for r in ws.con.execute(
            "SELECT batch_id FROM registry_batch WHERE channel = 'file' AND status = 'prepared' "
            "ORDER BY batch_id"
        ).fetchall()
    ]
    planned = plan(ws, p, by=actor, channel="file", selection=selection, commune=commune,
                   batch_size=batch_size)  # fmt: skip
    batches = unwritten + planned.batches
    return planned, write_files(ws, p, batches, Path(out), fmt=fmt, by=actor)


def registry_response(
    ws: Workspace,
    files: list[Path | str],
    *,
    by: str | None = None,
    problems: Path | str | None = None,
    lang: str | None = None,
) -> Applied:
    """The service's response files read back (``registry_service.verdicts``): each
    file checked and applied in its own transaction (``problems``: a CSV of every row
    not applied, and why); run ``run`` afterwards."""
    from landclean.registry_service.batches import log_exchange
    from landclean.registry_service.protocol import load_protocol
    from landclean.registry_service.responses import read_file, write_problems
    from landclean.registry_service.verdicts import Applied, apply

    actor = current_actor(by)
    p = load_protocol(get_settings().registry_protocol)
    since = ws.scalar("SELECT now()::TIMESTAMP")
    total = Applied()
    for f in map(Path, files):
        if not f.is_file():
            raise LandcleanError("no_file", path=f)
        with ws.transaction() as con:
            tagged = read_file(con, p, str(f))
            done = apply(con, p, source=str(f), by=actor, tagged=tagged)
            log_exchange(con, by=actor, batch_id=None, direction="response", channel="file",
                         target=str(f), outcome="read", records=done.rows,
                         body=f.read_bytes())  # fmt: skip
        total.add(done)
    if problems is not None:
        write_problems(ws.con, [str(f) for f in files], since, Path(problems), _lang(lang))
    return total


def registry_verify(
    ws: Workspace,
    service: str,
    *,
    selection: str = "unverified",
    commune: str | None = None,
    batch_size: int = 1000,
    rate: float = 5.0,
    token: str | None = None,
    timeout: float = 30.0,
    patience: float = 600.0,
    by: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Verified:
    """The chosen land users verified online (``registry_service.connector``): batches
    sent to ``service`` with retries, resumable; run ``run`` afterwards."""
    from landclean.registry_service.connector import verify
    from landclean.registry_service.protocol import load_protocol

    actor = current_actor(by)
    ensure_built(ws, actor)
    p = load_protocol(get_settings().registry_protocol)
    return verify(ws, p, service, by=actor, selection=selection, commune=commune,
                  batch_size=batch_size, rate=rate, token=token, timeout=timeout,
                  patience=patience, progress=progress)  # fmt: skip
