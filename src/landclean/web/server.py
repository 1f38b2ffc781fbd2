"""The one process that owns a served workspace: its connection, its job worker.

DuckDB lets one process open a workspace for writing.  The server opens it once; each
request works on a cursor of its own (``view``: a ``Workspace`` over that cursor, so the
library's functions run unchanged), and jobs run one at a time in a worker thread with a
cursor of their own.  A write that collides with a concurrent one (DuckDB's
optimistic concurrency) is tried again (``write``); a job's long transactions never
block readers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import duckdb

from landclean import jobs
from landclean.accounts.sessions import signing_key
from landclean.campaign.summary import Summary
from landclean.errors import LandcleanError
from landclean.maps.tiles import TileCache
from landclean.settings import Settings, get_settings
from landclean.workspace import Workspace, open_workspace
from landclean.workspace.busy import BusyFile
from landclean.workspace.connection import prepared_cursor

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRIES = 8
SUMMARY_EVERY = 60.0  # seconds between the figures' refreshes after re-checks
JOB_NICE = 5  # the jobs' thread yields to requests (a third of a request's share of a core)


def _again(write: Callable[[], None]) -> None:
    """A write to the job's row, again when a request (a cancel) wrote it meanwhile."""
    for attempt in range(RETRIES):
        try:
            write()
            return
        except duckdb.TransactionException:
            if attempt == RETRIES - 1:
                raise
            time.sleep(0.02 * (2**attempt))


