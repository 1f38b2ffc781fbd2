"""A package's objects as tables and as GML, in SQL.

``object_table`` selects one class's objects sent with the catalogue's element names as
columns (typed: what the GeoPackage and Parquet files hold, ``table_columns``);
``gml_rows`` turns the same rows into GML 3.2 elements in DuckDB and ``write_split`` appends them to
each package's file as they come, the bytes of each Arrow batch straight to the file.
Text is escaped for XML there (``lc_xml``: the five characters, a carriage return as
``&#13;`` so that it survives, and the control characters XML 1.0 cannot hold removed);
geometries become
``gml:MultiSurface`` with one ``gml:Polygon`` per part, exterior ring first, coordinates
easting then northing (the axis order of EPSG:9218) as DuckDB prints a double: the
shortest text that reads back as the same number, with at most 15 decimals (a
femtometre, for coordinates in metres).  A polygon or multipolygon without holes
(nearly every parcel) is written by replacing its WKT's separators (``lc_gml_surfaces``);
any other geometry part by part (``lc_gml_parts``): the same text either way.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import BinaryIO
from xml.sax.saxutils import quoteattr

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from landclean.exchange.catalogue import GML_NS, XSI_NS, Catalogue, Field, ObjectClass
from landclean.exchange.objects import object_rows

LIFECYCLE = ("uuid", "phienBan", "batDau", "thayDoi")  # before every object's own fields
CHANGE_WORDS = {"added": "moi", "changed": "sua", "same": "giu_nguyen"}
SCHEMA_FILE = "landclean-diachinh.xsd"
GML_SUBSET_FILE = "gml-3.2-subset.xsd"
BODY = "_gml_body"  # a geometry's rings as text, made once for its GML (lc_gml_body)

MACROS = r"""
CREATE OR REPLACE TEMP MACRO lc_xml(x) AS replace(replace(replace(replace(
    regexp_replace(x, '[\x00-\x08\x0B\x0C\x0E-\x1F\x{FFFE}\x{FFFF}]', '', 'g'),
    '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), chr(13), '&#13;');
CREATE OR REPLACE TEMP MACRO lc_xuuid_hex(h) AS
    substr(h, 1, 8) || '-' || substr(h, 9, 4) || '-3' || substr(h, 14, 3) || '-'
    || substr('89ab', (('0x' || substr(h, 17, 1))::INTEGER & 3) + 1, 1) || substr(h, 18, 3)
    || '-' || substr(h, 21, 12);
CREATE OR REPLACE TEMP MACRO lc_xuuid(cls, k) AS lc_xuuid_hex(md5('landclean:' || cls || ':' || k));
CREATE OR REPLACE TEMP MACRO lc_xdec(x) AS CASE
    WHEN x IS NULL OR NOT isfinite(x) THEN NULL
    WHEN regexp_full_match(CAST(x AS VARCHAR), '-?[0-9]+(\.[0-9]+)?') THEN CAST(x AS VARCHAR)
    ELSE rtrim(rtrim(printf('%.12f', x), '0'), '.') END;
CREATE OR REPLACE TEMP MACRO lc_gml_ring(ring_text) AS
    '<gml:LinearRing><gml:posList>' || replace(ring_text, ', ', ' ')
    || '</gml:posList></gml:LinearRing>';
CREATE OR REPLACE TEMP MACRO lc_gml_polygon(rings) AS
    '<gml:surfaceMember><gml:Polygon><gml:exterior>' || lc_gml_ring(rings[1])
    || '</gml:exterior>'
    || COALESCE(array_to_string(list_transform(rings[2:],  -- an empty list gives NULL
                lambda hole: '<gml:interior>' || lc_gml_ring(hole) || '</gml:interior>'), ''), '')
    || '</gml:Polygon></gml:surfaceMember>';
CREATE OR REPLACE TEMP MACRO lc_gml_parts(g) AS NULLIF(array_to_string(list_transform(
    list_filter(ST_Dump(g), lambda d: ST_GeometryType(d.geom) = 'POLYGON'
                                      AND NOT ST_IsEmpty(d.geom)),
    lambda d: lc_gml_polygon(string_split(
        regexp_extract(ST_AsText(d.geom), '^POLYGON \(\((.*)\)\)$', 1), '), ('))), ''), '');
CREATE OR REPLACE TEMP MACRO lc_gml_body(t) AS CASE
    WHEN starts_with(t, 'POLYGON ((') THEN t[11:-3]
    WHEN starts_with(t, 'MULTIPOLYGON (((') THEN replace(t[17:-4], ')), ((', chr(1)) END;
CREATE OR REPLACE TEMP MACRO lc_gml_surfaces(body, g) AS CASE
    WHEN body IS NULL OR contains(body, '), (') OR contains(body, 'EMPTY') THEN lc_gml_parts(g)
    ELSE '<gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>'
        || replace(replace(body, ', ', ' '), chr(1),
                   '</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>'
                   || '<gml:surfaceMember><gml:Polygon><gml:exterior><gml:LinearRing><gml:posList>')
        || '</gml:posList></gml:LinearRing></gml:exterior></gml:Polygon></gml:surfaceMember>' END
"""


def register_macros(con: duckdb.DuckDBPyConnection) -> None:
    for statement in MACROS.split(";\n"):  # the XML entities hold semicolons too
        if statement.strip():
            con.execute(statement)


def _sql_text(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _coded(field: Field, expr: str) -> str:
    if not field.values:
        return expr
    cases = " ".join(f"WHEN {_sql_text(k)} THEN {_sql_text(v)}" for k, v in field.values)
    return f"CASE {expr} {cases} ELSE {expr} END"


def _typed(field: Field) -> str:
    """The field's value in the table form (the catalogue's words, references as UUIDs)."""
    column = f"o.{field.column}"
    if field.type == "ref":
        return f"lc_xuuid('{field.target}', {column})"
    return _coded(field, column)


def object_table(cls: ObjectClass) -> str:
    """SELECT of one class's objects sent, of every package, in package and key order:
    the package, uuid, version, begin, change, then the catalogue's fields by element
    name (typed: references as UUIDs, coded values as the catalogue's words, the
    geometry as a GEOMETRY).  The rows are read from the workspace for the objects
    ``x_send`` names only."""
    columns = ", ".join(
        f'{"o.geom" if f.type == "geometry" else _typed(f)} AS "{f.element}"' for f in cls.fields
    )
    return (
        f"SELECT s.pkg AS pkg, lc_xuuid('{cls.name}', s.key) AS uuid, s.version AS \"phienBan\", "
        f's.begin_at AS "batDau", s.change AS "thayDoi", {columns} '
        f"FROM (SELECT * FROM x_send WHERE class = '{cls.name}') s "
        f"JOIN ({object_rows(cls.name)}) o ON o.pkg = s.pkg AND o.key = s.key "
        "ORDER BY s.pkg, s.key"
    )


def table_columns(cls: ObjectClass, table: str) -> str:
    """SELECT of a table of ``object_table``'s rows as the Parquet and GeoPackage files
    hold them: without the package, the geometry as WKB."""
    columns = ", ".join(
        f'ST_AsWKB("{f.element}") AS "{f.element}"' if f.type == "geometry" else f'"{f.element}"'
        for f in cls.fields
    )
    return f'SELECT uuid, "phienBan", "batDau", "thayDoi", {columns} FROM {table}'


def _element(cat: Catalogue, f: Field) -> str:
    """The XML text of one field of a row of ``object_table`` ('' when empty)."""
    col = f'"{f.element}"'
    tag = f"{cat.prefix}:{f.element}"
    if f.type == "geometry":
        return (
            f'COALESCE(\'<{tag}><gml:MultiSurface srsName="{cat.srs}" srsDimension="2">\' '
            f"|| lc_gml_surfaces(\"{BODY}\", {col}) || '</gml:MultiSurface></{tag}>', '')"
        )
    if f.type in ("integer", "ref"):
        value = f"CAST({col} AS VARCHAR)"
    elif f.type == "decimal":
        value = f"lc_xdec({col})"
    elif f.type == "date":
        value = f"strftime({col}, '%Y-%m-%d')"
    elif f.type == "boolean":
        value = f"CASE WHEN {col} THEN 'true' WHEN NOT {col} THEN 'false' END"
    else:
        value = f"lc_xml({col})"
    return f"COALESCE('<{tag}>' || {value} || '</{tag}>', '')"


def gml_rows(cat: Catalogue, cls: ObjectClass, delta: bool, table: str) -> str:
    """SELECT of (package, GML) from ``table`` (``object_table``'s rows, in package
    order): each object of the class as one line."""
    p = cat.prefix
    change = (
        f"'<{p}:thayDoi>' || CASE \"thayDoi\" "
        + " ".join(f"WHEN '{k}' THEN '{v}'" for k, v in CHANGE_WORDS.items())
        + f" END || '</{p}:thayDoi>' || "
        if delta
        else ""
    )
    parts = " || ".join(_element(cat, f) for f in cls.fields)
    if cls.geometry:  # the geometry's text made once, and its body once
        table = (
            f'(SELECT * EXCLUDE (_wkt), lc_gml_body(_wkt) AS "{BODY}" '
            f'FROM (SELECT *, ST_AsText("{cls.geometry}") AS _wkt FROM {table}))'
        )
    return (
        f"SELECT pkg, '<{p}:{cls.element} gml:id=\"{cls.element}.' || uuid || '\">"
        f"<{p}:uuid>' || uuid || '</{p}:uuid><{p}:phienBan>' || \"phienBan\" || "
        f"'</{p}:phienBan><{p}:batDau>' || strftime(\"batDau\", '%Y-%m-%dT%H:%M:%S') || "
        f"'</{p}:batDau>' || {change}{parts} || '</{p}:{cls.element}>' || chr(10) AS xml "
        f"FROM {table}"
    )


def retired_rows(cat: Catalogue, at: dt.datetime) -> str:
    """SELECT of (package, GML): the objects each package retires."""
    p = cat.prefix
    cases = " ".join(f"WHEN '{c.name}' THEN '{c.element}'" for c in cat.classes)
    return (
        f"SELECT pkg, '<{p}:{cat.retired} lop=\"' || CASE class {cases} END || '\" uuid=\"' || "
        f"lc_xuuid(class, key) || '\" phienBan=\"' || version || '\" ketThuc=\"' || "
        f"'{at:%Y-%m-%dT%H:%M:%S}' || '\"/>' || chr(10) AS xml "
        f"FROM x_retired ORDER BY pkg, class, key"
    )


def _text_bytes(column: pa.Array) -> memoryview:
    """The bytes of a text column's values, one after the other."""
    _, offsets, data = column.buffers()
    width = 8 if pa.types.is_large_string(column.type) else 4
    first = offsets.slice(column.offset * width, width)
    last = offsets.slice((column.offset + len(column)) * width, width)
    start = int.from_bytes(first.to_pybytes(), "little")
    end = int.from_bytes(last.to_pybytes(), "little")
    return memoryview(data)[start:end]


def write_split(con: duckdb.DuckDBPyConnection, sql: str, paths: dict[str, Path]) -> None:
    """Run a SELECT of (package, text) in package order and append each package's text
    to its path, batch by batch."""
    reader = con.execute(sql).fetch_record_batch(1 << 16)
    current: str | None = None
    out: BinaryIO | None = None
    try:
        for batch in reader:
            if batch.num_rows == 0:
                continue
            runs = pc.run_end_encode(batch.column(0))
            start = 0
            for pkg, end in zip(runs.values.to_pylist(), runs.run_ends.to_pylist(), strict=True):
                if pkg != current:
                    if out is not None:
                        out.close()
                    current, out = pkg, paths[pkg].open("ab")
                assert out is not None
                out.write(_text_bytes(batch.column(1).slice(start, end - start)))
                start = end
    finally:
        if out is not None:
            out.close()
        reader.close()


def start_gml(path: Path, cat: Catalogue, header: dict[str, str]) -> None:
    """Begin one package's GML file: the declaration and the root with the package's
    attributes; its objects are appended by ``write_split``, then ``end_gml``."""
    attrs = " ".join(f"{k}={quoteattr(v)}" for k, v in header.items())
    ns = cat.namespace
    path.write_bytes(
        (
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<{cat.prefix}:{cat.root} xmlns:{cat.prefix}="{ns}" xmlns:gml="{GML_NS}" '
            f'xmlns:xsi="{XSI_NS}" xsi:schemaLocation="{ns} {SCHEMA_FILE}" {attrs}>\n'
        ).encode()
    )


def end_gml(path: Path, cat: Catalogue) -> None:
    with path.open("ab") as out:
        out.write(f"</{cat.prefix}:{cat.root}>\n".encode())
