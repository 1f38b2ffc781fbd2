"""Read an exchange package's GML back as import sources (``landclean import`` takes a
``.gml`` file through this reader; ``landclean exchange import`` checks the package
first).

The file is validated against the catalogue's XSD while it is parsed (lxml, streaming:
one object in memory at a time), so a package edited in the land information system is
held to the same standard as one landclean wrote.  Its objects become two sources the
usual import writes, with their lineage (file, object, line):

- the parcels' records, one row per land user holding the parcel (a parcel without one,
  one row), with the field names of the ``canonical`` profile; what a record has no
  place for (UUIDs, the new commune and sheet, the UID, the group, the authentication)
  goes into the row's ``extra``;
- their geometries, as a map layer (``map_layer`` profile), already in EPSG:9218.

A package only adds or changes what it holds: parcels it does not hold are not removed,
whatever commune they are in (a package is one new commune, and a package of changes
holds only those); the parcels it retires are (``Source.retired``).
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
import pyarrow as pa
from lxml import etree

from landclean.errors import ImportError_
from landclean.exchange.catalogue import GML_NS, Catalogue, ExchangeError, load_catalogue
from landclean.exchange.gml import GML_SUBSET_FILE, SCHEMA_FILE
from landclean.exchange.xsd import gml_subset, parse_error, schema
from landclean.settings import get_settings

if TYPE_CHECKING:
    from landclean.ingest.sources import Source

SRS_NAMES = {
    "http://www.opengis.net/def/crs/EPSG/0/9218",
    "urn:ogc:def:crs:EPSG::9218",
    "EPSG:9218",
}
RECORD_HEADERS = [
    "commune_code", "cert_serial", "cert_issue_date", "cert_book_no", "cert_issuer",
    "cert_digital", "owner_code", "owner_type", "owner_name", "owner_birth", "owner_sex",
    "owner_id", "owner_address", "owner_share", "parcel_code", "cert_sheet", "cert_parcel",
    "map_sheet", "map_parcel", "map_scale", "parcel_address", "village", "legal_area",
    "lu1_code", "lu1_area", "lu1_origin", "lu1_term", "lu2_code", "lu2_area", "lu2_origin",
    "lu2_term", "lu3_code", "lu3_area", "asset_type", "asset_area", "asset_floors", "vbdlis",
    # kept in the raw row's extra: what the record has no field for
    "exchange_uuid", "exchange_version", "exchange_commune", "exchange_sheet", "exchange_uid",
    "exchange_group", "exchange_party_uuid", "exchange_auth",
]  # fmt: skip
MAP_HEADERS = ["MaThua", "MaXa", "SoTo", "SoThua", "TyLe"]
_counter = itertools.count()
Row = list[object]
_THREE_DECIMALS = re.compile(r"-?[0-9]+\.[0-9]{3}\Z")


@dataclass
class PackageContent:
    """What a package's GML holds: objects by class (UUID -> element -> value, with the
    line it was on), the UUIDs it retires by class."""

    objects: dict[str, dict[str, dict[str, object]]] = field(default_factory=dict)
    retired: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    commune: str | None = None
    kind: str | None = None


def is_package_gml(path: Path, cat: Catalogue | None = None) -> bool:
    """Whether the file's root element is a package's (by its namespace and name)."""
    cat = cat or load_catalogue(get_settings().exchange_catalogue)
    try:
        for _, element in etree.iterparse(str(path), events=("start",)):
            return bool(element.tag == f"{{{cat.namespace}}}{cat.root}")
    except etree.XMLSyntaxError:
        return False
    return False


def _schema(cat: Catalogue) -> etree.XMLSchema:
    with tempfile.TemporaryDirectory(prefix="landclean-xsd-") as tmp:
        (Path(tmp) / GML_SUBSET_FILE).write_text(gml_subset(), encoding="utf-8")
        path = Path(tmp) / SCHEMA_FILE
        path.write_text(schema(cat), encoding="utf-8")
        return etree.XMLSchema(etree.parse(str(path)))


def _number(text: str) -> str:
    """An xs:decimal as the import reads numbers unambiguously ("1.234" is 1234 there)."""
    return text + "0" if _THREE_DECIMALS.match(text) else text


def _geometry(element: etree._Element, path: Path, expected: str) -> str:
    """A gml:MultiSurface as WKT (one polygon: a POLYGON)."""
    surface = element[0]
    srs = surface.get("srsName")
    if srs not in SRS_NAMES | {expected}:
        raise ExchangeError(
            "exchange_srs", path=path, line=surface.sourceline, srs=srs, expected=expected
        )
    polygons = []
    for polygon in surface.iter(f"{{{GML_NS}}}Polygon"):
        rings = []
        for pos in polygon.iter(f"{{{GML_NS}}}posList"):
            values = (pos.text or "").split()
            if len(values) % 2 or len(values) < 8:
                raise ExchangeError(
                    "exchange_geometry", path=path, line=pos.sourceline,
                    reason=f"a ring of {len(values)} numbers (pairs, at least 4 points)",
                )  # fmt: skip
            xs, ys = values[0::2], values[1::2]
            rings.append("(" + ", ".join(f"{x} {y}" for x, y in zip(xs, ys, strict=True)) + ")")
        polygons.append("(" + ", ".join(rings) + ")")
    if len(polygons) == 1:  # one part: a polygon, as it was
        return "POLYGON " + polygons[0]
    return "MULTIPOLYGON (" + ", ".join(polygons) + ")"


def parse_package(path: Path, cat: Catalogue | None = None) -> PackageContent:
    """Every object of a package's GML, validated against the catalogue's XSD."""
    cat = cat or load_catalogue(get_settings().exchange_catalogue)
    ns = f"{{{cat.namespace}}}"
    classes = {f"{ns}{c.element}": c for c in cat.classes}
    content = PackageContent(objects={c.name: {} for c in cat.classes})
    types = {c.name: {f.element: f for f in c.fields} for c in cat.classes}
    try:
        parser = etree.iterparse(
            str(path), events=("start", "end"), schema=_schema(cat), huge_tree=True,
            remove_comments=True, resolve_entities=False, no_network=True,
        )  # fmt: skip
        depth = 0
        for event, element in parser:
            if event == "start":
                depth += 1
                if depth == 1:
                    content.commune = element.get("maDonViHanhChinh")
                    content.kind = element.get("loaiGoi")
                continue
            depth -= 1
            if depth != 1:
                continue
            if element.tag == f"{ns}{cat.retired}":
                by_element = cat.by_element(element.get("lop", ""))
                if by_element is not None:
                    content.retired[by_element.name].append(element.get("uuid", ""))
            elif element.tag in classes:
                cls = classes[element.tag]
                values: dict[str, object] = {"#line": element.sourceline}
                for child in element:
                    name = etree.QName(child).localname
                    f = types[cls.name].get(name)
                    if f is not None and f.type == "geometry":
                        values[name] = _geometry(child, path, cat.srs)
                    else:
                        values[name] = child.text
                content.objects[cls.name][str(values["uuid"])] = values
            element.clear()
            parent = element.getparent()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise parse_error(exc, path, _schema(cat)) from exc
    return content


def _decode(cat: Catalogue, cls: str, element: str, value: object) -> object:
    """A coded word back to landclean's code."""
    f = next((f for f in cat.cls(cls).fields if f.element == element), None)
    if f is None or not f.values or value is None:
        return value
    back = {word: code for code, word in f.values}
    return back.get(str(value), value)


