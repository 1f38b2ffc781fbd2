"""One typed settings object (environment prefix ``LANDCLEAN_``), created on demand."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Settings a province may tune.  Override with LANDCLEAN_<NAME> environment variables."""

    model_config = SettingsConfigDict(env_prefix="LANDCLEAN_")

    # Permitted relative gap between legal area and geometry area, per map scale.  No
    # official figure was found (DOMAIN.md); these are the project's defaults.
    area_tolerance: dict[int, float] = Field(
        default_factory=lambda: {500: 0.05, 1000: 0.05, 2000: 0.07, 5000: 0.10, 10000: 0.10}
    )
    # A parcel whose compactness (4πA/P²: 1 for a circle, 0.79 for a square, 0.19 for a
    # 1:20 strip) is below this, or whose area is under 1 m², is a sliver.
    sliver_compactness: float = 0.12
    # Metres added around an old commune's bounding box (administrative data) before a
    # parcel counts as outside it.  The synthetic map strays up to ~5.4 km; with real
    # boundaries a province may lower it.
    commune_extent_margin: float = 10_000.0
    # A CSV file (rule_id,group) overriding the group an open finding implies; the rule
    # AUTHENTICATION is the group of a parcel with a land user not matched (docs/rules.md).
    classification: Path | None = None
    # The province's order of old communes for renumbering (CSV new_code,old_code,position)
    # and its new communes' boundaries (GeoPackage/GeoJSON in EPSG:9218, field 'code').
    renumber_order: Path | None = None
    commune_boundaries: Path | None = None
    # Steering-committee deadline of the campaign (Plan 60 of Đắk Lắk).
    # Authentication bands on Splink's match probability of a land user's best registry
    # candidate: auto-accept at or above auth_accept, human review at or above
    # auth_review, reject below.  A runner-up within auth_margin match-weight units of
    # the best one sends the user to review ("several candidates").
    # A best candidate that is the only plausible one (every other candidate found by the
    # exhaustive searches below 1 - auth_accept) is accepted from auth_accept_sole.
    auth_accept: float = Field(0.9999, gt=0.0, le=1.0)
    auth_accept_sole: float = Field(0.995, gt=0.0, le=1.0)
    auth_review: float = Field(0.5, gt=0.0, le=1.0)
    auth_margin: float = Field(5.0, ge=0.0)
    committee_deadline: str = "2025-10-03"
    # The campaign (plan 515/KH-BCA-BNN&MT): tasks are due by its end.
    campaign_start: str = "2025-09-01"
    campaign_end: str = "2025-11-30"
    # Target: the share of a commune's parcels in group 1 by the end of the campaign.
    clean_target: float = Field(0.9, gt=0.0, le=1.0)
    actor: str | None = None  # who runs the pipeline (defaults to the OS user)
    # DuckDB's memory ceiling; above it DuckDB spills to disk (temp folder beside the
    # workspace).  Keeps a 3.4 M-parcel import within a modest machine's memory.
    memory_limit: str = "6GB"
    # Extra folders of column-mapping profiles (JSON); a profile there with a built-in's
    # name replaces it.
    profile_dirs: list[Path] = Field(
        default_factory=lambda: [Path.home() / ".config" / "landclean" / "profiles"]
    )


@cache
def get_settings() -> Settings:
    """The process-wide settings; tests may call ``get_settings.cache_clear()``."""
    return Settings()
