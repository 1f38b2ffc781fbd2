"""Read any source file the import takes: the reader chosen by the file's suffix
(spreadsheets, CSV and Parquet: ``ingest.sources``; map layers: ``ingest.maps``).

``read_sources`` reads many files in order while the next workbooks are parsed in
threads: parsing a workbook is most of an import's reading, and calamine does it
without Python's lock, so a second core is used while DuckDB takes the current file.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import duckdb

from landclean.errors import ImportError_
from landclean.ingest.maps import read_map
from landclean.ingest.profiles import Profile
from landclean.ingest.sources import (
    MAP_SUFFIXES,
    TABLE_SUFFIXES,
    Sheet,
    Source,
    load_sheets,
    parse_xlsx,
    read_csv,
    read_parquet,
)

SPREADSHEETS = (".xlsx", ".xlsm")
PARSED_AHEAD = 2  # workbooks parsed ahead of the one DuckDB takes (each held as Arrow)


def _check_file(path: Path) -> None:
    if not path.is_file():
        raise ImportError_("no_file", path=path)
    if path.stat().st_size == 0:
        raise ImportError_("empty_file", path=path)


def read_source(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    profiles: list[Profile],
    workdir: Path,
    parsed: Future[list[Sheet]] | None = None,
) -> list[Source]:
    """Every sheet or layer of ``path`` as a Source (temp tables in ``con``); a workbook
    already being parsed is given as ``parsed``."""
    suffix = path.suffix.lower()
    _check_file(path)
    if parsed is not None:
        return load_sheets(con, path, parsed.result())
    if suffix in (".csv", ".txt"):
        return [read_csv(con, path, workdir, profiles)]
    if suffix == ".parquet":
        return [read_parquet(con, path)]
    if suffix in SPREADSHEETS:
        return load_sheets(con, path, parse_xlsx(path, profiles))
    if suffix in MAP_SUFFIXES:
        return read_map(con, path)
    if suffix == ".gml":  # an exchange package's (landclean.exchange.reader)
        from landclean.exchange.reader import read_package_gml

        return read_package_gml(con, path)
    raise ImportError_(
        "unsupported_type",
        path=path,
        suffix=suffix,
        expected=", ".join(sorted(MAP_SUFFIXES | TABLE_SUFFIXES)),
    )


def _parse_checked(path: Path, profiles: list[Profile]) -> list[Sheet]:
    _check_file(path)
    return parse_xlsx(path, profiles)


def read_sources(
    con: duckdb.DuckDBPyConnection,
    paths: list[Path],
    profiles: list[Profile],
    workdir: Path,
    before: Callable[[Path], None] | None = None,
) -> Iterator[tuple[Path, list[Source]]]:
    """``read_source`` of each path in order (``before`` called with it first), the next
    workbooks parsed meanwhile (at most ``PARSED_AHEAD`` held); an error is raised when
    its file's turn comes, as if read in order.  Stopping early waits for the parses
    already started, none more."""
    workbooks = deque(i for i, p in enumerate(paths) if p.suffix.lower() in SPREADSHEETS)
    pending: dict[int, Future[list[Sheet]]] = {}
    pool = ThreadPoolExecutor(max_workers=PARSED_AHEAD, thread_name_prefix="landclean-xlsx")

    def fill() -> None:
        while workbooks and len(pending) < PARSED_AHEAD:
            i = workbooks.popleft()
            pending[i] = pool.submit(_parse_checked, paths[i], profiles)

    try:
        for i, path in enumerate(paths):
            fill()
            if before is not None:
                before(path)
            parsed = pending.pop(i, None)
            yield path, read_source(con, path, profiles, workdir, parsed)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
