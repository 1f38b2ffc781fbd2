"""A small disk for commands to fill: a tmpfs, or a file-size limit where mount is refused.

``small_disk(folder, files, room, mode)`` copies ``files`` into ``folder`` and leaves
commands about ``room`` bytes to write there:

* ``tmpfs``: a tmpfs mounted on the folder, as large as the files plus ``room`` (needs
  root and a system that lets it mount, as a developer's machine or a privileged
  container does); everything counts: the workspace, its ``.wal``, its ``.tmp`` spill
  folder, its status file;
* ``rlimit``: the folder stays on its disk and commands run with RLIMIT_FSIZE = ``room``:
  no file they write may grow past ``room`` bytes, and one already larger (the workspace)
  not at all (SIGXFSZ ignored: the write fails with EFBIG, "File too large", instead of
  killing the process).

``modes()`` says which work here, with the reason for those that do not.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

MODES = ("tmpfs", "rlimit")


def command_env() -> dict[str, str]:
    """The environment commands run in: messages in English (the tests read them)."""
    return {**os.environ, "LANDCLEAN_LANG": "en"}


class Unavailable(Exception):
    """This kind of small disk cannot be made here (the reason)."""


@dataclass
class SmallDisk:
    folder: Path
    mode: str
    room: int  # bytes commands may write

    def run(self, argv: Sequence[str], timeout: float = 600) -> subprocess.CompletedProcess:
        """Run a command that writes into the folder, within the limit."""
        limit = self.room

        def limited() -> None:  # in the child, before exec
            import resource

            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

        return subprocess.run(
            list(argv),
            capture_output=True,
            text=True,
            timeout=timeout,
            env=command_env(),
            preexec_fn=limited if self.mode == "rlimit" else None,
        )


def _mount(folder: Path, size: int) -> None:
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        raise Unavailable("mounting a tmpfs needs root")
    if shutil.which("mount") is None:
        raise Unavailable("no mount command")
    kib = -(-size // 4096) * 4  # whole pages
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={kib}k", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise Unavailable(f"mount refused: {done.stderr.strip() or done.returncode}")


@contextlib.contextmanager
def small_disk(folder: Path, files: Sequence[Path], room: int, mode: str) -> Iterator[SmallDisk]:
    """``folder`` (created: it must not exist, nothing of an earlier run may be in it)
    as a small disk holding copies of ``files``, with ``room`` bytes left, for the
    ``with`` block."""
    folder.mkdir(parents=True)
    if mode == "rlimit":
        if not sys.platform.startswith(("linux", "darwin")):
            raise Unavailable("RLIMIT_FSIZE is POSIX")
    elif mode == "tmpfs":
        _mount(folder, sum(f.stat().st_size for f in files) + room)
    else:
        raise ValueError(mode)
    try:
        for f in files:
            shutil.copy(f, folder / f.name)
        yield SmallDisk(folder, mode, room)
    finally:
        if mode == "tmpfs":
            subprocess.run(["umount", str(folder)], capture_output=True, check=False)


def modes(scratch: Path) -> dict[str, str | None]:
    """Each mode: None when it works here, else why not (a 1 MB trial of each)."""
    found: dict[str, str | None] = {}
    for mode in MODES:
        try:
            with small_disk(scratch / mode, [], 1 << 20, mode) as disk:
                probe = disk.run(
                    [sys.executable, "-c", f"open({str(disk.folder / 'x')!r}, 'wb')"
                     ".write(bytes(2 << 20))"]
                )  # fmt: skip
                if probe.returncode == 0:
                    raise Unavailable(f"{mode}: 2 MB written into a 1 MB disk")
            found[mode] = None
        except Unavailable as exc:
            found[mode] = str(exc)
    return found
