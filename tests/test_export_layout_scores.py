"""The land-system export layout (one row per land user, keys composed from commune +
scale + sheet + parcel, no parcel codes in the maps, no status columns) scored against
its truth like the field form: every owner row a land user, every rule the layout can
carry finds exactly its injected defect, authentication as precise."""

from __future__ import annotations

from pathlib import Path

import pytest

from landclean.api import import_sources
from landclean.pipeline import run_pipeline
from landclean.synth.auth_scoring import score_authentication
from landclean.synth.config import LAYOUT_WITHOUT, GeneratorConfig
from landclean.synth.generate import generate
from landclean.synth.scoring import score_rules
from landclean.workspace import Workspace, create_workspace
from tests.conftest import q

# one worker builds this module's fixtures once
pytestmark = pytest.mark.xdist_group("layout_scores")

EXPORT = GeneratorConfig(parcels=4000, seed=7, defect_scale=3.0, layout="owner_rows")


@pytest.fixture(scope="session")  # made once per worker, kept to the end
def export_ws(tmp_path_factory: pytest.TempPathFactory) -> tuple[Workspace, Path]:
    root = tmp_path_factory.mktemp("export") / "src"
    generate(EXPORT, root)
    ws = create_workspace(root.parent / "ws.duckdb")
    import_sources(ws, [root])
    run_pipeline(ws)
    return ws, root / "truth"


def test_every_owner_row_is_a_land_user(export_ws: tuple[Workspace, Path]) -> None:
    ws, truth = export_ws
    rights = q(ws.con, f"SELECT count(*) FROM '{truth}/rights.parquet'")[0][0]
    assert q(ws.con, "SELECT count(*) FROM land_right") == [(rights,)]
    rows = q(ws.con, "SELECT sum(rows_read), sum(records) + sum(rows_merged) FROM import_batch "
                     "WHERE layout = 'vbdlis_parcel'")  # fmt: skip
    assert rows[0][0] == rows[0][1]  # nothing quarantined, nothing blank


def test_rules_find_exactly_the_injected_defects(export_ws: tuple[Workspace, Path]) -> None:
    ws, truth = export_ws
    carried = [
        s for s in score_rules(ws.con, truth) if s.defect not in LAYOUT_WITHOUT["owner_rows"]
    ]
    assert len(carried) >= 25
    for s in carried:
        assert s.true_positive > 0, s
        assert (s.false_positive, s.false_negative) == (0, 0), s


def test_authentication_as_precise_as_with_the_form(export_ws: tuple[Workspace, Path]) -> None:
    ws, truth = export_ws
    s = score_authentication(ws.con, truth)
    assert s.precision >= 0.999, s
    assert s.recall >= 0.98, s
    assert s.reason_agreement >= 0.95, s
