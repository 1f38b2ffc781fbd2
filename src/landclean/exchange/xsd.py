"""The XSD a package validates against, written from the catalogue (so a province that
renames elements gets the schema of its names), and the GML 3.2 subset it imports.

Each object is an element with ``gml:id``: the lifecycle first (``uuid``, ``phienBan``
the version, ``batDau`` when that version began, ``thayDoi`` in a package of changes:
``moi`` / ``sua`` / ``giu_nguyen``), then its fields in the catalogue's order, each
optional unless the catalogue says required.  Retired objects are empty elements with
their class, UUID, last version and end.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from lxml import etree

from landclean.exchange.catalogue import GML_NS, Catalogue, ExchangeError, Field
from landclean.exchange.gml import CHANGE_WORDS, GML_SUBSET_FILE

XS_TYPES = {
    "string": "xs:string",
    "integer": "xs:integer",
    "decimal": "xs:decimal",
    "date": "xs:date",
    "boolean": "xs:boolean",
}
UUID_PATTERN = "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


def gml_subset() -> str:
    return resources.files("landclean.exchange").joinpath(GML_SUBSET_FILE).read_text("utf-8")


def _doc(text: str) -> str:
    return f"<xs:annotation><xs:documentation>{escape(text)}</xs:documentation></xs:annotation>"


def _field(cat: Catalogue, f: Field) -> str:
    occurs = "" if f.required else ' minOccurs="0"'
    words = "; ".join(f"{k} = {v}" for k, v in f.values)
    doc = _doc(f.label + (f" ({words})" if words else ""))
    name = quoteattr(f.element)
    if f.type == "geometry":
        return (
            f"<xs:element name={name}{occurs}>{doc}<xs:complexType><xs:sequence>"
            '<xs:element ref="gml:MultiSurface"/></xs:sequence></xs:complexType></xs:element>'
        )
    xs_type = f"{cat.prefix}:Uuid" if f.type == "ref" else XS_TYPES[f.type]
    return f'<xs:element name={name} type="{xs_type}"{occurs}>{doc}</xs:element>'


def schema(cat: Catalogue) -> str:
    """The package's XSD."""
    p = cat.prefix
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f"<!-- landclean exchange package, catalogue version {escape(cat.version)}: "
        "written from the catalogue (docs/exchange.md) -->",
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:{p}="{cat.namespace}"',
        f'           xmlns:gml="{GML_NS}" targetNamespace="{cat.namespace}"',
        '           elementFormDefault="qualified" attributeFormDefault="unqualified">',
        f'<xs:import namespace="{GML_NS}" schemaLocation="{GML_SUBSET_FILE}"/>',
        f'<xs:simpleType name="Uuid"><xs:restriction base="xs:string">'
        f'<xs:pattern value="{UUID_PATTERN}"/></xs:restriction></xs:simpleType>',
        '<xs:simpleType name="Change"><xs:restriction base="xs:string">'
        + "".join(f'<xs:enumeration value="{w}"/>' for w in CHANGE_WORDS.values())
        + "</xs:restriction></xs:simpleType>",
    ]
    for cls in cat.classes:
        lines.append(
            f"<xs:element name={quoteattr(cls.element)}>{_doc(cls.label)}<xs:complexType>"
            f'<xs:sequence><xs:element name="uuid" type="{p}:Uuid"/>'
            '<xs:element name="phienBan" type="xs:positiveInteger"/>'
            '<xs:element name="batDau" type="xs:dateTime"/>'
            f'<xs:element name="thayDoi" type="{p}:Change" minOccurs="0"/>'
        )
        lines.extend(_field(cat, f) for f in cls.fields)
        lines.append(
            '</xs:sequence><xs:attribute ref="gml:id" use="required"/>'
            "</xs:complexType></xs:element>"
        )
    classes = "".join(f'<xs:enumeration value="{c.element}"/>' for c in cat.classes)
    lines += [
        f"<xs:element name={quoteattr(cat.retired)}>"
        + _doc("An object this package retires: the receiver ends its version.")
        + '<xs:complexType><xs:attribute name="lop" use="required"><xs:simpleType>'
        f'<xs:restriction base="xs:string">{classes}</xs:restriction></xs:simpleType>'
        f'</xs:attribute><xs:attribute name="uuid" type="{p}:Uuid" use="required"/>'
        '<xs:attribute name="phienBan" type="xs:positiveInteger" use="required"/>'
        '<xs:attribute name="ketThuc" type="xs:dateTime" use="required"/>'
        "</xs:complexType></xs:element>",
        f"<xs:element name={quoteattr(cat.root)}>"
        + _doc("One commune's package: its objects, then those it retires.")
        + '<xs:complexType><xs:sequence><xs:choice minOccurs="0" maxOccurs="unbounded">'
        + "".join(f"<xs:element ref={quoteattr(p + ':' + c.element)}/>" for c in cat.classes)
        + f'</xs:choice><xs:element ref={quoteattr(p + ":" + cat.retired)} minOccurs="0" '
        'maxOccurs="unbounded"/></xs:sequence>'
        '<xs:attribute ref="gml:id" use="required"/>'
        f'<xs:attribute name="maGoi" type="{p}:Uuid" use="required"/>'
        '<xs:attribute name="maDonViHanhChinh" type="xs:string" use="required"/>'
        '<xs:attribute name="loaiGoi" use="required"><xs:simpleType>'
        '<xs:restriction base="xs:string"><xs:enumeration value="day_du"/>'
        '<xs:enumeration value="thay_doi"/></xs:restriction></xs:simpleType></xs:attribute>'
        f'<xs:attribute name="goiTruoc" type="{p}:Uuid"/>'
        f'<xs:attribute name="soVoiGoi" type="{p}:Uuid"/>'
        '<xs:attribute name="thoiDiem" type="xs:dateTime" use="required"/>'
        '<xs:attribute name="phienBanDanhMuc" type="xs:string" use="required"/>'
        "</xs:complexType></xs:element>",
        "</xs:schema>",
    ]
    return "\n".join(lines) + "\n"


def parse_error(exc: etree.XMLSyntaxError, path: Path, schema: etree.XMLSchema) -> ExchangeError:
    """The error a streaming parse raised, with the line it is on.  lxml's streaming
    parser does not report the line of a schema error, so the file is validated once
    more, whole, to find it (only on this failure path)."""
    entries = list(exc.error_log) or [None]
    invalid = entries[-1] is not None and entries[-1].domain_name == "SCHEMASV"
    line, reason = exc.lineno or 0, str(exc.msg if hasattr(exc, "msg") else exc)
    if invalid and not line:
        parser = etree.XMLParser(huge_tree=True, resolve_entities=False, no_network=True)
        try:  # an unexpanded entity makes lxml's validator fail inside: no line then
            doc = etree.parse(str(path), parser)
            if not schema.validate(doc) and schema.error_log.last_error:
                first = schema.error_log[0]
                line, reason = first.line, first.message
        except (etree.XMLSyntaxError, etree.XMLSchemaValidateError):
            pass
    key = "exchange_invalid" if invalid else "exchange_not_xml"
    return ExchangeError(key, path=path, line=line, reason=reason)
