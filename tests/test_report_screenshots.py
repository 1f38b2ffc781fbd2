"""The reports checked by looking: report.html, briefing.html and a commune's page, as a
person's browser shows them (headless Chromium, Debian's package ``chromium``, which
``make test`` installs), kept under build/test-artifacts/screenshots/ to be looked at.
The test checks they are real, whole pictures: the page's size, not blank, and in the
report the charts' colours (the inline SVG was drawn).

Without Chromium the test fails (``make browser`` installs it); LANDCLEAN_NO_BROWSER=1
skips it on a machine that cannot have one."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html import unescape
from pathlib import Path

import pytest
from PIL import Image

from landclean.reports.charts import COLOURS, LAGGARD, TARGET
from landclean.reports.writer import write_reports
from landclean.workspace import open_workspace

ARTIFACTS = Path(__file__).parents[1] / "build" / "test-artifacts" / "screenshots"
WIDTH = 1280
COMMUNE = "24217"  # Xã Ea Rốk: a new commune formed from three old ones
# (page, file, height): report.html tall enough to show the charts under the tables
PAGES = (
    ("report.html", "report.png", 6000),
    ("briefing.html", "briefing.png", 2000),
    (f"communes/{COMMUNE}.html", f"commune-{COMMUNE}.png", 2000),
)


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found:
        return found
    if os.environ.get("LANDCLEAN_NO_BROWSER") == "1":
        pytest.skip("LANDCLEAN_NO_BROWSER=1: no screenshots")
    pytest.fail("chromium is missing: `make browser` installs it (LANDCLEAN_NO_BROWSER=1 skips)")


def _screenshots(browser: str, folder: Path, tmp: Path) -> dict[str, Path]:
    """Every page of PAGES shot at once, each browser with a profile of its own."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    running = []
    for page, name, height in PAGES:
        shot = ARTIFACTS / name
        shot.unlink(missing_ok=True)
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            f"--user-data-dir={tmp / name}",
            f"--window-size={WIDTH},{height}",
            f"--screenshot={shot}",
            (folder / page).as_uri(),
        ]
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
        )
        running.append((name, shot, process))
    shots = {}
    for name, shot, process in running:
        output, _ = process.communicate(timeout=90)
        assert process.returncode == 0 and shot.exists(), output.decode(errors="replace")[-2000:]
        shots[name] = shot
    return shots


def _colours(img: Image.Image) -> dict[tuple[int, int, int], int]:
    return {c: n for n, c in img.getcolors(maxcolors=WIDTH * 6000) or []}


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    return (int(hex_colour[1:3], 16), int(hex_colour[3:5], 16), int(hex_colour[5:7], 16))


@pytest.fixture
def browser() -> str:
    """Chromium, found before the workspace is built (a missing one fails at once)."""
    return _chromium()


def test_screenshots_of_the_reports(browser: str, built_workspace: Path, tmp_path: Path) -> None:
    out = tmp_path / "report"
    with open_workspace(built_workspace, read_only=True) as ws:
        write_reports(ws.con, out)
    assert (out / PAGES[2][0]).exists(), sorted(p.name for p in (out / "communes").iterdir())
    # the briefing names the communes behind: ten of the summary's, then how many more
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    brief = (out / "briefing.html").read_text(encoding="utf-8")
    named = re.findall(r"<li>([^<]*) \((\d{5})\): ", brief.split('<ol class="laggards">')[1])
    lagging = {lag["code"]: lag["name"] for lag in summary["laggards"]}
    assert len(named) == min(10, len(lagging)) and all(lagging[c] == unescape(n) for n, c in named)
    more = len(lagging) - len(named)
    assert (f"và {more} xã khác" in brief) == (more > 0)
    shots = _screenshots(browser, out, tmp_path)
    for _, name, height in PAGES:
        data = shots[name].read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 30_000, (name, len(data))
        with Image.open(shots[name]) as img:
            assert img.size == (WIDTH, height), name
            rgb = img.convert("RGB")
        colours = _colours(rgb)
        white = colours.get((255, 255, 255), 0)
        ink = sum(n for c, n in colours.items() if max(c) < 128)  # dark: text, lines
        assert white < 0.99 * WIDTH * height and ink > 2000, (name, white, ink)
        assert len(colours) > 50, name  # anti-aliased text, not a flat picture
        top = rgb.crop((0, 0, WIDTH, 150)).convert("L")
        assert top.getextrema()[0] < 100, name  # the page's title, where a page starts
    report = _colours(Image.open(shots["report.png"]).convert("RGB"))
    # the charts, inline SVG: bars and series in their colours, the targets' dashed lines
    for colour, least in ((COLOURS[0], 5000), (COLOURS[1], 100), (LAGGARD, 1000), (TARGET, 300)):
        assert report.get(_rgb(colour), 0) >= least, colour
