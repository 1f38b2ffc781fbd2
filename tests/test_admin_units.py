import json
from importlib import resources

from vietnam_provinces import Ward

from landclean.vn import admin_units as au


def test_new_units_are_the_102_official_ones() -> None:
    units = au.new_units()
    assert len(units) == 102
    official = {str(w.code.value) for w in Ward.iter_by_province(66)}  # type: ignore[arg-type]
    assert {u.code for u in units} == official
    by_code = {u.code: u for u in units}
    assert by_code["24175"].name == "Xã Hòa Phú"
    assert by_code["24133"].name == "Phường Buôn Ma Thuột"  # source has a double space
    assert all("  " not in u.name and "’" not in u.name for u in units)
    assert all(u.area_km2 > 0 for u in units)


def test_old_units_and_regions() -> None:
    olds = au.old_units()
    assert len(olds) == 286
    assert {u.old_province_code for u in olds} == {"54", "66"}
    assert {u.region for u in olds if u.old_province_code == "66"} == {"west"}
    districts = {u.district_name for u in olds}
    assert len(districts) == 24
    assert "Thị xã Buôn Hồ" in districts  # the source spells it "Thị Xã"
    assert all("  " not in u.name for u in olds)


def test_crosswalk_covers_everything_with_one_default_each() -> None:
    rows = au.crosswalk()
    olds = {u.code for u in au.old_units()}
    assert {r.old_code for r in rows} == olds
    assert {r.new_code for r in rows} == {u.code for u in au.new_units()}
    for code in olds:
        assert sum(r.is_default for r in rows if r.old_code == code) == 1
    split = {r.old_code for r in rows if r.is_split}
    assert len(split) >= 5  # the package lists 8 split communes in Đắk Lắk


def test_split_communes_match_the_package_data() -> None:
    """Independent read of converter_2025.json: every divided commune is split here."""
    path = resources.files("vietnamadminunits").joinpath("data/converter_2025.json")
    divided = json.loads(path.read_text("utf-8"))["DICT_PROVINCE_WARD_DIVIDED"]["tinhdaklak"]
    targets = sum(len(v) for v in divided.values())
    assert sum(r.is_split for r in au.crosswalk()) == targets
