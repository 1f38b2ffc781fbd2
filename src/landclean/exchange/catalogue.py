"""The object catalogue of exchange packages (``catalogue.json``): which objects a package
holds, and for each of its fields the element it is written as, what landclean exports
there and its type.

The file is data so that a province can follow its land information system's exact
schema: element names, the namespace and the words of coded values may change; the
``column`` each field is filled from may not (``exchange.objects`` produces them).  The
file is checked when it is read: a wrong one is one clear error, never a broken package.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from landclean.errors import LandcleanError

TYPES = ("string", "integer", "decimal", "date", "boolean", "ref", "geometry")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")  # an XML NCName without dots or dashes
GML_NS = "http://www.opengis.net/gml/3.2"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"


class ExchangeError(LandcleanError):
    """An exchange package cannot be written, checked or read (what, where, why)."""


class CatalogueError(ExchangeError):
    """The catalogue file cannot be used (what is wrong, where)."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__("exchange_catalogue", where=where, problem=problem)


@dataclass(frozen=True)
class Field:
    element: str
    column: str
    type: str
    label: str
    required: bool = False
    target: str | None = None  # ref: the class it points to
    values: tuple[tuple[str, str], ...] = ()  # landclean's code -> the word written

    def word(self, code: str) -> str:
        return dict(self.values).get(code, code)


@dataclass(frozen=True)
class ObjectClass:
    name: str  # landclean's name (parcel, party …), fixed
    element: str
    label: str
    fields: tuple[Field, ...]

    def field(self, column: str) -> Field | None:
        return next((f for f in self.fields if f.column == column), None)

    @property
    def geometry(self) -> str | None:
        """The element name of the class's geometry (None: it has none)."""
        return next((f.element for f in self.fields if f.type == "geometry"), None)


@dataclass(frozen=True)
class Catalogue:
    version: str
    namespace: str
    prefix: str
    root: str
    retired: str
    srs: str
    classes: tuple[ObjectClass, ...]
    sha256: str

    def cls(self, name: str) -> ObjectClass:
        return next(c for c in self.classes if c.name == name)

    def by_element(self, element: str) -> ObjectClass | None:
        return next((c for c in self.classes if c.element == element), None)


# what exchange.objects fills, per class: the columns a catalogue may name
COLUMNS: dict[str, dict[str, str]] = {
    "parcel": {
        "parcel_code": "string", "unit_code": "string", "old_unit_code": "string",
        "scale": "integer", "new_sheet_no": "integer", "sheet_no": "integer",
        "parcel_no": "integer", "cert_sheet_no": "integer", "cert_parcel_no": "integer",
        "legal_area": "decimal", "address": "string", "village": "string", "uid": "string",
        "placement": "string", "grp": "integer", "vbdlis_synced": "boolean",
        "certificate_ref": "ref", "geom": "geometry",
    },
    "land_use": {
        "parcel_ref": "ref", "seq": "integer", "code": "string", "area": "decimal",
        "origin": "string", "term": "string",
    },
    "party": {
        "party_id": "string", "party_type": "string", "full_name": "string",
        "birth_date": "date", "birth_year": "integer", "sex": "string",
        "id_number": "string", "id_type": "string", "address": "string",
        "auth_status": "string", "auth_reasons": "string",
    },
    "land_right": {
        "parcel_ref": "ref", "party_ref": "ref", "role": "string", "share": "decimal",
        "certificate_ref": "ref",
    },
    "certificate": {
        "serial": "string", "form_version": "string", "book_entry_no": "string",
        "issue_date": "date", "issuer": "string", "digital_status": "string",
    },
    "asset": {
        "parcel_ref": "ref", "asset_type": "string", "floor_area": "decimal",
        "floors": "integer",
    },
    "map_sheet": {
        "unit_code": "string", "scale": "integer", "new_sheet_no": "integer",
        "old_unit_code": "string", "old_sheet_no": "integer",
    },
    "admin_unit": {
        "code": "string", "name": "string", "unit_type": "string", "region": "string",
    },
}  # fmt: skip
# what an import needs to give the records back (exchange.reader)
NEEDED = {
    "parcel": {"parcel_code"},
    "land_use": {"parcel_ref", "seq"},
    "party": {"party_id"},
    "land_right": {"parcel_ref", "party_ref"},
}


