"""Standardization: names and land-use codes, against the generator's truth."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from landclean.pipeline import run_pipeline
from landclean.synth.people import names_data
from landclean.vn.land_use import current_codes
from landclean.vn.legacy_encodings import tcvn3_mojibake, vni_mojibake
from landclean.vn.names import has_mojibake_marks, standard_name
from landclean.vn.text import to_old_tone_placement, usual_tone_placement
from landclean.workspace import Workspace, open_workspace
from tests.conftest import Province, ids, q

D = names_data()
KINH = st.builds(
    lambda s, m, g: f"{s} {m} {g}",
    st.sampled_from(list(D["kinh_surnames"])),
    st.sampled_from(list(D["kinh_middle_female"])),
    st.sampled_from(D["kinh_given_female"] + D["kinh_given_male"]),
)
HIGHLAND = st.builds(
    lambda g, c: f"H'{g} {c}",
    st.sampled_from(D["highland_given_female"]),
    st.sampled_from(list(D["highland_clans"])),
)


def test_tone_placement() -> None:
    assert usual_tone_placement("Hoà Thuỷ Khoẻ Quý Hoàng") == "Hòa Thủy Khỏe Quý Hoàng"


@given(st.one_of(KINH, HIGHLAND))
def test_every_damage_is_undone(name: str) -> None:
    for damaged in (
        name,
        unicodedata.normalize("NFD", name),
        to_old_tone_placement(name),
        f"  {name.upper()}  ",
    ):
        assert standard_name(damaged) == name, damaged
    for damaged in (tcvn3_mojibake(name), vni_mojibake(name)):
        if standard_name(damaged) != name:
            # Both encodings write some letters as other real letters (TCVN3 ũ shows as ò,
            # VNI ơ as ô): with no other mark, the damage cannot be told from a real name.
            assert not has_mojibake_marks(damaged), damaged


ENCODING_DEFECTS = ("name_nfd", "name_tone_placement", "name_tcvn3_mojibake", "name_vni_mojibake")


def test_names_in_the_workspace_match_truth(ws: Workspace, province: Province) -> None:
    t = province.truth
    rows = q(
        ws.con,
        f"""
        SELECT p.party_id, p.full_name, pe.full_name, d.defect
        FROM party p JOIN '{t("parties")}' tp USING (party_id)
        JOIN '{t("persons")}' pe USING (person_id)
        LEFT JOIN (SELECT record_id, string_agg(defect, ',') AS defect FROM '{t("defects")}'
                   WHERE defect LIKE 'name_%' GROUP BY 1) d ON d.record_id = p.party_id""",
    )
    damaged_ok = damaged_bad = 0
    for _, std, true, defect in rows:
        if defect is None:
            assert std == true  # standardization never damages a clean name
        elif defect in ENCODING_DEFECTS:
            damaged_ok += std == true
            damaged_bad += std != true
    assert damaged_ok > 0
    assert damaged_ok / (damaged_ok + damaged_bad) >= 0.95


def test_legacy_land_use_codes_are_mapped(ws: Workspace, province: Province) -> None:
    codes = {r[0] for r in q(ws.con, "SELECT DISTINCT code FROM parcel_land_use")}
    invalid = ids(
        ws.con,
        f"SELECT record_id FROM '{province.truth('defects')}' "
        "WHERE defect = 'parcel_invalid_land_use'",
    )
    stray = ids(
        ws.con,
        "SELECT parcel_id FROM parcel_land_use WHERE NOT list_contains(?, code)",
        [sorted(current_codes())],
    )
    assert stray == invalid
    assert codes & {"BHK", "LUN", "TTN"} == set()
    logged = q(ws.con, "SELECT count(*) FROM change_log WHERE rule_id = 'STD_LAND_USE'")[0][0]
    legacy = q(
        ws.con,
        f"SELECT count(*) FROM '{province.truth('parcels')}' "
        "WHERE legacy_code AND NOT list_contains(?, parcel_id)",
        [sorted(invalid)],
    )
    assert logged == legacy[0][0] > 0


def test_standardize_is_idempotent_and_logged(built_workspace: Path, tmp_path: Path) -> None:
    copy = tmp_path / "copy.duckdb"
    copy.write_bytes(built_workspace.read_bytes())
    with open_workspace(copy) as ws:
        before = q(ws.con, "SELECT count(*) FROM change_log")[0][0]
        assert q(ws.con, "SELECT DISTINCT actor FROM change_log") == [("landclean:standardize",)]
        report = run_pipeline(ws, full=True)
        assert report["standardize"].counts == {
            "names": 0,
            "land_use": 0,
            "addresses": 0,
            "geometry": 0,
        }
        assert q(ws.con, "SELECT count(*) FROM change_log")[0][0] == before


def test_invalid_geometries_are_repaired_and_still_reported(
    ws: Workspace, province: Province
) -> None:
    assert q(
        ws.con, "SELECT count(*) FROM parcel WHERE geom IS NOT NULL AND NOT ST_IsValid(geom)"
    ) == [(0,)]
    repaired = ids(ws.con, "SELECT record_id FROM change_log WHERE rule_id = 'STD_GEOMETRY'")
    truth = ids(
        ws.con,
        f"SELECT record_id FROM '{province.truth('defects')}' "
        "WHERE defect = 'parcel_self_intersection'",
    )
    assert repaired == truth
    reported = ids(
        ws.con,
        "SELECT record_id FROM finding "
        "WHERE rule_id = 'PARCEL_INVALID_GEOMETRY' AND state = 'open'",
    )
    assert reported == truth


def test_parcel_addresses_take_the_new_commune(ws: Workspace) -> None:
    """Checked against vietnamadminunits' own converter (old commune, district, province
    -> new commune), for parcels of old communes that were not split."""
    from vietnamadminunits import convert_address

    rows = q(
        ws.con,
        """SELECT l.before, l.after, o.name, o.district_name, o.old_province_code
           FROM change_log l JOIN parcel p ON p.parcel_id = l.record_id
           JOIN admin_unit_old o ON o.code = p.old_unit_code
           WHERE l.rule_id = 'STD_ADDRESS' AND l.table_name = 'parcel'
             AND (SELECT count(*) FROM admin_crosswalk c WHERE c.old_code = o.code) = 1
           ORDER BY l.record_id LIMIT 150""",
    )
    assert len(rows) == 150
    for before, after, old, district, province in rows:
        old_province = "Tỉnh Đắk Lắk" if province == "66" else "Tỉnh Phú Yên"
        new = convert_address(f"{old}, {district}, {old_province}").ward
        village = before.split(",")[0]
        assert after == f"{village}, {new}, Tỉnh Đắk Lắk", (before, after)


def test_address_conversion_on_hand_made_addresses(fresh_ws: Workspace, tmp_path: Path) -> None:
    from landclean.api import import_sources
    from landclean.standardize.stage import standardize_addresses
    from tests import samples

    import_sources(fresh_ws, [samples.write_csv(tmp_path / "f.csv", "field_form", "utf-8")])
    con = fresh_ws.con
    cases = {
        # full 3-level address, district given: converted
        "C1": "Số 12 Lê Lợi, Khu phố 3, Phường Xuân Phú, Thị xã Sông Cầu, Tỉnh Phú Yên",
        # already 2-level: left alone
        "C2": "Thôn 1, Phường Sông Cầu, Tỉnh Đắk Lắk",
        # no commune named: left alone
        "C3": "Thôn 7, Huyện Tuy An",
    }
    parties = {r[0] for r in q(con, "SELECT party_id FROM party")}
    assert set(cases) <= parties
    with fresh_ws.transaction() as tx:
        for party, address in cases.items():
            tx.execute("UPDATE party SET address = ? WHERE party_id = ?", [address, party])
        standardize_addresses(tx)
    got = dict(q(con, "SELECT party_id, address FROM party WHERE party_id IN ('C1', 'C2', 'C3')"))
    assert got == {
        "C1": "Số 12 Lê Lợi, Khu phố 3, Phường Sông Cầu, Tỉnh Đắk Lắk",
        "C2": "Thôn 1, Phường Sông Cầu, Tỉnh Đắk Lắk",
        "C3": "Thôn 7, Huyện Tuy An",
    }
    log = q(
        con,
        "SELECT record_id, before FROM change_log WHERE rule_id = 'STD_ADDRESS' "
        "AND table_name = 'party' AND record_id = 'C1'",
    )
    assert log == [("C1", cases["C1"])]
