"""Jobs started from the campaign server: imports, pipeline runs, reports, re-checks.

Queued in the ``job`` table with who asked and when, done one at a time (``next_job``,
then ``execute``), their progress written as they go.  A queued job is cancelled at
once; a running one stops at its next progress step (``JobCancelled``), and the stage it
was in leaves the workspace as it was.  ``recheck`` is the incremental run after edits:
one is queued at most, however many edits ask for it.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
import shutil
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import duckdb

from landclean.errors import LandcleanError
from landclean.workspace import Workspace

KINDS = ("run", "report", "import", "recheck")


class JobCancelled(Exception):
    """A running job was asked to stop (``by``: who asked)."""

    def __init__(self, by: str) -> None:
        self.by = by
        super().__init__(f"cancelled by {by}")


@dataclass(frozen=True)
class Job:
    job_id: int
    kind: str
    params: dict[str, Any]
    requested_by: str


JOBS = """
SELECT job_id, kind, params, state, requested_by,
       strftime(requested_at, '%d/%m/%Y %H:%M:%S') AS requested_at,
       strftime(started_at, '%d/%m/%Y %H:%M:%S') AS started_at,
       strftime(finished_at, '%d/%m/%Y %H:%M:%S') AS finished_at,
       progress, message, cancel_by
FROM job {where} ORDER BY job_id DESC LIMIT {limit}
"""


def _rows(cur: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def enqueue(con: duckdb.DuckDBPyConnection, kind: str, params: dict[str, Any], *, by: str) -> int:
    """Queue a job; a re-check already queued is reused.  Returns its id."""
    if kind not in KINDS:
        raise LandcleanError("bad_job_kind", kind=kind, kinds=", ".join(KINDS))
    if kind == "recheck":
        row = con.execute(
            "SELECT job_id FROM job WHERE kind = 'recheck' AND state = 'queued' LIMIT 1"
        ).fetchone()
        if row is not None:
            return int(row[0])
    row = con.execute(
        "INSERT INTO job (kind, params, state, requested_by, requested_at) "
        "VALUES (?, ?, 'queued', ?, now()::TIMESTAMP) RETURNING job_id",
        [kind, json.dumps(params, ensure_ascii=False), by],
    ).fetchone()
    assert row is not None
    return int(row[0])


def list_jobs(con: duckdb.DuckDBPyConnection, limit: int = 50) -> list[dict[str, Any]]:
    return _rows(con.execute(JOBS.format(where="", limit=int(limit))))


def get_job(con: duckdb.DuckDBPyConnection, job_id: int) -> dict[str, Any] | None:
    rows = _rows(con.execute(JOBS.format(where="WHERE job_id = ?", limit=1), [job_id]))
    return rows[0] if rows else None


def pending(con: duckdb.DuckDBPyConnection) -> int:
    """Jobs queued or running."""
    row = con.execute("SELECT count(*) FROM job WHERE state IN ('queued', 'running')").fetchone()
    return int(row[0]) if row else 0


def next_job(con: duckdb.DuckDBPyConnection) -> Job | None:
    """The oldest queued job, now marked running; None when none waits."""
    row = con.execute(
        "UPDATE job SET state = 'running', started_at = now()::TIMESTAMP WHERE job_id = "
        "(SELECT min(job_id) FROM job WHERE state = 'queued') "
        "RETURNING job_id, kind, params, requested_by"
    ).fetchone()
    if row is None:
        return None
    return Job(int(row[0]), str(row[1]), json.loads(row[2]), str(row[3]))


def progress(con: duckdb.DuckDBPyConnection, job_id: int, text: str) -> None:
    """Write the job's progress; raises JobCancelled when someone asked it to stop."""
    row = con.execute(
        "UPDATE job SET progress = ? WHERE job_id = ? RETURNING cancel_by", [text[:500], job_id]
    ).fetchone()
    if row is not None and row[0] is not None:
        raise JobCancelled(str(row[0]))


def finish(con: duckdb.DuckDBPyConnection, job_id: int, state: str, message: str) -> None:
    con.execute(
        "UPDATE job SET state = ?, finished_at = now()::TIMESTAMP, message = ? WHERE job_id = ?",
        [state, message[:2000], job_id],
    )


