"""The command line in pipes and narrow terminals, run as a user runs it (the installed
script in a subprocess): no value cut, a closed pipe ends quietly, and ``apply`` gives
its reasons in the user's language."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import shutil
import struct
import subprocess
import sys
import termios
from pathlib import Path

import duckdb
import openpyxl
import pytest
from rich.cells import cell_len

from landclean.campaign.worklist import USER, USERS
from landclean.labels import label
from landclean.rules.catalogue import CATALOGUE

SCRIPT = Path(sys.executable).with_name("landclean")
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "landclean"]
RULE_IDS = {r.rule_id for r in CATALOGUE}
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def _env(**extra: str) -> dict[str, str]:
    """The environment without the settings that would change what is tested."""
    env = {k: v for k, v in os.environ.items() if k not in {"COLUMNS", "LANDCLEAN_LANG"}}
    return {**env, **extra}


def landclean(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """``landclean ARGS`` with stdout and stderr pipes."""
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, env=_env(**env), timeout=120
    )


def on_terminal(*args: str, columns: int) -> str:
    """What ``landclean ARGS`` shows on a terminal ``columns`` wide (a pseudo-terminal),
    without colours."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen(
        [*COMMAND, *args],
        stdout=slave,
        stderr=subprocess.PIPE,
        env=_env(COLUMNS=str(columns)),
    )
    os.close(slave)
    chunks = []
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child has closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(master)
    assert proc.wait(timeout=120) == 0
    assert proc.stderr is not None and proc.stderr.read() == b""
    return ANSI.sub("", b"".join(chunks).decode("utf-8").replace("\r\n", "\n"))


def whole(token: str, text: str) -> bool:
    """Whether ``token`` appears in ``text`` whole, not as part of a longer ID."""
    return re.search(rf"(?<![A-Za-z0-9_:]){re.escape(token)}(?![A-Za-z0-9_])", text) is not None


