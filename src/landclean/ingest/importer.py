"""Import source files into the workspace: raw tables with lineage and the change set.

All files of one ``import`` call are written in one transaction: if any file cannot be
read, nothing is written.  A file whose content (SHA-256) was imported before is
skipped.  A newer export of records already held produces a change set (added, changed,
removed).  The canonical tables are the build stage's (``ingest.build``): the next run
takes the new batches in.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from landclean.errors import ImportError_, first_line
from landclean.ingest.accounting import KEYED_TARGETS, PART_COLUMN, account, quarantine_rows
from landclean.ingest.changes import record_changes, record_listed_removals, record_removals
from landclean.ingest.detect import detect_profile
from landclean.ingest.keys import commune_code_warnings, keyed_select
from landclean.ingest.profiles import (
    Profile,
    all_profiles,
    load_profile,
)
from landclean.ingest.reading import read_sources
from landclean.ingest.sources import (
    MAP_SUFFIXES,
    TABLE_SUFFIXES,
    Source,
    temp_workdir,
)
from landclean.settings import current_actor
from landclean.workspace import Workspace

log = logging.getLogger(__name__)

IGNORED_DIRS = {"truth", "evidence"}  # the generator's truth; documents (`evidence add`)


@dataclass
class FileResult:
    path: str
    part: str | None
    layout: str
    rows: int
    quarantined: int
    skipped: bool = False
    encoding: str | None = None
    changes: dict[str, int] = field(default_factory=dict)
    batch_id: int | None = None
    blank: int = 0  # rows without any cell, skipped
    records: int = 0  # distinct records the rows became
    merged: int = 0  # rows merged into a record an earlier row of the file began
    warnings: list[tuple[str, dict[str, object]]] = field(default_factory=list)


@dataclass
class ImportReport:
    files: list[FileResult] = field(default_factory=list)
    canonical: dict[str, int] = field(default_factory=dict)
    conflicts: int = 0
    removed: int = 0
    dry_run: bool = False
    built: bool = False  # the canonical tables were rebuilt after this import

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files if not f.skipped)


def _in_package(path: Path, root: Path) -> bool:
    """Whether a file lies in an exchange package's folder (under ``root``) and is not
    its GML: the package's GeoPackage and Parquet files repeat the GML."""
    if path.suffix.lower() == ".gml":
        return False
    for folder in [path.parent, *path.parent.parents]:
        manifest = folder / "manifest.json"
        if manifest.is_file() and b"landclean-exchange" in manifest.read_bytes()[:200]:
            return True
        if folder == root:
            return False
    return False


def discover(sources: list[Path]) -> list[Path]:
    """Files to import: the files given, and supported files under folders given (of an
    exchange package, its GML only)."""
    found: list[Path] = []
    for src in sources:
        if not src.exists():
            raise ImportError_("no_source", path=src)
        if src.is_file():
            found.append(src)
            continue
        for p in sorted(src.rglob("*")):
            rel = p.relative_to(src).parts
            # in folders, plain .json files are metadata, not maps (GeoJSON: .geojson)
            if (
                p.is_file()
                and not (set(rel[:-1]) & IGNORED_DIRS)
                and p.suffix.lower() in (MAP_SUFFIXES | TABLE_SUFFIXES) - {".json"}
                and not _in_package(p, src)
            ):
                found.append(p)
    if not found:
        raise ImportError_("nothing_to_import", paths=", ".join(map(str, sources)))
    return found


