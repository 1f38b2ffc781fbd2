"""Docs that cannot rot: every command, profile and rule is documented."""

from __future__ import annotations

from pathlib import Path

from landclean.cli import app
from landclean.ingest.profiles import all_profiles

ROOT = Path(__file__).parents[1]


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert readme.lstrip().startswith("# landclean")
    assert "make demo" in readme.split("\n## ")[0] and "make test" in readme.split("\n## ")[0]
    for command in app.registered_commands:
        name = command.name or (command.callback.__name__ if command.callback else "")
        name = name.removesuffix("_cmd")
        assert f"landclean {name}" in readme, f"command {name} is not in the README"


def test_every_builtin_profile_is_documented() -> None:
    doc = (ROOT / "docs" / "profiles.md").read_text(encoding="utf-8")
    for profile in all_profiles():
        assert f"`{profile.name}`" in doc, f"profile {profile.name} is not in docs/profiles.md"


def test_the_python_example_of_the_readme_runs(tmp_path: Path) -> None:
    """The "Using landclean from Python" section runs as written."""
    import contextlib
    import io
    import os
    import re

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Using landclean from Python", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S)
    assert code is not None
    old = Path.cwd()
    os.chdir(tmp_path)
    try:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            exec(compile(code.group(1), "README.md", "exec"), {})
    finally:
        os.chdir(old)
    printed = out.getvalue()
    assert "parcels usable" in printed and "classify" in printed
    assert (tmp_path / "bao_cao" / "summary.json").exists()
    assert (tmp_path / "loi_phat_hien.csv").exists()
