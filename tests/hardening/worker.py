"""The process that runs fuzz cases: ``landclean import`` called in-process exactly as the
console script calls it, or as a real subprocess, on a private copy of a workspace.

The runner starts one worker per job (``multiprocessing``, spawn) and sends it case
numbers; the worker writes the case (``corpus.make_case``), runs it and answers with an
``Outcome``.  In-process, ``landclean.cli.main`` runs with ``sys.argv`` set, the case's
environment, and file descriptors 1 and 2 redirected to files, so that what GDAL or
DuckDB print from C lands in the output as in a real run.  Between cases the process
state a command can leave behind is reset: the environment, the settings cache, the
language chosen by ``--lang``, the warnings already shown.  After every case the workspace
is fingerprinted (per table: row count and ``bit_xor(hash(row))``); a changed workspace
is restored from the template.  A hang or a crash is the runner's to see: it kills the
worker and starts another, which restores the workspace first.
"""

from __future__ import annotations

import gc
import os
import shutil
import subprocess
import sys
import time
import traceback
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from pathlib import Path

import duckdb

from tests.hardening.corpus import Case, make_case
from tests.hardening.seeds import Seeds

# every case runs with these settings (a developer's own profile folder stays out)
BASE_ENV = {
    "LANDCLEAN_PROFILE_DIRS": "[]",
    "LANDCLEAN_MEMORY_LIMIT": "1GB",
    "LANDCLEAN_ACTOR": "fuzz",
}
Fingerprint = tuple[tuple[str, int, int], ...]
SELF_TESTS = {"hang": lambda: time.sleep(3600), "abort": os.abort}


@dataclass
class Outcome:
    """What one case did."""

    seed: int
    number: int
    kind: str
    detail: str
    mode: str  # "in-process" or "subprocess"
    argv: list[str]
    env: dict[str, str]  # the case's LANDCLEAN_* variables
    code: int | None = None  # exit code; None: killed by the runner
    stdout: str = ""
    stderr: str = ""
    seconds: float = 0.0
    changed: bool = False  # the workspace's fingerprint moved
    killed: str = ""  # "hang", "memory" or "crash" (died on its own)

    @property
    def label(self) -> str:
        return f"case {self.number} of seed {self.seed} [{self.kind}] {self.detail}"


@dataclass
class WorkerConfig:
    seeds: Path  # folder of the seed files (read only)
    template: Path  # the initialized workspace every case starts from
    home: Path  # this worker's folder: its workspace, the case's files, the captured output
    timeout: float = 120.0  # for the subprocess mode; in-process, the runner kills
    extra: dict[str, str] = field(default_factory=dict)


def landclean_command() -> list[str]:
    """The console script beside this interpreter (as installed by pip), else ``-m``."""
    script = Path(sys.executable).parent / "landclean"
    return [str(script)] if script.exists() else [sys.executable, "-m", "landclean"]


def fingerprint(workspace: Path) -> Fingerprint:
    """Every table's row count and the xor of its rows' hashes, in one query."""
    con = duckdb.connect(str(workspace), read_only=True)
    try:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary ORDER BY ALL"
        ).fetchall()
        parts = [
            f"SELECT '{s}.{t}' AS name, count(*) AS n, coalesce(bit_xor(hash(x)), 0) AS h "
            f'FROM "{s}"."{t}" x'
            for s, t in tables
        ]
        rows = con.execute(" UNION ALL ".join(parts) + " ORDER BY name").fetchall()
        views = con.execute(
            "SELECT view_name FROM duckdb_views() WHERE NOT internal ORDER BY 1"
        ).fetchall()
    finally:
        con.close()
    return (
        *((str(n), int(c), int(h)) for n, c, h in rows),
        *((f"view {v[0]}", 0, 0) for v in views),
    )


def clear_beside(workspace: Path) -> None:
    """What a command keeps beside the workspace (WAL, temp folder, busy file): gone."""
    for side in workspace.parent.glob(workspace.name + ".*"):
        if side.is_dir():
            shutil.rmtree(side, ignore_errors=True)
        else:
            side.unlink(missing_ok=True)


def restore(template: Path, workspace: Path) -> None:
    """The workspace back to the template, with nothing of its own beside it."""
    clear_beside(workspace)
    shutil.copyfile(template, workspace)


