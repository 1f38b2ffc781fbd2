"""The command line as a user meets it: help, errors without tracebacks, the demo."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import valid_summary

COMMANDS = [
    "init",
    "status",
    "generate",
    "import",
    "run",
    "report",
    "rules",
    "demo",
    "profiles",
    "correct",
    "notices",
    "exchange",
]


def landclean(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "landclean", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=600,
    )


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command: str) -> None:
    result = landclean(command, "--help")
    assert result.returncode == 0
    assert "Usage" in result.stdout


def _one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line, got: {lines}"
    return result.stderr


def test_errors_are_one_line(tmp_path: Path) -> None:
    missing = tmp_path / "nope.duckdb"
    assert "không có không gian làm việc" in _one_line_error(landclean("status", str(missing)))
    english = _one_line_error(landclean("--lang", "en", "run", str(missing)))
    assert english.startswith("landclean: error: workspace") and "does not exist" in english
    ws = tmp_path / "ws.duckdb"
    assert landclean("init", str(ws)).returncode == 0
    assert "đã có" in _one_line_error(landclean("init", str(ws)))
    assert "không có tệp" in _one_line_error(landclean("import", str(ws), str(tmp_path / "x")))
    empty = landclean("run", str(ws))  # both problems of an empty workspace, at once
    assert empty.returncode == 1 and "Traceback" not in empty.stderr
    assert [line.strip()[:30] for line in empty.stderr.splitlines()] == [
        "landclean: lỗi: 2 vấn đề, chưa",
        "không gian làm việc chưa có th",
        "chưa có dữ liệu dân cư trong k",
    ]
    assert "chưa có thửa nào" in _one_line_error(landclean("run", str(ws), "--stages", "validate"))
    assert "parcels" in _one_line_error(
        landclean("generate", "--out", str(tmp_path / "g"), "--parcels", "5")
    )
    assert "--parcels='abc': cần một số nguyên" in _one_line_error(
        landclean("generate", "--parcels", "abc", "--out", str(tmp_path / "g"))
    )
    assert "landclean: error: missing workspace (see" in _one_line_error(
        landclean("--lang", "en", "status")
    )  # the parser's errors in the user's language too
    assert "lỗi: không có tùy chọn --nope" in _one_line_error(landclean("status", "x", "--nope"))
    bogus = tmp_path / "bogus.duckdb"
    bogus.write_text("not a database")
    _one_line_error(landclean("status", str(bogus)))
    assert "'fr': cần một trong vi / en" in _one_line_error(landclean("--lang", "fr", "rules"))
    assert "ít nhất 500 thửa (--parcels 10)" in _one_line_error(
        landclean("demo", "--parcels", "10", "--workdir", str(tmp_path / "d"))
    )
    assert not (tmp_path / "d").exists()  # refused before any work


def test_a_reader_that_stops_early_ends_the_command_quietly() -> None:
    """``landclean rules | head -1``: no traceback when the reader goes away."""
    command = f"'{sys.executable}' -m landclean rules | true"
    result = subprocess.run(["sh", "-c", command], capture_output=True, text=True, timeout=120)
    assert result.stderr == ""


def test_wrong_version_workspace(tmp_path: Path) -> None:
    import duckdb

    ws = tmp_path / "ws.duckdb"
    assert landclean("init", str(ws)).returncode == 0
    with duckdb.connect(str(ws)) as con:
        con.execute("INSERT INTO schema_migration VALUES (42, 'future', now()::TIMESTAMP, 'x')")
    assert "mới hơn landclean" in _one_line_error(landclean("status", str(ws)))


def test_failed_import_leaves_workspace_unchanged(tmp_path: Path) -> None:
    ws = tmp_path / "ws.duckdb"
    assert landclean("init", str(ws)).returncode == 0
    before = landclean("status", str(ws)).stdout
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"\x00\x01garbage\xff\xfe")
    _one_line_error(landclean("import", str(ws), str(bad)))
    assert landclean("status", str(ws)).stdout == before


def test_demo_end_to_end(tmp_path: Path) -> None:
    workdir = tmp_path / "demo"
    result = landclean("demo", "--parcels", "1500", "--seed", "5", "--workdir", str(workdir))
    assert result.returncode == 0, result.stderr
    assert "1.500 thửa" in result.stdout  # Vietnamese by default, numbers as Vietnamese write
    assert re.search(r"1\.500 thửa \([0-9]+,[0-9] s\)", result.stdout), result.stdout
    english = landclean("--lang", "en", "status", str(workdir / "workspace.duckdb"))
    assert "corrections by people" in english.stdout and "parcels" in english.stdout
    summary = valid_summary(json.loads((workdir / "report" / "summary.json").read_text("utf-8")))
    assert summary["parcels"]["total"] == 1500
    assert (workdir / "report" / "report.html").exists()
    # the demo folder is ours: running again replaces it (the smallest province)
    again = landclean("demo", "--parcels", "500", "--seed", "5", "--workdir", str(workdir))
    assert again.returncode == 0, again.stderr
    replaced = json.loads((workdir / "report" / "summary.json").read_text("utf-8"))
    assert replaced["parcels"]["total"] == 500
    other = tmp_path / "other"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    assert "không trống" in _one_line_error(landclean("demo", "--workdir", str(other)))


def test_profiles_and_correct(tmp_path: Path) -> None:
    from tests import samples

    out = landclean("profiles")
    assert out.returncode == 0 and "vbdlis_parcel" in out.stdout
    ws = tmp_path / "ws.duckdb"
    assert landclean("init", str(ws)).returncode == 0
    src = samples.write_csv(tmp_path / "form.csv", "field_form", "tcvn3")
    result = landclean("import", str(ws), str(src))
    assert result.returncode == 0, result.stderr
    assert "bảng mã tcvn3" in result.stdout
    assert "1 lô đã nhập chưa vào bảng chuẩn" in landclean("status", str(ws)).stdout
    ok = landclean("correct", str(ws), "parcel", "T001", "sheet_no", "7", "--by", "Cán bộ A")
    assert ok.returncode == 0, ok.stderr
    assert "không sửa được" in _one_line_error(
        landclean("correct", str(ws), "parcel", "T001", "geom", "x", "--by", "A")
    )
    assert "'abc' không phải số nguyên không âm" in _one_line_error(
        landclean("correct", str(ws), "parcel", "T001", "sheet_no", "abc", "--by", "A")
    )
    assert "không có parcel 'NOPE'" in _one_line_error(
        landclean("correct", str(ws), "parcel", "NOPE", "sheet_no", "1", "--by", "A")
    )
    assert "cần tên người sửa" in _one_line_error(
        landclean("correct", str(ws), "parcel", "T001", "sheet_no", "1", "--by", " ")
    )
    status = landclean("status", str(ws)).stdout
    assert "chỉnh sửa của cán bộ" in status
    assert "chưa vào bảng chuẩn" not in status  # 'correct' took the batch in
