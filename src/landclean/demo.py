"""``landclean demo``: generate a synthetic Đắk Lắk, run the whole pipeline, report.

Built on ``landclean.api`` like any other user of the library (``run_demo``)."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from landclean import api
from landclean.campaign.summary import Summary
from landclean.errors import LandcleanError

MARKER = ".landclean-demo"


@dataclass
class DemoResult:
    workdir: Path
    workspace: Path
    report_dir: Path
    summary: Summary
    seconds: dict[str, float]


def prepare_workdir(workdir: Path) -> None:
    """A demo folder is ours to reset; any other non-empty folder is refused."""
    if workdir.exists() and any(workdir.iterdir()):
        if not (workdir / MARKER).exists():
            raise LandcleanError("demo_not_empty", path=workdir)
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / MARKER).write_text("made by landclean demo; safe to delete\n")


MIN_PARCELS = 500  # fewer leave some new communes without a parcel


def run_demo(
    workdir: Path, parcels: int, seed: int, step: Callable[[str], None] | None = None
) -> DemoResult:
    """Run every step; ``step(name)`` is called before each (for a progress display)."""
    if parcels < MIN_PARCELS:
        raise LandcleanError("demo_small", minimum=MIN_PARCELS, given=parcels)
    prepare_workdir(workdir)
    seconds: dict[str, float] = {}
    source, ws_path, report_dir = (
        workdir / "source",
        workdir / "workspace.duckdb",
        workdir / "report",
    )

    def timed(name: str) -> float:
        if step:
            step(name)
        return time.perf_counter()

    t = timed("generate")
    api.generate(source, parcels=parcels, seed=seed)
    seconds["generate"] = time.perf_counter() - t
    t = timed("import")
    with api.create_workspace(ws_path) as ws:
        api.import_sources(ws, [source], build=False, actor="landclean-demo")
        seconds["import"] = time.perf_counter() - t
        t = timed("run")
        api.run(ws, actor="landclean-demo")
        seconds["run"] = time.perf_counter() - t
        t = timed("report")
        summary = api.report(ws, report_dir).summary
        seconds["report"] = time.perf_counter() - t
    return DemoResult(workdir, ws_path, report_dir, summary, seconds)