def cancel(con: duckdb.DuckDBPyConnection, job_id: int, *, by: str) -> str:
    """Cancel a queued job at once, or ask a running one to stop; returns its state."""
    row = con.execute("SELECT state FROM job WHERE job_id = ?", [job_id]).fetchone()
    if row is None:
        raise LandcleanError("no_job", job=job_id)
    if row[0] == "queued":
        con.execute(
            "UPDATE job SET state = 'cancelled', cancel_by = ?, finished_at = now()::TIMESTAMP "
            "WHERE job_id = ?",
            [by, job_id],
        )
        return "cancelled"
    if row[0] == "running":
        con.execute("UPDATE job SET cancel_by = ? WHERE job_id = ?", [by, job_id])
    return str(row[0])


def abandon_running(con: duckdb.DuckDBPyConnection) -> int:
    """Jobs a stopped server left running are marked failed (at the next start)."""
    row = con.execute(
        "UPDATE job SET state = 'failed', finished_at = now()::TIMESTAMP, "
        "message = 'server stopped' WHERE state = 'running' RETURNING job_id"
    ).fetchall()
    return len(row)


def inside(folder: Path, given: str) -> Path:
    """``given`` as a path inside ``folder`` (an import's files); refused otherwise."""
    path = (folder / given).resolve()
    if not path.is_relative_to(folder.resolve()):
        raise LandcleanError("outside_import_folder", path=given, folder=folder)
    if not path.exists():
        raise LandcleanError("no_file", path=given)
    return path


UPLOADS = "uploads"  # where the browser's files land, inside the import folder
MAX_UPLOAD = 4 << 30  # bytes per file
_CHUNK = 1 << 20


def upload_name(name: str) -> str:
    """A browser's file name as a plain file name: its last part (either slash), NFC,
    no control characters; refused when nothing is left."""
    base = unicodedata.normalize("NFC", re.split(r"[/\\]", name or "")[-1])
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip(" .")
    if not base:
        raise LandcleanError("upload_no_name", name=name)
    return base[:200]


def save_upload(
    folder: Path, by: str, files: list[tuple[str, BinaryIO]], max_bytes: int = MAX_UPLOAD
) -> list[str]:
    """Files sent from a browser, kept byte for byte in a folder of their own inside the
    import folder (``uploads/DATE-TIME-LOGIN-N``): their paths relative to ``folder``,
    for an import job.  Nothing is kept when one of them is refused (no name, too big)."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    login = re.sub(r"[^A-Za-z0-9_.-]", "_", by)[:40]
    target = folder / UPLOADS / f"{stamp}-{login}-{secrets.token_hex(3)}"
    names = [upload_name(name) for name, _ in files]
    if len(set(names)) != len(names):
        raise LandcleanError("upload_same_name")
    target.mkdir(parents=True)
    try:
        for name, (_, source) in zip(names, files, strict=True):
            size = 0
            with (target / name).open("xb") as out:
                while chunk := source.read(_CHUNK):
                    size += len(chunk)
                    if size > max_bytes:
                        raise LandcleanError("upload_too_big", name=name, limit=max_bytes)
                    out.write(chunk)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
    return [str((target / n).relative_to(folder)) for n in names]


def execute(ws: Workspace, job: Job, *, imports: Path, reports: Path, step: Any) -> str:
    """Do ``job`` on ``ws`` (``step(text)``: its progress, raising JobCancelled to stop);
    returns what it did, in one line."""
    from landclean import api

    if job.kind in ("run", "recheck"):
        ran = api.run(ws, actor=job.requested_by, progress=step, full=bool(job.params.get("full")))
        return ", ".join(f"{r.stage} {r.seconds:.1f} s" for r in ran.stages) or "-"
    if job.kind == "report":
        out = reports / f"job-{job.job_id}"
        out.mkdir(parents=True, exist_ok=True)
        written = api.report(ws, out, lang=job.params.get("lang"))
        return f"{len(written.files)} files in {out}"
    paths = [inside(imports, str(p)) for p in job.params.get("paths", [])]
    if not paths:
        raise LandcleanError("no_import_paths")
    result = api.import_sources(ws, paths, actor=job.requested_by, progress=step)
    return f"{len(result.files)} files, {result.rows} rows"
