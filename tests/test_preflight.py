"""Checks before any work: settings typed and refused with the variable's name, every
problem of the files they name reported at once, nothing written."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from landclean import api
from landclean.errors import PreflightError, SettingsProblem
from landclean.pipeline import run_pipeline
from landclean.settings import Settings, get_settings
from landclean.workspace import open_workspace
from tests.conftest import q


def landclean(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "landclean", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
    )


def _settings_problem() -> pytest.ExceptionInfo[SettingsProblem]:
    """The problem reading the settings from this environment raises."""
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsProblem) as caught:
            get_settings()
    finally:
        get_settings.cache_clear()
    return caught


def test_dates_are_dates_and_read_as_officials_write_them() -> None:
    s = Settings(campaign_end="15/12/2025", committee_deadline="2025-10-05")  # type: ignore[arg-type]
    assert (s.campaign_end, s.committee_deadline) == (dt.date(2025, 12, 15), dt.date(2025, 10, 5))


def test_a_bad_variable_is_one_line_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LANDCLEAN_AUTH_ACCEPT", "1.5")
    monkeypatch.setenv("LANDCLEAN_CAMPAIGN_END", "31/02/2025")
    caught = _settings_problem()
    assert len(caught.value.problems) == 2
    problems = [str(p) for p in caught.value.problems]
    assert problems[0].startswith("LANDCLEAN_AUTH_ACCEPT='1.5': ")
    assert "DD/MM/YYYY" in problems[1]
    assert (
        caught.value.problems[1].text("vi").endswith("cần ngày theo DD/MM/YYYY (hoặc YYYY-MM-DD)")
    )


def test_the_command_line_says_which_variable_in_one_line(tmp_path: Path) -> None:
    ws = tmp_path / "ws.duckdb"
    assert landclean("init", str(ws)).returncode == 0
    one = landclean("status", str(ws), LANDCLEAN_MEMORY_LIMIT="lots")
    assert one.returncode == 1 and "Traceback" not in one.stderr
    assert one.stderr.strip().splitlines() == [
        "landclean: lỗi: LANDCLEAN_MEMORY_LIMIT='lots': cần dung lượng như 6GB hoặc 8000MB"
    ]
    two = landclean("status", str(ws), LANDCLEAN_AUTH_REVIEW="x", LANDCLEAN_LANG="fr")
    lines = two.stderr.strip().splitlines()
    assert two.returncode == 1 and len(lines) == 3  # a heading, then one line per variable
    assert lines[1].strip().startswith("LANDCLEAN_LANG='fr'")
    assert lines[2].strip().startswith("LANDCLEAN_AUTH_REVIEW='x'")


def test_every_problem_of_the_files_settings_name_at_once(
    built_workspace: Path, tmp_path: Path
) -> None:
    mapping = tmp_path / "groups.csv"
    mapping.write_text(
        "rule_id,group\nNO_SUCH_RULE,2\nAREA_MISMATCH,7\nPARCEL_OVERLAP,3\nPARCEL_OVERLAP,2\n"
    )
    order = tmp_path / "order.csv"
    order.write_text("new_code,old_code,position\n22015,99999,1\n")
    settings = Settings(
        classification=mapping,
        renumber_order=order,
        commune_boundaries=tmp_path / "nowhere.gpkg",
    )
    with open_workspace(built_workspace, read_only=True) as ws:
        runs = q(ws.con, "SELECT count(*) FROM pipeline_run")
        with pytest.raises(PreflightError) as caught:
            run_pipeline(ws, settings=settings)
        assert q(ws.con, "SELECT count(*) FROM pipeline_run") == runs  # nothing written
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 5, problems
    assert "row 2, column rule_id: unknown rule 'NO_SUCH_RULE'" in problems[0]
    assert "row 3, column group: '7'" in problems[1]
    assert "row 5, column rule_id: PARCEL_OVERLAP already given on row 4" in problems[2]
    assert "row 2, columns new_code/old_code: 22015/99999" in problems[3]
    assert problems[4].startswith("LANDCLEAN_COMMUNE_BOUNDARIES=") and "no such file" in problems[4]


def test_an_import_reports_bad_profiles_and_missing_sources_together(
    fresh_ws: object, tmp_path: Path
) -> None:
    folder = tmp_path / "profiles"
    folder.mkdir()
    (folder / "broken.json").write_text("{not json")
    (folder / "odd.json").write_text(json.dumps({"name": "odd", "target": "nowhere"}))
    columns = [{"field": "parcel_no", "header": "Số thửa"}, {"header": "Tờ"}]
    (folder / "part.json").write_text(
        json.dumps({"name": "p", "title": "P", "target": "parcel_record", "columns": columns})
    )
    with pytest.raises(PreflightError) as caught:
        api.import_sources(fresh_ws, [tmp_path / "missing.csv"], profiles_dir=folder)  # type: ignore[arg-type]
    with pytest.raises(PreflightError, match=r"--profiles-dir .*nowhere: no such folder"):
        api.import_sources(fresh_ws, [folder], profiles_dir=tmp_path / "nowhere")  # type: ignore[arg-type]
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 4
    assert "broken.json: not valid JSON" in problems[0]
    assert f"{folder / 'odd.json'}: title, columns missing; expected name" in problems[1]
    assert f"{folder / 'part.json'}: columns[2] is malformed" in problems[2]
    assert problems[3] == f"{tmp_path / 'missing.csv'}: no such file or folder"


def test_a_run_with_a_registry_checks_everything_before_importing_it(
    fresh_ws: object, tmp_path: Path
) -> None:
    """No parcels and a missing boundaries file: both said at once, the registry file is
    not imported (a run that cannot start writes nothing)."""
    registry = tmp_path / "registry.csv"
    registry.write_text("cccd,ho_ten\n001089000001,Nguyễn Văn A\n", encoding="utf-8")
    settings = Settings(commune_boundaries=tmp_path / "nowhere.gpkg")
    with pytest.raises(PreflightError) as caught:
        api.run(fresh_ws, registry=registry, settings=settings)  # type: ignore[arg-type]
    problems = [str(p) for p in caught.value.problems]
    assert len(problems) == 2, problems
    assert problems[0].startswith("LANDCLEAN_COMMUNE_BOUNDARIES=")
    assert "no parcels" in problems[1]
    assert q(fresh_ws.con, "SELECT count(*) FROM import_batch") == [(0,)]  # type: ignore[attr-defined]


def test_a_variable_that_is_not_json_hides_no_other(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANDCLEAN_AREA_TOLERANCE", "{500: 0.05")
    monkeypatch.setenv("LANDCLEAN_PROFILE_DIRS", "[x")
    monkeypatch.setenv("LANDCLEAN_SLIVER_COMPACTNESS", "2")
    monkeypatch.setenv("LANDCLEAN_CAMPAIGN_START", "01/12/2025")  # after the default end
    monkeypatch.setenv("LANDCLEAN_AUTH_REVIEW", "0.999")  # above auth_accept_sole (0.995)
    caught = _settings_problem()
    assert os.environ["LANDCLEAN_AREA_TOLERANCE"] == "{500: 0.05"  # the environment as it was
    problems = [str(p) for p in caught.value.problems]
    assert [p.split(":")[0].split("=")[0] for p in problems] == [
        "LANDCLEAN_AREA_TOLERANCE",
        "LANDCLEAN_PROFILE_DIRS",
        "LANDCLEAN_SLIVER_COMPACTNESS",
    ]  # the order checks wait for values that parse
    monkeypatch.delenv("LANDCLEAN_SLIVER_COMPACTNESS")
    monkeypatch.delenv("LANDCLEAN_AREA_TOLERANCE")
    monkeypatch.delenv("LANDCLEAN_PROFILE_DIRS")
    try:
        with pytest.raises(SettingsProblem) as caught:
            get_settings()
    finally:
        get_settings.cache_clear()
    assert [str(p) for p in caught.value.problems] == [
        "LANDCLEAN_AUTH_REVIEW=0.999 is above LANDCLEAN_AUTH_ACCEPT_SOLE=0.995: "
        "LANDCLEAN_AUTH_REVIEW must not be above LANDCLEAN_AUTH_ACCEPT_SOLE",
        "LANDCLEAN_CAMPAIGN_START=01/12/2025 is above LANDCLEAN_CAMPAIGN_END=30/11/2025: "
        "LANDCLEAN_CAMPAIGN_START must not be above LANDCLEAN_CAMPAIGN_END",
    ]


def test_commune_boundaries_must_be_areas_of_the_province(
    built_workspace: Path, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyogrio
    import shapely

    path = tmp_path / "communes.geojson"
    shapes = [shapely.Point(500_000, 1_400_000), shapely.box(0, 0, 10, 10)]
    table = pa.table({"code": ["22015", "99999"], "geometry": shapely.to_wkb(shapes)})
    pyogrio.write_arrow(table, path, driver="GeoJSON", geometry_name="geometry",
                        geometry_type="Unknown", crs="EPSG:9218")  # fmt: skip
    settings = Settings(commune_boundaries=path)
    with open_workspace(built_workspace, read_only=True) as ws, pytest.raises(PreflightError) as c:
        run_pipeline(ws, ["renumber"], settings=settings)
    caught = c
    assert [str(p) for p in caught.value.problems] == [
        f"{path}: 1 features are not areas (Polygon/MultiPolygon); commune boundaries must "
        "be areas",
        f"{path}: field 'code' holds codes that are not new communes of the province: 99999",
    ]
