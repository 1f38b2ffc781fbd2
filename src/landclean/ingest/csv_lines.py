"""Blank lines of a CSV file: DuckDB's reader passes over them, so rows would lose their
line numbers and the blank lines would not be counted."""

from __future__ import annotations

from pathlib import Path

import duckdb


def _line_count(path: Path) -> int:
    """Lines of a text file, the last without its newline counted too."""
    n, last = 0, b"\n"
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 22), b""):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (last != b"\n")


def number_blank_lines(
    con: duckdb.DuckDBPyConnection, table: str, path: Path, header_lines: int, rows: int
) -> int:
    """The CSV reader passes over empty lines: give each row its own line number again
    and return how many empty lines lie among the rows (counted as blank rows).  Not done
    where a quoted cell spans lines (lines and rows then differ for another reason)."""
    if _line_count(path) <= header_lines + rows:
        return 0  # no empty line (fast path: one pass counting newlines)
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE {table}_lines AS
        SELECT i AS line_no, rtrim(line, chr(13)) = '' AS empty FROM (
            SELECT unnest(l) AS line, generate_subscripts(l, 1) AS i
            FROM (SELECT string_split(content, chr(10)) AS l FROM read_text(?)))
        WHERE i > ?""",
        [str(path), header_lines],
    )
    try:
        last = con.execute(f"SELECT max(line_no) FROM {table}_lines WHERE NOT empty").fetchone()
        counts = con.execute(
            f"SELECT count(*) FILTER (WHERE NOT empty), count(*) FILTER (WHERE empty) "
            f"FROM {table}_lines WHERE line_no <= ?",
            [last[0] if last else 0],
        ).fetchone()
        if counts is None or counts[0] != rows:
            return 0  # a quoted cell spans lines: rows keep their record numbers
        con.execute(
            f"""UPDATE {table} SET row_no = m.line_no FROM (
                SELECT line_no, row_number() OVER (ORDER BY line_no) + ? AS old_no
                FROM {table}_lines WHERE NOT empty) m
            WHERE {table}.row_no = m.old_no""",
            [header_lines],
        )
        return int(counts[1])
    finally:
        con.execute(f"DROP TABLE IF EXISTS {table}_lines")
