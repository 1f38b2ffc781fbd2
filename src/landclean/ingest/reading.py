"""Read any source file the import takes: the reader chosen by the file's suffix
(spreadsheets, CSV and Parquet: ``ingest.sources``; map layers: ``ingest.maps``)."""

from __future__ import annotations

from pathlib import Path

import duckdb

from landclean.errors import ImportError_
from landclean.ingest.maps import read_map
from landclean.ingest.profiles import Profile
from landclean.ingest.sources import (
    MAP_SUFFIXES,
    TABLE_SUFFIXES,
    Source,
    read_csv,
    read_parquet,
    read_xlsx,
)


def read_source(
    con: duckdb.DuckDBPyConnection, path: Path, profiles: list[Profile], workdir: Path
) -> list[Source]:
    """Every sheet or layer of ``path`` as a Source (temp tables in ``con``)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise ImportError_("no_file", path=path)
    if path.stat().st_size == 0:
        raise ImportError_("empty_file", path=path)
    if suffix in (".csv", ".txt"):
        return [read_csv(con, path, workdir, profiles)]
    if suffix == ".parquet":
        return [read_parquet(con, path)]
    if suffix in (".xlsx", ".xlsm"):
        return read_xlsx(con, path, profiles)
    if suffix in MAP_SUFFIXES:
        return read_map(con, path)
    raise ImportError_(
        "unsupported_type",
        path=path,
        suffix=suffix,
        expected=", ".join(sorted(MAP_SUFFIXES | TABLE_SUFFIXES)),
    )
