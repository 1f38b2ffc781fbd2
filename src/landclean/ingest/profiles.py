"""Column-mapping profiles: data files (JSON) that name a layout's columns.

A profile lists the layout's columns: the canonical field each fills, the header the
layout uses, and accepted aliases.  Headers are matched ignoring case, accents, spacing
and punctuation, so "SỐ TỜ  BẢN ĐỒ" finds "Số tờ bản đồ".  Built-in profiles live in
this package; a province adds its own by dropping a JSON file in a profile folder
(``LANDCLEAN_PROFILE_DIRS`` or ``--profiles-dir``); a file with a built-in's name
replaces it.  See docs/profiles.md.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from landclean.errors import ImportError_, LandcleanError
from landclean.vn.text import compact_key

# Each target is a raw table; a profile's fields must be columns of it.
MIN_MATCHED = 3
TARGET_TABLES = {
    "parcel_record": "raw_parcel_record",
    "map_feature": "raw_map_feature",
    "registry": "raw_registry",
    "commune_status": "raw_commune_status",
    "commune_progress": "raw_commune_progress",
    "commune_target": "raw_commune_target",
}


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    description: str
    target: str
    header_row: int  # 1-based row of the header in spreadsheets
    sheet: str
    fields: tuple[str, ...]
    headers: tuple[str, ...]
    aliases: dict[str, str]  # compact key of any accepted header -> field
    source: str  # file the profile was read from
    required: tuple[str, ...] = ()  # fields a file must have to be taken for this layout

    @property
    def table(self) -> str:
        return TARGET_TABLES[self.target]

    def header_of(self, field: str) -> str:
        return self.headers[self.fields.index(field)]

    def match(self, headers: list[str]) -> dict[int, str]:
        """Source column index -> field, for the headers that match (first match wins)."""
        found: dict[int, str] = {}
        for i, h in enumerate(headers):
            field = self.aliases.get(compact_key(str(h)))
            if field and field not in found.values():
                found[i] = field
        return found

    def coverage(self, headers: list[str]) -> float:
        """Share of the profile's fields found among ``headers``."""
        return len(self.match(headers)) / len(self.fields)

    def missing_required(self, headers: list[str]) -> list[str]:
        found = set(self.match(headers).values())
        return [self.header_of(f) for f in self.required if f not in found]

    def accepts(self, headers: list[str]) -> bool:
        """All required columns present and at least a few of the others."""
        enough = min(MIN_MATCHED, len(self.fields))
        return not self.missing_required(headers) and len(self.match(headers)) >= enough


def _column_problem(columns: object) -> str | None:
    """What is wrong with a profile's "columns" (None: nothing)."""
    if not isinstance(columns, list) or not columns:
        return "columns"
    for i, col in enumerate(columns, 1):
        if not isinstance(col, dict) or not {"field", "header"} <= set(col):
            return f"columns[{i}]"
        if not isinstance(col.get("aliases", []), list):
            return f"columns[{i}].aliases"
    return None


def _parse(doc: object, source: str) -> Profile:
    """A profile from its JSON document; ``ImportError_`` naming what is missing or wrong."""
    if not isinstance(doc, dict):
        raise ImportError_("profile_malformed", source=source, part="{…}")
    missing = [k for k in ("name", "title", "target", "columns") if k not in doc]
    if missing:
        raise ImportError_("profile_missing", source=source, keys=", ".join(missing))
    bad = _column_problem(doc["columns"])
    if bad is None and not isinstance(doc.get("required", []), list):
        bad = "required"
    if bad is None and not str(doc.get("header_row", 1)).isdigit():
        bad = "header_row"
    if bad is not None:
        raise ImportError_("profile_malformed", source=source, part=bad)
    target = str(doc["target"])
    if target not in TARGET_TABLES:
        raise ImportError_(
            "profile_target", source=source, target=target, targets=", ".join(TARGET_TABLES)
        )
    columns = doc["columns"]
    aliases: dict[str, str] = {}
    for col in columns:
        for h in [col["header"], *col.get("aliases", [])]:
            aliases.setdefault(compact_key(str(h)), str(col["field"]))
    return Profile(
        name=str(doc["name"]),
        title=str(doc["title"]),
        description=str(doc.get("description", "")),
        target=target,
        header_row=int(str(doc.get("header_row", 1))),
        sheet=str(doc.get("sheet", "")),
        fields=tuple(str(c["field"]) for c in columns),
        headers=tuple(str(c["header"]) for c in columns),
        aliases=aliases,
        source=source,
        required=tuple(str(f) for f in doc.get("required", [])),
    )


def _builtin() -> dict[str, Profile]:
    folder = resources.files("landclean.ingest").joinpath("profiles")
    out = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".json"):
            profile = _parse(json.loads(entry.read_text("utf-8")), f"built-in {entry.name}")
            out[profile.name] = profile
    return out


def _user_profiles(extra_dirs: list[Path] | None) -> list[tuple[Path, Profile | ImportError_]]:
    """Every JSON file of the profile folders, parsed, or the reason it cannot be."""
    from landclean.settings import get_settings

    out: list[tuple[Path, Profile | ImportError_]] = []
    for folder in [*get_settings().profile_dirs, *(extra_dirs or [])]:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.json")):
            try:
                doc = json.loads(path.read_text("utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
                out.append((path, ImportError_("profile_json", path=path, reason=exc)))
                continue
            try:
                out.append((path, _parse(doc, str(path))))
            except ImportError_ as exc:
                out.append((path, exc))
    return out


def check_profiles(extra_dirs: list[Path] | None = None) -> list[LandcleanError]:
    """Every problem of the profile folders named and their files (preflight: all of
    them at once).  The default folder (``LANDCLEAN_PROFILE_DIRS``) may be absent."""
    problems: list[LandcleanError] = [
        ImportError_("no_profiles_dir", path=d) for d in extra_dirs or [] if not d.is_dir()
    ]
    return problems + [p for _, p in _user_profiles(extra_dirs) if isinstance(p, ImportError_)]


def load_profiles(extra_dirs: list[Path] | None = None) -> dict[str, Profile]:
    """Built-in profiles, overridden or extended by JSON files in ``extra_dirs``."""
    profiles = _builtin()
    for _, profile in _user_profiles(extra_dirs):
        if isinstance(profile, ImportError_):
            raise profile
        profiles[profile.name] = profile
    return profiles


def load_profile(name: str, extra_dirs: list[Path] | None = None) -> Profile:
    profiles = load_profiles(extra_dirs)
    if name not in profiles:
        raise ImportError_("unknown_profile", name=name, known=", ".join(sorted(profiles)))
    return profiles[name]


def all_profiles(extra_dirs: list[Path] | None = None) -> list[Profile]:
    return list(load_profiles(extra_dirs).values())