def case_env(case: Case) -> dict[str, str]:
    """The whole environment of a case: ours without LANDCLEAN_*, the base settings,
    the case's language and variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANDCLEAN_")}
    env.update(BASE_ENV)
    env["LANDCLEAN_LANG"] = case.lang
    env.update(case.env)
    return env


def _reset_process_state() -> None:
    """What a command leaves in the process and the next one would see."""
    from landclean.cli.app import _State
    from landclean.settings import get_settings

    get_settings.cache_clear()
    _State.lang = None
    warnings.onceregistry.clear()


@contextmanager
def _captured(out: Path, err: Path) -> Iterator[None]:
    """File descriptors 1 and 2 (and so sys.stdout, sys.stderr) into files."""
    sys.stdout.flush()
    sys.stderr.flush()
    saved = os.dup(1), os.dup(2)
    with out.open("wb") as o, err.open("wb") as e:
        os.dup2(o.fileno(), 1)
        os.dup2(e.fileno(), 2)
        try:
            yield
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])


def _call_main(argv: list[str]) -> int:
    """``landclean.cli.main`` with ``argv``; the exit code as the interpreter makes it."""
    from landclean.cli import main

    sys.argv = [landclean_command()[0], *argv]
    try:
        main()
    except SystemExit as exc:
        if exc.code is None:
            return 0
        if isinstance(exc.code, int):
            return exc.code
        print(exc.code, file=sys.stderr)
        return 1
    except BaseException:  # what the interpreter does with an uncaught exception
        traceback.print_exc()
        return 1
    return 0


def run_in_process(argv: list[str], env: dict[str, str], out: Path, err: Path) -> int:
    saved_env, saved_argv, saved_cwd = dict(os.environ), sys.argv, os.getcwd()
    os.environ.clear()
    os.environ.update(env)
    _reset_process_state()
    try:
        with warnings.catch_warnings(), _captured(out, err):
            return _call_main(argv)
    finally:
        os.environ.clear()
        os.environ.update(saved_env)
        sys.argv = saved_argv
        os.chdir(saved_cwd)
        _reset_process_state()
        gc.collect()  # a connection an error left open is closed, as at a process's exit


def run_subprocess(
    argv: list[str], env: dict[str, str], out: Path, err: Path, timeout: float
) -> int | None:
    with out.open("wb") as o, err.open("wb") as e:
        try:
            done = subprocess.run(
                [*landclean_command(), *argv],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=o,
                stderr=e,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return None
    return done.returncode


def read_output(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace") if path.exists() else ""


class CaseRunner:
    """One worker's state: its workspace, the seeds, the pristine fingerprint."""

    def __init__(self, config: WorkerConfig) -> None:
        self.config = config
        self.seeds = Seeds(config.seeds)
        self.workspace = config.home / "ws.duckdb"
        self.case_dir = config.home / "case"
        self.out, self.err = config.home / "stdout", config.home / "stderr"
        restore(config.template, self.workspace)
        self.pristine = fingerprint(self.workspace)

    def make(self, seed: int, number: int) -> Case:
        shutil.rmtree(self.case_dir, ignore_errors=True)
        self.out.unlink(missing_ok=True)
        self.err.unlink(missing_ok=True)
        return make_case(seed, number, self.seeds, self.case_dir)

    def run(self, case: Case, mode: str) -> Outcome:
        argv = case.argv(self.workspace)
        env = case_env(case)
        start = time.perf_counter()
        if mode in SELF_TESTS:  # the runner's own checks: a case that hangs or crashes
            SELF_TESTS[mode]()
        if mode == "subprocess":
            code = run_subprocess(argv, env, self.out, self.err, self.config.timeout)
        else:
            code = run_in_process(argv, env, self.out, self.err)
        seconds = time.perf_counter() - start
        changed = fingerprint(self.workspace) != self.pristine
        if changed:
            restore(self.config.template, self.workspace)
        else:  # a real process leaves no busy file behind once it is gone
            clear_beside(self.workspace)
        return Outcome(
            seed=case.seed,
            number=case.number,
            kind=case.kind,
            detail=case.detail,
            mode=mode,
            argv=argv,
            env={k: v for k, v in env.items() if k.startswith("LANDCLEAN_")},
            code=code,
            stdout=read_output(self.out),
            stderr=read_output(self.err),
            seconds=seconds,
            changed=changed,
            killed="hang" if code is None else "",
        )


def init_template(path: Path, home: Path) -> Outcome:
    """``landclean init`` of the template workspace, in-process."""
    home.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANDCLEAN_")} | BASE_ENV
    code = run_in_process(["init", str(path)], env, home / "stdout", home / "stderr")
    return Outcome(0, 0, "init", "", "in-process", ["init", str(path)], {}, code,
                   read_output(home / "stdout"), read_output(home / "stderr"))  # fmt: skip


def serve(conn: Connection, config: WorkerConfig) -> None:
    """The worker's loop: ("case", seed, number, mode) -> ("started", label) then
    ("done", Outcome); ("init", path) -> ("done", Outcome); ("stop",) ends it."""
    config.home.mkdir(parents=True, exist_ok=True)
    runner: CaseRunner | None = None
    while True:
        try:
            message = conn.recv()
        except EOFError:
            return
        if message[0] == "stop":
            return
        if message[0] == "init":
            conn.send(("done", init_template(Path(message[1]), config.home)))
            continue
        _, seed, number, mode = message
        if runner is None:
            runner = CaseRunner(config)
        try:
            case = runner.make(seed, number)
        except Exception:  # a fault of the corpus, not of landclean: the runner raises it
            conn.send(("error", f"case {number} of seed {seed}: {traceback.format_exc()}"))
            continue
        conn.send(("started", case.label))
        conn.send(("done", runner.run(case, mode)))
