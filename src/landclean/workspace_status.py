"""What a workspace holds: rows per table, the last run, the imports waiting (``status``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from landclean.ingest.build import waiting_batches
from landclean.workspace import Workspace
from landclean.workspace.connection import SCHEMA_VERSION, schema_version

# The tables `landclean status` counts, in the order shown (labels: section "tables").
COUNTED = (
    "admin_unit",
    "admin_unit_old",
    "admin_crosswalk",
    "import_batch",
    "raw_parcel_record",
    "raw_map_feature",
    "raw_registry",
    "quarantine",
    "parcel",
    "map_sheet",
    "party",
    "land_right",
    "certificate",
    "asset",
    "registry_person",
    "parcel_place",
    "standardized_value",
    "finding",
    "auth_result",
    "pipeline_run",
    "change_log",
    "import_change",
    "correction",
    "import_conflict",
)


@dataclass
class RunRecord:
    """One pipeline run as recorded."""

    run_id: int
    started: dt.datetime
    actor: str
    stages: list[str]
    error: str | None  # the stage that failed and why


@dataclass
class Status:
    path: str
    schema_version: int
    counts: dict[str, int]  # rows per table of COUNTED
    last_run: RunRecord | None
    pending_batches: int = 0


def last_run(ws: Workspace) -> RunRecord | None:
    row = ws.con.execute(
        "SELECT run_id, started_at, actor, stages, error FROM pipeline_run "
        "ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    return RunRecord(int(row[0]), row[1], str(row[2]), str(row[3]).split(","), row[4])


def workspace_status(ws: Workspace) -> Status:
    counts = {}
    for table in COUNTED:
        value = ws.scalar(f"SELECT count(*) FROM {table}")
        counts[table] = int(value) if isinstance(value, int) else 0
    return Status(
        str(ws.path),
        schema_version(ws.con) or SCHEMA_VERSION,
        counts,
        last_run(ws),
        waiting_batches(ws.con),
    )
