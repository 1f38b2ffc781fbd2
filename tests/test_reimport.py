"""A newer export of the same commune: change set, removals, corrections kept, conflicts."""

from __future__ import annotations

import copy
from pathlib import Path

from landclean.corrections import record_correction
from landclean.ingest.importer import import_sources
from landclean.pipeline import run_pipeline
from landclean.workspace import Workspace
from tests import samples
from tests.conftest import q


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
