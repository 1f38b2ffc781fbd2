"""The disk fills during ``import`` and during ``run``: one clean line that says so, and
the workspace as it was (tests/hardening/diskfull.py makes the small disk: a tmpfs, or a
file-size limit where mount is refused)."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from landclean.errors import disk_full
from landclean.pipeline import STAGE_NAMES
from landclean.workspace import create_workspace, open_workspace
from tests.hardening.diskfull import SmallDisk, command_env, modes, small_disk
from tests.hardening.fingerprint import (
    differences,
    fingerprints,
    order_problems,
    stage_states,
)
from tests.hardening.states import AS_OF

HISTORY = {"change_log"}  # appended to by each stage's own transaction
FULL = ("No space left on device", "File too large", "Disk quota exceeded")


class Province:
    """A small province's files, an empty workspace, and one holding them imported and
    not yet built (what ``run`` starts from)."""

    def __init__(self, root: Path) -> None:
        from landclean.api import import_sources
        from landclean.synth.config import GeneratorConfig
        from landclean.synth.generate import generate

        self.source = root / "source"
        generate(GeneratorConfig(parcels=500, seed=5), self.source)
        self.empty = root / "empty.duckdb"
        create_workspace(self.empty).close()
        self.imported = root / "imported.duckdb"
        shutil.copy(self.empty, self.imported)
        with open_workspace(self.imported) as ws:
            import_sources(ws, [self.source], build=False)


def usable_modes(scratch: Path) -> list[str]:
    """The small disks this machine can make, a tmpfs first; the test is skipped only if
    it can make none."""
    found = modes(scratch)
    usable = [mode for mode, why in found.items() if why is None]
    if not usable:
        pytest.skip("no small disk here: " + "; ".join(str(why) for why in found.values()))
    return usable


def landclean(disk: SmallDisk, *args: str) -> subprocess.CompletedProcess:
    return disk.run([sys.executable, "-m", "landclean", *args])


def one_clean_line(done: subprocess.CompletedProcess, ws: Path) -> str:
    """The command failed with one line on stderr that says the disk is full."""
    assert done.returncode == 1, (done.returncode, done.stdout[-500:], done.stderr[-2000:])
    lines = [x for x in done.stderr.splitlines() if x.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr, done.stderr[-2000:]
    line = lines[0]
    assert line.startswith("landclean: error: disk full: cannot write "), line
    assert any(f"({reason})" in line for reason in FULL), line
    assert str(ws.parent) in line  # the file it could not write: the workspace's or spill
    return line


def opens(disk: SmallDisk, ws: Path) -> None:
    status = landclean(disk, "status", str(ws))
    assert status.returncode == 0, status.stderr[-2000:]


def import_on_a_full_disk(province: Province, disk_modes: list[str], work: Path) -> None:
    """The map layers and the population registry in one import (about 150 KiB to
    write), with 64 KiB to spare: nothing of it is kept."""
    before, _ = fingerprints(province.empty)
    sources = [str(province.source / "map"), str(province.source / "registry")]
    for mode in disk_modes:  # a tmpfs where mount works, and the file-size limit
        with small_disk(work / f"import-{mode}", [province.empty], 64 << 10, mode) as disk:
            ws = disk.folder / province.empty.name
            one_clean_line(landclean(disk, "import", str(ws), *sources), ws)
            opens(disk, ws)
            after, _ = fingerprints(ws)
        assert not differences(before, after), mode


def run_on_a_full_disk(province: Province, mode: str, work: Path) -> None:
    """A run with 1 MiB to spare fails in some stage (today the build, the stage that
    writes most): the stages before it keep their work (as an uninterrupted run left
    it), that stage and those after it have none, and nothing else changed."""
    before, before_own = fingerprints(province.imported)
    with small_disk(work / f"run-{mode}", [province.imported], 1 << 20, mode) as disk:
        ws = disk.folder / province.imported.name
        one_clean_line(landclean(disk, "run", str(ws), "--as-of", AS_OF), ws)
        opens(disk, ws)
        with open_workspace(ws, read_only=True) as opened:
            error = str(opened.scalar("SELECT error FROM pipeline_run ORDER BY run_id DESC"))
        now, now_own = fingerprints(ws)
    failed = error.split(":", 1)[0]  # the run records the stage that failed
    if failed == "build":  # nothing done: the workspace is as it was
        assert not differences(before, now)
        return
    reference = work / "reference" / "ws.duckdb"  # what the stages done should have done
    reference.parent.mkdir()
    shutil.copy(province.imported, reference)
    done = subprocess.run(
        [sys.executable, "-m", "landclean", "run", str(reference), "--as-of", AS_OF],
        capture_output=True,
        text=True,
        env=command_env(),  # the same settings as on the small disk
    )
    assert done.returncode == 0, done.stderr[-2000:]
    _, after_own = fingerprints(reference)
    states = stage_states(before_own, after_own, now_own, HISTORY)
    assert "mixed" not in states.values(), states
    assert order_problems(states, list(STAGE_NAMES)) == [], states
    assert states["(no stage)"] in ("old", "same"), states  # imports, corrections: as they were
    assert failed in STAGE_NAMES and states[failed] in ("old", "same"), (error, states)
    done_before = STAGE_NAMES[: STAGE_NAMES.index(failed)]
    assert all(states[s] in ("new", "same") for s in done_before), (error, states)


def test_the_disk_fills_during_import_and_run(tmp_path: Path) -> None:
    """One test, so that the province is made once even when the suite runs on several
    workers."""
    disk_modes = usable_modes(tmp_path / "modes")
    province = Province(tmp_path / "province")
    import_on_a_full_disk(province, disk_modes, tmp_path)
    run_on_a_full_disk(province, disk_modes[0], tmp_path)


def test_a_full_disk_is_told_apart() -> None:
    """DuckDB's words for a file it could not write, and the system's, become the one
    "disk full" error naming the file; other errors stay what they are."""
    wal = 'Failed to commit: Could not write file "/d/ws.duckdb.wal": No space left on device'
    full = disk_full(duckdb.TransactionException(wal))
    assert full is not None and full.key == "disk_full"
    assert full.values == {"path": "/d/ws.duckdb.wal", "reason": "No space left on device"}
    assert "đĩa đầy" in full.text("vi") and "/d/ws.duckdb.wal" in full.text("vi")
    quota = disk_full(OSError(errno.EDQUOT, os.strerror(errno.EDQUOT), "/d/report.html"))
    assert quota is not None and quota.values["path"] == "/d/report.html"
    assert disk_full(duckdb.IOException('Could not set lock on file "/d/ws.duckdb"')) is None
    assert disk_full(OSError(errno.ENOENT, os.strerror(errno.ENOENT), "/d/x")) is None
