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
import re
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path

from landclean.errors import ImportError_, LandcleanError
from landclean.ingest.profile_file import check_types, read_profile_json
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


# Raw-table columns an import fills itself: no profile field may name them.
RESERVED = frozenset(
    {"batch_id", "source_file", "source_sheet", "source_layer", "row_no", "profile", "extra",
     "geom_wkb", "record_key", "key_commune", "key_problem", "owner_key", "spouse_key",
     "owner3_key", "owner4_key"}
)  # fmt: skip

# How a profile may name the commune of a composed parcel key.
COMMUNE_KINDS = ("old_code", "old_name", "new_code", "new_name")
KEY_PARTS = ("commune", "scale", "sheet", "parcel")
OWNER_KEY_FIELDS = ("owner_id", "owner_name", "owner_birth")


@dataclass(frozen=True)
class CommuneColumn:
    """A column that names the parcel's commune, and how: ``old_code`` (a pre-2025
    commune code), ``old_name``, ``new_code`` (a 2025 unit code) or ``new_name``."""

    field: str
    kind: str = "old_code"


@dataclass(frozen=True)
class ParcelKey:
    """A parcel key composed from several columns, for files without a parcel code:
    the commune (the first of ``communes`` the file has), the map scale when present,
    the sheet and the parcel number."""

    communes: tuple[CommuneColumn, ...]
    sheet: str
    parcel: str
    scale: str | None = None

    @property
    def fields(self) -> tuple[str, ...]:
        return (
            *(c.field for c in self.communes),
            self.sheet,
            self.parcel,
            *((self.scale,) if self.scale else ()),
        )

    def commune_in(self, found: set[str]) -> CommuneColumn | None:
        """The commune column a file with fields ``found`` names its communes by."""
        return next((c for c in self.communes if c.field in found), None)

    def complete_in(self, found: set[str]) -> bool:
        return self.commune_in(found) is not None and {self.sheet, self.parcel} <= found


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
    # files without a parcel code: the key composed from commune, scale, sheet, parcel
    parcel_key: ParcelKey | None = None
    # owners without a code: keyed by these fields ("owner_id", "owner_name",
    # "owner_birth"), or by their position among the parcel's rows ("position");
    # empty: by ID and name where the ID is given, else by position
    owner_key: tuple[str, ...] = field(default=())

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
        """Required columns the headers lack.  A parcel code is not needed where the
        profile composes the key and the file has its columns."""
        found = set(self.match(headers).values())
        composed = self.parcel_key is not None and self.parcel_key.complete_in(found)
        return [
            self.header_of(f)
            for f in self.required
            if f not in found and not (f == "parcel_code" and composed)
        ]

    def has_key(self, found: set[str]) -> bool:
        """Whether a file with these fields has a record key (a code or a composed one)."""
        if "parcel_code" in found:
            return True
        return self.parcel_key is not None and self.parcel_key.complete_in(found)

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
        if not isinstance(col["field"], str) or not col["field"] or col["field"] in RESERVED:
            return f"columns[{i}].field"
        if not isinstance(col.get("aliases", []), list):
            return f"columns[{i}].aliases"
    return None