def _field(where: str, raw: dict[str, object], cls: str) -> Field:
    for key in ("element", "column", "type", "label"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise CatalogueError(where, f"'{key}' is missing or not text")
    element, column, type_ = str(raw["element"]), str(raw["column"]), str(raw["type"])
    if not NAME.match(element):
        raise CatalogueError(where, f"'{element}' cannot be an XML element name")
    if column not in COLUMNS[cls]:
        known = ", ".join(COLUMNS[cls])
        raise CatalogueError(where, f"column '{column}' is not exported for {cls} ({known})")
    if type_ != COLUMNS[cls][column]:
        raise CatalogueError(where, f"column '{column}' is a {COLUMNS[cls][column]}, not {type_}")
    values = raw.get("values") or {}
    if not isinstance(values, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in values.items()
    ):
        raise CatalogueError(where, "'values' must map codes to words")
    if len(set(values.values())) != len(values):
        raise CatalogueError(where, "two codes are written as the same word")
    target = raw.get("target")
    if type_ == "ref" and target not in COLUMNS:
        raise CatalogueError(where, f"a reference needs a 'target' class ({', '.join(COLUMNS)})")
    return Field(
        element,
        column,
        type_,
        str(raw["label"]),
        bool(raw.get("required", False)),
        str(target) if target else None,
        tuple(sorted(values.items())),
    )


def parse_catalogue(text: str, where: str) -> Catalogue:
    """A catalogue from its JSON text (``where`` names it in errors)."""
    try:
        raw = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CatalogueError(where, f"not JSON ({exc.msg}, line {exc.lineno})") from exc
    if not isinstance(raw, dict):
        raise CatalogueError(where, "not a JSON object")
    for key in ("version", "namespace", "prefix", "root", "retired", "srs"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise CatalogueError(where, f"'{key}' is missing or not text")
    for key in ("prefix", "root", "retired"):
        if not NAME.match(raw[key]):
            raise CatalogueError(where, f"'{raw[key]}' cannot be an XML name")
    classes = []
    for i, c in enumerate(raw.get("classes") or []):
        name = c.get("name") if isinstance(c, dict) else None
        if name not in COLUMNS:
            raise CatalogueError(f"{where} classes[{i}]", f"unknown class {name!r}")
        if not NAME.match(str(c.get("element", ""))):
            raise CatalogueError(f"{where} classes[{i}]", "'element' is not an XML name")
        fields = tuple(
            _field(f"{where} {name}.fields[{j}]", f, name) for j, f in enumerate(c["fields"])
        )
        elements = [f.element for f in fields]
        if len(set(elements)) != len(elements):
            raise CatalogueError(f"{where} {name}", "two fields have the same element")
        missing = NEEDED.get(name, set()) - {f.column for f in fields}
        if missing:
            raise CatalogueError(f"{where} {name}", f"needs {', '.join(sorted(missing))}")
        classes.append(ObjectClass(name, c["element"], str(c.get("label", name)), fields))
    names = [c.name for c in classes]
    if sorted(names) != sorted(COLUMNS):
        raise CatalogueError(where, f"needs every class once: {', '.join(COLUMNS)}")
    elements = [c.element for c in classes] + [raw["root"], raw["retired"]]
    if len(set(elements)) != len(elements):
        raise CatalogueError(where, "two classes (or the root) have the same element")
    return Catalogue(
        raw["version"],
        raw["namespace"],
        raw["prefix"],
        raw["root"],
        raw["retired"],
        raw["srs"],
        tuple(classes),
        hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


@cache
def _default() -> Catalogue:
    text = resources.files("landclean.exchange").joinpath("catalogue.json").read_text("utf-8")
    return parse_catalogue(text, "catalogue.json")


def load_catalogue(path: Path | None = None) -> Catalogue:
    """The catalogue at ``path``, or landclean's own."""
    if path is None:
        return _default()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogueError(str(path), f"cannot be read ({exc})") from exc
    return parse_catalogue(text, str(path))
