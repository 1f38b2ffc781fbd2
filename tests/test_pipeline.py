"""Rules, authentication and classification against the generator's truth."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from landclean import api
from landclean.errors import PipelineError
from landclean.pipeline import run_pipeline
from landclean.rules.catalogue import CATALOGUE
from landclean.settings import Settings
from landclean.synth.scoring import RULE_DEFECT, RuleScore, confusion_markdown, score_rules
from landclean.workspace import Workspace, open_workspace
from tests.conftest import Province, ids, q


@pytest.fixture
def scores(ws: Workspace, province: Province) -> dict[str, RuleScore]:
    return {s.rule_id: s for s in score_rules(ws.con, province.root / "truth")}


def test_every_rule_is_scored_against_an_injected_defect() -> None:
    """Each rule has a defect type the generator injects, so its recall and precision
    are measured; the others are checked elsewhere: PARCEL_NOT_SYNCED against the parcels'
    sync state (below), the renumbering rules in test_renumber.py."""
    elsewhere = {
        "PARCEL_NOT_SYNCED",
        "PARCEL_COMMUNE_UNCERTAIN",
        "PARCEL_UID_COLLISION",
        "PARCEL_MISSING_NUMBER",  # hand-made rows below
        "PARCEL_SOURCES_DISAGREE",  # hand-made exports in test_record_keys.py
    }
    assert {r.rule_id for r in CATALOGUE} == set(RULE_DEFECT) | elsewhere


@pytest.mark.parametrize("rule_id", sorted(RULE_DEFECT))
def test_rule_finds_exactly_the_injected_defect(scores: dict[str, RuleScore], rule_id: str) -> None:
    s = scores[rule_id]
    assert s.true_positive > 0, f"no {s.defect} injected or none found"
    assert (s.false_positive, s.false_negative) == (0, 0), s


def test_confusion_table_lists_every_scored_rule(scores: dict[str, RuleScore]) -> None:
    table = confusion_markdown(list(scores.values()))
    assert all(f"| {rule_id} |" in table for rule_id in RULE_DEFECT)
    assert "100.00% | 100.00% |" in table


def test_not_synced_parcels(ws: Workspace, province: Province) -> None:
    found = ids(ws.con, "SELECT record_id FROM finding WHERE rule_id = 'PARCEL_NOT_SYNCED'")
    truth = ids(
        ws.con, f"SELECT parcel_id FROM '{province.truth('parcels')}' WHERE NOT vbdlis_synced"
    )
    assert found == truth


def test_every_rule_ran_and_is_documented(ws: Workspace) -> None:
    runs = q(ws.con, "SELECT count(*) FROM pipeline_run")
    assert runs[0][0] >= 1
    readme = (Path(__file__).parents[1] / "docs" / "rules.md").read_text(encoding="utf-8")
    for rule in CATALOGUE:
        assert rule.rule_id in readme, f"rule {rule.rule_id} is not documented in docs/rules.md"


def test_exact_authentication_against_truth(ws: Workspace, province: Province) -> None:
    """Users with no identity, name or birth defect who are in the registry are matched;
    users absent from the registry are not."""
    t = province.truth
    clean = ids(
        ws.con,
        f"""
        SELECT p.party_id FROM '{t("parties")}' p
        WHERE p.party_type <> 'organization'
          AND p.party_id NOT IN (SELECT record_id FROM '{t("defects")}'
                                 WHERE record_type = 'party' AND defect <> 'birth_year_only')
          AND p.person_id NOT IN (SELECT record_id FROM '{t("defects")}'
                                  WHERE defect = 'registry_absent')""",
    )
    matched = ids(ws.con, "SELECT party_id FROM auth_result WHERE status = 'matched'")
    assert clean <= matched
    absent = ids(
        ws.con,
        f"""SELECT p.party_id FROM '{t("parties")}' p JOIN
        '{t("defects")}' d ON d.record_id = p.person_id WHERE d.defect = 'registry_absent'""",
    )
    assert absent and not absent & matched
    reasons = dict(q(ws.con, "SELECT reason, count(*) FROM auth_result GROUP BY 1"))
    assert reasons.get("old_id_card", 0) > 0 and reasons.get("missing_id", 0) > 0


def test_classification_puts_rebuilds_in_group_3(ws: Workspace, province: Province) -> None:
    g3 = ids(ws.con, "SELECT parcel_id FROM parcel_group WHERE grp = 3")
    truth = ids(
        ws.con, f"SELECT parcel_id FROM '{province.truth('parcels')}' WHERE expected_group = 3"
    )
    assert g3 == truth
    counts = dict(q(ws.con, "SELECT grp, count(*) FROM parcel_group GROUP BY 1"))
    assert sum(counts.values()) == q(ws.con, "SELECT count(*) FROM parcel")[0][0]


def test_rerun_marks_fixed_findings(built_workspace: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    with open_workspace(copy) as ws:
        target = q(
            ws.con, "SELECT record_id FROM finding WHERE rule_id = 'PARCEL_MISSING_SHEET' LIMIT 1"
        )[0][0]
        api.correct(ws, "parcel", target, "sheet_no", "999", by="Cán bộ địa chính")
        n_before = q(ws.con, "SELECT count(*) FROM finding")[0][0]
        runs_before = q(ws.con, "SELECT count(*) FROM pipeline_run")[0][0]
        run_pipeline(ws)
        state = q(
            ws.con,
            "SELECT state FROM finding WHERE rule_id = 'PARCEL_MISSING_SHEET' AND record_id = ?",
            [target],
        )
        assert state == [("fixed",)]
        assert q(ws.con, "SELECT count(*) FROM finding")[0][0] == n_before
        runs = q(ws.con, "SELECT count(*), count(DISTINCT actor) FROM pipeline_run")
        assert runs[0][0] == runs_before + 1
        # an incremental run: the rules of parcels but those of geometries (no geometry
        # changed), each timed, and no rule of land users or certificates (none changed);
        # the parcel's sheets renumbered; no land user to authenticate again
        timed = q(
            ws.con,
            "SELECT rule_id FROM rule_run WHERE seconds >= 0 AND error IS NULL "
            "AND run_id = (SELECT max(run_id) FROM pipeline_run)",
        )
        parcels = {
            r.rule_id
            for r in CATALOGUE
            if r.target == "parcel" and r.scope in ("record", "old_commune")
        }
        others = {r.rule_id for r in CATALOGUE if r.target in ("party", "certificate")}
        assert parcels <= {r[0] for r in timed}
        assert not others & {r[0] for r in timed}
        stages = q(ws.con, "SELECT stage_seconds FROM pipeline_run ORDER BY run_id DESC LIMIT 1")
        ran = {s for s in json.loads(stages[0][0]) if "." not in s}
        assert ran == {"renumber", "validate", "classify", "campaign", "map"}


def test_classification_mapping_is_configurable(
    built_workspace: Path, province: Province, tmp_path: Path
) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    mapping = tmp_path / "groups.csv"
    mapping.write_text("rule_id,group\nPARCEL_MISSING_GEOMETRY,2\nAUTHENTICATION,1\n")
    with open_workspace(copy) as ws:
        before = dict(q(ws.con, "SELECT grp, count(*) FROM parcel_group GROUP BY 1"))
        # parcels whose only trouble is an unmatched land user: no open finding on the
        # parcel, on its certificates or on its land users
        only_auth = ids(
            ws.con,
            """
            WITH f AS (SELECT * FROM finding WHERE state = 'open' AND severity <> 'info'),
            troubled AS (
                SELECT record_id AS parcel_id FROM f WHERE record_type = 'parcel'
                UNION SELECT cp.parcel_id FROM f JOIN certificate_parcel cp
                    ON f.record_type = 'certificate' AND cp.certificate_id = f.record_id
                UNION SELECT r.parcel_id FROM f JOIN land_right r
                    ON f.record_type = 'party' AND r.party_id = f.record_id)
            SELECT DISTINCT r.parcel_id FROM land_right r JOIN auth_result a USING (party_id)
            WHERE a.status <> 'matched' AND r.parcel_id NOT IN (SELECT parcel_id FROM troubled)
            """,
        )
        run_pipeline(ws, stages=["classify"], settings=Settings(classification=mapping))
        after = dict(q(ws.con, "SELECT grp, count(*) FROM parcel_group GROUP BY 1"))
        assert 3 not in after and before[3] > 0
        rebuilds = ids(
            ws.con, f"SELECT parcel_id FROM '{province.truth('parcels')}' WHERE expected_group = 3"
        )
        assert rebuilds <= ids(ws.con, "SELECT parcel_id FROM parcel_group WHERE grp = 2")
        assert only_auth, "the test province has users matched by nobody else's findings"
        assert only_auth <= ids(ws.con, "SELECT parcel_id FROM parcel_group WHERE grp = 1")
        assert after[1] >= before[1] + len(only_auth)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("rule_id,group\nNO_SUCH_RULE,2\n", "row 2, column rule_id: unknown rule"),
        ("rule_id,group\nAREA_MISMATCH,4\n", "row 2, column group: '4'; expected 1, 2 or 3"),
        ("rule,grp\nAREA_MISMATCH,2\n", "expected a CSV file with columns rule_id,group"),
    ],
)
def test_bad_classification_file_is_refused_before_any_work(
    built_workspace: Path, tmp_path: Path, text: str, message: str
) -> None:
    mapping = tmp_path / "groups.csv"
    mapping.write_text(text)
    with open_workspace(built_workspace, read_only=True) as ws:
        runs = q(ws.con, "SELECT count(*) FROM pipeline_run")
        with pytest.raises(PipelineError, match=message):
            run_pipeline(ws, settings=Settings(classification=mapping))
        assert q(ws.con, "SELECT count(*) FROM pipeline_run") == runs


def test_pipeline_refuses_empty_workspace(fresh_ws: Workspace) -> None:
    with pytest.raises(PipelineError, match="no parcels"):
        run_pipeline(fresh_ws)
    with pytest.raises(PipelineError, match="unknown stage"):
        run_pipeline(fresh_ws, stages=["bogus"])


def test_id_and_book_entry_rules_fire_on_hand_made_rows(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    import copy

    from landclean.api import import_sources
    from tests import samples

    rows = copy.deepcopy(samples.PARCELS)
    rows[0]["owner_id"] = "999165001234"  # no province 999
    rows[1]["owner_id"] = "066170001235"  # says female (digit 1) born 1970; recorded as male
    path = samples.write_csv(tmp_path / "f.csv", "field_form", "utf-8", parcels=rows)
    samples.append_columns(
        path,
        ["Số vào sổ cấp GCN", "Giới tính"],
        [["CH 00324", "Nữ"], ["SỐ 12/A", "Nam"], ["CN00.383", "Nam"]],
    )
    import_sources(fresh_ws, [path])
    run_pipeline(fresh_ws, stages=["validate"])
    found = dict(
        q(
            fresh_ws.con,
            "SELECT rule_id, list(record_id ORDER BY record_id) FROM finding "
            "WHERE rule_id IN ('PARTY_ID_UNKNOWN_PROVINCE', "
            "'PARTY_ID_BIRTH_MISMATCH', 'CERT_BOOK_ENTRY_FORMAT') "
            "GROUP BY 1",
        )
    )
    assert found["PARTY_ID_UNKNOWN_PROVINCE"] == ["C1"]
    assert found["PARTY_ID_BIRTH_MISMATCH"] == ["C2"]
    assert len(found["CERT_BOOK_ENTRY_FORMAT"]) == 1


def test_completeness_and_consistency_rules_fire(fresh_ws: Workspace, tmp_path: Path) -> None:
    import copy

    from landclean.api import import_sources
    from tests import samples

    rows = copy.deepcopy(samples.PARCELS)
    rows[0]["legal_area"] = ""  # no area
    rows[0]["lu1_code"] = ""  # no land use
    rows[1]["owner_name"] = ""  # owner without a name
    rows[1]["cert_serial"] = rows[2]["cert_serial"]  # two certificates, one serial
    rows[1]["cert_issue_date"] = "02/02/2012"
    rows[2]["map_parcel"] = ""  # no parcel number (and the map has none: no map imported)
    path = samples.write_csv(tmp_path / "f.csv", "field_form", "utf-8", parcels=rows)
    text = path.read_text(encoding="utf-8").splitlines()
    text[0] += ",Loại tài sản gắn liền,Số vào sổ cấp GCN"
    text[1] += ",,CH 001"
    text[2] += ",,CH 002"
    text[3] += ",Nhà ở riêng lẻ,CH 003"  # a house on a rice (LUC) parcel
    text.append(
        text[3]
        .replace("T003", "T009")
        .replace("CH 123456", "")
        .replace(",C3,", ",C9,")
        .replace("Nhà ở riêng lẻ", "")
    )  # certificate without serial
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    import_sources(fresh_ws, [path])
    run_pipeline(fresh_ws, stages=["standardize", "validate"])
    found = dict(q(fresh_ws.con, "SELECT rule_id, count(*) FROM finding GROUP BY 1"))
    assert found.get("PARCEL_MISSING_AREA") == 1
    assert found.get("PARCEL_MISSING_LAND_USE") == 1
    assert found.get("PARTY_MISSING_NAME") == 1
    assert found.get("CERT_DUPLICATE_SERIAL") == 2
    assert found.get("ASSET_ON_NON_RESIDENTIAL") == 1
    assert found.get("CERT_MISSING_SERIAL") == 1
    no_number = ids(fresh_ws.con, "SELECT parcel_id FROM parcel WHERE parcel_no IS NULL")
    assert no_number == {"T003", "T009"}  # T009 is a copy of T003's row
    assert no_number == ids(
        fresh_ws.con, "SELECT record_id FROM finding WHERE rule_id = 'PARCEL_MISSING_NUMBER'"
    )
    # book-entry numbers normalized: upper case, one space after the prefix
    books = {r[0] for r in q(fresh_ws.con, "SELECT book_entry_no FROM certificate")}
    assert {"CH 001", "CH 002"} <= books


def test_a_failing_rule_or_reference_table_stays_isolated(
    built_workspace: Path, tmp_path: Path
) -> None:
    """A rule whose SQL fails, or whose shared reference table cannot be built, is reported
    as failed; every other rule runs and records its findings."""
    from landclean.rules.catalogue import Rule
    from landclean.rules.validate import evaluate_rules

    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    broken = Rule("BROKEN", "parcel", "error", 2, "SELECT nonsense FROM nowhere")
    with open_workspace(copy) as ws:
        # the commune extents come from admin_unit_old: without it that reference fails
        ws.con.execute("ALTER TABLE admin_unit_old RENAME TO admin_unit_old_hidden")
        report = evaluate_rules(ws.con, Settings(), (broken, *CATALOGUE))
        failed = {r.rule_id: r.error for r in report.failed}
        assert set(failed) == {"BROKEN", "PARCEL_OUTSIDE_COMMUNE"}
        assert "commune_extent" in str(failed["PARCEL_OUTSIDE_COMMUNE"])
        found = {r.rule_id: r.found for r in report.results}
        assert found["PARCEL_MISSING_SHEET"] > 0 and found["PARCEL_OVERLAP"] > 0


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ("parcel", "parcel_id"),
        ("parcel_land_use", "parcel_id"),
        ("party", "party_id"),
        ("land_right", "parcel_id"),
        ("certificate", "certificate_id"),
        ("certificate_parcel", "parcel_id"),
    ],
)
def test_a_build_stores_the_records_in_key_order(ws: Workspace, table: str, key: str) -> None:
    """A page looks one record up by its key: stored in key order, the lookup reads the
    one row group whose range holds it (DuckDB's min/max per row group)."""
    out_of_order = ws.scalar(
        f"SELECT count(*) FROM (SELECT {key} AS k, lag({key}) OVER (ORDER BY rowid) AS prev "
        f"FROM {table}) WHERE prev > k"
    )
    assert ws.scalar(f"SELECT count(*) FROM {table}") > 100
    assert out_of_order == 0
