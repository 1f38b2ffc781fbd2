"""Column-mapping profiles: data files that name a layout's columns.

A profile lists canonical field names with the header a layout uses (plus aliases).
Headers are matched ignoring case, accents and spacing, so "SỐ TỜ  BẢN ĐỒ" finds "Số tờ bản đồ".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources

from landclean.vn.text import compact_key

PROFILE_NAMES = ("field_form", "map_layer", "registry", "commune_status")


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    header_row: int  # 1-based row of the header in spreadsheets
    sheet: str
    fields: tuple[str, ...]
    headers: tuple[str, ...]
    aliases: dict[str, str]  # compact key of any accepted header -> field

    def header_of(self, field: str) -> str:
        return self.headers[self.fields.index(field)]

    def match(self, headers: list[str]) -> dict[str, str]:
        """Map source headers to fields (only those that match)."""
        found: dict[str, str] = {}
        for h in headers:
            field = self.aliases.get(compact_key(str(h)))
            if field and field not in found.values():
                found[h] = field
        return found

    def coverage(self, headers: list[str]) -> float:
        """Share of the profile's fields found among ``headers``."""
        return len(self.match(headers)) / len(self.fields)


@cache
def load_profile(name: str) -> Profile:
    text = resources.files("landclean.ingest").joinpath(f"profiles/{name}.json").read_text("utf-8")
    doc = json.loads(text)
    aliases: dict[str, str] = {}
    for col in doc["columns"]:
        for h in [col["header"], col["field"], *col.get("aliases", [])]:
            aliases.setdefault(compact_key(h), col["field"])
    return Profile(
        name=doc["name"],
        title=doc["title"],
        header_row=int(doc["header_row"]),
        sheet=doc["sheet"],
        fields=tuple(c["field"] for c in doc["columns"]),
        headers=tuple(c["header"] for c in doc["columns"]),
        aliases=aliases,
    )


def all_profiles() -> list[Profile]:
    return [load_profile(n) for n in PROFILE_NAMES]
