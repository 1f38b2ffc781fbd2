"""Who holds a workspace: a small status file beside it while a command writes to it.

DuckDB lets one process at a time write a database file, and nobody read it meanwhile.
A command that opens a workspace for writing keeps ``<workspace>.busy.json`` beside it
(who, which process on which host, which command, since when, and the pipeline's current
stage) and removes it when it closes the workspace, on error too.  The file is written
whole (a temporary file in the same folder, then renamed), so a reader never sees half
of it.  A command that finds the workspace locked waits up to ``LANDCLEAN_LOCK_WAIT``
seconds, then says in one line who holds it (``WorkspaceBusy``); ``landclean status``
answers from the file.  A file whose process is gone (it crashed or was killed) is
ignored, and replaced by the next command that writes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import re
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import duckdb

from landclean.errors import WorkspaceError
from landclean.labels import label
from landclean.settings import current_actor

log = logging.getLogger(__name__)

SUFFIX = ".busy.json"
# DuckDB's words for a file another process holds (POSIX; Windows, whose own part of the
# message is in the system's language)
LOCKED = ("Could not set lock", "Conflicting lock", "File is already open in")
_COMMAND: ContextVar[str | None] = ContextVar("landclean_command", default=None)


@contextlib.contextmanager
def doing(command: str) -> Iterator[None]:
    """Name the command whose workspaces are opened meanwhile (``run``, ``import``)."""
    token = _COMMAND.set(command)
    try:
        yield
    finally:
        _COMMAND.reset(token)


def busy_path(workspace: Path | str) -> Path:
    """The status file of ``workspace``: ``dak_lak.duckdb.busy.json``."""
    return Path(str(workspace) + SUFFIX)


@dataclass(frozen=True)
class Holder:
    """A command holding a workspace, as its status file says."""

    actor: str
    pid: int
    host: str
    command: str
    started: dt.datetime  # local time, with its offset
    stage: str | None = None  # the pipeline's stage now running, if any
    token: str = ""  # this holder's own mark: it removes only its own file
    url: str | None = None  # the campaign server's address, when ``serve`` holds it

    @property
    def since(self) -> str:
        """When it started, as people write it: DD/MM/YYYY HH:MM."""
        return f"{self.started.astimezone():%d/%m/%Y %H:%M}"


def _alive(pid: int) -> bool:
    """Whether process ``pid`` of this host still runs."""
    if pid <= 0:
        return False
    if pid == os.getpid():
        return True
    if sys.platform == "win32":  # os.kill(pid, 0) would end the process there
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # query limited information
        if not handle:
            return bool(kernel32.GetLastError() == 5)  # access denied: it exists
        code = ctypes.c_ulong()
        ok = kernel32.GetExitCodeProcess(handle, ctypes.byref(code))
        kernel32.CloseHandle(handle)
        return not ok or code.value == 259  # STILL_ACTIVE
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process
        return True
    return True


def _read(workspace: Path) -> Holder | None:
    """The status file as written, stale or not; None when missing or unreadable."""
    try:
        data = json.loads(busy_path(workspace).read_text(encoding="utf-8"))
        return Holder(
            actor=str(data["actor"]),
            pid=int(data["pid"]),
            host=str(data["host"]),
            command=str(data["command"]),
            started=dt.datetime.fromisoformat(str(data["started"])),
            stage=None if data.get("stage") is None else str(data["stage"]),
            token=str(data.get("token", "")),
            url=None if data.get("url") is None else str(data["url"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_holder(workspace: Path | str) -> Holder | None:
    """Who holds ``workspace`` by its status file; None when there is none, it cannot be
    read, or its process has ended on this host (a stale file)."""
    holder = _read(Path(workspace))
    if holder is None:
        return None
    if holder.host == socket.gethostname() and not _alive(holder.pid):
        return None
    return holder


class BusyFile:
    """This process's status file of one workspace, kept while the workspace is open."""

    def __init__(self, workspace: Path, holder: Holder) -> None:
        self.workspace = workspace
        self.holder = holder

    @classmethod
    def claim(
        cls, workspace: Path, command: str | None = None, url: str | None = None
    ) -> BusyFile | None:
        """Write the status file (a stale one is replaced); None when the folder does not
        take it (the file only informs: the command goes on without it)."""
        holder = Holder(
            actor=current_actor(),
            pid=os.getpid(),
            host=socket.gethostname(),
            command=command or _COMMAND.get() or Path(sys.argv[0]).name or "python",
            started=dt.datetime.now().astimezone().replace(microsecond=0),
            token=uuid.uuid4().hex,
            url=url,
        )
        busy = cls(workspace, holder)
        return busy if busy._write() else None

    def _write(self) -> bool:
        target = busy_path(self.workspace)
        values = {**asdict(self.holder), "started": self.holder.started.isoformat()}
        try:
            with tempfile.NamedTemporaryFile(
                "w",
                encoding="utf-8",
                dir=target.parent,
                prefix=target.name + ".",
                suffix=".part",
                delete=False,
            ) as out:
                json.dump(values, out, ensure_ascii=False)
            os.replace(out.name, target)
        except OSError as exc:
            log.info("status file %s not written: %s", target, exc)
            with contextlib.suppress(OSError, UnboundLocalError):
                os.unlink(out.name)
            return False
        return True

    def stage(self, stage: str | None) -> None:
        """Record the stage now running (None: between stages)."""
        if stage != self.holder.stage:
            self.holder = replace(self.holder, stage=stage)
            self._write()

    def remove(self) -> None:
        """Remove the status file, if it is still this holder's own."""
        current = _read(self.workspace)
        if current is not None and current.token == self.holder.token:
            with contextlib.suppress(OSError):
                busy_path(self.workspace).unlink()


