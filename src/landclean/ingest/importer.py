"""Import source files into the workspace: raw tables with lineage, then canonical tables.

All files of one ``import`` call are written in one transaction: if any file cannot be
read, nothing is written.  A file whose content (SHA-256) was imported before is skipped.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa

from landclean.errors import ImportError_
from landclean.ingest.canonical import build_canonical
from landclean.ingest.profiles import Profile, all_profiles, load_profile
from landclean.ingest.readers import (
    MAP_SUFFIXES,
    TABLE_SUFFIXES,
    SourceTable,
    read_csv,
    read_map,
    read_parquet,
    read_xlsx,
)
from landclean.workspace import Workspace

log = logging.getLogger(__name__)

RAW_TABLE = {
    "field_form": "raw_field_form",
    "map_layer": "raw_map_feature",
    "registry": "raw_registry",
    "commune_status": "raw_commune_status",
}
IGNORED_DIRS = {"truth"}
MIN_COVERAGE = 0.6


@dataclass
class FileResult:
    path: str
    layout: str
    rows: int
    quarantined: int
    skipped: bool = False
    encoding: str | None = None


@dataclass
class ImportReport:
    files: list[FileResult] = field(default_factory=list)
    canonical: dict[str, int] = field(default_factory=dict)
    dry_run: bool = False

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files if not f.skipped)


def discover(sources: list[Path]) -> list[Path]:
    """Files to import: the files given, and supported files under folders given."""
    found: list[Path] = []
    for src in sources:
        if not src.exists():
            raise ImportError_(f"{src}: no such file or folder")
        if src.is_file():
            found.append(src)
            continue
        for p in sorted(src.rglob("*")):
            rel = p.relative_to(src).parts
            if (
                p.is_file()
                and not (set(rel[:-1]) & IGNORED_DIRS)
                and p.suffix.lower() in MAP_SUFFIXES | TABLE_SUFFIXES
            ):
                found.append(p)
    if not found:
        raise ImportError_(f"no importable files in {', '.join(map(str, sources))}")
    return found


def _read(path: Path) -> list[SourceTable]:
    suffix = path.suffix.lower()
    if suffix in MAP_SUFFIXES:
        return read_map(path)
    if suffix == ".xlsx":
        return read_xlsx(path, {p.name: p for p in all_profiles()})
    if suffix == ".csv":
        return [read_csv(path)]
    if suffix == ".parquet":
        return [read_parquet(path)]
    raise ImportError_(
        f"{path}: unsupported file type {suffix!r} (expected "
        f"{', '.join(sorted(MAP_SUFFIXES | TABLE_SUFFIXES))})"
    )


def detect_profile(source: SourceTable, forced: str | None = None) -> Profile:
    """The profile whose headers best match the source's, or a clear error."""
    if forced:
        return load_profile(forced)
    if source.geometry is not None:
        return load_profile("map_layer")
    scored = sorted(
        ((p.coverage(source.headers), p.name) for p in all_profiles() if p.name != "map_layer"),
        reverse=True,
    )
    score, name = scored[0]
    if score < MIN_COVERAGE:
        sheet = f", sheet {source.sheet}" if source.sheet else ""
        raise ImportError_(
            f"{source.path}{sheet}: headers match no known layout (best: {name}, "
            f"{score:.0%} of its columns); headers found: {', '.join(source.headers[:8])}"
        )
    return load_profile(name)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _raw_arrow(source: SourceTable, profile: Profile, batch_id: int) -> pa.Table:
    mapping = profile.match(source.headers)
    by_field = {f: h for h, f in mapping.items()}
    n = source.table.num_rows
    cols: dict[str, pa.Array | pa.ChunkedArray] = {
        "batch_id": pa.array([batch_id] * n, pa.int32()),
        "source_file": pa.array([str(source.path)] * n, pa.string()),
    }
    if profile.name in ("field_form", "map_layer"):
        key = "source_layer" if profile.name == "map_layer" else "source_sheet"
        cols[key] = pa.array([source.sheet] * n, pa.string())
    cols["row_no"] = source.table["row_no"]
    for f in profile.fields:
        cols[f] = source.table[by_field[f]] if f in by_field else pa.nulls(n, pa.string())
    if profile.name == "map_layer":
        cols["geom_wkb"] = source.geometry if source.geometry is not None else pa.nulls(n)
    return pa.table(cols)


