"""Load DuckDB's spatial extension offline, from the file shipped in the PyPI wheel."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import duckdb

from landclean.errors import WorkspaceError


def spatial_extension_path() -> Path:
    """Path of ``spatial.duckdb_extension`` inside the ``duckdb-ext-spatial`` wheel."""
    version = duckdb.__version__
    found: list[Path] = []
    for base in resources.files("duckdb_ext").iterdir():  # namespace package: maybe many roots
        root = Path(str(base)).parent / "extensions" / f"v{version}"
        found = sorted(root.glob("*/spatial.duckdb_extension"))
        if found:
            break
    if not found:
        raise WorkspaceError("no_spatial", version=version)
    return found[0]


def load_spatial(con: duckdb.DuckDBPyConnection) -> None:
    """LOAD spatial from the wheel (never from the network)."""
    con.execute("SET autoinstall_known_extensions = false")
    con.execute("SET autoload_known_extensions = false")
    con.execute(f"LOAD '{spatial_extension_path()}'")
