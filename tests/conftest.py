"""Shared fixtures: one small synthetic province and one workspace built from it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from landclean.api import import_sources
from landclean.pipeline import run_pipeline
from landclean.synth.config import GeneratorConfig
from landclean.synth.generate import generate
from landclean.workspace import Workspace, create_workspace, open_workspace

SMALL = GeneratorConfig(parcels=4000, seed=7, defect_scale=3.0)


@dataclass
class Province:
    root: Path
    config: GeneratorConfig

    def truth(self, name: str) -> str:
        return str(self.root / "truth" / f"{name}.parquet")


@pytest.fixture(scope="session")
def province(tmp_path_factory: pytest.TempPathFactory) -> Province:
    root = tmp_path_factory.mktemp("province") / "src"
    generate(SMALL, root)
    return Province(root, SMALL)


@pytest.fixture(scope="session")
def built_workspace(province: Province, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A workspace with the small province imported and the pipeline run once."""
    path = tmp_path_factory.mktemp("ws") / "ws.duckdb"
    with create_workspace(path) as ws:
        import_sources(ws, [province.root])
        run_pipeline(ws)
    return path


@pytest.fixture(scope="module")
def copy_ws(built_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """A copy of the shared workspace, open, for one test module to change."""
    path = tmp_path_factory.mktemp("copy") / "ws.duckdb"
    path.write_bytes(built_workspace.read_bytes())
    ws = open_workspace(path)
    yield ws  # type: ignore[misc]
    ws.close()


@pytest.fixture
def ws(built_workspace: Path) -> Workspace:
    """Read-only view of the shared workspace."""
    workspace = open_workspace(built_workspace, read_only=True)
    yield workspace  # type: ignore[misc]
    workspace.close()


@pytest.fixture
def fresh_ws(tmp_path: Path) -> Workspace:
    workspace = create_workspace(tmp_path / "fresh.duckdb")
    yield workspace  # type: ignore[misc]
    workspace.close()


def q(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> list:
    return con.execute(sql, params or []).fetchall()


def ids(con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None) -> set:
    return {r[0] for r in con.execute(sql, params or []).fetchall()}


def valid_summary(document: dict) -> dict:
    """``document`` checked against docs/summary.schema.json (the contract), returned."""
    import json

    import jsonschema

    schema = json.loads((Path(__file__).parents[1] / "docs" / "summary.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(document)
    return document


def summary_of(con: duckdb.DuckDBPyConnection) -> dict:
    """The workspace's summary.json document, checked against the schema."""
    from landclean.campaign.rollup import summarize

    return valid_summary(summarize(con).document())
