"""Read one source file into an Arrow table of text columns, with row numbers.

Every reader returns the cells as text (as the user typed them) plus ``row_no``: the
row number a person sees in the original (spreadsheet row, CSV line, feature number).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pyogrio

from landclean.errors import ImportError_
from landclean.ingest.encodings import decode_bytes
from landclean.ingest.profiles import Profile

MAP_SUFFIXES = {".gpkg", ".shp", ".geojson", ".dgn", ".dxf"}
TABLE_SUFFIXES = {".xlsx", ".csv", ".parquet"}


@dataclass
class SourceTable:
    """Text cells of one sheet/layer, headers as found, plus lineage."""

    path: Path
    sheet: str | None
    headers: list[str]
    table: pa.Table  # all string columns + row_no
    encoding: str | None = None
    geometry: pa.Array | None = None  # WKB, for map layers


def _as_text(table: pa.Table) -> pa.Table:
    cols = []
    for col in table.columns:
        if pa.types.is_floating(col.type):
            # Whole numbers typed by Excel as floats come back as "12", not "12.0".
            as_int = pc.equal(col, pc.floor(col))
            text = pc.if_else(
                as_int,
                pc.cast(pc.cast(col, pa.int64(), safe=False), pa.string()),
                pc.cast(col, pa.string()),
            )
            cols.append(text)
        else:
            cols.append(pc.cast(col, pa.string()))
    return pa.table(cols, names=table.column_names)


def _with_rows(table: pa.Table, first_row: int) -> pa.Table:
    rows = pa.array(range(first_row, first_row + table.num_rows), pa.int64())
    return table.append_column("row_no", rows)


def read_map(path: Path) -> list[SourceTable]:
    """Every layer of a map file (GeoPackage, Shapefile, GeoJSON, DGN, DXF)."""
    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(path)]
    except Exception as exc:  # GDAL raises many types; the message is what matters
        raise ImportError_(f"{path}: cannot read map file ({exc})") from exc
    out = []
    for layer in layers:
        meta, table = pyogrio.read_arrow(path, layer=layer)
        geom_name = meta["geometry_name"] or "wkb_geometry"
        geometry = table[geom_name].combine_chunks() if geom_name in table.column_names else None
        attrs = table.drop_columns([geom_name]) if geometry is not None else table
        out.append(
            SourceTable(
                path, layer, attrs.column_names, _with_rows(_as_text(attrs), 1), geometry=geometry
            )
        )
    return out


def read_xlsx(path: Path, profile_for: dict[str, Profile]) -> list[SourceTable]:
    """Every sheet of a workbook; the header row is found by matching a profile."""
    try:
        reader = fastexcel.read_excel(str(path))
    except Exception as exc:
        raise ImportError_(f"{path}: not a readable .xlsx workbook ({exc})") from exc
    out = []
    for sheet in reader.sheet_names:
        header_row = _find_header_row(reader, sheet, profile_for)
        data = reader.load_sheet(sheet, header_row=header_row, dtypes="string")
        table = data.to_arrow()
        table = table.rename_columns([str(c) for c in table.column_names])
        out.append(
            SourceTable(
                path, sheet, table.column_names, _with_rows(_as_text(table), header_row + 2)
            )
        )
    return out


def _find_header_row(
    reader: fastexcel.ExcelReader, sheet: str, profile_for: dict[str, Profile]
) -> int:
    """0-based index of the first row (of the first 10) whose cells match a profile."""
    probe = reader.load_sheet(sheet, header_row=None, n_rows=10, dtypes="string").to_arrow()
    best, best_score = 0, 0.0
    for i in range(probe.num_rows):
        cells = [v for v in probe.slice(i, 1).to_pylist()[0].values() if v]
        score = max((p.coverage(cells) for p in profile_for.values()), default=0.0)
        if score > best_score:
            best, best_score = i, score
    return best


def read_csv(path: Path) -> SourceTable:
    """A CSV file in any of the supported encodings, any delimiter pyarrow can sniff."""
    text, encoding = decode_bytes(path.read_bytes())
    first = text.split("\n", 1)[0]
    delimiter = max([",", ";", "\t", "|"], key=first.count)
    try:
        table = pacsv.read_csv(
            io.BytesIO(text.encode("utf-8")),
            parse_options=pacsv.ParseOptions(delimiter=delimiter),
            convert_options=pacsv.ConvertOptions(
                column_types={h: pa.string() for h in _split_header(first, delimiter)}
            ),
        )
    except pa.ArrowInvalid as exc:
        raise ImportError_(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from exc
    return SourceTable(path, None, table.column_names, _with_rows(table, 2), encoding=encoding)


def _split_header(line: str, delimiter: str) -> list[str]:
    return next(csv.reader([line.rstrip("\r")], delimiter=delimiter))


def read_parquet(path: Path) -> SourceTable:
    try:
        table = pq.read_table(path)
    except Exception as exc:
        raise ImportError_(f"{path}: not a readable Parquet file ({exc})") from exc
    return SourceTable(path, None, table.column_names, _with_rows(_as_text(table), 1))
