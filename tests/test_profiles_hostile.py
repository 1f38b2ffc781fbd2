"""Profile files are data, checked as such: a hostile profile (nested 200,000 deep, not
UTF-8, 23 MB, a key of the wrong type, a name that is a path) is refused in one line
naming the file and the problem, before any work, the workspace unchanged; and
``profiles suggest --out`` writes only the file asked for."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from landclean.cli import app
from landclean.ingest.profile_file import MAX_BYTES, NAME, nesting_depth
from landclean.ingest.profiles import check_profiles, load_profiles
from landclean.settings import get_settings
from landclean.workspace import create_workspace

PROFILE = {
    "name": "dan_cu_huyen_x",
    "title": "Danh sách dân cư huyện X",
    "target": "registry",
    "required": ["so_dinh_danh", "ho_ten"],
    "columns": [
        {"field": "so_dinh_danh", "header": "Số ĐDCN", "aliases": ["CCCD"]},
        {"field": "ho_ten", "header": "Họ tên"},
        {"field": "ngay_sinh", "header": "Ngày sinh"},
    ],
}


def _with(change: Callable[[dict[str, object]], None]) -> bytes:
    doc = json.loads(json.dumps(PROFILE))
    change(doc)
    return json.dumps(doc, ensure_ascii=False).encode("utf-8")


def _set(key: str, value: object) -> Callable[[dict[str, object]], None]:
    return lambda doc: doc.__setitem__(key, value)


def _set_column(key: str, value: object) -> Callable[[dict[str, object]], None]:
    return lambda doc: doc["columns"][0].__setitem__(key, value)  # type: ignore[index]


# what the file holds -> what the one line must say
HOSTILE: dict[str, tuple[bytes, str]] = {
    "deep": (b"[" * 200_000 + b"]" * 200_000, "brackets nest 200000 levels deep"),
    "deep_in_a_profile": (
        _with(_set("description", json.loads("[" * 50 + "]" * 50))),
        "brackets nest 51 levels deep",
    ),
    "windows_1258": (
        json.dumps(PROFILE, ensure_ascii=False).encode("cp1258", "replace"),
        "not UTF-8 text",
    ),
    "utf_16": (json.dumps(PROFILE).encode("utf-16"), "not UTF-8 text"),
    "huge": (_with(_set("description", "x" * 23_000_000)), "23000 kB, more than the 1000 kB"),
    "aliases_text": (_with(_set_column("aliases", "CCCD")), 'columns[1].aliases is "CCCD"'),
    "aliases_number": (_with(_set_column("aliases", ["CCCD", 5])), "columns[1].aliases[2] is 5"),
    "header_list": (_with(_set_column("header", ["Số ĐDCN"])), "columns[1].header is ["),
    "blank_alias": (_with(_set_column("aliases", [" "])), 'columns[1].aliases[1] is " "'),
    "required_text": (_with(_set("required", "ho_ten")), 'required is "ho_ten"'),
    "title_number": (_with(_set("title", 5)), "title is 5"),
    "name_path": (_with(_set("name", "../../etc/x")), 'name "../../etc/x" cannot be used'),
    "name_slash": (_with(_set("name", "a/b")), 'name "a/b" cannot be used'),
    "name_dots": (_with(_set("name", "..")), 'name ".." cannot be used'),
    "name_long": (_with(_set("name", "x" * 65)), "cannot be used"),
    "name_number": (_with(_set("name", 7)), "name is 7"),
    "huge_number": (b'{"header_row": ' + b"9" * 5000 + b"}", "not valid JSON"),
    "not_json": (b'{"name": "x",', "not valid JSON"),
}


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ws") / "ws.duckdb"
    create_workspace(path).close()
    return path


@pytest.fixture
def profile_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty folder that LANDCLEAN_PROFILE_DIRS names."""
    folder = tmp_path / "profiles"
    folder.mkdir()
    monkeypatch.setenv("LANDCLEAN_PROFILE_DIRS", json.dumps([str(folder)]))
    get_settings.cache_clear()
    yield folder
    get_settings.cache_clear()


def _registry_csv(tmp_path: Path) -> Path:
    path = tmp_path / "dan_cu.csv"
    path.write_text("Số ĐDCN,Họ tên,Ngày sinh\n066085001234,Nguyễn Văn An,01/02/1985\n", "utf-8")
    return path


def _digest(ws: Path) -> str:
    """The workspace file's bytes, to the last one."""
    return hashlib.sha256(ws.read_bytes()).hexdigest()


