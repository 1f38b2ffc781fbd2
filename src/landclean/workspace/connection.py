"""Open and create workspaces: a DuckDB file with a versioned schema.

A workspace opened for writing keeps a status file beside it while open (who holds it:
``landclean.workspace.busy``); opening one another process holds waits up to
``LANDCLEAN_LOCK_WAIT`` seconds, then says who holds it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import duckdb

from landclean import privacy
from landclean.errors import LandcleanError, SettingsProblem, WorkspaceError, first_line
from landclean.settings import current_actor, get_settings
from landclean.vn import sql as vn_sql
from landclean.workspace.admin import load_admin_units
from landclean.workspace.busy import BusyFile, connect_waiting
from landclean.workspace.spatial import load_spatial

log = logging.getLogger(__name__)

MIGRATIONS = (
    "001_init",
    "002_import_layouts",
    "003_geometry_repair",
    "004_canonical_build",
    "005_renumber",
    "006_authenticate",
    "007_campaign",
    "008_tasks",
    "009_certificate_steps",
    "010_stage_tables",
    "011_record_keys",
    "012_worklist_returns",
    "013_incremental",
    "014_record_communes",
    "015_bulk_tables",
    "016_build_delta",
    "017_server",
    "018_review_decisions",
    "019_map",
    "020_lookup_indexes",
    "021_evidence",
    "022_notices",
    "023_exchange",
    "024_exchange_scope_hash",
    "025_exchange_fingerprint_bucket",
    "026_registry_service",
)
SCHEMA_VERSION = len(MIGRATIONS)


def _migration_sql(name: str) -> str:
    return resources.files("landclean.workspace").joinpath(f"migrations/{name}.sql").read_text()


@dataclass
class Workspace:
    """An open workspace.  Use ``transaction()`` for any change: all or nothing."""

    path: Path
    con: duckdb.DuckDBPyConnection
    busy: BusyFile | None = field(default=None, repr=False)  # its status file, if writing

    def doing(self, stage: str | None) -> None:
        """Record in the status file the stage now running (None: between stages)."""
        if self.busy is not None:
            self.busy.stage(stage)

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self.con
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    def scalar(self, sql: str, params: list[object] | None = None) -> object:
        row = self.con.execute(sql, params or []).fetchone()
        return None if row is None else row[0]

    def close(self) -> None:
        try:  # the status file goes first: the workspace is still held meanwhile
            if self.busy is not None:
                self.busy.remove()
                self.busy = None
        finally:
            self.con.close()

    def __enter__(self) -> Workspace:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _connect(
    path: Path, read_only: bool = False, wait: float | None = None
) -> duckdb.DuckDBPyConnection:
    settings = get_settings()
    try:
        con = connect_waiting(path, read_only, settings.lock_wait if wait is None else wait)
    except duckdb.IOException as exc:
        raise WorkspaceError("cannot_open", path=path, reason=first_line(exc)) from exc
    except duckdb.Error as exc:
        raise WorkspaceError("not_duckdb", path=path, reason=first_line(exc)) from exc
    load_spatial(con)
    try:  # DuckDB takes any size, then cannot work within a tiny (or overflowing) one
        con.execute("SET memory_limit = ?", [settings.memory_limit])
        con.execute("SELECT current_setting('memory_limit')").fetchone()
    except duckdb.Error:
        con.close()
        problem = LandcleanError(
            "setting_memory_refused", name="LANDCLEAN_MEMORY_LIMIT", value=settings.memory_limit
        )
        raise SettingsProblem([problem]) from None
    con.execute("SET temp_directory = ?", [str(path) + ".tmp"])
    con.execute("SET preserve_insertion_order = true")
    vn_sql.register(con)  # the Vietnamese domain rules the SQL uses
    privacy.register(con)
    return con


def prepared_cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor of ``con`` (a connection of its own to the same database, for another
    thread) with the macros the SQL uses."""
    cursor = con.cursor()
    vn_sql.register(cursor, functions=False)
    privacy.register(cursor)
    return cursor


def schema_version(con: duckdb.DuckDBPyConnection) -> int | None:
    """The workspace's schema version, or None when the file is not a landclean workspace."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'schema_migration'"
    ).fetchone()
    if not exists or exists[0] == 0:
        return None
    row = con.execute("SELECT max(version) FROM schema_migration").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


def _migrate(con: duckdb.DuckDBPyConnection, current: int) -> None:
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(
            "CREATE TABLE IF NOT EXISTS schema_migration ("
            " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL,"
            " applied_by VARCHAR NOT NULL)"
        )
        for version, name in enumerate(MIGRATIONS, start=1):
            if version <= current:
                continue
            log.info("applying migration %s", name)
            con.execute(_migration_sql(name))
            con.execute(
                "INSERT INTO schema_migration VALUES (?, ?, now()::TIMESTAMP, ?)",
                [version, name, current_actor()],
            )
        if current == 0:
            load_admin_units(con)
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def create_workspace(path: Path | str) -> Workspace:
    """Create a new workspace file with the current schema and the administrative units."""
    path = Path(path)
    if path.exists():
        raise WorkspaceError("workspace_exists", path=path)
    if not path.parent.exists():
        raise WorkspaceError("no_folder", path=path.parent)
    try:
        con = _connect(path)
    except SettingsProblem:  # DuckDB made the file, then refused the memory limit
        path.unlink(missing_ok=True)
        raise
    ws = Workspace(path, con, BusyFile.claim(path))
    try:
        _migrate(con, 0)
    except BaseException:
        ws.close()
        path.unlink(missing_ok=True)
        Path(str(path) + ".wal").unlink(missing_ok=True)
        raise
    return ws


def open_workspace(
    path: Path | str, read_only: bool = False, wait: float | None = None
) -> Workspace:
    """Open an existing workspace; older schemas are migrated, newer ones refused.

    While another process holds it, wait up to ``wait`` seconds (``LANDCLEAN_LOCK_WAIT``
    by default), then raise ``WorkspaceBusy`` saying who holds it."""
    path = Path(path)
    if not path.exists():
        raise WorkspaceError("no_workspace", path=path)
    con = _connect(path, read_only=read_only, wait=wait)
    version = schema_version(con)
    if version is None:
        con.close()
        raise WorkspaceError("not_workspace", path=path)
    if version > SCHEMA_VERSION:
        con.close()
        raise WorkspaceError("newer_schema", path=path, version=version, supported=SCHEMA_VERSION)
    if version < SCHEMA_VERSION and read_only:
        con.close()
        raise WorkspaceError("needs_migration", path=path, version=version)
    ws = Workspace(path, con, None if read_only else BusyFile.claim(path))
    if version < SCHEMA_VERSION:
        try:
            _migrate(con, version)
        except BaseException:
            ws.close()
            raise
    return ws
