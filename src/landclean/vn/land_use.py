"""Land-use type codes (Circular 08/2024 Appendix II) and the versioned legacy mapping."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class LandUseCode:
    code: str
    category: str
    name_vi: str
    name_en: str
    status: str  # current or legacy
    current_code: str
    table_version: str


@cache
def land_use_codes() -> dict[str, LandUseCode]:
    """All known codes, current and legacy, keyed by code."""
    text = resources.files("landclean.vn").joinpath("data/land_use_codes.csv").read_text("utf-8")
    return {row["code"]: LandUseCode(**row) for row in csv.DictReader(text.splitlines())}


def current_codes() -> frozenset[str]:
    return frozenset(c.code for c in land_use_codes().values() if c.status == "current")


def legacy_to_current() -> dict[str, str]:
    return {c.code: c.current_code for c in land_use_codes().values() if c.status == "legacy"}