class Server:
    """A served workspace: ``view()`` per request, ``write()`` for changes, the worker."""

    def __init__(
        self,
        path: Path,
        *,
        url: str,
        imports: Path | None = None,
        reports: Path | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.path = Path(path)
        self.settings = settings or get_settings()
        self.ws = open_workspace(self.path, wait=0)
        if self.ws.busy is not None:  # say in the status file that the server holds it
            self.ws.busy.remove()
        self.ws.busy = BusyFile.claim(self.path, "serve", url)
        self.url = url
        self.imports = imports or self.path.parent
        self.reports = reports or self.path.parent / (self.path.stem + "-reports")
        # Every query on the thread that asks for it: requests then share the cores
        # among themselves and with the job, whose thread yields to them (``_work``),
        # instead of queueing behind the job's tasks in DuckDB's own pool.
        self.ws.con.execute("SET threads = 1")
        with self.ws.transaction() as con:
            self.key = signing_key(con)
            abandoned = jobs.abandon_running(con)
        if abandoned:
            log.warning("%d job(s) left running by a stopped server marked failed", abandoned)
        self._idle: queue.SimpleQueue[duckdb.DuckDBPyConnection] = queue.SimpleQueue()
        self._summary: Summary | None = None
        self.tiles = TileCache()  # the map's tiles served, dropped when a run changes them
        self._summary_at = 0.0
        self._job_cursor: duckdb.DuckDBPyConnection | None = None
        self._summary_lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._worker: threading.Thread | None = None

    # -- connections ------------------------------------------------------------------
    @contextlib.contextmanager
    def view(self) -> Iterator[Workspace]:
        """A workspace over a cursor of its own, for one request or one job (cursors are
        kept for the next request: each has the SQL's macros)."""
        try:
            cursor = self._idle.get_nowait()
        except queue.Empty:
            cursor = prepared_cursor(self.ws.con)
        try:
            yield Workspace(self.path, cursor, None)
        except BaseException:
            cursor.close()  # (a failed request's cursor is not reused)
            raise
        self._idle.put(cursor)

    def write(self, work: Callable[[Workspace], T]) -> T:
        """Run ``work`` (which opens its own transactions), again when DuckDB reports a
        conflict with a concurrent writer; LandcleanError passes through at once."""
        for attempt in range(RETRIES):
            with self.view() as ws:
                try:
                    result = work(ws)
                except duckdb.TransactionException as exc:
                    if attempt == RETRIES - 1:
                        raise
                    log.info("write conflict, trying again: %s", str(exc).splitlines()[0])
                    time.sleep(0.02 * (2**attempt))
                    continue
            return result
        raise AssertionError("unreachable")

    def _compute_summary(self) -> Summary:
        from landclean import api

        with self.view() as ws:
            return api.summary(ws, settings=self.settings)

    def refresh_tiles(self) -> None:
        """Drop the cached tiles the map stage's runs since changed."""
        with self.view() as ws:
            self.tiles.refresh(ws.con)

    def refresh_summary(self) -> None:
        """Compute the dashboard's figures again (after a job: the figures are the
        pipeline's, so a correction shows in them once its re-check has run); pages
        read the previous figures meanwhile."""
        fresh = self._compute_summary()
        with self._summary_lock:
            self._summary = fresh
            self._summary_at = time.monotonic()

    def summary(self) -> Summary:
        """summary.json as of the last job (computed on first use)."""
        with self._summary_lock:
            if self._summary is None:
                self._summary = self._compute_summary()
                self._summary_at = time.monotonic()
            return self._summary

    # -- jobs -------------------------------------------------------------------------
    def start(self) -> None:
        """Compute the dashboard's figures (before the first page asks: seconds at the
        scale of a province), then start the jobs' worker."""
        try:
            self.refresh_summary()
        except Exception:  # (a workspace not run yet: the first page computes them)
            log.exception("dashboard figures not computed at start")
        self.refresh_tiles()
        self._worker = threading.Thread(target=self._work, name="landclean-jobs", daemon=True)
        self._worker.start()

    def wake(self) -> None:
        self._wake.set()

    def _work(self) -> None:
        with contextlib.suppress(AttributeError, OSError):  # (Linux: a thread's own nice)
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), JOB_NICE)
        while not self._stop.is_set():
            with self.view() as ws:
                job = jobs.next_job(ws.con)
            if job is None:
                self._wake.wait(1.0)
                self._wake.clear()
                continue
            self._do(job)

    def _do(self, job: jobs.Job) -> None:
        with self.view() as ws, self.view() as side:
            self._job_cursor = ws.con

            def step(text: str) -> None:
                if self._stop.is_set():
                    raise jobs.JobCancelled("server stopping")
                _again(lambda: jobs.progress(side.con, job.job_id, text))

            try:
                message = jobs.execute(
                    ws, job, imports=self.imports, reports=self.reports, step=step
                )
                state = "done"
            except jobs.JobCancelled as exc:
                state, message = "cancelled", str(exc)
            except LandcleanError as exc:
                state, message = "failed", exc.text(self.settings.lang)
            except Exception as exc:  # a job's failure is the job's, never the server's
                log.exception("job %s failed", job.job_id)
                state, message = "failed", f"{type(exc).__name__}: {exc}"
            self._job_cursor = None
            if self._stop.is_set() and state == "failed":
                message = f"server stopped: {message}"
            _again(lambda: jobs.finish(side.con, job.job_id, state, message))
        if self._stop.is_set():
            return
        try:
            self.refresh_tiles()
        except Exception:  # the cache is emptied instead: no stale tile is served
            log.exception("map tiles' cache not brought up to date")
            self.tiles = TileCache(self.tiles.budget)
        # a re-check follows every few edits: its figures are taken at most once a minute
        if job.kind != "recheck" or time.monotonic() - self._summary_at > SUMMARY_EVERY:
            try:
                self.refresh_summary()
            except Exception:  # the figures stay as they were; the next job tries again
                log.exception("dashboard figures not brought up to date")

    def close(self) -> None:
        """Stop: a running job is interrupted (its stage leaves its tables as they were,
        the job is recorded as stopped), then the workspace is closed."""
        self._stop.set()
        self._wake.set()
        # interrupted again until the worker is done: a stage that isolates its parts'
        # failures (the validate stage's rules) would otherwise go on with the next part
        deadline = time.monotonic() + 120
        while self._worker is not None and self._worker.is_alive():
            running = self._job_cursor
            if running is not None:
                with contextlib.suppress(duckdb.Error):
                    running.interrupt()
            if time.monotonic() > deadline:
                break
            self._worker.join(timeout=0.5)
        while True:
            try:
                self._idle.get_nowait().close()
            except queue.Empty:
                break
        self.ws.close()
