"""Write exchange packages: one folder per new commune with its GML, the XSD it validates
against, the same content as GeoPackage and Parquet, the parcels not sent with why, and a
manifest (counts, checksums, where it came from, the package it follows).

All or nothing: the versions and the packages are recorded in one transaction, and the
folders are written hidden beside their place and take their names inside it, so a
failure leaves no package recorded and no folder.

Over 400 lines because writing a package is one sequence (plan, select, version, write
the four forms, list what is not sent, the manifest, record) whose steps share the plan;
split, each part would only pass it along.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import json
import shutil
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from landclean.exchange import fingerprint, geopackage
from landclean.exchange.catalogue import Catalogue, ExchangeError, ObjectClass, load_catalogue
from landclean.exchange.gml import (
    GML_SUBSET_FILE,
    SCHEMA_FILE,
    end_gml,
    gml_rows,
    object_table,
    register_macros,
    retired_rows,
    start_gml,
    table_columns,
    write_split,
)
from landclean.exchange.objects import ORDER, drop_objects, stage_objects
from landclean.exchange.versions import counts, plan_versions
from landclean.exchange.xsd import gml_subset, schema
from landclean.ingest.importer import sha256_of
from landclean.safe_cells import is_dangerous
from landclean.workspace import Workspace
from landclean.workspace.connection import schema_version

FORMAT = "landclean-exchange"
FORMAT_VERSION = "1.0"
MANIFEST = "manifest.json"
NOT_SENT = "thua_khong_gui.csv"
GROUP_WORDS = {1: "nhóm 1 (dùng được)", 2: "nhóm 2 (cần chỉnh lý)", 3: "nhóm 3 (không dùng được)"}


@dataclass
class Package:
    """One package written."""

    package_id: str
    commune: str
    name: str
    kind: str  # full, delta
    folder: Path
    since: str | None
    follows: str | None
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    not_sent: int = 0
    # how it was made: from the parcels touched since the fingerprint ("touched"), or
    # by comparing every object ("all"): exchange.fingerprint
    compared: str = "all"

    def total(self, what: str) -> int:
        return sum(c.get(what, 0) for c in self.counts.values())


@dataclass
class _Plan:
    pkg: str
    name: str
    seq: int
    package_id: str
    follows: str | None
    since: str | None
    base_seq: int
    last_seq: int  # the commune's latest package (0: none yet)


def read_manifest(folder: Path) -> dict[str, object]:
    path = folder / MANIFEST if folder.is_dir() else folder
    if not path.is_file():
        raise ExchangeError("exchange_no_manifest", path=folder)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ExchangeError("exchange_bad_manifest", path=folder, reason=str(exc)) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise ExchangeError("exchange_bad_manifest", path=folder, reason=f"format is not {FORMAT}")
    return data


def _since_row(con: duckdb.DuckDBPyConnection, since: str) -> tuple[str, int, str]:
    """(package id, seq, commune) of the package ``since`` names: its id or its folder."""
    ident = since
    if Path(since).exists():
        ident = str(read_manifest(Path(since)).get("package", ""))
    row = con.execute(
        "SELECT package_id, seq, unit_code FROM exchange_package WHERE package_id = ?", [ident]
    ).fetchone()
    if row is None:
        raise ExchangeError("exchange_since_unknown", since=since)
    return str(row[0]), int(row[1]), str(row[2])


def _communes(con: duckdb.DuckDBPyConnection, wanted: list[str] | None) -> dict[str, str]:
    names = dict(con.execute("SELECT code, name FROM admin_unit ORDER BY code").fetchall())
    if wanted:
        for code in wanted:
            if code not in names:
                raise ExchangeError("exchange_commune", code=code)
        return {c: names[c] for c in sorted(set(wanted))}
    held = {r[0] for r in con.execute("SELECT DISTINCT unit_code FROM parcel").fetchall()}
    return {c: n for c, n in names.items() if c in held}


def _plans(
    con: duckdb.DuckDBPyConnection, communes: dict[str, str], delta: bool, since: str | None
) -> list[_Plan]:
    latest = {
        r[0]: (r[1], r[2])
        for r in con.execute(
            "SELECT unit_code, package_id, seq FROM exchange_package "
            "QUALIFY row_number() OVER (PARTITION BY unit_code ORDER BY seq DESC) = 1"
        ).fetchall()
    }
    fixed = _since_row(con, since) if since not in (None, "last") else None
    plans = []
    for code, name in communes.items():
        follows = latest.get(code)
        if fixed is not None:
            if fixed[2] != code:
                raise ExchangeError(
                    "exchange_since_commune", since=since, code=fixed[2], wanted=code
                )
            base: tuple[str, int] | None = (fixed[0], fixed[1])
        else:
            base = follows  # a delta since the last package; a full one lists what it retired
        seq_row = con.execute("SELECT nextval('exchange_seq')").fetchone()
        assert seq_row is not None
        plans.append(
            _Plan(
                code,
                name,
                int(seq_row[0]),
                str(uuid.uuid4()),
                follows[0] if follows else None,
                base[0] if delta and base else None,
                base[1] if base else 0,
                follows[1] if follows else 0,
            )
        )
    return plans


def _parquet_by_package(
    con: duckdb.DuckDBPyConnection, sql: str, work: Path, targets: dict[str, Path], empty: str
) -> None:
    """One COPY of a SELECT whose first column is the package, split into one Parquet
    file per package (``targets``); a package with no rows gets ``empty``'s columns."""
    con.execute(f"COPY ({sql}) TO '{work}' (FORMAT parquet, COMPRESSION zstd, PARTITION_BY (pkg))")
    blank = work / "empty.parquet"
    for pkg, target in targets.items():
        files = sorted((work / f"pkg={pkg}").glob("*.parquet"))
        if len(files) == 1:
            files[0].replace(target)
        elif files:
            source = f"read_parquet({[str(f) for f in files]})"
            con.execute(f"COPY (SELECT * FROM {source}) TO '{target}' (FORMAT parquet)")
        else:  # the same file of no rows for every package without any
            if not blank.exists():
                work.mkdir(parents=True, exist_ok=True)
                con.execute(f"COPY ({empty}) TO '{blank}' (FORMAT parquet)")
            shutil.copyfile(blank, target)
    shutil.rmtree(work, ignore_errors=True)


