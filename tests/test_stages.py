"""The stage contract: every stage names what it reads and owns; every table has one
owner; a rebuild of the canonical tables keeps every stage's results; a parcel's new
commune is decided by the renumber stage alone; a stage that fails leaves its tables."""

from __future__ import annotations

from pathlib import Path

import pytest

from landclean import api, pipeline
from landclean.ingest.build import build_canonical
from landclean.ingest.canonical import CANONICAL_TABLES
from landclean.pipeline import STAGES, run_pipeline
from landclean.stage import Stage, StageContext, StageReport
from landclean.workspace import Workspace, open_workspace
from tests import samples
from tests.conftest import q

ROOT = Path(__file__).parents[1]
# Tables no stage owns, by who writes them (docs/architecture.md, "Tables").
NOT_STAGES = {
    "administrative units": {"admin_unit", "admin_unit_old", "admin_crosswalk"},
    "imports": {
        "import_batch", "raw_parcel_record", "raw_map_feature", "raw_registry",
        "raw_commune_status", "raw_commune_progress", "raw_commune_target", "quarantine",
        "import_change",
    },
    "people": {
        "correction", "certificate_step", "worklist_return", "correction_proposal",
        "review_decision",
    },
    "the server": {
        "account", "account_login", "account_session", "account_token", "account_event",
        "access_log", "job", "server_secret",
    },
    "evidence": {
        "evidence_document", "evidence_arrival", "evidence_card", "evidence_link",
        "evidence_certificate", "citizen_notice", "citizen_answer",
    },
    "the population service": {
        "registry_batch", "registry_request", "registry_verdict", "registry_problem",
        "registry_exchange",
    },
    "exchange packages": {
        "exchange_package",
        "exchange_version",
        "exchange_scope",
        "exchange_fingerprint",
        "exchange_fingerprint_bucket",
        "exchange_fingerprint_mark",
    },
    "history": {"change_log", "pipeline_run", "schema_migration", "stage_state"},
}  # fmt: skip


def _tables(ws: Workspace) -> set[str]:
    rows = q(ws.con, "SELECT table_name FROM duckdb_tables() WHERE NOT temporary")
    return {r[0] for r in rows}


def test_every_table_has_one_owner(ws: Workspace) -> None:
    owners: dict[str, str] = {}
    for stage in STAGES:
        assert stage.owns and stage.reads and stage.summary, stage.name
        for table in stage.owns:
            assert table not in owners, f"{table} owned by {owners[table]} and {stage.name}"
            owners[table] = stage.name
    others = set().union(*NOT_STAGES.values())
    assert not others & set(owners)
    assert _tables(ws) == set(owners) | others  # every table accounted for, once
    assert len({s.name for s in STAGES}) == len(STAGES)


def test_carried_columns_exist_and_have_a_restore(ws: Workspace) -> None:
    columns = {
        f"{t}.{c}"
        for t, c in q(ws.con, "SELECT table_name, column_name FROM information_schema.columns")
    }
    for stage in STAGES:
        assert bool(stage.carries) == (stage.restore is not None), stage.name
        assert set(stage.carries) <= columns, stage.name


def test_architecture_doc_lists_every_stage_and_its_tables() -> None:
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    rows = {
        line.split("|")[1].strip(" `"): line for line in doc.splitlines() if line.startswith("| `")
    }
    for stage in STAGES:
        assert stage.name in rows, f"stage {stage.name} is not in docs/architecture.md"
        for table in (*stage.owns, *stage.carries):
            assert f"`{table}`" in rows[stage.name], f"{stage.name}: {table} not listed"
    for tables in NOT_STAGES.values():
        for table in tables:
            assert f"`{table}`" in doc, f"table {table} is not in docs/architecture.md"


