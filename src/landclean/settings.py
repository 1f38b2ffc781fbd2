"""One typed settings object (environment prefix ``LANDCLEAN_``), created on demand.

Every value is typed where it is read: dates are dates (``30/11/2025`` or
``2025-11-30``), paths are paths, shares are numbers in their range.  A bad value is
refused when the settings are first read, with one line naming the variable, the value
and what was expected (``settings_error``); files named by settings are checked before
any work by ``landclean.preflight``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError
from pydantic_settings import BaseSettings, SettingsConfigDict, SettingsError

from landclean.errors import LandcleanError, SettingsProblem
from landclean.vn.values import parse_date

PREFIX = "LANDCLEAN_"
MEMORY = r"(?i)^\s*[0-9]+(\.[0-9]+)?\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$"  # as DuckDB takes it
# What the JSON-valued variables look like, shown when a value is not of that form.
JSON_FORMS = {
    "area_tolerance": '{"500": 0.05, "2000": 0.07}',
    "profile_dirs": '["D:/landclean/profiles"]',
}


# a raster tile service's address: http(s), with {z}, {x} and {y} in that order
PUBLIC_URL = r"^https?://[^\s/\"'<>]+(/[^\s\"'<>]*)?$"
BASE_MAP = r"^https?://[^\s\"'<>{}]+[^\s\"'<>]*\{z\}[^\s\"'<>]*\{x\}[^\s\"'<>]*\{y\}[^\s\"'<>]*$"


class Settings(BaseSettings):
    """Settings a province may tune.  Override with LANDCLEAN_<NAME> environment variables."""

    model_config = SettingsConfigDict(env_prefix=PREFIX, validate_default=True)

    # Language of reports, worklists and the command line's messages.
    lang: Literal["vi", "en"] = "vi"
    # The map page's base map: a raster tile service of the province's own, as a URL
    # with {z}, {x} and {y} (https://…/{z}/{x}/{y}.png); none by default (the province's
    # network may reach no outside service).
    map_base_url: str | None = Field(None, pattern=BASE_MAP)
    # The server's address as citizens reach it: the links on their notices
    # (``landclean notices``) open <public_url>/confirm/<secret>.
    public_url: str = Field("http://127.0.0.1:8000", pattern=PUBLIC_URL)
    # Permitted relative gap between legal area and geometry area, per map scale.  No
    # official figure was found (DOMAIN.md); these are the project's defaults.
    area_tolerance: dict[Annotated[int, Field(gt=0)], Annotated[float, Field(ge=0.0)]] = Field(
        default_factory=lambda: {500: 0.05, 1000: 0.05, 2000: 0.07, 5000: 0.10, 10000: 0.10}
    )
    # A parcel whose compactness (4πA/P²: 1 for a circle, 0.79 for a square, 0.19 for a
    # 1:20 strip) is below this, or whose area is under 1 m², is a sliver.
    sliver_compactness: float = Field(0.12, ge=0.0, le=1.0)
    # Metres added around an old commune's bounding box (administrative data) before a
    # parcel counts as outside it.  The synthetic map strays up to ~5.4 km; with real
    # boundaries a province may lower it.
    commune_extent_margin: float = Field(10_000.0, ge=0.0)
    # A CSV file (rule_id,group) overriding the group an open finding implies; the rule
    # AUTHENTICATION is the group of a parcel with a land user not matched (docs/rules.md).
    classification: Path | None = None
    # The province's order of old communes for renumbering (CSV new_code,old_code,position)
    # and its new communes' boundaries (GeoPackage/GeoJSON in EPSG:9218, field 'code').
    renumber_order: Path | None = None
    commune_boundaries: Path | None = None
    # The object catalogue of exchange packages (element names, namespace, coded words)
    # when the province's land information system names them otherwise than landclean's
    # own (src/landclean/exchange/catalogue.json; docs/exchange.md).
    exchange_catalogue: Path | None = None
    # The population service's protocol (field names, words, what is sent) when the
    # province's service differs from landclean's default
    # (src/landclean/registry_service/protocol.json; docs/registry-service.md).
    registry_protocol: Path | None = None
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
    # Steering-committee deadline of the campaign (Plan 60 of Đắk Lắk).
    committee_deadline: dt.date = dt.date(2025, 10, 3)
    # The campaign (plan 515/KH-BCA-BNN&MT): tasks are due by its end.
    campaign_start: dt.date = dt.date(2025, 9, 1)
    campaign_end: dt.date = dt.date(2025, 11, 30)
    # Target: the share of a commune's parcels in group 1 by the end of the campaign.
    clean_target: float = Field(0.9, gt=0.0, le=1.0)
    actor: str | None = None  # who acts (defaults to the login name): see current_actor
    # DuckDB's memory ceiling; above it DuckDB spills to disk (temp folder beside the
    # workspace).  Keeps a 3.4 M-parcel import within a modest machine's memory.
    memory_limit: str = Field("6GB", pattern=MEMORY)
    # Extra folders of column-mapping profiles (JSON); a profile there with a built-in's
    # name replaces it.
    profile_dirs: list[Path] = Field(
        default_factory=lambda: [Path.home() / ".config" / "landclean" / "profiles"]
    )
    # Rows a file, sheet or layer may hold.  A district's export has some 100 k rows and
    # a whole province's 3.4 M; beyond this a file is refused, not read into memory.  A
    # worksheet never holds more than Excel's 1,048,576 rows.
    max_rows: int = Field(20_000_000, ge=1)
    # How many times larger than its compressed size a part of a spreadsheet may grow
    # when unzipped (parts over 50 MB only).  Worksheets saved by Excel or LibreOffice
    # unzip to 5–20 times their size; a decompression bomb to hundreds or thousands.
    max_unzip_ratio: float = Field(100.0, ge=1.0, allow_inf_nan=False)
    # Seconds a command waits for a workspace another command holds (DuckDB lets one
    # process write a file at a time) before saying who holds it; 0: do not wait.
    lock_wait: float = Field(10.0, ge=0.0, allow_inf_nan=False)
    # The campaign server: a commune's correction of a land user's ID number, name or
    # birth date takes effect only when a province user approves it (false: at once).
    approve_sensitive: bool = True
    # The campaign server: how long a login session lasts, in hours.
    session_hours: float = Field(8.0, gt=0.0, le=24.0 * 30)

    @field_validator("committee_deadline", "campaign_start", "campaign_end", mode="before")
    @classmethod
    def _vietnamese_date(cls, value: Any) -> Any:
        """Dates as officials write them (DD/MM/YYYY) as well as ISO (YYYY-MM-DD)."""
        if isinstance(value, str):
            return parse_date(value) or value  # not a date: refused, with the expected form
        return value

    @field_validator(
        "actor", "classification", "renumber_order", "commune_boundaries", mode="before"
    )
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        """An empty variable (``LANDCLEAN_ACTOR=``) means the default, not a name ''."""
        return value.strip() or None if isinstance(value, str) else value

    @model_validator(mode="after")
    def _in_order(self) -> Settings:
        """Values that only make sense in order: review ≤ accept (alone) ≤ accept; the
        campaign starts before it ends."""
        pairs = (
            ("auth_review", "auth_accept_sole"),
            ("auth_accept_sole", "auth_accept"),
            ("campaign_start", "campaign_end"),
        )
        wrong = [
            (low, high, getattr(self, low), getattr(self, high))
            for low, high in pairs
            if getattr(self, low) > getattr(self, high)
        ]
        if wrong:
            raise PydanticCustomError(
                "settings_order", "values out of order: {wrong}", {"wrong": wrong}
            )
        return self


def _json_field(exc: SettingsError) -> str:
    """The field whose environment value is not JSON (pydantic-settings names it in quotes)."""
    return str(exc).split('"')[1] if '"' in str(exc) else "?"


def settings_error(exc: ValidationError | SettingsError) -> SettingsProblem:
    """One line per bad variable: its name, the value given and what was expected."""
    if isinstance(exc, SettingsError):  # a JSON value that does not parse
        field = _json_field(exc)
        name = PREFIX + field.upper()
        problem = LandcleanError(
            "setting_json",
            name=name,
            value=os.environ.get(name, ""),
            reason=exc.__cause__,
            example=JSON_FORMS.get(field, "[]"),
        )
        return SettingsProblem([problem])
    problems = []
    forms: set[str] = set()
    for error in exc.errors():
        field = str(error["loc"][0]) if error["loc"] else "?"
        name = PREFIX + field.upper()
        given = error.get("input")
        known = Settings.model_fields.get(field)
        annotation = known.annotation if known is not None else None
        if error["type"] == "settings_order":
            problems += [
                LandcleanError(
                    "setting_order",
                    low=PREFIX + low.upper(),
                    high=PREFIX + high.upper(),
                    low_value=_shown(low_value),
                    high_value=_shown(high_value),
                )
                for low, high, low_value, high_value in (error.get("ctx") or {})["wrong"]
            ]
        elif "date" in error["type"]:
            problems.append(LandcleanError("setting_date", name=name, value=given))
        elif error["type"] == "string_pattern_mismatch" and error["loc"][0] == "memory_limit":
            problems.append(LandcleanError("setting_size", name=name, value=given))
        elif error["type"] == "string_pattern_mismatch" and error["loc"][0] == "map_base_url":
            problems.append(LandcleanError("setting_base_map", name=name, value=given))
        elif error["type"] == "string_pattern_mismatch" and error["loc"][0] == "public_url":
            problems.append(LandcleanError("setting_public_url", name=name, value=given))
        elif field in JSON_FORMS:  # parts of the value are wrong: the whole value, once
            if field not in forms:
                forms.add(field)
                whole = os.environ.get(name, given)
                example = JSON_FORMS[field]
                problems.append(
                    LandcleanError("setting_form", name=name, value=whole, example=example)
                )
        elif annotation is float:
            problems.append(
                LandcleanError("setting_number", name=name, value=given, range=_bounds(field))
            )
        elif annotation is int:
            problems.append(
                LandcleanError("setting_integer", name=name, value=given, range=_bounds(field))
            )
        elif annotation is bool:  # what pydantic reads as yes and no
            problems.append(
                LandcleanError("setting_choice", name=name, value=given, choices="true, false")
            )
        elif get_origin(annotation) is Literal:
            choices = ", ".join(map(str, get_args(annotation)))
            problems.append(
                LandcleanError("setting_choice", name=name, value=given, choices=choices)
            )
        else:  # pydantic's own words for what was expected
            expected = error["msg"].replace("Input should be", "expected")
            problems.append(
                LandcleanError("setting_value", name=name, value=given, expected=expected)
            )
    return SettingsProblem(problems)


def _bounds(field: str) -> str:
    """The bounds of a number setting, as ``> 0, ≤ 1``."""
    signs = {"gt": ">", "ge": "≥", "lt": "<", "le": "≤"}
    return ", ".join(
        f"{sign} {_plain(getattr(bound, attr))}"
        for bound in Settings.model_fields[field].metadata
        for attr, sign in signs.items()
        if getattr(bound, attr, None) is not None
    )


def _plain(number: float) -> str:
    """``1`` for 1.0, ``0.5`` for 0.5, ``20000000`` (no exponent)."""
    return str(int(number)) if float(number).is_integer() else str(number)


def _shown(value: object) -> str:
    return value.strftime("%d/%m/%Y") if isinstance(value, dt.date) else str(value)


@contextlib.contextmanager
def _without(names: list[str]) -> Iterator[None]:
    """The environment without ``names`` for a moment (to read the other variables)."""
    saved = {n: os.environ.pop(n) for n in names if n in os.environ}
    try:
        yield
    finally:
        os.environ.update(saved)


@cache
def get_settings() -> Settings:
    """The process-wide settings; tests may call ``get_settings.cache_clear()``.

    Raises ``SettingsProblem`` (one line per bad ``LANDCLEAN_*`` variable: a value that
    is not JSON does not hide the others)."""
    problems: list[LandcleanError] = []
    skipped: list[str] = []
    while True:
        try:
            with _without(skipped):
                settings = Settings()
        except SettingsError as exc:  # the JSON variable aside, the others read again
            name = PREFIX + _json_field(exc).upper()
            if name in skipped or name not in os.environ:
                raise settings_error(exc) from None
            problems += settings_error(exc).problems
            skipped.append(name)
            continue
        except ValidationError as exc:
            raise SettingsProblem(problems + settings_error(exc).problems) from None
        if problems:
            raise SettingsProblem(problems)
        return settings


def current_actor(given: str | None = None, settings: Settings | None = None) -> str:
    """Who is acting: the name given, else ``LANDCLEAN_ACTOR``, else the login name."""
    if given and given.strip():
        return given.strip()
    chosen = (settings or get_settings()).actor
    return chosen or getpass.getuser()
