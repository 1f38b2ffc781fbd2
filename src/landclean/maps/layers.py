"""The map's layers for desktop GIS: one GeoPackage with parcels, problems, sheets and
communes, and the map page's symbology as QGIS styles in its ``layer_styles`` table
(QGIS applies a layer's default style when the layer is opened).

Geometries in the workspace's CRS (VN-2000 / TM-3 108°30′, EPSG:9218): the parcels as
they are on record, the other layers brought back from the map's Web Mercator.  Like
the tiles, no layer holds a name, an ID number or a birth date.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import quoteattr

import duckdb
import pyogrio

from landclean.errors import ReportError
from landclean.labels import label
from landclean.maps.tiles import LAYERS
from landclean.workspace.lookups import keys_in

# the map's Web Mercator back to VN-2000; polygon layers as MultiPolygon (one type a layer)
BACK = "ST_Transform(geom, 'EPSG:3857', 'EPSG:9218', always_xy := true)"
AREAS = "ST_AsWKB(ST_Multi(ST_CollectionExtract({g}, 3)))"
COLUMNS = "SELECT * EXCLUDE (geom, minx, miny, maxx, maxy)"
# (layer in the GeoPackage, the map's layer, its rows, its geometries' type)
QUERIES = (
    (
        "thua_dat",
        "parcels",
        "SELECT m.* EXCLUDE (geom, minx, miny, maxx, maxy), "
        + AREAS.format(g="p.geom")
        + " AS geometry FROM (SELECT * FROM map_parcel WHERE {scope}) m "
        "JOIN parcel p USING (parcel_id) ORDER BY m.parcel_id",
        "MultiPolygon",
    ),
    (
        "loi_khong_gian",
        "problems",
        f"{COLUMNS}, ST_AsWKB({BACK}) AS geometry FROM map_problem "
        + "WHERE {scope} ORDER BY rule_id, record_id",
        "Unknown",  # areas, and lines where a gap is one
    ),
    (
        "to_ban_do",
        "sheets",
        f"{COLUMNS}, {AREAS.format(g=BACK)} AS geometry FROM map_sheet_outline "
        + "WHERE {scope} ORDER BY ALL",
        "MultiPolygon",
    ),
    (
        "xa_phuong",
        "communes",
        f"{COLUMNS}, {AREAS.format(g=BACK)} AS geometry FROM map_commune "
        + "WHERE {scope} AND geom IS NOT NULL ORDER BY unit_code",
        "MultiPolygon",
    ),
)

GROUP_COLOURS = {1: "39,174,96", 2: "230,126,34", 3: "192,57,43"}


@dataclass
class LayersResult:
    path: Path
    rows: dict[str, int]  # layer -> features written


def _fill(colour: str, alpha: int, outline: str, width: float, style: str = "solid") -> str:
    return (
        '<layer class="SimpleFill" enabled="1" locked="0" pass="0"><Option type="Map">'
        f'<Option type="QString" name="color" value="{colour},{alpha}"/>'
        f'<Option type="QString" name="outline_color" value="{outline},255"/>'
        f'<Option type="QString" name="outline_width" value="{width}"/>'
        '<Option type="QString" name="outline_width_unit" value="MM"/>'
        f'<Option type="QString" name="outline_style" value="{style}"/>'
        '<Option type="QString" name="style" value="solid"/></Option></layer>'
    )


def _symbol(name: str, layer: str) -> str:
    return (
        f'<symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" force_rhr="0">'
        f"{layer}</symbol>"
    )


def _qml(renderer: str) -> str:
    return (
        "<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
        f'<qgis version="3.34.0" styleCategories="Symbology">{renderer}</qgis>\n'
    )


def styles(lang: str) -> dict[str, str]:
    """Each layer's QGIS style (QML): the map page's colours."""
    categories = "".join(
        f'<category symbol="{g - 1}" value="{g}" render="true" '
        f"label={quoteattr(label('report', f'group{g}', lang))}/>"
        for g in GROUP_COLOURS
    )
    symbols = "".join(
        _symbol(str(g - 1), _fill(colour, 115, "60,60,60", 0.2))
        for g, colour in GROUP_COLOURS.items()
    )
    parcels = (
        '<renderer-v2 type="categorizedSymbol" attr="grp" symbollevels="0" forceraster="0" '
        f'enableorderby="0"><categories>{categories}</categories><symbols>{symbols}</symbols>'
        f"<source-symbol>{_symbol('0', _fill('149,165,166', 115, '60,60,60', 0.2))}"
        "</source-symbol></renderer-v2>"
    )
    ranges = (("0", "0.5", "192,57,43"), ("0.5", "0.9", "230,126,34"), ("0.9", "1", "39,174,96"))
    communes = (
        '<renderer-v2 type="graduatedSymbol" attr="share_usable" graduatedMethod="GraduatedColor" '
        'symbollevels="0" forceraster="0" enableorderby="0"><ranges>'
        + "".join(
            f'<range symbol="{i}" lower="{lo}" upper="{hi}" render="true" label="{lo} – {hi}"/>'
            for i, (lo, hi, _) in enumerate(ranges)
        )
        + "</ranges><symbols>"
        + "".join(
            _symbol(str(i), _fill(colour, 110, "52,73,94", 0.5))
            for i, (_, _, colour) in enumerate(ranges)
        )
        + "</symbols></renderer-v2>"
    )

    def single(layer: str) -> str:
        return (
            '<renderer-v2 type="singleSymbol" symbollevels="0" forceraster="0" '
            f'enableorderby="0"><symbols>{_symbol("0", layer)}</symbols></renderer-v2>'
        )

    return {
        "thua_dat": _qml(parcels),
        "loi_khong_gian": _qml(single(_fill("255,0,85", 140, "255,0,85", 0.6))),
        "to_ban_do": _qml(single(_fill("255,255,255", 0, "44,62,80", 0.4, "dash"))),
        "xa_phuong": _qml(communes),
    }


LAYER_STYLES = """
CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
    f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
    styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
    update_time DATETIME DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
)
"""


def _write_styles(out: Path, lang: str) -> None:
    with sqlite3.connect(out) as db:
        db.execute(LAYER_STYLES)
        db.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier) "
            "SELECT 'layer_styles', 'attributes', 'layer_styles' WHERE NOT EXISTS "
            "(SELECT 1 FROM gpkg_contents WHERE table_name = 'layer_styles')"
        )
        for name, qml in styles(lang).items():
            db.execute(
                "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
                "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
                "owner) VALUES ('', '', ?, 'geometry', ?, ?, '', 1, ?, 'landclean')",
                [name, name, qml, "landclean"],
            )


def export_layers(
    con: duckdb.DuckDBPyConnection, out: Path, commune: str | None = None, lang: str = "vi"
) -> LayersResult:
    """Write the four layers (one commune's, when given) and their styles to ``out``."""
    if not out.parent.is_dir():
        raise ReportError("no_such_folder", path=out.parent)
    known = con.execute("SELECT count(*) FROM admin_unit WHERE code = ?", [commune]).fetchone()
    if commune is not None and not (known and known[0]):
        raise ReportError("no_commune", commune=commune)
    scope = "true" if commune is None else keys_in("unit_code", [commune])
    out.unlink(missing_ok=True)
    rows: dict[str, int] = {}
    try:
        for name, layer, sql, kind in QUERIES:
            table = con.execute(sql.format(scope=scope)).fetch_arrow_table()
            assert set(table.column_names) - {"geometry"} <= set(LAYERS[layer].properties)
            pyogrio.write_arrow(
                table, out, layer=name, driver="GPKG", geometry_name="geometry",
                geometry_type=kind, crs="EPSG:9218", append=out.exists(),
            )  # fmt: skip
            rows[name] = table.num_rows
        _write_styles(out, lang)
    except OSError as exc:
        raise ReportError("cannot_write", path=out, reason=exc.strerror or exc) from exc
    return LayersResult(out, rows)