def _write_contents(
    con: duckdb.DuckDBPyConnection,
    cat: Catalogue,
    folders: dict[str, Path],
    gml: dict[str, Path],
    delta: bool,
    at: dt.datetime,
    written: Callable[[ObjectClass], None],
) -> None:
    """Every package's objects, class by class for all packages at once, read once into
    ``x_out``: appended to its GML file (``gml``, begun), and written as Parquet files;
    ``written(cls)`` once the class's Parquet files are there."""
    for folder in folders.values():
        (folder / "parquet").mkdir()
    work = next(iter(folders.values())).parent
    for name in ORDER:
        cls = cat.cls(name)
        con.execute(f"CREATE OR REPLACE TEMP TABLE x_out AS {object_table(cls)}")
        write_split(con, gml_rows(cat, cls, delta, "x_out"), gml)
        targets = {pkg: f / "parquet" / f"{cls.element}.parquet" for pkg, f in folders.items()}
        rows = table_columns(cls, "x_out")
        _parquet_by_package(
            con,
            rows.replace("SELECT ", "SELECT pkg, ", 1),
            work / f".{cls.element}",
            targets,
            rows + " LIMIT 0",
        )
        con.execute("DROP TABLE x_out")
        written(cls)
    write_split(con, retired_rows(cat, at), gml)
    retired = "SELECT pkg, class, key, version, lc_xuuid(class, key) AS uuid FROM x_retired"
    targets = {pkg: f / "parquet" / f"{cat.retired}.parquet" for pkg, f in folders.items()}
    empty = "SELECT class, key, version, lc_xuuid(class, key) AS uuid FROM x_retired LIMIT 0"
    _parquet_by_package(con, retired, work / f".{cat.retired}", targets, empty)


