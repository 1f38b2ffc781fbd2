"""The parent side: worker processes, each case's time and memory watched, hangs and
crashes turned into outcomes (the worker killed and replaced).

``Session`` builds the seed files and the template workspace (``landclean init``) once,
in a folder of its own; ``Session.run`` runs one case on a worker and ``Session.run_many``
runs many on ``jobs`` workers at once.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from types import TracebackType

from tests.hardening.corpus import kind_of
from tests.hardening.seeds import build_seeds
from tests.hardening.worker import Outcome, WorkerConfig, read_output, serve

CONTEXT = multiprocessing.get_context("spawn")  # no fork of a process with threads
STARTUP = 300.0  # seconds a worker may take to start and write a case (bombs included)
RECYCLE = 400  # cases before a worker is replaced (what libraries keep grows)


def rss_bytes(pid: int) -> int:
    """Resident memory of a process (Linux; 0 elsewhere)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


class Worker:
    """One worker process and the pipe to it."""

    def __init__(self, config: WorkerConfig, timeout: float, memory: int) -> None:
        self.config, self.timeout, self.memory = config, timeout, memory
        self.slack = 5.0  # seconds past the timeout for the fingerprint after the case
        self.cases = 0
        self._start()

    def _start(self) -> None:
        self.conn, child = CONTEXT.Pipe()
        self.proc = CONTEXT.Process(target=serve, args=(child, self.config), daemon=True)
        self.proc.start()
        child.close()
        self.cases = 0

    def stop(self) -> None:
        if self.proc.is_alive():
            with contextlib.suppress(OSError):  # the worker may be gone already
                self.conn.send(("stop",))
            self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()

    def _restart(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.conn.close()
        self._start()

    def _receive(self, conn: Connection, limit: float, watch: bool) -> tuple[object, str]:
        """The worker's next message, or why none came: "hang", "memory", "crash"."""
        deadline = time.monotonic() + limit
        while not conn.poll(0.2):
            if not self.proc.is_alive():
                return None, "crash"
            if time.monotonic() > deadline:
                return None, "hang"
            if watch and self.memory and rss_bytes(self.proc.pid or 0) > self.memory:
                return None, "memory"
        try:
            return conn.recv(), ""
        except EOFError:
            return None, "crash"

    def init(self, path: Path) -> Outcome:
        self.conn.send(("init", str(path)))
        message, why = self._receive(self.conn, STARTUP, watch=False)
        if why or not isinstance(message, tuple):
            raise RuntimeError(f"landclean init of the fuzz template failed: {why}")
        outcome = message[1]
        assert isinstance(outcome, Outcome)
        return outcome

    def run(self, seed: int, number: int, mode: str = "in-process") -> Outcome:
        if self.cases >= RECYCLE:
            self._restart()
        self.cases += 1
        self.conn.send(("case", seed, number, mode))
        message, why = self._receive(self.conn, STARTUP, watch=False)
        if isinstance(message, tuple) and message[0] == "error":
            raise RuntimeError(f"the fuzz corpus could not write {message[1]}")
        label = message[1] if isinstance(message, tuple) else f"case {number} of seed {seed}"
        started = time.monotonic()
        if not why:
            message, why = self._receive(self.conn, self.timeout + self.slack, watch=True)
            if isinstance(message, tuple) and isinstance(message[1], Outcome):
                return message[1]
        # hung, too big or dead: what it printed so far, then a fresh worker
        if why == "crash":
            self.proc.join(10)  # its exit code (minus the signal that killed it)
        code = self.proc.exitcode if why == "crash" else None
        self._restart()
        return Outcome(
            seed=seed,
            number=number,
            kind=kind_of(number),
            detail=str(label).split("] ", 1)[-1],
            mode=mode,
            argv=[],
            env={},
            code=code,
            stdout=read_output(self.config.home / "stdout"),
            stderr=read_output(self.config.home / "stderr"),
            seconds=time.monotonic() - started,
            killed=why,
        )


class Session:
    """Seeds, template workspace and workers in one temporary folder."""

    def __init__(
        self,
        jobs: int = 1,
        timeout: float = 120.0,
        memory: int = 4 << 30,
        folder: Path | None = None,
    ) -> None:
        self._own = folder is None
        self.folder = Path(tempfile.mkdtemp(prefix="landclean-fuzz-")) if folder is None else folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.seeds = build_seeds(self.folder / "seeds")
        self.template = self.folder / "template.duckdb"
        self.timeout, self.memory = timeout, memory
        self.workers: list[Worker] = []
        self._pool: queue.Queue[Worker] = queue.Queue()
        for i in range(max(1, jobs)):
            self._add_worker(i)
        if not self.template.exists():
            first = self._pool.get()
            try:
                done = first.init(self.template)
            finally:
                self._pool.put(first)
            if done.code != 0:
                raise RuntimeError(f"landclean init failed: {done.stderr}")

    def _add_worker(self, i: int) -> None:
        config = WorkerConfig(
            self.seeds.folder, self.template, self.folder / f"worker{i}", timeout=self.timeout
        )
        worker = Worker(config, self.timeout, self.memory)
        self.workers.append(worker)
        self._pool.put(worker)

    def run(self, seed: int, number: int, mode: str = "in-process") -> Outcome:
        """One case on the next free worker."""
        worker = self._pool.get()
        try:
            return worker.run(seed, number, mode)
        finally:
            self._pool.put(worker)

    def run_pair(self, seed: int, number: int) -> tuple[Outcome, Outcome]:
        """One case in-process, then as a real process, on the same worker (same paths)."""
        worker = self._pool.get()
        try:
            return worker.run(seed, number), worker.run(seed, number, "subprocess")
        finally:
            self._pool.put(worker)

    def run_many(self, seed: int, numbers: Iterable[int]) -> Iterator[Outcome]:
        """Cases on every worker at once, as they finish."""
        todo: queue.Queue[int] = queue.Queue()
        for n in numbers:
            todo.put(n)
        total = todo.qsize()  # before the threads take any
        done: queue.Queue[Outcome | BaseException] = queue.Queue()

        def drain() -> None:
            while True:
                try:
                    n = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    done.put(self.run(seed, n))
                except BaseException as exc:  # surfaced in the caller's thread
                    done.put(exc)
                    return

        threads = [threading.Thread(target=drain, daemon=True) for _ in self.workers]
        for t in threads:
            t.start()
        for _ in range(total):
            item = done.get()
            if isinstance(item, BaseException):
                raise item
            yield item
        for t in threads:
            t.join()

    def close(self) -> None:
        for worker in self.workers:
            worker.stop()
        if self._own:
            shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Session:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
