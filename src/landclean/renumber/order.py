"""The order in which a new commune's old communes are numbered.

Default: the official codes, ascending.  A province may publish its own order: a CSV
file with the columns ``new_code,old_code,position`` (LANDCLEAN_RENUMBER_ORDER).  Old
communes the file does not list follow the listed ones, by code.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from landclean.errors import PipelineError

COLUMNS = {"new_code", "old_code", "position"}


def read_order(
    con: duckdb.DuckDBPyConnection, path: Path
) -> tuple[list[list[object]], list[PipelineError]]:
    """The file's rows (new_code, old_code, position) and every problem found in it."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return [], [PipelineError("order_unreadable", path=path, reason=exc)]
    if not rows or not set(rows[0]) >= COLUMNS:
        return [], [PipelineError("order_columns", path=path)]
    links = {
        (str(a), str(b))
        for a, b in con.execute("SELECT new_code, old_code FROM admin_crosswalk").fetchall()
    }
    seen: set[tuple[str, int]] = set()
    listed: set[tuple[str, str]] = set()
    values: list[list[object]] = []
    problems: list[PipelineError] = []
    for line, row in enumerate(rows, start=2):
        new, old = (row["new_code"] or "").strip(), (row["old_code"] or "").strip()
        if (new, old) not in links:
            problems.append(PipelineError("order_link", path=path, row=line, new=new, old=old))
            continue
        if (new, old) in listed:
            problems.append(PipelineError("order_duplicate", path=path, row=line, new=new, old=old))
            continue
        listed.add((new, old))
        try:
            position = int((row["position"] or "").strip())
        except ValueError:
            problems.append(
                PipelineError("order_position", path=path, row=line, value=row["position"])
            )
            continue
        if (new, position) in seen:
            problems.append(
                PipelineError("order_twice", path=path, row=line, position=position, new=new)
            )
            continue
        seen.add((new, position))
        values.append([new, old, position])
    return values, problems


def load_order(con: duckdb.DuckDBPyConnection, path: Path | None) -> None:
    """Fill the temp table rn_order (unit_code, old_unit_code, position) from the file."""
    con.execute(
        "CREATE OR REPLACE TEMP TABLE rn_order "
        "(unit_code VARCHAR, old_unit_code VARCHAR, position INTEGER)"
    )
    if path is None:
        return
    values, problems = read_order(con, path)
    if problems:
        raise problems[0]
    if values:
        con.executemany("INSERT INTO rn_order VALUES (?, ?, ?)", values)
