"""A newer export of the same commune: change set, removals, corrections kept, conflicts."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import duckdb
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landclean.api import import_sources
from landclean.corrections import record_correction
from landclean.ingest.build import build_canonical, pending_batches
from landclean.ingest.canonical import CANONICAL_TABLES
from landclean.pipeline import STAGES, run_pipeline
from landclean.stage import StageReport
from landclean.workspace import Workspace, create_workspace, open_workspace
from tests import samples
from tests.conftest import Province, ids, q


def _write(path: Path, parcels: list[dict[str, str]]) -> Path:
    return samples.write_csv(path, "field_form", "utf-8", parcels=parcels)


def test_newer_export_gives_a_change_set_and_keeps_corrections(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    con = fresh_ws.con
    import_sources(fresh_ws, [_write(tmp_path / "v1.csv", samples.PARCELS)])
    with fresh_ws.transaction() as tx:
        record_correction(tx, "parcel", "T001", "sheet_no", "99", "cán bộ xã Hòa Phú", "sai số tờ")
        record_correction(tx, "party", "C3", "full_name", "Đặng Văn Hưng", "cán bộ xã Hòa Phú")
    v2 = copy.deepcopy(samples.PARCELS)
    v2[0]["map_sheet"] = "14"  # the office changed the sheet that a person corrected
    v2[2]["legal_area"] = "990.1"
    del v2[1]  # T002 no longer exported
    v2.append(
        {
            **copy.deepcopy(samples.PARCELS[2]),
            "parcel_code": "T004",
            "owner_code": "C4",
            "map_parcel": "2",
            "cert_serial": "CH 654321",
        }
    )
    report = import_sources(fresh_ws, [_write(tmp_path / "v2.csv", v2)])
    changes = dict(
        q(
            con,
            "SELECT change || ':' || record_key, fields FROM import_change "
            "WHERE batch_id = (SELECT max(batch_id) FROM import_batch)",
        )
    )
    assert set(changes) == {"changed:T001", "changed:T003", "removed:T002", "added:T004"}
    assert changes["changed:T001"] == ["map_sheet"]
    assert changes["changed:T003"] == ["legal_area"]
    assert report.removed == 1
    parcels = dict(q(con, "SELECT parcel_id, sheet_no FROM parcel"))
    assert parcels == {"T001": 99, "T003": 13, "T004": 13}  # correction kept, T002 gone
    assert q(con, "SELECT legal_area FROM parcel WHERE parcel_id = 'T003'") == [(990.1,)]
    assert q(con, "SELECT full_name FROM party WHERE party_id = 'C3'") == [("Đặng Văn Hưng",)]
    conflicts = q(con, "SELECT record_id, column_name, corrected, imported FROM import_conflict")
    assert conflicts == [("T001", "sheet_no", "99", "14")]
    assert report.conflicts == 1
    log = q(
        con,
        "SELECT actor, record_id, before, after, note FROM change_log "
        "WHERE column_name = 'sheet_no'",
    )
    assert log == [("cán bộ xã Hòa Phú", "T001", "12", "99", "sai số tờ")]
    # the same file again changes nothing, and lists no new conflict
    again = import_sources(fresh_ws, [tmp_path / "v2.csv"])
    assert all(f.skipped for f in again.files)
    assert q(con, "SELECT count(*) FROM import_conflict") == [(1,)]
    # raw rows of both exports are still there
    assert q(con, "SELECT count(*) FROM raw_parcel_record") == [(6,)]


def test_corrections_survive_a_pipeline_run(fresh_ws: Workspace, tmp_path: Path) -> None:
    import_sources(fresh_ws, [_write(tmp_path / "v1.csv", samples.PARCELS)])
    with fresh_ws.transaction() as tx:
        record_correction(tx, "parcel", "T002", "legal_area", "251", "officer")
    run_pipeline(fresh_ws, stages=["validate", "classify"])
    import_sources(fresh_ws, [samples.write_map(tmp_path / "map.gpkg", "GPKG")])
    assert q(fresh_ws.con, "SELECT legal_area FROM parcel WHERE parcel_id = 'T002'") == [(251.0,)]


CANONICAL_DUMP = (
    "SELECT parcel_id, sheet_no, parcel_no, legal_area, geom IS NOT NULL FROM parcel ORDER BY 1"
)


def test_deferred_build_equals_building_at_each_import(tmp_path: Path) -> None:
    """Imports without --build leave the canonical tables to the next run, which takes in
    every batch imported meanwhile: the result is the same as building at each import."""
    from landclean.ingest.build import pending_batches
    from landclean.pipeline import ensure_built
    from landclean.workspace import create_workspace

    form = _write(tmp_path / "v1.csv", samples.PARCELS)
    layer = samples.write_map(tmp_path / "map.gpkg", "GPKG")
    eager = create_workspace(tmp_path / "eager.duckdb")
    lazy = create_workspace(tmp_path / "lazy.duckdb")
    try:
        for path in (form, layer):
            assert import_sources(eager, [path]).built
            assert not import_sources(lazy, [path], build=False).built
        assert q(lazy.con, "SELECT count(*) FROM parcel") == [(0,)]
        batches, targets = pending_batches(lazy.con)
        assert len(batches) == 2 and targets == {"parcel_record", "map_feature"}
        done = ensure_built(lazy)
        assert done is not None and done.counts["batches"] == len(batches)
        assert q(lazy.con, CANONICAL_DUMP) == q(eager.con, CANONICAL_DUMP)
        assert len(q(lazy.con, CANONICAL_DUMP)) == len(samples.PARCELS)
        assert pending_batches(lazy.con) == ([], set())
        assert ensure_built(lazy) is None  # nothing new: nothing rebuilt
    finally:
        eager.close()
        lazy.close()


def test_deferred_build_still_lists_conflicts(fresh_ws: Workspace, tmp_path: Path) -> None:
    import_sources(fresh_ws, [_write(tmp_path / "v1.csv", samples.PARCELS)])
    with fresh_ws.transaction() as tx:
        record_correction(tx, "parcel", "T001", "sheet_no", "99", "officer")
    v2 = copy.deepcopy(samples.PARCELS)
    v2[0]["map_sheet"] = "14"
    import_sources(fresh_ws, [_write(tmp_path / "v2.csv", v2)], build=False)
    rep = run_pipeline(fresh_ws, stages=["validate", "classify"])
    assert rep["build"].ran and rep["build"].counts["conflicts"] == 1
    assert q(fresh_ws.con, "SELECT sheet_no FROM parcel WHERE parcel_id = 'T001'") == [(99,)]
    assert q(fresh_ws.con, "SELECT imported FROM import_conflict") == [("14",)]


# The keys of the canonical tables: the build gives each once (the tables keep no index
# that would refuse a second one: migration 015).
KEYS = {
    "parcel": "parcel_id",
    "parcel_land_use": "parcel_id, seq",
    "party": "party_id",
    "land_right": "parcel_id, party_id",
    "certificate": "certificate_id",
    "certificate_parcel": "certificate_id, parcel_id",
    "asset": "asset_id",
    "map_sheet": "old_unit_code, sheet_no, scale",
}


def _keys_twice(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Per canonical table, how many keys it holds more than once (none: left out)."""
    twice = {
        table: q(con, f"SELECT count(*) FROM (SELECT {key} FROM {table} GROUP BY ALL "
                      "HAVING count(*) > 1)")[0][0]
        for table, key in KEYS.items()
    }  # fmt: skip
    return {table: n for table, n in twice.items() if n}