CARRIED = {
    "parcel": "SELECT parcel_id, unit_code, placement, new_sheet_no, uid, address, "
    "geom_repaired, md5(ST_AsHEXWKB(geom)) FROM parcel ORDER BY 1",
    "party": "SELECT party_id, full_name, address FROM party ORDER BY 1",
    "land use": "SELECT parcel_id, seq, code FROM parcel_land_use ORDER BY 1, 2",
}


def test_a_rebuild_keeps_every_stage_result(built_workspace: Path, tmp_path: Path) -> None:
    """The canonical tables rebuilt from the raw imports (a newer import, a correction):
    placements, sheets and UIDs, standardized names, addresses, codes and geometries are
    put back, and the next run has nothing new to standardize or log."""
    copy = tmp_path / "ws.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    with open_workspace(copy) as ws:
        before = {k: q(ws.con, sql) for k, sql in CARRIED.items()}
        assert q(ws.con, "SELECT count(*) FROM standardized_value")[0][0] > 0
        with ws.transaction() as con:  # every canonical table from the raw imports again
            build_canonical(con, CANONICAL_TABLES, STAGES[1:])
        assert {k: q(ws.con, sql) for k, sql in CARRIED.items()} == before
        log = q(ws.con, "SELECT count(*) FROM change_log")
        # the build changed no record: nothing for the stages that take imports in
        assert q(ws.con, "SELECT count(*) FROM build_delta") == [(0,)]
        assert not run_pipeline(ws, ["standardize", "renumber"])["standardize"].ran
        # and everything standardized again finds nothing to change
        report = run_pipeline(ws, ["standardize", "renumber"], full=True)
        assert report["standardize"].counts == dict.fromkeys(
            ("names", "land_use", "addresses", "geometry"), 0
        )
        assert q(ws.con, "SELECT count(*) FROM change_log") == log
        assert {k: q(ws.con, sql) for k, sql in CARRIED.items()} == before


def test_a_changed_parcel_gets_no_stale_renumbering(built_workspace: Path, tmp_path: Path) -> None:
    """A parcel whose sheet a newer export changed keeps no new sheet number decided from
    the old one: it has none until the renumber stage runs again."""
    copy = tmp_path / "ws.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    with open_workspace(copy) as ws:
        moved, kept = (
            r[0]
            for r in q(
                ws.con,
                "SELECT parcel_id FROM parcel WHERE new_sheet_no IS NOT NULL AND source_file "
                "LIKE '%.xlsx' ORDER BY parcel_id LIMIT 2",
            )
        )
        before = q(ws.con, "SELECT new_sheet_no, uid FROM parcel WHERE parcel_id = ?", [kept])
        with ws.transaction() as con:  # as a newer export would have it: another sheet
            con.execute(
                "UPDATE raw_parcel_record SET map_sheet = '999' WHERE parcel_code = ?", [moved]
            )
            build_canonical(con, CANONICAL_TABLES, STAGES[1:])
        assert q(ws.con, "SELECT sheet_no, new_sheet_no, uid FROM parcel WHERE parcel_id = ?",
                 [moved]) == [(999, None, None)]  # fmt: skip
        assert q(ws.con, "SELECT new_sheet_no, uid FROM parcel WHERE parcel_id = ?", [kept]) == (
            before
        )
        run_pipeline(ws, ["renumber"])
        assert q(ws.con, "SELECT new_sheet_no FROM parcel WHERE parcel_id = ?", [moved])[0][0]


def test_an_address_follows_its_parcel_to_another_commune(
    built_workspace: Path, tmp_path: Path
) -> None:
    from landclean.standardize.stage import standardize_addresses

    copy = tmp_path / "ws.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    with open_workspace(copy) as ws:
        parcel, unit = q(
            ws.con,
            "SELECT record_id, basis FROM standardized_value WHERE table_name = 'parcel' "
            "AND column_name = 'address' ORDER BY record_id LIMIT 1",
        )[0]
        other, name = q(
            ws.con,
            "SELECT code, name FROM admin_unit WHERE code <> ? ORDER BY code LIMIT 1",
            [unit],
        )[0]
        with ws.transaction() as con:  # the renumber stage placed it elsewhere
            con.execute("UPDATE parcel SET unit_code = ? WHERE parcel_id = ?", [other, parcel])
            standardize_addresses(con)
        address = q(ws.con, "SELECT address FROM parcel WHERE parcel_id = ?", [parcel])[0][0]
        assert address.endswith(f", {name}, Tỉnh Đắk Lắk"), address