class WorkspaceBusy(WorkspaceError):
    """Another process holds the workspace (``holder``: who, when it says so)."""

    def __init__(self, key: str, holder: Holder | None = None, **values: object) -> None:
        self.holder = holder
        super().__init__(key, **values)

    def text(self, lang: str) -> str:
        values = dict(self.values)
        stage = values.get("stage")
        if isinstance(stage, str):  # the stage in the reader's language
            with contextlib.suppress(KeyError):
                values["stage"] = label("stages", stage, lang)
        return label("errors", self.key, lang, **values)


def is_locked(exc: BaseException) -> bool:
    """Whether DuckDB refused the file because another process holds it."""
    return isinstance(exc, duckdb.IOException) and any(s in str(exc) for s in LOCKED)


def busy_error(workspace: Path, exc: BaseException, waited: float) -> WorkspaceBusy:
    """One line: who holds ``workspace`` (its status file), or the process DuckDB names."""
    holder = read_holder(workspace)
    shown = f"{waited:g}"
    if holder is None:
        pid = re.search(r"PID (\d+)", str(exc))
        return WorkspaceBusy(
            "workspace_busy_other", path=workspace, pid=pid[1] if pid else "?", waited=shown
        )
    if holder.url:  # the campaign server owns it: the work is done in the browser
        return WorkspaceBusy(
            "workspace_served",
            holder,
            path=workspace,
            url=holder.url,
            actor=holder.actor,
            since=holder.since,
            pid=holder.pid,
        )
    if holder.stage:  # the stage running, where the holder said (values named one by
        # one: tests/test_labels.py checks every error's values against its label)
        return WorkspaceBusy(
            "workspace_busy_stage",
            holder,
            path=workspace,
            actor=holder.actor,
            since=holder.since,
            command=holder.command,
            stage=holder.stage,
            pid=holder.pid,
            host=holder.host,
            waited=shown,
        )
    return WorkspaceBusy(
        "workspace_busy",
        holder,
        path=workspace,
        actor=holder.actor,
        since=holder.since,
        command=holder.command,
        pid=holder.pid,
        host=holder.host,
        waited=shown,
    )


def connect_waiting(path: Path, read_only: bool, wait: float) -> duckdb.DuckDBPyConnection:
    """Connect to ``path``; while another process holds it, retry for up to ``wait``
    seconds, then raise ``WorkspaceBusy``.  Other DuckDB errors pass through."""
    deadline = time.monotonic() + wait
    pause = 0.05
    while True:
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.IOException as exc:
            left = deadline - time.monotonic()
            if not is_locked(exc):
                raise
            served = read_holder(path)
            if left <= 0 or (served is not None and served.url):  # a server does not end
                raise busy_error(path, exc, wait) from None
            if pause == 0.05:
                log.info("workspace %s in use; waiting up to %g s", path, wait)
            time.sleep(min(pause, left))
            pause = min(pause * 2, 0.5)