def _date_text(value: object) -> str | None:
    if not value:
        return None
    try:
        day = dt.date.fromisoformat(str(value)[:10])
    except ValueError:  # a year XML allows and a date cannot hold: the import says so
        return str(value)
    return f"{day:%d/%m/%Y}"


OWNER_KIND = {"household": "Hộ gia đình", "organization": "Tổ chức"}
SEX_WORDS = {"M": "Nam", "F": "Nữ"}
DIGITAL_WORDS = {"digital": "Đã số hóa", "paper_only": "Chưa có dữ liệu số"}


def record_rows(
    cat: Catalogue, content: PackageContent, path: Path
) -> tuple[list[list], list[list]]:
    """(records, map rows): the parcels' records, one row per land user, and their
    geometries; each row ends with its line in the file."""

    def el(cls: str, column: str) -> str:
        f = cat.cls(cls).field(column)
        assert f is not None
        return f.element

    def val(obj: dict[str, object], cls: str, column: str) -> object:
        f = cat.cls(cls).field(column)
        if f is None:
            return None
        return _decode(cat, cls, f.element, obj.get(f.element))

    def num(obj: dict[str, object], cls: str, column: str) -> str | None:
        value = val(obj, cls, column)
        return _number(str(value)) if value is not None else None

    objs = content.objects
    by_parcel: dict[str, dict[str, list[dict[str, object]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for cls in ("land_use", "land_right", "asset"):
        for obj in objs[cls].values():
            ref = str(obj.get(el(cls, "parcel_ref")))
            if ref not in objs["parcel"]:
                raise ExchangeError(
                    "exchange_reference", path=path, line=obj["#line"],
                    element=cat.cls(cls).element, target=ref,
                )  # fmt: skip
            by_parcel[ref][cls].append(obj)
    records: list[Row] = []
    maps: list[Row] = []
    for uuid, parcel in objs["parcel"].items():
        mine = by_parcel.get(uuid, {})
        cert = objs["certificate"].get(str(val(parcel, "parcel", "certificate_ref")), {})
        uses = sorted(mine.get("land_use", []), key=lambda u: int(str(val(u, "land_use", "seq"))))
        lu: list[object] = []
        for i in range(2):
            u = uses[i] if i < len(uses) else {}
            lu += [val(u, "land_use", "code"), num(u, "land_use", "area"),
                   val(u, "land_use", "origin"), val(u, "land_use", "term")]  # fmt: skip
        rest = uses[2:]
        lu += [
            "+".join(str(val(u, "land_use", "code")) for u in rest) or None,
            (num(rest[0], "land_use", "area") if len(rest) == 1 else None),
        ]
        asset = (mine.get("asset") or [{}])[0]
        synced = val(parcel, "parcel", "vbdlis_synced")
        digital = val(cert, "certificate", "digital_status")
        common = {
            "commune_code": val(parcel, "parcel", "old_unit_code"),
            "cert_serial": val(cert, "certificate", "serial"),
            "cert_issue_date": _date_text(val(cert, "certificate", "issue_date")),
            "cert_book_no": val(cert, "certificate", "book_entry_no"),
            "cert_issuer": val(cert, "certificate", "issuer"),
            "cert_digital": DIGITAL_WORDS.get(str(digital)) if cert else None,
            "parcel_code": val(parcel, "parcel", "parcel_code"),
            "cert_sheet": val(parcel, "parcel", "cert_sheet_no"),
            "cert_parcel": val(parcel, "parcel", "cert_parcel_no"),
            "map_sheet": val(parcel, "parcel", "sheet_no"),
            "map_parcel": val(parcel, "parcel", "parcel_no"),
            "map_scale": val(parcel, "parcel", "scale"),
            "parcel_address": val(parcel, "parcel", "address"),
            "village": val(parcel, "parcel", "village"),
            "legal_area": num(parcel, "parcel", "legal_area"),
            "asset_type": val(asset, "asset", "asset_type"),
            "asset_area": num(asset, "asset", "floor_area"),
            "asset_floors": val(asset, "asset", "floors"),
            "vbdlis": None if synced is None else
            ("Đã đồng bộ" if str(synced) == "true" else "Chưa đồng bộ"),
            "exchange_uuid": uuid,
            "exchange_version": parcel.get("phienBan"),
            "exchange_commune": val(parcel, "parcel", "unit_code"),
            "exchange_sheet": val(parcel, "parcel", "new_sheet_no"),
            "exchange_uid": val(parcel, "parcel", "uid"),
            "exchange_group": val(parcel, "parcel", "grp"),
        }  # fmt: skip
        for i, name in enumerate(
            ["lu1_code", "lu1_area", "lu1_origin", "lu1_term", "lu2_code", "lu2_area",
             "lu2_origin", "lu2_term", "lu3_code", "lu3_area"]
        ):  # fmt: skip
            common[name] = lu[i]
        rights = sorted(
            mine.get("land_right", []), key=lambda r: str(val(r, "land_right", "party_ref"))
        )
        choices: list[dict[str, object] | None] = [*rights] or [None]
        for right in choices:
            row = dict(common)
            line = parcel["#line"]
            if right is not None:
                party_uuid = str(val(right, "land_right", "party_ref"))
                party = objs["party"].get(party_uuid)
                if party is None:
                    raise ExchangeError(
                        "exchange_reference", path=path, line=right["#line"],
                        element=cat.cls("land_right").element, target=party_uuid,
                    )  # fmt: skip
                role = val(right, "land_right", "role")
                kind = val(party, "party", "party_type")
                birth = val(party, "party", "birth_date")
                row.update(
                    owner_code=val(party, "party", "party_id"),
                    owner_type=OWNER_KIND.get(str(role))
                    or ("Tổ chức" if kind == "organization" else "Cá nhân"),
                    owner_name=val(party, "party", "full_name"),
                    owner_birth=_date_text(birth) if birth else val(party, "party", "birth_year"),
                    owner_sex=SEX_WORDS.get(str(val(party, "party", "sex"))),
                    owner_id=val(party, "party", "id_number"),
                    owner_address=val(party, "party", "address"),
                    owner_share=num(right, "land_right", "share"),
                    exchange_party_uuid=party_uuid,
                    exchange_auth=val(party, "party", "auth_status"),
                )
                line = right["#line"]
            records.append([row.get(h) for h in RECORD_HEADERS] + [line])
        geometry = parcel.get(el("parcel", "geom"))
        if geometry:
            maps.append(
                [common["parcel_code"], common["commune_code"], common["map_sheet"],
                 common["map_parcel"], common["map_scale"], geometry, parcel["#line"]]
            )  # fmt: skip
    return records, maps


def _table(con: duckdb.DuckDBPyConnection, headers: list[str], rows: list[Row]) -> str:
    name = f"xsrc_{next(_counter)}"
    columns = {f"c{i}": [None if r[i] is None else str(r[i]) for r in rows]
               for i in range(len(headers))}  # fmt: skip
    columns["row_no"] = [str(r[-1]) for r in rows]
    arrow = pa.table(columns, schema=pa.schema(
        [(f"c{i}", pa.string()) for i in range(len(headers))] + [("row_no", pa.string())]
    ))  # fmt: skip
    con.register(f"{name}_arrow", arrow)
    try:
        con.execute(
            f"CREATE TEMP TABLE {name} AS SELECT * REPLACE (CAST(row_no AS BIGINT) AS row_no) "
            f"FROM {name}_arrow"
        )
    finally:
        con.unregister(f"{name}_arrow")
    return name


def read_package_gml(con: duckdb.DuckDBPyConnection, path: Path) -> list[Source]:
    """The import sources of a package's GML: records, then the geometries (``Source``
    objects of ``ingest.sources``)."""
    cat = load_catalogue(get_settings().exchange_catalogue)
    if not is_package_gml(path, cat):
        raise ImportError_(
            "unsupported_type", path=path, suffix=path.suffix,
            expected=f"GML of an exchange package ({cat.namespace})",
        )  # fmt: skip
    from landclean.ingest import sources  # (it reads packages through this module)

    content = parse_package(path, cat)
    records, maps = record_rows(cat, content, path)
    parcel = cat.cls("parcel")
    retired = list(content.retired.get("parcel", []))
    out: list[Source] = []
    if records:
        table = _table(con, RECORD_HEADERS, records)
        out.append(sources.Source(path, parcel.element, list(RECORD_HEADERS), table, len(records),
                          "UTF-8", retired=retired))  # fmt: skip
    if maps:
        table = _table(con, [*MAP_HEADERS, "wkt"], maps)
        con.execute(
            f"ALTER TABLE {table} ADD COLUMN geom_wkb BLOB; "
            f"UPDATE {table} SET geom_wkb = ST_AsWKB(ST_GeomFromText(c5)); "
            f"ALTER TABLE {table} DROP COLUMN c5"
        )
        geom = parcel.field("geom")
        part = f"{parcel.element}.{geom.element if geom else 'geom'}"
        out.append(sources.Source(path, part, list(MAP_HEADERS), table, len(maps), "UTF-8",
                          is_map=True, retired=retired))  # fmt: skip
    if not out and retired:  # a package that only retires parcels
        table = _table(con, RECORD_HEADERS, [])
        out.append(sources.Source(path, parcel.element, list(RECORD_HEADERS), table, 0, "UTF-8",
                          retired=retired))  # fmt: skip
    return out