def _cell(text: str) -> str:
    return "'" + text if is_dangerous(text) else text


def _write_not_sent(con: duckdb.DuckDBPyConnection, plan: _Plan, folder: Path) -> int:
    rows = con.execute(
        "SELECT parcel_id, grp, array_to_string(rules, ', ') FROM x_not_sent WHERE pkg = ? "
        "ORDER BY parcel_id",
        [plan.pkg],
    ).fetchall()
    with (folder / NOT_SENT).open("w", encoding="utf-8-sig", newline="") as f:
        out = csv.writer(f)
        out.writerow(["Mã thửa", "Nhóm", "Lý do", "Quy tắc còn mở"])
        for parcel, grp, rules in rows:
            why = GROUP_WORDS.get(grp, "chưa phân nhóm") if grp else "chưa phân nhóm"
            out.writerow([_cell(parcel), grp or "", why, _cell(rules or "")])
    return len(rows)


def _origin(ws: Workspace) -> dict[str, object]:
    run = ws.con.execute(
        "SELECT run_id, finished_at FROM pipeline_run WHERE finished_at IS NOT NULL "
        "AND error IS NULL ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    build = ws.scalar("SELECT max(build_id) FROM canonical_build")
    return {
        "file": ws.path.name,
        "schema_version": schema_version(ws.con),
        "last_run": int(run[0]) if run else None,
        "last_run_finished": run[1].isoformat() if run and run[1] else None,
        "last_build": build,
    }


def _manifest(
    plan: _Plan,
    kind: str,
    folder: Path,
    at: dt.datetime,
    by: str,
    groups: list[int],
    figures: dict[str, dict[str, int]],
    not_sent: int,
    cat: Catalogue,
    origin: dict[str, object],
) -> str:
    files = sorted(p for p in folder.rglob("*") if p.is_file())
    data = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "package": plan.package_id,
        "kind": kind,
        "commune": {"code": plan.pkg, "name": plan.name},
        "created_at": at.isoformat(),
        "created_by": by,
        "follows": plan.follows,
        "since": plan.since,
        "groups": groups,
        "srs": "EPSG:9218",
        "catalogue": {"version": cat.version, "namespace": cat.namespace, "sha256": cat.sha256},
        "workspace": origin,
        "counts": {
            cat.cls(name).element: figures.get(
                name, {"objects": 0, "added": 0, "changed": 0, "retired": 0}
            )
            for name in ORDER
        },
        "not_sent": {"parcels": not_sent, "file": NOT_SENT},
        "files": [
            {
                "path": p.relative_to(folder).as_posix(),
                "bytes": p.stat().st_size,
                "sha256": sha256_of(p),
            }
            for p in files
        ],
    }
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    (folder / MANIFEST).write_text(text, encoding="utf-8")
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def export_packages(
    ws: Workspace,
    out: Path,
    *,
    by: str,
    communes: list[str] | None = None,
    groups: list[int] | None = None,
    since: str | None = None,
    catalogue: Path | None = None,
) -> list[Package]:
    """A package per new commune (all those holding parcels, or ``communes``) into
    ``out``: whole, or with ``since`` (a package's id or folder, or "last": each
    commune's latest) only what changed since."""
    cat = load_catalogue(catalogue)
    groups = sorted(set(groups or [1]))
    for g in groups:
        if g not in (1, 2, 3):
            raise ExchangeError("exchange_groups", value=g)
    con = ws.con
    if not ws.scalar("SELECT count(*) FROM parcel_group"):
        raise ExchangeError("exchange_not_run")
    if since not in (None, "last") and not communes:
        communes = [_since_row(con, since)[2]]
    chosen = _communes(con, communes)
    delta = since is not None
    kind = "delta" if delta else "full"
    at = dt.datetime.now().replace(microsecond=0)
    out.mkdir(parents=True, exist_ok=True)
    register_macros(con)
    packages: list[Package] = []
    partial = out / f".exchange-{uuid.uuid4().hex[:8]}.partial"
    placed: list[Path] = []
    con.execute("BEGIN TRANSACTION")
    try:
        plans = _plans(con, chosen, delta, since)
        con.execute(
            "CREATE OR REPLACE TEMP TABLE x_pkg AS SELECT * FROM (VALUES "
            + ", ".join(f"('{p.pkg}', {p.seq}, {p.base_seq}, {p.last_seq})" for p in plans)
            + ") t(pkg, seq, base_seq, last_seq)"
        )
        narrow = delta and fingerprint.can_narrow(con, groups)
        if narrow:
            fingerprint.touched(con)
        stage_objects(con, groups, narrow)
        plan_versions(con, at, delta, narrow)
        fingerprint.record(con, narrow, {p.pkg: p.seq for p in plans}, groups)
        figures = counts(con)
        origin = _origin(ws)
        partial.mkdir()
        names = {p.pkg: f"{p.pkg}-{p.seq:06d}-{kind}" for p in plans}
        folders = {pkg: partial / name for pkg, name in names.items()}
        for folder in folders.values():
            folder.mkdir()
        gml = {plan.pkg: folders[plan.pkg] / f"{plan.pkg}.gml" for plan in plans}
        for plan in plans:
            header = {
                "gml:id": f"goi.{plan.package_id}",
                "maGoi": plan.package_id,
                "maDonViHanhChinh": plan.pkg,
                "loaiGoi": "thay_doi" if delta else "day_du",
                "thoiDiem": at.isoformat(),
                "phienBanDanhMuc": cat.version,
                **({"goiTruoc": plan.follows} if plan.follows else {}),
                **({"soVoiGoi": plan.since} if plan.since else {}),
            }
            start_gml(gml[plan.pkg], cat, header)
        template = partial / "template.gpkg"
        geopackage.make_template(con, cat, template)
        with geopackage.written_beside(folders, template) as written:
            _write_contents(con, cat, folders, gml, delta, at, written)
        not_sent = {}
        for plan in plans:
            folder = folders[plan.pkg]
            end_gml(gml[plan.pkg], cat)
            (folder / SCHEMA_FILE).write_text(schema(cat), encoding="utf-8")
            (folder / GML_SUBSET_FILE).write_text(gml_subset(), encoding="utf-8")
            not_sent[plan.pkg] = _write_not_sent(con, plan, folder)

        def finish(plan: _Plan) -> str:
            """The package's manifest (its digest)."""
            folder = folders[plan.pkg]
            mine = figures.get(plan.pkg, {})
            return _manifest(
                plan, kind, folder, at, by, groups, mine, not_sent[plan.pkg], cat, origin
            )

        # files are written and hashed outside the interpreter's lock: two at a time
        with ThreadPoolExecutor(max_workers=2) as pool:
            digests = dict(zip([p.pkg for p in plans], pool.map(finish, plans), strict=True))
        for plan in plans:
            mine = figures.get(plan.pkg, {})
            digest = digests[plan.pkg]
            package = Package(
                plan.package_id, plan.pkg, plan.name, kind, out / names[plan.pkg], plan.since,
                plan.follows, mine, not_sent[plan.pkg], "touched" if narrow else "all",
            )  # fmt: skip
            con.execute(
                "INSERT INTO exchange_package (package_id, seq, unit_code, kind, since_id, "
                "follows_id, created_at, created_by, groups, folder, manifest_sha256, "
                "objects, added, changed, retired, not_sent) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [plan.package_id, plan.seq, plan.pkg, kind, plan.since, plan.follows, at, by,
                 groups, str(package.folder), digest, package.total("objects"),
                 package.total("added"), package.total("changed"), package.total("retired"),
                 not_sent[plan.pkg]],
            )  # fmt: skip
            packages.append(package)
        for package in packages:
            if package.folder.exists():
                raise ExchangeError("exchange_out_exists", path=package.folder)
        for package in packages:
            (partial / package.folder.name).replace(package.folder)
            placed.append(package.folder)
        drop_objects(con)
        fingerprint.drop(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        for folder in placed:
            shutil.rmtree(folder, ignore_errors=True)
        raise
    finally:
        shutil.rmtree(partial, ignore_errors=True)
    return packages