def sha256_of(path: Path) -> str:
    """The hash of a file's bytes (read a MiB at a time)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _table_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]
    ).fetchall()
    return {r[0] for r in rows}


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _insert_raw(
    con: duckdb.DuckDBPyConnection, source: Source, profile: Profile, batch_id: int
) -> None:
    """The source's rows into the profile's raw table: mapped cells as read, the others
    kept in ``extra``, rows without any cell left out (counted as blank), and the record
    keys added (``ingest.keys``)."""
    mapping = profile.match(source.headers)
    unknown = set(mapping.values()) - _table_columns(con, profile.table)
    if unknown:
        raise ImportError_(
            "profile_fields",
            profile=profile.name,
            source=profile.source,
            table=profile.table,
            fields=", ".join(sorted(unknown)),
        )
    cells = ["row_no", *(f"c{i} AS {f}" for i, f in mapping.items())]
    unmapped = [i for i in range(len(source.headers)) if i not in mapping]
    if unmapped:
        pairs = ", ".join(f"{_literal(source.headers[i])}, c{i}" for i in unmapped)
        any_value = " OR ".join(f"c{i} IS NOT NULL" for i in unmapped)
        cells.append(f"CASE WHEN {any_value} THEN json_object({pairs}) END AS extra")
    else:
        cells.append("NULL::JSON AS extra")
    if source.is_map:
        cells.append("geom_wkb")
        where = ""  # a feature is a feature, attributes or not (its geometry is checked)
    else:
        used = " OR ".join(f"lc_text(c{i}) IS NOT NULL" for i in range(len(source.headers)))
        where = f"WHERE {used}" if used else ""
    select = f"WITH s AS (SELECT {', '.join(cells)} FROM {source.table} {where}) "
    targets = ["batch_id", "source_file", "profile", "row_no", "extra", *mapping.values()]
    values = [str(batch_id), _literal(str(source.path)), _literal(profile.name)]
    values += ["row_no", "extra", *mapping.values()]
    if profile.target in PART_COLUMN:
        targets.append(PART_COLUMN[profile.target])
        values.append(_literal(source.part) if source.part is not None else "NULL")
    if source.is_map:
        targets.append("geom_wkb")
        values.append("geom_wkb")
    if profile.target in KEYED_TARGETS:
        owners = profile.target == "parcel_record"
        select += keyed_select(profile, set(mapping.values()), owners).sql
        targets += ["record_key", "key_commune", "key_problem"]
        values += ["record_key", "key_commune", "key_problem"]
        if owners:
            keys = ["owner_key", "spouse_key", "owner3_key", "owner4_key"]
            targets += keys
            values += keys
    else:
        select += "SELECT * FROM s"
    con.execute(
        f"INSERT INTO {profile.table} ({', '.join(targets)}) "
        f"SELECT {', '.join(values)} FROM ({select})"
    )


def _insert_stream(
    con: duckdb.DuckDBPyConnection, source: Source, profile: Profile, batch_id: int
) -> None:
    """A map layer: its features go from GDAL straight into the raw table."""
    assert source.stream is not None
    reader = source.stream()
    con.register(source.table, reader)
    try:
        _insert_raw(con, source, profile, batch_id)
    except duckdb.Error as exc:
        if source.failures:  # the stream's own error, not DuckDB's wording of it
            raise source.failures[0] from exc
        message = first_line(exc)
        if str(source.path) in message:  # GDAL names the file: from there on
            message = message[message.index(str(source.path)) + len(str(source.path)) :]
        raise ImportError_(
            "unreadable_layer", path=source.path, layer=source.part, reason=message.strip(": ")
        ) from exc
    finally:
        con.unregister(source.table)
        reader.close()
    row = con.execute(
        f"SELECT count(*) FROM {profile.table} WHERE batch_id = ?", [batch_id]
    ).fetchone()
    read = int(row[0]) if row else 0
    if read != source.rows:  # GDAL ends a damaged file's features early, without an error
        raise ImportError_(
            "layer_short", path=source.path, layer=source.part, read=read, total=source.rows
        )


def import_files(
    ws: Workspace,
    sources: list[Path],
    profile: str | None = None,
    dry_run: bool = False,
    actor: str | None = None,
    progress: Callable[[str], None] | None = None,
    profile_dirs: list[Path] | None = None,
) -> ImportReport:
    """Import files and folders: raw rows with lineage and the change set; all or nothing.

    Every file is read first (into temporary tables, outside any transaction, so that
    DuckDB's readers may retry); only when all could be read is anything written, in
    one transaction.  The canonical tables are rebuilt by the build stage of the next
    pipeline run, once for all the batches imported meanwhile.
    """
    files = discover(sources)
    profiles = all_profiles(profile_dirs)
    forced = load_profile(profile, profile_dirs) if profile else None
    report = ImportReport(dry_run=dry_run)
    actor = current_actor(actor)
    con = ws.con
    staged: list[tuple[Path, str, list[Source]]] = []
    pool = ThreadPoolExecutor(max_workers=2)  # files are hashed two at a time
    hashes = {path: pool.submit(sha256_of, path) for path in files}
    try:
        fresh: list[Path] = []
        digests: dict[Path, str] = {}
        for path in files:
            digest = hashes[path].result()
            seen = con.execute(
                "SELECT layout FROM import_batch WHERE sha256 = ? LIMIT 1", [digest]
            ).fetchone()
            if seen:
                log.info("%s: already imported (same content), skipped", path)
                report.files.append(FileResult(str(path), None, str(seen[0]), 0, 0, skipped=True))
                continue
            fresh.append(path)
            digests[path] = digest
        with temp_workdir() as tmp:
            before = (lambda path: progress(f"reading {path.name}")) if progress else None
            for path, read in read_sources(con, fresh, profiles, Path(tmp), before):
                staged.append((path, digests[path], read))
        plan = [
            (path, digest, source, detect_profile(source, profiles, forced))
            for path, digest, sources in staged
            for source in sources
        ]
        con.execute("BEGIN TRANSACTION")
        try:
            retired: dict[int, list[str]] = {}  # batch -> the parcels a package retires
            for path, digest, source, prof in plan:
                if progress:
                    progress(f"writing {path.name}")
                written_file = _write_source(con, path, digest, source, prof, actor)
                report.files.append(written_file)
                if source.retired is not None and written_file.batch_id is not None:
                    retired[written_file.batch_id] = source.retired
            written = [
                (f.batch_id, prof.target)
                for f, (_, _, _, prof) in zip(
                    [f for f in report.files if not f.skipped], plan, strict=True
                )
            ]
            by_batch = {f.batch_id: f for f in report.files if f.batch_id is not None}
            for target in sorted({t for _, t in written}):
                batches = [b for b, t in written if t == target and b is not None]
                for batch, counts in record_changes(con, target, batches).items():
                    by_batch[batch].changes = counts
                listed = {b: r for b, r in retired.items() if b in batches}
                scoped = [b for b in batches if b not in listed]
                report.removed += record_removals(con, target, scoped)
                for batch, uuids in listed.items():
                    report.removed += record_listed_removals(con, target, batch, uuids)
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise ImportError_("import_failed", reason=first_line(exc)) from exc
        except BaseException:
            con.execute("ROLLBACK")
            raise
        con.execute("ROLLBACK" if dry_run else "COMMIT")
    finally:
        pool.shutdown(cancel_futures=True)
        for _, _, staged_sources in staged:
            for staged_source in staged_sources:
                if staged_source.stream is None:
                    con.execute(f"DROP TABLE IF EXISTS {staged_source.table}")
    return report


def _write_source(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    digest: str,
    source: Source,
    prof: Profile,
    actor: str,
) -> FileResult:
    row = con.execute("SELECT nextval('batch_seq')").fetchone()
    batch_id = int(row[0]) if row else 0
    if source.stream is None:
        _insert_raw(con, source, prof, batch_id)
    else:
        _insert_stream(con, source, prof, batch_id)
    found = set(prof.match(source.headers).values())
    quarantined = quarantine_rows(con, prof, batch_id, found)
    accounting = account(con, prof, batch_id, source.rows, quarantined)
    # a package's commune codes are its parcels' old communes by definition
    checked = _warnings(con, prof, batch_id, found) if source.retired is None else []
    warnings = [*source.warnings, *checked]
    if accounting.records == 0 and quarantined == 0:  # headers, and nothing under them
        warnings.insert(0, ("no_data_rows", {"blank": accounting.blank}))
    con.execute(
        "INSERT INTO import_batch (batch_id, source_path, layout, sha256, rows_read, "
        "rows_quarantined, imported_at, imported_by, encoding, rows_blank, records, "
        "rows_merged, warnings) "
        "VALUES (?, ?, ?, ?, ?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?, ?)",
        [
            batch_id,
            str(path) + (f"#{source.part}" if source.part else ""),
            prof.name,
            digest,
            source.rows,
            quarantined,
            actor,
            source.encoding,
            accounting.blank,
            accounting.records,
            accounting.merged,
            json.dumps([{"key": k, "values": v} for k, v in warnings], ensure_ascii=False),
        ],
    )
    return FileResult(
        str(path),
        source.part,
        prof.name,
        source.rows,
        quarantined,
        encoding=source.encoding,
        batch_id=batch_id,
        blank=accounting.blank,
        records=accounting.records,
        merged=accounting.merged,
        warnings=warnings,
    )


def _warnings(
    con: duckdb.DuckDBPyConnection, prof: Profile, batch_id: int, found: set[str]
) -> list[tuple[str, dict[str, object]]]:
    """What the importer noticed about a file that a person should check."""
    key = prof.parcel_key
    commune = key.commune_in(found) if key is not None else None
    if commune is None or prof.target not in KEYED_TARGETS:
        return []
    return commune_code_warnings(con, prof.table, batch_id, commune)
