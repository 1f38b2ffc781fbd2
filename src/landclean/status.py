"""What a workspace holds, for ``landclean status``."""

from __future__ import annotations

from dataclasses import dataclass

from landclean.ingest.canonical import pending_batches
from landclean.workspace import Workspace
from landclean.workspace.connection import SCHEMA_VERSION, schema_version

COUNTED = (
    ("admin_unit", "new communes/wards"),
    ("admin_unit_old", "old communes"),
    ("admin_crosswalk", "old→new links"),
    ("import_batch", "imported files/sheets"),
    ("raw_parcel_record", "raw parcel records"),
    ("raw_map_feature", "raw map features"),
    ("raw_registry", "raw registry rows"),
    ("quarantine", "quarantined rows"),
    ("parcel", "parcels"),
    ("map_sheet", "map sheets"),
    ("party", "parties"),
    ("land_right", "rights"),
    ("certificate", "certificates"),
    ("asset", "assets"),
    ("registry_person", "registry people"),
    ("finding", "findings"),
    ("auth_result", "authenticated users"),
    ("pipeline_run", "pipeline runs"),
    ("change_log", "change-log entries"),
    ("import_change", "changes from newer exports"),
    ("correction", "corrections by people"),
    ("import_conflict", "conflicts to decide"),
)


@dataclass
class Status:
    path: str
    schema_version: int
    counts: dict[str, tuple[str, int]]
    last_run: str | None
    pending_batches: int = 0


def workspace_status(ws: Workspace) -> Status:
    counts = {}
    for table, label in COUNTED:
        value = ws.scalar(f"SELECT count(*) FROM {table}")
        counts[table] = (label, int(value) if isinstance(value, int) else 0)
    last = ws.con.execute(
        "SELECT run_id, strftime(started_at, '%d/%m/%Y %H:%M'), actor, stages FROM pipeline_run "
        "ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    last_run = f"run {last[0]} on {last[1]} by {last[2]} ({last[3]})" if last else None
    pending, _ = pending_batches(ws.con)
    return Status(
        str(ws.path), schema_version(ws.con) or SCHEMA_VERSION, counts, last_run, len(pending)
    )