def test_every_key_once_in_the_province(built_workspace: Path) -> None:
    with open_workspace(built_workspace, read_only=True) as ws:
        assert q(ws.con, "SELECT count(*) FROM parcel")[0][0] > 1000
        assert _keys_twice(ws.con) == {}


@settings(max_examples=8, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    exports=st.lists(
        st.lists(st.integers(0, len(samples.PARCELS) - 1), min_size=1, max_size=6),
        min_size=1,
        max_size=3,
    )
)
def test_every_key_once_after_exports_repeating_rows(
    exports: list[list[int]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Exports that repeat a parcel's rows (in one file, across imports) still give one
    record per key."""
    folder = tmp_path_factory.mktemp("exports")
    with create_workspace(folder / "ws.duckdb") as ws:
        for n, rows in enumerate(exports):
            parcels = [copy.deepcopy(samples.PARCELS[i]) for i in rows]
            import_sources(ws, [_write(folder / f"v{n}.csv", parcels)])
        assert q(ws.con, "SELECT count(*) FROM parcel")[0][0] >= 1
        assert _keys_twice(ws.con) == {}


def _canonical(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """Every canonical table's rows (geometries as text), in one order."""
    tables = {}
    for table in CANONICAL_TABLES:
        columns = [
            f"ST_AsText({c})" if t == "GEOMETRY" else c
            for c, t in q(
                con,
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_name = ? ORDER BY ordinal_position",
                [table],
            )
        ]
        tables[table] = q(con, f"SELECT {', '.join(columns)} FROM {table} ORDER BY ALL")
    return tables


def _differing(a: list, b: list) -> list:
    """The rows of ``a`` not in ``b`` and those of ``b`` not in ``a``."""
    left, right = set(map(repr, a)), set(map(repr, b))
    return [r for r in a if repr(r) not in right] + [r for r in b if repr(r) not in left]


def _build(path: Path, keyed: bool) -> tuple[dict[str, list], StageReport, set[str]]:
    """The batches waiting in the workspace at ``path`` built (keyed: as the build stage
    does, only the records they touch; else every table again): its canonical tables,
    the build's report and its delta."""
    report = StageReport("build")
    with open_workspace(path) as ws:
        batches, targets = pending_batches(ws.con)
        with ws.transaction() as con:
            build_canonical(
                con,
                CANONICAL_TABLES,
                STAGES[1:],
                max(batches),
                len(batches),
                report,
                since_batch=min(batches) - 1 if keyed else None,
                targets=frozenset(targets),
            )
        delta = ids(ws.con, "SELECT table_name || ':' || record_id FROM build_delta")
        return _canonical(ws.con), report, delta


@pytest.mark.parametrize("district", [0, 5])
def test_a_keyed_build_gives_the_tables_a_full_build_gives(
    built_workspace: Path, province: Province, tmp_path: Path, district: int
) -> None:
    """A district's newer export rebuilds only the old communes it touches (and reads the
    rows of the records holding their land users and certificates): every canonical
    table comes out as a rebuild of everything gives it, and the build's delta names
    the parcels whose rows differ from before."""
    path = tmp_path / "ws.duckdb"
    shutil.copyfile(built_workspace, path)
    with open_workspace(path) as ws:
        before = _canonical(ws.con)
        files = samples.newer_export(province.root, tmp_path, district, 1)
        import_sources(ws, files, build=False)
    shutil.copyfile(path, tmp_path / "full.duckdb")
    keyed, report, delta = _build(path, keyed=True)
    assert "merge" in report.steps  # the keyed build, not a full one
    full, report, full_delta = _build(tmp_path / "full.duckdb", keyed=False)
    assert "merge" not in report.steps
    for table, rows in full.items():
        assert keyed[table] == rows, f"{table} differs from a full build"
    assert delta == full_delta
    # the delta: the parcels whose rows differ from before, found without the hashes (the
    # column of the parcel in each of its tables)
    position = {"asset": 1, "certificate_parcel": 1}
    changed = {
        f"parcel:{row[position.get(table, 0)]}"
        for table in (
            "parcel", "parcel_land_use", "land_right", "asset", "certificate_parcel",
            "parcel_source_conflict", "parcel_filled_value",
        )
        for row in _differing(before[table], keyed[table])
    }  # fmt: skip
    assert changed and changed == {d for d in delta if d.startswith("parcel:")}
