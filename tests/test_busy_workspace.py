"""A workspace another process holds: the second command waits, then says in one line
who holds it; ``status`` answers from the status file; a stale file is ignored; the file
goes when the command ends.  And a bad LANDCLEAN_* value is one line naming it."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from landclean.errors import SettingsProblem
from landclean.pipeline import run_pipeline
from landclean.settings import Settings, get_settings
from landclean.workspace import create_workspace, open_workspace
from landclean.workspace.busy import WorkspaceBusy, busy_path, doing, read_holder

ACTOR = "Trần Thị Bình"
# Holds the workspace as the pipeline would, until a line comes on stdin; then 1 s more.
HOLDER = """
import sys, time
from landclean.workspace import open_workspace
from landclean.workspace.busy import doing
with doing("run"), open_workspace(sys.argv[1]) as ws:
    ws.doing("validate")
    print("held", flush=True)
    sys.stdin.readline()
    time.sleep(1.0)
"""
# Holds the file with DuckDB alone: no status file.
RAW_HOLDER = """
import sys, duckdb
con = duckdb.connect(sys.argv[1])
print("held", flush=True)
sys.stdin.readline()
"""


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LANDCLEAN_")}
    return {**env, "PYTHONIOENCODING": "utf-8", **values}


def landclean(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "landclean", *args],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=_env(**env),
        timeout=300,
    )


def _hold(script: str, ws: Path, **env: str) -> subprocess.Popen[str]:
    holder = subprocess.Popen(
        [sys.executable, "-c", script, str(ws)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env=_env(**env),
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
    return holder


def _release(holder: subprocess.Popen[str]) -> None:
    assert holder.stdin is not None
    holder.stdin.write("go\n")
    holder.stdin.flush()


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("busy") / "ws.duckdb"
    create_workspace(path).close()
    return path


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """The environment for settings read in this process, read afresh."""
    for name in [n for n in os.environ if n.startswith("LANDCLEAN_")]:
        monkeypatch.delenv(name)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_a_held_workspace_is_explained_and_waited_for(workspace: Path) -> None:
    holder = _hold(HOLDER, workspace, LANDCLEAN_ACTOR=ACTOR)
    try:
        on_file = json.loads(busy_path(workspace).read_text(encoding="utf-8"))
        assert (on_file["pid"], on_file["actor"], on_file["command"], on_file["stage"]) == (
            holder.pid,
            ACTOR,
            "run",
            "validate",
        )
        assert on_file["host"] == socket.gethostname()

        line = _one_line_error(
            landclean("--lang", "en", "run", str(workspace), LANDCLEAN_LOCK_WAIT="0.5")
        )
        assert f"in use by {ACTOR} since " in line
        assert f"running 'run', stage validate (process {holder.pid} on " in line
        assert "gave up after 0.5 s" in line and "LANDCLEAN_LOCK_WAIT" in line
        with pytest.raises(WorkspaceBusy) as caught:  # a reader is refused too, in Vietnamese
            open_workspace(workspace, read_only=True, wait=0.3)
        text = caught.value.text("vi")
        assert "\n" not in text and f"đang được {ACTOR} dùng từ " in text
        assert "đang chạy lệnh 'run', bước kiểm tra" in text  # the stage in Vietnamese
        assert "đã chờ 0.3 giây" in text and "LANDCLEAN_LOCK_WAIT" in text

        shown = landclean("--lang", "en", "status", str(workspace), LANDCLEAN_LOCK_WAIT="0")
        assert shown.returncode == 0 and "Traceback" not in shown.stderr, shown.stderr
        assert f"'run' by {ACTOR} since " in shown.stdout
        assert "Stage now running: validate." in shown.stdout
        since = re.search(r"since (\d\d/\d\d/\d{4} \d\d:\d\d)", shown.stdout)
        assert since is not None
        started = dt.datetime.strptime(since[1], "%d/%m/%Y %H:%M")
        assert abs(started - dt.datetime.now()) < dt.timedelta(minutes=10)

        # started while the workspace is held, it waits; the holder lets go 1 s later
        waiting = subprocess.Popen(
            [sys.executable, "-m", "landclean", "-v", "run", str(workspace), "--stages", "build"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            env=_env(LANDCLEAN_LOCK_WAIT="10"),
        )
        assert waiting.stderr is not None
        seen = False
        for line in iter(waiting.stderr.readline, ""):  # until it says it waits (or ends)
            if "in use; waiting" in line:
                seen = True
                break
        _release(holder)  # after its first refusal (or at its end, should it never wait)
        _, err = waiting.communicate(timeout=300)
        assert seen, err
        assert waiting.returncode == 0, err
        assert "Traceback" not in err
    finally:
        holder.kill()
        holder.wait()
    assert not busy_path(workspace).exists()


def test_the_status_file_while_open_and_gone_after_an_error(
    workspace: Path, settings_env: pytest.MonkeyPatch
) -> None:
    settings_env.setenv("LANDCLEAN_ACTOR", "Lê Văn Cường")
    with pytest.raises(RuntimeError), doing("import"), open_workspace(workspace):
        held = json.loads(busy_path(workspace).read_text(encoding="utf-8"))
        raise RuntimeError("the command fails")
    assert (held["pid"], held["actor"], held["command"]) == (os.getpid(), "Lê Văn Cường", "import")
    assert not busy_path(workspace).exists()
    with open_workspace(workspace, read_only=True):  # a reader writes none
        assert not busy_path(workspace).exists()

    # the pipeline shows each stage as it runs
    stages: list[str | None] = []

    def look(_: str) -> None:
        holder = read_holder(workspace)
        stages.append(holder.stage if holder else None)

    with open_workspace(workspace) as ws:
        run_pipeline(ws, ["build"], progress=look)
        assert stages[0] == "build"
        assert read_holder(workspace) is not None and read_holder(workspace).stage is None  # type: ignore[union-attr]
    assert not busy_path(workspace).exists()

    failed = _one_line_error(
        landclean("--lang", "en", "run", str(workspace), "--stages", "validate")
    )
    assert "no parcels" in failed  # it failed after opening the workspace for writing
    assert not busy_path(workspace).exists()


def test_a_stale_status_file_is_ignored_and_replaced(
    workspace: Path, settings_env: pytest.MonkeyPatch
) -> None:
    ended = subprocess.Popen([sys.executable, "-c", ""])
    ended.wait()  # its pid names no process now
    stale = {
        "actor": "Người Đã Đi",
        "pid": ended.pid,
        "host": socket.gethostname(),
        "command": "run",
        "started": "2025-09-01T08:00:00+07:00",
        "stage": "authenticate",
    }
    busy_path(workspace).write_text(json.dumps(stale), encoding="utf-8")
    assert read_holder(workspace) is None

    raw = _hold(RAW_HOLDER, workspace)  # held by a program that writes no status file
    try:
        with pytest.raises(WorkspaceBusy) as caught:
            open_workspace(workspace, wait=0)
        assert caught.value.key == "workspace_busy_other" and caught.value.holder is None
        assert f"in use by another program (process {raw.pid})" in str(caught.value)
        assert "Người Đã Đi" not in caught.value.text("vi")
        shown = landclean("--lang", "en", "status", str(workspace))
        assert shown.returncode == 0, shown.stderr
        assert f"in use by another program (process {raw.pid})" in shown.stdout
        assert "Người Đã Đi" not in shown.stdout
    finally:
        _release(raw)
        raw.wait(timeout=60)

    with open_workspace(workspace):  # the stale file is replaced by this process's own
        assert json.loads(busy_path(workspace).read_text(encoding="utf-8"))["pid"] == os.getpid()
    assert not busy_path(workspace).exists()


# A bad value of each setting, and the expected form its one line must give.
DATE = "expected a date DD/MM/YYYY (or YYYY-MM-DD)"
TOLERANCES = 'expected JSON such as {"500": 0.05, "2000": 0.07}'
DIRS = '["D:/landclean/profiles"]'
NOT_JSON = "Expecting value: line 1 column 1 (char 0)"
PUBLIC = "expected the server's address as citizens reach it, https://server-name[/path]"
BASE_MAP = "expected a tile service address http(s)://…/{z}/{x}/{y}.png"
BAD = [
    ("LANDCLEAN_LANG", "fr", "expected one of vi, en"),
    ("LANDCLEAN_MAP_BASE_URL", "tiles.example/{z}/{x}/{y}.png", BASE_MAP),
    ("LANDCLEAN_MAP_BASE_URL", 'https://x.vn/a"onload=1', BASE_MAP),
    ("LANDCLEAN_MAP_BASE_URL", "https://tiles.example/map.png", BASE_MAP),
    ("LANDCLEAN_PUBLIC_URL", "dat.daklak.gov.vn", PUBLIC),
    ("LANDCLEAN_PUBLIC_URL", 'https://x.vn/"><script>', PUBLIC),
    ("LANDCLEAN_AREA_TOLERANCE", '{"500": -1, "x": 0.1}', TOLERANCES),
    ("LANDCLEAN_AREA_TOLERANCE", "0.05", TOLERANCES),
    ("LANDCLEAN_SLIVER_COMPACTNESS", "2", "expected a number ≥ 0, ≤ 1"),
    ("LANDCLEAN_COMMUNE_EXTENT_MARGIN", "-5", "expected a number ≥ 0"),
    ("LANDCLEAN_AUTH_ACCEPT", "abc", "expected a number > 0, ≤ 1"),
    ("LANDCLEAN_AUTH_ACCEPT_SOLE", "0", "expected a number > 0, ≤ 1"),
    ("LANDCLEAN_AUTH_REVIEW", "nan", "expected a number > 0, ≤ 1"),
    ("LANDCLEAN_AUTH_MARGIN", "five", "expected a number ≥ 0"),
    ("LANDCLEAN_COMMITTEE_DEADLINE", "31/02/2025", DATE),
    ("LANDCLEAN_CAMPAIGN_START", "sớm", DATE),
    ("LANDCLEAN_CAMPAIGN_END", "2025-13-01", DATE),
    ("LANDCLEAN_CLEAN_TARGET", "90%", "expected a number > 0, ≤ 1"),
    ("LANDCLEAN_MEMORY_LIMIT", "garbage", "expected a size such as 6GB or 8000MB"),
    ("LANDCLEAN_MEMORY_LIMIT", "6 GO", "expected a size such as 6GB or 8000MB"),
    ("LANDCLEAN_PROFILE_DIRS", "notjson", f"not valid JSON ({NOT_JSON}); expected e.g. {DIRS}"),
    ("LANDCLEAN_PROFILE_DIRS", '{"a": 1}', f"expected JSON such as {DIRS}"),
    ("LANDCLEAN_MAX_ROWS", "lots", "expected a whole number ≥ 1"),
    ("LANDCLEAN_MAX_ROWS", "0", "expected a whole number ≥ 1"),
    ("LANDCLEAN_MAX_UNZIP_RATIO", "0.5", "expected a number ≥ 1"),
    ("LANDCLEAN_LOCK_WAIT", "-1", "expected a number ≥ 0"),
    ("LANDCLEAN_LOCK_WAIT", "inf", "expected a number ≥ 0"),
    ("LANDCLEAN_APPROVE_SENSITIVE", "perhaps", "expected one of true, false"),
    ("LANDCLEAN_SESSION_HOURS", "0", "expected a number > 0, ≤ 720"),
    ("LANDCLEAN_SESSION_HOURS", "1000", "expected a number > 0, ≤ 720"),
]
# Settings any text is a good value of (a name; a path, checked when a command needs it).
FREE = {
    "actor",
    "classification",
    "renumber_order",
    "commune_boundaries",
    "exchange_catalogue",
    "registry_protocol",
}


def test_every_setting_has_a_bad_value_tried() -> None:
    tried = {name.removeprefix("LANDCLEAN_").lower() for name, _, _ in BAD}
    assert tried | FREE == set(Settings.model_fields)


@pytest.mark.parametrize(("name", "value", "expected"), BAD)
def test_a_bad_setting_is_one_line_naming_it(
    name: str, value: str, expected: str, settings_env: pytest.MonkeyPatch
) -> None:
    settings_env.setenv(name, value)
    with pytest.raises(SettingsProblem) as caught:
        get_settings()
    [problem] = caught.value.problems
    for lang in ("en", "vi"):
        text = problem.text(lang)
        assert "\n" not in text
        assert text.startswith(f"{name}={value!r}: "), text
    assert str(problem) == f"{name}={value!r}: {expected}"
    assert problem.text("vi") != problem.text("en")


def test_a_blank_path_setting_means_unset(settings_env: pytest.MonkeyPatch) -> None:
    settings_env.setenv("LANDCLEAN_CLASSIFICATION", "")
    settings_env.setenv("LANDCLEAN_ACTOR", "  ")
    settings = get_settings()
    assert settings.classification is None and settings.actor is None


def test_a_memory_limit_duckdb_cannot_work_within(
    workspace: Path, tmp_path: Path, settings_env: pytest.MonkeyPatch
) -> None:
    settings_env.setenv("LANDCLEAN_MEMORY_LIMIT", "999999TB")  # far above any machine: taken
    with open_workspace(workspace, read_only=True) as ws:
        assert ws.scalar("SELECT count(*) FROM admin_unit") == 102
    for value in ("1KB", "99999999999999999TB"):  # too small; beyond DuckDB's counter
        settings_env.setenv("LANDCLEAN_MEMORY_LIMIT", value)
        get_settings.cache_clear()
        with pytest.raises(SettingsProblem) as caught:
            open_workspace(workspace, read_only=True)
        assert str(caught.value).startswith(f"LANDCLEAN_MEMORY_LIMIT={value!r}: DuckDB cannot")
    with pytest.raises(SettingsProblem):
        create_workspace(tmp_path / "new.duckdb")
    assert not (tmp_path / "new.duckdb").exists()  # nothing left behind
    line = _one_line_error(landclean("status", str(workspace), LANDCLEAN_MEMORY_LIMIT="1KB"))
    assert line == (
        "landclean: lỗi: LANDCLEAN_MEMORY_LIMIT='1KB': DuckDB không làm việc được với mức bộ "
        "nhớ này; cần dung lượng như 6GB hoặc 8000MB"
    )