def _field_name(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _parse_parcel_key(doc: object, fields: set[str]) -> ParcelKey | str:
    """The profile's ``parcel_key``, or the name of its part that is wrong."""
    if not isinstance(doc, dict) or not set(doc) <= set(KEY_PARTS):
        return "parcel_key"
    raw = doc.get("commune")
    options = raw if isinstance(raw, list) else [raw]
    communes = []
    for i, option in enumerate(options, 1):
        if isinstance(option, str):
            option = {"field": option}
        if not isinstance(option, dict) or _field_name(option.get("field")) is None:
            return f"parcel_key.commune[{i}]"
        kind = option.get("is", "old_code")
        if kind not in COMMUNE_KINDS or option["field"] not in fields:
            return f"parcel_key.commune[{i}]"
        communes.append(CommuneColumn(str(option["field"]), str(kind)))
    parts = {p: _field_name(doc.get(p)) for p in ("sheet", "parcel", "scale")}
    for part in ("sheet", "parcel"):
        if parts[part] is None or parts[part] not in fields:
            return f"parcel_key.{part}"
    if "scale" in doc and (parts["scale"] is None or parts["scale"] not in fields):
        return "parcel_key.scale"
    if not communes:
        return "parcel_key.commune"
    used = [c.field for c in communes] + [str(v) for v in parts.values() if v]
    if len(used) != len(set(used)):
        return "parcel_key"  # one column cannot be two parts of the key
    return ParcelKey(tuple(communes), str(parts["sheet"]), str(parts["parcel"]), parts["scale"])


def _parse_owner_key(doc: object) -> tuple[str, ...] | None:
    if doc is None:
        return ()
    if doc == "position":
        return ("position",)
    if isinstance(doc, list) and doc and all(f in OWNER_KEY_FIELDS for f in doc):
        return tuple(dict.fromkeys(str(f) for f in doc))  # each field once
    return None


def _parse(doc: object, source: str) -> Profile:
    """A profile from its JSON document; ``ImportError_`` naming what is missing or wrong."""
    if not isinstance(doc, dict):
        raise ImportError_("profile_malformed", source=source, part="{…}")
    missing = [k for k in ("name", "title", "target", "columns") if k not in doc]
    if missing:
        raise ImportError_("profile_missing", source=source, keys=", ".join(missing))
    check_types(doc, source)  # texts, lists of texts, and the name
    bad = _column_problem(doc["columns"])
    fields = tuple(str(c["field"]) for c in doc["columns"]) if bad is None else ()
    if bad is None and not (isinstance(doc["name"], str) and doc["name"].strip()):
        bad = "name"
    if bad is None and not isinstance(doc.get("required", []), list):
        bad = "required"
    if bad is None and not set(map(str, doc.get("required", []))) <= set(fields):
        bad = "required"  # a required field must be one of the columns
    if bad is None and not re.fullmatch(r"[0-9]{1,3}", str(doc.get("header_row", 1))):
        bad = "header_row"
    if bad is not None:
        raise ImportError_("profile_malformed", source=source, part=bad)
    target = str(doc["target"])
    if target not in TARGET_TABLES:
        raise ImportError_(
            "profile_target", source=source, target=target, targets=", ".join(TARGET_TABLES)
        )
    columns = doc["columns"]
    parcel_key = None
    if doc.get("parcel_key") is not None:
        parsed = _parse_parcel_key(doc["parcel_key"], set(fields))
        if isinstance(parsed, str):
            raise ImportError_(
                "profile_key_malformed",
                source=source,
                part=parsed,
                expected="{commune: [{field, is: " + " | ".join(COMMUNE_KINDS) + "}], "
                "scale?, sheet, parcel}: fields among the columns, each part its own",
            )
        parcel_key = parsed
    owner_key = _parse_owner_key(doc.get("owner_key"))
    if owner_key is None:
        raise ImportError_(
            "profile_key_malformed",
            source=source,
            part="owner_key",
            expected='"position", or a list of owner_id, owner_name, owner_birth',
        )
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
        fields=fields,
        headers=tuple(str(c["header"]) for c in columns),
        aliases=aliases,
        source=source,
        required=tuple(str(f) for f in doc.get("required", [])),
        parcel_key=parcel_key,
        owner_key=owner_key,
    )


@cache
def synonyms() -> dict[str, dict[str, list[str]]]:
    """Header synonyms per target and field (``data/synonyms.json``, Vietnamese and
    English): what ``profiles suggest`` and the layout check know besides the profiles."""
    text = resources.files("landclean.ingest").joinpath("data/synonyms.json").read_text("utf-8")
    return {k: v for k, v in json.loads(text).items() if not k.startswith("_")}


def known_headers(target: str, profiles: list[Profile]) -> dict[str, str]:
    """Compact key of every header known for ``target`` -> field: the synonym table and
    the profiles' headers and aliases."""
    out: dict[str, str] = {}
    for fname, words in synonyms().get(target, {}).items():
        for w in words:
            out.setdefault(compact_key(w), fname)
    for profile in profiles:
        if profile.target == target:
            for key, fname in profile.aliases.items():
                out.setdefault(key, fname)
    return out


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
    for folder in dict.fromkeys([*get_settings().profile_dirs, *(extra_dirs or [])]):  # once
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.json")):
            try:  # checked as data: size, encoding, nesting, then JSON and its types
                out.append((path, _parse(read_profile_json(path), str(path))))
            except OSError as exc:  # unreadable: "Permission denied: <path>"
                reason = exc.strerror or type(exc).__name__
                out.append((path, ImportError_("os_error", path=path, reason=reason)))
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