def test_the_build_places_no_parcel_and_renumber_always_follows_it(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    """The build takes no decision on the new commune; the renumber stage does, once, and
    runs whenever the build rebuilt, whatever stages were asked for."""
    api.import_sources(
        fresh_ws, [samples.write_csv(tmp_path / "f.csv", "field_form", "utf-8")], build=False
    )
    with fresh_ws.transaction() as con:
        build_canonical(con, CANONICAL_TABLES, STAGES[1:])
    assert q(fresh_ws.con, "SELECT count(*), count(unit_code) FROM parcel") == [(3, 0)]
    api.import_sources(fresh_ws, [samples.write_csv(tmp_path / "g.csv", "field_form", "cp1258")])
    placed = q(fresh_ws.con, "SELECT parcel_id, unit_code, placement FROM parcel ORDER BY 1")
    assert placed == q(
        fresh_ws.con, "SELECT parcel_id, unit_code, placement FROM parcel_place ORDER BY 1"
    )
    assert placed and all(unit for _, unit, _ in placed)
    last = q(fresh_ws.con, "SELECT stages FROM pipeline_run ORDER BY run_id DESC LIMIT 1")
    assert last == [("build,renumber",)]


def test_a_run_of_other_stages_after_an_import_places_the_new_parcels(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    api.import_sources(
        fresh_ws, [samples.write_csv(tmp_path / "f.csv", "field_form", "utf-8")], build=False
    )
    report = run_pipeline(fresh_ws, ["validate"])
    assert [r.stage for r in report.stages] == ["build", "renumber", "validate"]
    assert q(fresh_ws.con, "SELECT count(*) FROM parcel WHERE unit_code IS NULL") == [(0,)]
    report = run_pipeline(fresh_ws, ["validate"])  # nothing waits, nothing changed
    assert [r.stage for r in report.stages] == ["build", "validate"]
    assert [r.stage for r in report.stages if r.ran] == []


@pytest.mark.parametrize("stages", [[], [""], ["", " "]])
def test_no_stage_named_is_refused(fresh_ws: Workspace, stages: list[str]) -> None:
    with pytest.raises(pipeline.PipelineError, match="no stage chosen; expected some of: build"):
        run_pipeline(fresh_ws, stages)


def test_a_failing_stage_leaves_its_tables_and_the_run_says_why(
    built_workspace: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def boom(ctx: StageContext) -> StageReport:
        ctx.con.execute("DELETE FROM parcel_group")  # half its work done, then it fails
        raise RuntimeError("the disk is full")

    failing = Stage("classify", "x", ("finding",), ("parcel_group",), boom)
    stages = tuple(failing if s.name == "classify" else s for s in STAGES)
    monkeypatch.setattr(pipeline, "STAGES", stages)
    copy = tmp_path / "ws.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    with open_workspace(copy) as ws:
        groups = q(ws.con, "SELECT count(*) FROM parcel_group")
        with pytest.raises(RuntimeError, match="disk is full"):
            run_pipeline(ws, ["validate", "classify", "campaign"], full=True)
        assert q(ws.con, "SELECT count(*) FROM parcel_group") == groups  # rolled back
        last = q(ws.con, "SELECT stages, error FROM pipeline_run ORDER BY run_id DESC LIMIT 1")
        assert last == [("build,validate,classify,campaign", "classify: the disk is full")]
        # the stage before it kept its work: this run's findings are recorded
        assert q(ws.con, "SELECT max(last_seen_run) FROM finding") == q(
            ws.con, "SELECT max(run_id) FROM pipeline_run"
        )