@pytest.fixture(scope="module")
def workspace(built_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the small province's workspace, for the commands that write."""
    path = tmp_path_factory.mktemp("pipes") / "ws.duckdb"
    shutil.copyfile(built_workspace, path)
    return path


@pytest.mark.parametrize(
    "env", [{}, {"COLUMNS": "40"}, {"COLUMNS": "40", "FORCE_COLOR": "1"}], ids=str
)
def test_rules_in_a_pipe_are_whole_one_a_line(env: dict[str, str]) -> None:
    result = landclean("rules", **env)
    assert result.returncode == 0 and result.stderr == ""
    assert "…" not in result.stdout
    head, *rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert len(head) == 6 and all(len(row) == 6 for row in rows)
    assert sorted(row[0] for row in rows) == sorted(RULE_IDS)  # one line each, whole
    titles = {r.rule_id: (r.title("vi"), r.title("en")) for r in CATALOGUE}
    assert all((row[4], row[5]) == titles[row[0]] for row in rows)


@pytest.mark.parametrize("columns", [60, 100])
def test_rules_on_a_narrow_terminal_are_whole(columns: int) -> None:
    shown = on_terminal("rules", columns=columns)
    assert "…" not in shown
    assert [r for r in sorted(RULE_IDS) if not whole(r, shown)] == []


def test_status_and_tasks_in_a_pipe_are_whole(workspace: Path) -> None:
    status = landclean("status", str(workspace), COLUMNS="40")
    assert status.returncode == 0, status.stderr
    tasks = landclean("tasks", str(workspace), "--all", COLUMNS="40")
    assert tasks.returncode == 0, tasks.stderr
    with duckdb.connect(str(workspace), read_only=True) as con:
        tables = {t for (t,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        task_ids = {t for (t,) in con.execute("SELECT task_id FROM task").fetchall()}
    rows = [line.split("\t") for line in status.stdout.splitlines() if "\t" in line]
    assert all(len(row) == 3 for row in rows)
    listed = {row[0] for row in rows[1:]}  # under the header: one table a line, whole
    assert {"parcel", "party", "certificate", "finding"} <= listed <= tables
    rows = [line.split("\t") for line in tasks.stdout.splitlines() if "\t" in line]
    assert len(rows) > 1 and all(len(row) == 7 for row in rows)
    assert {row[0] for row in rows[1:]} <= task_ids  # every code whole: a task it holds


@pytest.mark.parametrize("args", [["rules"], ["--help"], ["status"], ["tasks"]], ids=" ".join)
def test_a_reader_that_goes_away_ends_it_quietly(args: list[str], workspace: Path) -> None:
    if args in (["status"], ["tasks"]):
        args = [*args, str(workspace)]
    # the reader closes before the first line is written: every write fails
    proc = subprocess.Popen(
        [*COMMAND, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env()
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    err = proc.stderr.read().decode("utf-8")
    assert proc.wait(timeout=120) == 141, err  # 128 + SIGPIPE, as cat or git
    assert err == ""
    # `| head -1`: the first line read, then the pipe closed
    quoted = " ".join(f"'{a}'" for a in [*COMMAND, *args])
    piped = subprocess.run(
        ["bash", "-c", f"{quoted} | head -1; exit ${{PIPESTATUS[0]}}"],
        capture_output=True,
        text=True,
        env=_env(),
        timeout=120,
    )
    assert piped.returncode in (0, 141) and piped.stderr == ""
    assert len(piped.stdout.splitlines()) == 1


def _worklist(workspace: Path, out: Path) -> None:
    """The worklist ``landclean worklist`` writes for the commune with most land users to
    verify."""
    with duckdb.connect(str(workspace), read_only=True) as con:
        row = con.execute(
            "SELECT pc.unit_code FROM auth_result a JOIN party_commune pc USING (party_id) "
            "WHERE a.status <> 'matched' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
        ).fetchone()
    assert row is not None
    made = landclean("worklist", str(workspace), "--commune", row[0], "--out", str(out))
    assert made.returncode == 0, made.stderr


def _answered(worklist: Path, out: Path, answer: str) -> int:
    """``worklist`` with its first land user's "accept the proposal" cell holding
    ``answer``, saved as ``out``; the spreadsheet row of that cell."""
    wb = openpyxl.load_workbook(worklist)
    sheet = wb[USERS]
    head = next(  # under the title lines, if any
        n for n in range(1, 6) if USER["accept"] in [c.value for c in sheet[n]]
    )
    column = [c.value for c in sheet[head]].index(USER["accept"]) + 1
    assert sheet.cell(head + 1, 1).value  # a land user on the first row under the header
    sheet.cell(head + 1, column).value = answer
    wb.save(out)
    return head + 1


def _rejected(lang: str, path: Path, row: int, value: str) -> str:
    """The line the labels word for the cell (the reason: neither yes nor empty)."""
    reason = label("errors", "not_yes_no", lang, value=value)
    return label(
        "errors",
        "rejected_cell",
        lang,
        file=path.name,
        sheet=USERS,
        row=row,
        column=USER["accept"],
        value=value,
        reason=reason,
    )


def test_apply_gives_its_reasons_in_the_users_language(workspace: Path, tmp_path: Path) -> None:
    vi_file, en_file = tmp_path / "vi.xlsx", tmp_path / "en.xlsx"
    _worklist(workspace, tmp_path / "worklist.xlsx")
    vi_row = _answered(tmp_path / "worklist.xlsx", vi_file, "xem lại")
    en_row = _answered(tmp_path / "worklist.xlsx", en_file, "hỏi lại")
    vi = landclean("apply", str(workspace), str(vi_file), "--by", "Cán bộ địa chính")
    assert vi.returncode == 0, vi.stderr
    en = landclean("--lang", "en", "apply", str(workspace), str(en_file), "--by", "Officer")
    assert en.returncode == 0, en.stderr
    for result, lang, path, row, value in (
        (vi, "vi", vi_file, vi_row, "xem lại"),
        (en, "en", en_file, en_row, "hỏi lại"),
    ):
        other = "en" if lang == "vi" else "vi"
        lines = [line.strip() for line in result.stdout.splitlines()]
        assert _rejected(lang, path, row, value) in lines, result.stdout  # whole, on one line
        assert _rejected(other, path, row, value) not in result.stdout
        written = path.with_suffix(".rejected.txt").read_text("utf-8").splitlines()
        assert written == [_rejected(lang, path, row, value)]
    assert f"dòng {vi_row}," in vi.stdout and "row " not in vi.stdout
    assert f"row {en_row}," in en.stdout and "dòng" not in en.stdout
    # longer than the 80 columns a pipe is assumed to have, and still one line
    assert all(cell_len(line) > 80 for line in vi.stdout.splitlines() if "xem lại" in line)
