"""Reading many files: the next workbooks are parsed in threads, the files come out in
order, and an error is raised at its own file's turn."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from landclean.errors import ImportError_
from landclean.ingest.profiles import all_profiles
from landclean.ingest.reading import read_sources
from tests.hardening.mutate import write_xlsx


def _cells(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return con.execute(f"SELECT * EXCLUDE (row_no) FROM {table} ORDER BY row_no").fetchall()


def test_files_come_out_in_order_with_their_own_cells(tmp_path: Path) -> None:
    paths = []
    for i in range(5):
        rows = [["Mã thửa", "Diện tích"], *[[f"T{i}-{k}", str(100 * i + k)] for k in range(3 + i)]]
        paths.append(write_xlsx(tmp_path / f"w{i}.xlsx", rows))
    (tmp_path / "between.csv").write_text("Mã thửa,Diện tích\nC-1,7\n", encoding="utf-8")
    paths.insert(2, tmp_path / "between.csv")
    con = duckdb.connect()
    out = list(read_sources(con, paths, all_profiles(), tmp_path))
    assert [p for p, _ in out] == paths
    for path, [source] in out:
        assert source.headers[:2] == ["Mã thửa", "Diện tích"]
        if path.suffix == ".csv":
            assert _cells(con, source.table) == [("C-1", "7")]
        else:
            i = int(path.stem[1:])
            expected = [(f"T{i}-{k}", str(100 * i + k)) for k in range(3 + i)]
            assert _cells(con, source.table) == expected
            assert source.rows == 3 + i


def test_an_error_comes_at_its_files_turn(tmp_path: Path) -> None:
    good = write_xlsx(tmp_path / "good.xlsx", [["Mã thửa"], ["T-1"]])
    broken = tmp_path / "broken.xlsx"
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    later = write_xlsx(tmp_path / "later.xlsx", [["Mã thửa"], ["T-2"]])
    seen: list[Path] = []
    con = duckdb.connect()
    with pytest.raises(ImportError_) as caught:
        for path, _ in read_sources(con, [good, broken, later], all_profiles(), tmp_path):
            seen.append(path)
    assert seen == [good]
    assert "broken.xlsx" in str(caught.value)
