"""The labels file: every label in Vietnamese and English, the same placeholders in both,
NFC text, and a label for every code people are shown."""

from __future__ import annotations

import ast
import string
import unicodedata
from pathlib import Path

import pytest

from landclean.authenticate.cascade import REASONS, STATUSES
from landclean.campaign.laggards import REASONS as LAGGARD_REASONS
from landclean.labels import LANGS, labels, sections
from landclean.pipeline import STAGE_NAMES
from landclean.renumber.placement import PLACED
from landclean.rules.catalogue import CATALOGUE
from landclean.workspace_status import COUNTED


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_label_has_both_languages_and_the_same_placeholders() -> None:
    for section, entries in sections().items():
        for key, texts in entries.items():
            assert set(texts) == set(LANGS), f"{section}.{key}: {sorted(texts)}"
            for lang in LANGS:
                text = texts[lang]
                assert text.strip(), f"{section}.{key} ({lang}) is empty"
                assert unicodedata.is_normalized("NFC", text), f"{section}.{key} ({lang})"
            assert _placeholders(texts["vi"]) == _placeholders(texts["en"]), f"{section}.{key}"


@pytest.mark.parametrize(
    ("section", "codes"),
    [
        ("rule_titles", [r.rule_id for r in CATALOGUE]),
        ("rule_advice", [r.rule_id for r in CATALOGUE]),
        ("reasons", list(REASONS)),
        ("statuses", list(STATUSES)),
        ("laggards", list(LAGGARD_REASONS)),
        ("stages", list(STAGE_NAMES)),
        ("placements", [*PLACED, "ambiguous", "no_location", "unknown_commune"]),
        ("tables", list(COUNTED)),
    ],
)
def test_every_code_people_see_has_a_label(section: str, codes: list[str]) -> None:
    for lang in LANGS:
        assert set(codes) <= set(labels(section, lang)), f"{section} ({lang})"


def test_the_worklist_form_has_distinct_headers() -> None:
    from landclean.campaign.worklist import C_HEAD, F_HEAD, U_HEAD

    for head in (F_HEAD, U_HEAD, C_HEAD):
        assert len(set(head)) == len(head)


ERRORS = {"LandcleanError", "WorkspaceError", "GenerateError", "ImportError_", "PipelineError",
          "ReportError", "WorkspaceBusy"}  # fmt: skip


def _calls(names: set[str]) -> list[tuple[str, ast.Call]]:
    found = []
    for path in sorted((Path(__file__).parents[1] / "src" / "landclean").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) in names:
                found.append((f"{path.name}:{node.lineno}", node))
    return found


def test_every_error_is_a_label_with_its_values() -> None:
    """Errors are raised with a key of the labels' "errors" section and exactly the
    values its text names, so that they read in Vietnamese and English alike."""
    errors = sections()["errors"]
    calls = _calls(ERRORS)
    assert len(calls) > 80
    for where, call in calls:
        assert call.args and isinstance(call.args[0], ast.Constant), f"{where}: no key"
        key = call.args[0].value
        assert key in errors, f"{where}: no label errors.{key}"
        given = {k.arg for k in call.keywords}
        assert given == _placeholders(errors[key]["en"]), f"{where}: {key} {sorted(given)}"


def test_every_label_the_code_names_exists() -> None:
    for where, call in _calls({"label", "labels"}):
        if call.args and all(isinstance(a, ast.Constant) for a in call.args[:2]):
            section = call.args[0].value
            assert section in sections(), f"{where}: no section {section}"
            if len(call.args) > 2 and call.func.id == "label":  # type: ignore[attr-defined]
                assert call.args[1].value in sections()[section], f"{where}"  # type: ignore[attr-defined]


def test_every_stage_warning_is_a_label_with_its_values() -> None:
    warnings = sections()["stage_warnings"]
    found = 0
    for path in sorted((Path(__file__).parents[1] / "src" / "landclean").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            func = node.func if isinstance(node, ast.Call) else None
            if isinstance(func, ast.Attribute) and func.attr == "of":
                if getattr(func.value, "id", None) != "StageWarning":
                    continue
                assert isinstance(node, ast.Call)
                key = node.args[0].value  # type: ignore[attr-defined]
                assert key in warnings, f"{path.name}:{node.lineno}: {key}"
                assert {k.arg for k in node.keywords} == _placeholders(warnings[key]["en"])
                found += 1
    assert found >= 3


def test_every_count_a_run_shows_is_worded(built_workspace: Path) -> None:
    """What ``landclean run`` prints after each stage: a label for every count, no bare
    column names (the counts of every run are kept with it)."""
    import json

    from landclean.stage import count_label
    from landclean.workspace import open_workspace

    with open_workspace(built_workspace, read_only=True) as ws:
        rows = ws.con.execute("SELECT stage_counts FROM pipeline_run").fetchall()
    runs = [json.loads(r[0]) for r in rows if r[0]]
    seen = {(stage, key) for run in runs for stage, counts in run.items() for key in counts}
    assert {"build", "renumber", "authenticate", "campaign"} <= {s for s, _ in seen}
    for stage, key in seen:  # a Vietnamese label is never the key (English ones may be)
        assert count_label(stage, key, "vi") != key, (stage, key)


def test_no_label_is_written_twice() -> None:
    """JSON keeps the last of two equal keys: a second label would silently replace the
    first (an error's text would name values it is not given)."""
    import json
    from importlib import resources

    repeated: list[str] = []

    def pairs(items: list[tuple[str, object]]) -> dict[str, object]:
        keys = [k for k, _ in items]
        repeated.extend(k for k in set(keys) if keys.count(k) > 1)
        return dict(items)

    json.loads(
        resources.files("landclean").joinpath("labels.json").read_text("utf-8"),
        object_pairs_hook=pairs,
    )
    assert repeated == []
