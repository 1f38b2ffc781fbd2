"""Checks before any work: every problem of the settings and of the files they name,
reported at once (``PreflightError``, one line per problem).

The settings themselves are typed and checked when first read (``settings``); here the
files they point at are opened and read: the classification mapping, the renumbering
order and the commune boundaries for a pipeline run, the profile folders for an import.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from landclean.errors import ImportError_, LandcleanError, PreflightError
from landclean.ingest.profiles import check_profiles
from landclean.renumber.order import read_order
from landclean.renumber.placement import check_boundaries
from landclean.rules.classify import read_mapping
from landclean.settings import Settings


def _file(setting: str, path: Path) -> list[LandcleanError]:
    if not path.is_file():
        return [
            LandcleanError("setting_no_file", name=f"LANDCLEAN_{setting.upper()}", path=str(path))
        ]
    return []


def run_problems(
    con: duckdb.DuckDBPyConnection, settings: Settings, stages: list[str]
) -> list[LandcleanError]:
    """What would make a pipeline run of ``stages`` fail, found without running it."""
    problems: list[LandcleanError] = []
    if "classify" in stages and settings.classification is not None:
        problems += (
            _file("classification", settings.classification)
            or read_mapping(settings.classification)[1]
        )
    if "renumber" in stages and settings.renumber_order is not None:
        problems += (
            _file("renumber_order", settings.renumber_order)
            or read_order(con, settings.renumber_order)[1]
        )
    if "renumber" in stages and settings.commune_boundaries is not None:
        path = settings.commune_boundaries
        problems += _file("commune_boundaries", path) or check_boundaries(con, path)
    return problems


def import_problems(profile_dirs: list[Path] | None, sources: list[Path]) -> list[LandcleanError]:
    """What would make an import fail: the profile folders and the sources named."""
    problems = check_profiles(profile_dirs)
    problems += [ImportError_("no_source", path=src) for src in sources if not src.exists()]
    return problems


def check_import(profile_dirs: list[Path] | None, sources: list[Path]) -> None:
    """Every problem of the profile folders and the sources named, at once."""
    problems = import_problems(profile_dirs, sources)
    if problems:
        raise PreflightError(problems)
