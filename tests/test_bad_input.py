"""Whatever is thrown at the importer, it answers with a clear error and changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landclean.api import import_sources
from landclean.errors import LandcleanError
from landclean.workspace import Workspace
from tests import samples
from tests.conftest import Province, q

TABLES = (
    "import_batch",
    "raw_parcel_record",
    "raw_map_feature",
    "raw_registry",
    "quarantine",
    "parcel",
    "party",
    "import_change",
)


def snapshot(ws: Workspace) -> list[int]:
    return [q(ws.con, f"SELECT count(*) FROM {t}")[0][0] for t in TABLES]


def _assert_clean_failure(
    ws: Workspace, path: Path, before: list[int], profile: str | None = None
) -> None:
    try:
        import_sources(ws, [path], profile=profile)
    except LandcleanError as exc:
        message = str(exc)
        assert "\n" not in message and str(path.name) in message
        assert snapshot(ws) == before
        return
    # some random bytes do read as a (strange) CSV: then the rows must all be there
    assert snapshot(ws) != before


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    data=st.binary(max_size=2000),
    suffix=st.sampled_from([".csv", ".xlsx", ".parquet", ".gpkg", ".shp", ".geojson", ".dgn"]),
)
def test_random_bytes(fresh_ws: Workspace, tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    before = snapshot(fresh_ws)
    try:
        import_sources(fresh_ws, [path])
    except LandcleanError as exc:
        assert "\n" not in str(exc)
        assert snapshot(fresh_ws) == before
        return
    assert suffix == ".csv"  # only text can be read as something


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9])
def test_truncated_files(
    fresh_ws: Workspace, province: Province, tmp_path: Path, fraction: float
) -> None:
    sources = [
        next((province.root / "attributes").glob("*.xlsx")),
        next((province.root / "map").glob("*.gpkg")),
        province.root / "registry" / "population.parquet",
    ]
    for src in sources:
        data = src.read_bytes()
        path = tmp_path / f"cut_{src.name}"
        path.write_bytes(data[: int(len(data) * fraction)])
        before = snapshot(fresh_ws)
        with pytest.raises(LandcleanError) as info:
            import_sources(fresh_ws, [path])
        assert path.name in str(info.value) and "\n" not in str(info.value)
        assert snapshot(fresh_ws) == before


def test_wrong_profile_is_refused(fresh_ws: Workspace, tmp_path: Path) -> None:
    path = samples.write_csv(tmp_path / "form.csv", "field_form", "utf-8")
    before = snapshot(fresh_ws)
    with pytest.raises(LandcleanError, match="does not look like layout registry"):
        import_sources(fresh_ws, [path], profile="registry")
    with pytest.raises(LandcleanError, match="unknown profile"):
        import_sources(fresh_ws, [path], profile="nope")
    assert snapshot(fresh_ws) == before


def test_one_bad_file_among_good_ones_writes_nothing(fresh_ws: Workspace, tmp_path: Path) -> None:
    good = samples.write_csv(tmp_path / "a.csv", "field_form", "utf-8")
    bad = tmp_path / "b.xlsx"
    bad.write_bytes(b"PK\x03\x04garbage")
    before = snapshot(fresh_ws)
    with pytest.raises(LandcleanError, match=r"b\.xlsx"):
        import_sources(fresh_ws, [good, bad])
    assert snapshot(fresh_ws) == before


def test_user_profile_file(fresh_ws: Workspace, tmp_path: Path) -> None:
    """A province adds its own layout as a JSON file: no code change."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "huyen_x.json").write_text(
        """{
      "name": "huyen_x", "title": "Bảng kê của huyện X", "target": "parcel_record",
      "required": ["parcel_code"],
      "columns": [
        {"field": "parcel_code", "header": "Ma thua dat"},
        {"field": "commune_code", "header": "Ma xa"},
        {"field": "map_sheet", "header": "To so"},
        {"field": "map_parcel", "header": "Thua so"}
      ]}""",
        encoding="utf-8",
    )
    path = tmp_path / "huyen_x.csv"
    path.write_text("Ma thua dat,Ma xa,To so,Thua so\nX1,24178,5,7\n", encoding="utf-8")
    report = import_sources(fresh_ws, [path], profiles_dir=folder)
    assert report.files[0].layout == "huyen_x"
    assert q(fresh_ws.con, "SELECT parcel_id, sheet_no, parcel_no FROM parcel") == [("X1", 5, 7)]
    bad = folder / "broken.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(LandcleanError, match=r"broken\.json"):
        import_sources(fresh_ws, [path], profiles_dir=folder)


def test_damaged_map_file_is_refused(
    fresh_ws: Workspace, province: Province, tmp_path: Path
) -> None:
    """A damaged page of a GeoPackage: GDAL reports it while the layer is read (the
    layer is refused with GDAL's words), or, reading ahead in threads of its own, stops
    without a word: the features read are checked against the layer's count, so a
    half-read layer is never imported."""
    src = max((province.root / "map").glob("*.gpkg"), key=lambda p: p.stat().st_size)
    data = bytearray(src.read_bytes())
    start = len(data) // 2
    data[start : start + len(data) // 10] = b"\xff" * (len(data) // 10)
    path = tmp_path / "damaged.gpkg"
    path.write_bytes(bytes(data))
    before = snapshot(fresh_ws)
    with pytest.raises(LandcleanError) as info:
        import_sources(fresh_ws, [path])
    assert "damaged.gpkg" in str(info.value) and "\n" not in str(info.value)
    assert "cut short" in str(info.value) or "malformed" in str(info.value), str(info.value)
    assert snapshot(fresh_ws) == before