def _one_line_error(args: list[str]) -> str:
    result = CliRunner().invoke(app, ["--lang", "en", *args])
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.stdout + result.stderr
    assert not isinstance(result.exception, RecursionError | UnicodeDecodeError)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    return lines[0]


@pytest.mark.parametrize("case", HOSTILE)
def test_a_hostile_profile_is_one_line_and_nothing_is_written(
    case: str, profile_dir: Path, workspace: Path, tmp_path: Path
) -> None:
    data, problem = HOSTILE[case]
    bad = profile_dir / f"{case}.json"
    bad.write_bytes(data)
    before = _digest(workspace)
    line = _one_line_error(["import", str(workspace), str(_registry_csv(tmp_path))])
    assert line.startswith(f"landclean: error: profile {bad}"), line
    assert problem in line, line
    assert _digest(workspace) == before
    assert problem in _one_line_error(["profiles"])  # the listing refuses it too


def test_a_profile_named_by_option_is_checked_the_same(
    tmp_path: Path, workspace: Path, profile_dir: Path
) -> None:
    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "x.json").write_bytes(HOSTILE["name_path"][0])
    line = _one_line_error(
        ["import", str(workspace), str(_registry_csv(tmp_path)), "--profiles-dir", str(folder)]
    )
    assert "x.json" in line and "cannot be used" in line


def test_every_bad_profile_of_a_folder_is_listed_at_once(
    profile_dir: Path, workspace: Path, tmp_path: Path
) -> None:
    for case in ("deep", "windows_1258", "name_path"):
        (profile_dir / f"{case}.json").write_bytes(HOSTILE[case][0])
    (profile_dir / "folder.json").mkdir()  # not a file
    result = CliRunner().invoke(
        app, ["--lang", "en", "import", str(workspace), str(_registry_csv(tmp_path))]
    )
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert "4 problems" in lines[0]
    assert sorted(line.split(":")[0].strip() for line in lines[1:]) == [
        f"profile {profile_dir / name}"
        for name in ("deep.json", "folder.json", "name_path.json", "windows_1258.json")
    ]
    assert "not a regular file" in result.stderr


def test_a_good_profile_beside_the_checks_still_imports(
    profile_dir: Path, workspace: Path, tmp_path: Path
) -> None:
    (profile_dir / "dan_cu.json").write_text(
        "\ufeff" + json.dumps(PROFILE, ensure_ascii=False, indent=1), "utf-8"
    )  # a BOM is no error
    source = _registry_csv(tmp_path)
    result = CliRunner().invoke(app, ["import", str(workspace), str(source), "--dry-run"])
    assert result.exit_code == 0, result.stderr
    assert "[dan_cu_huyen_x]" in result.stdout


def test_the_size_is_known_before_the_file_is_read(profile_dir: Path) -> None:
    sparse = profile_dir / "sparse.json"
    with sparse.open("wb") as f:
        f.truncate(MAX_BYTES + 1)  # zeros: read, they would be "not valid JSON"
    assert "1000 kB, more than the 1000 kB" in _one_line_error(["profiles"])


def test_nesting_is_counted_outside_strings_without_recursion() -> None:
    assert nesting_depth('["[[[", {"a": "}}\\"[["}]') == 2
    assert nesting_depth("") == 0
    # an unterminated string of escaped quotes: one linear scan, not one per quote
    assert nesting_depth('["' + '\\"' * 300_000) == 1
    assert nesting_depth("[" * 300_000) == 300_000


def test_suggest_writes_only_where_asked(tmp_path: Path, profile_dir: Path) -> None:
    # a file name that would be a path if it were used as one
    source = tmp_path / "..%2F..%2F..\\..\\dân cư ..csv"
    source.write_text(_registry_csv(tmp_path).read_text("utf-8"), "utf-8")
    out = tmp_path / "drafts" / "draft.json"
    out.parent.mkdir()
    before = set(tmp_path.rglob("*"))
    result = CliRunner().invoke(app, ["profiles", "suggest", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert set(tmp_path.rglob("*")) - before == {out}
    name = json.loads(out.read_text("utf-8"))["name"]
    assert NAME.fullmatch(name) and ".." not in name and os.sep not in name
    # the draft passes the checks it will meet in a profile folder
    os.replace(out, profile_dir / "draft.json")
    assert check_profiles() == [] and name in load_profiles()
