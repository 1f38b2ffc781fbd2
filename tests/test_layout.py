"""The shape the code promises (docs/architecture.md): thin doors, arrows going down,
small modules."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).parents[1] / "src" / "landclean"
SQL = re.compile(r"\b(SELECT|INSERT INTO|UPDATE \w+ SET|DELETE FROM|CREATE (OR REPLACE )?)\b")


def _modules(folder: str = "") -> list[Path]:
    return sorted((PACKAGE / folder).rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def test_the_command_line_holds_no_sql() -> None:
    for path in _modules("cli"):
        assert not SQL.search(path.read_text(encoding="utf-8")), f"SQL in {path.name}"


def test_arrows_go_down() -> None:
    for path in _modules("campaign"):
        assert not any(m.startswith("landclean.reports") for m in _imports(path)), path.name
    for path in _modules("vn"):
        ours = {m for m in _imports(path) if m.startswith("landclean")}
        assert all(m.startswith("landclean.vn") for m in ours), f"{path.name}: {ours}"
    below_api = [p for p in _modules() if p.parent.name not in ("cli",) and p.name != "demo.py"]
    for path in below_api:
        if path.name in ("api.py", "__init__.py") and path.parent == PACKAGE:
            continue
        assert "landclean.api" not in _imports(path), f"{path} imports the api"


def test_modules_are_small_or_say_why() -> None:
    for path in _modules():
        if "synth" in path.parts:
            continue  # the generator: data building, tested against its own truth
        lines = path.read_text(encoding="utf-8").splitlines()
        if len(lines) > 400:
            head = ast.get_docstring(ast.parse("\n".join(lines))) or ""
            assert "400 lines" in head, f"{path.name}: {len(lines)} lines and no reason given"