def import_sources(
    ws: Workspace,
    sources: list[Path],
    profile: str | None = None,
    dry_run: bool = False,
    actor: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import files and folders; rebuild canonical tables; all or nothing."""
    files = discover(sources)
    report = ImportReport(dry_run=dry_run)
    actor = actor or getpass.getuser()
    con = ws.con
    con.execute("BEGIN TRANSACTION")
    try:
        for path in files:
            if progress:
                progress(str(path))
            report.files.extend(_import_file(con, path, profile, actor))
        if not dry_run:
            report.canonical = build_canonical(con)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("ROLLBACK" if dry_run else "COMMIT")
    return report


def _import_file(
    con: duckdb.DuckDBPyConnection, path: Path, forced: str | None, actor: str
) -> list[FileResult]:
    digest = _sha256(path)
    seen = con.execute(
        "SELECT layout FROM import_batch WHERE sha256 = ? LIMIT 1", [digest]
    ).fetchone()
    if seen:
        log.info("%s: already imported (same content), skipped", path)
        return [FileResult(str(path), str(seen[0]), 0, 0, skipped=True)]
    results = []
    for source in _read(path):
        prof = detect_profile(source, forced)
        missing = [f for f in prof.fields if f not in prof.match(source.headers).values()]
        if prof.coverage(source.headers) < MIN_COVERAGE:
            raise ImportError_(
                f"{path}: columns missing for layout {prof.name}: {', '.join(missing[:8])}"
            )
        row = con.execute("SELECT nextval('batch_seq')").fetchone()
        batch_id = int(row[0]) if row else 0
        raw = _raw_arrow(source, prof, batch_id)
        con.register("incoming", raw)
        con.execute(f"INSERT INTO {RAW_TABLE[prof.name]} BY NAME SELECT * FROM incoming")
        con.unregister("incoming")
        quarantined = _quarantine(con, prof, batch_id, str(path))
        con.execute(
            "INSERT INTO import_batch VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?)",
            [
                batch_id,
                str(path) + (f"#{source.sheet}" if source.sheet else ""),
                prof.name,
                digest,
                raw.num_rows,
                quarantined,
                actor,
            ],
        )
        results.append(
            FileResult(str(path), prof.name, raw.num_rows, quarantined, encoding=source.encoding)
        )
    return results


# Rows that cannot be used at all: they stay in the raw table (nothing is lost) and are
# listed in quarantine with the reason; canonical tables skip them.
QUARANTINE_RULES: dict[str, tuple[str, str, str]] = {
    "field_form": (
        "parcel_code",
        "parcel_code IS NULL OR trim(parcel_code) = ''",
        "row has no parcel code (Mã thửa); expected the land-system parcel id",
    ),
    "map_layer": ("geom_wkb", "geom_wkb IS NULL", "feature has no geometry"),
    "registry": (
        "ho_ten",
        "ho_ten IS NULL OR trim(ho_ten) = ''",
        "person has no name; expected the full name",
    ),
    "commune_status": (
        "unit_code",
        "unit_code IS NULL OR NOT regexp_full_match(unit_code, '[0-9]{5}')",
        "expected a 5-digit commune code",
    ),
}


def _quarantine(con: duckdb.DuckDBPyConnection, prof: Profile, batch_id: int, path: str) -> int:
    column, condition, reason = QUARANTINE_RULES[prof.name]
    table = RAW_TABLE[prof.name]
    sheet = "source_sheet" if prof.name == "field_form" else "NULL"
    value = f"CAST({column} AS VARCHAR)" if column != "geom_wkb" else "NULL"
    con.execute(
        f"INSERT INTO quarantine SELECT batch_id, source_file, {sheet}, row_no, ?, {value}, ? "
        f"FROM {table} WHERE batch_id = ? AND ({condition})",
        [prof.header_of(column) if column in prof.fields else column, reason, batch_id],
    )
    row = con.execute("SELECT count(*) FROM quarantine WHERE batch_id = ?", [batch_id]).fetchone()
    return int(row[0]) if row else 0
