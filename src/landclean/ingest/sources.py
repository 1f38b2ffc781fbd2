"""Read one source file into DuckDB temp tables of text columns, with row numbers.

Every table has columns ``c0 … cN`` (VARCHAR, the cells as typed), ``row_no`` (the row a
person sees in the original: spreadsheet row, CSV record + 1 for the header, feature
number) and, for map layers, ``geom_wkb``.  The original headers are kept beside.
CSV and Parquet are read by DuckDB itself (parallel, streaming); spreadsheets by
fastexcel (calamine).  Map layers are opened by ``ingest.maps``; their features are
streamed by GDAL through pyogrio, batch by batch, straight into the raw table when the
import writes (``Source.stream``): one copy fewer than a temp table.
"""

from __future__ import annotations

import csv
import itertools
import re
import tempfile
import zipfile
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import fastexcel
import pyarrow as pa
import pyarrow.compute as pc

from landclean.errors import ImportError_, first_line
from landclean.ingest.csv_lines import number_blank_lines
from landclean.ingest.encodings import sniff_encoding, transcode_to_utf8
from landclean.ingest.headers import find_header
from landclean.ingest.profiles import Profile
from landclean.settings import get_settings

MAP_SUFFIXES = {".gpkg", ".shp", ".geojson", ".json", ".dgn", ".dxf", ".fgb"}
TABLE_SUFFIXES = {".xlsx", ".xlsm", ".csv", ".txt", ".parquet", ".gml"}
_counter = itertools.count()


@dataclass
class Source:
    path: Path
    part: str | None  # sheet or layer
    headers: list[str]
    table: str  # temp table (or, for a stream, the name it is registered under)
    rows: int
    encoding: str | None = None
    is_map: bool = False
    # map layers: a reader of record batches c0..cN, row_no, geom_wkb, opened on demand
    stream: Callable[[], pa.RecordBatchReader] | None = None
    # what the import should tell about it (labels' import_warnings: key, values)
    warnings: list[tuple[str, dict[str, object]]] = field(default_factory=list)
    # the error that stopped its stream, as raised (its consumer may word it otherwise)
    failures: list[ImportError_] = field(default_factory=list)
    # an exchange package: the UUIDs of the parcels it retires; its records remove none
    # other (None: a commune's export, whose missing records are removed)
    retired: list[str] | None = None


def quote_ident(name: str) -> str:
    """A DuckDB identifier for any text (headers come from user files)."""
    return '"' + name.replace('"', '""') + '"'


def _temp_name() -> str:
    return f"src_{next(_counter)}"


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0


# ---------------------------------------------------------------- CSV


HEADER_SEARCH_LINES = 15  # a CSV's header is looked for in its first lines


def read_csv(
    con: duckdb.DuckDBPyConnection, path: Path, workdir: Path, profiles: list[Profile] | None = None
) -> Source:
    """A delimited text file: encoding sniffed (legacy ones transcoded), delimiter and
    header line found (under a title line, if any), every cell as text."""
    with path.open("rb") as f:
        sample = f.read(1 << 20)
    encoding = sniff_encoding(sample, complete=len(sample) == path.stat().st_size)
    text_path = path
    if encoding not in ("utf-8", "utf-8-sig"):
        text_path = workdir / f"{next(_counter)}.csv"
        transcode_to_utf8(path, text_path, encoding)
    try:
        with text_path.open(encoding="utf-8-sig", newline="") as f:
            lines = [line for line in itertools.islice(f, HEADER_SEARCH_LINES)]
    except UnicodeDecodeError as exc:
        raise ImportError_("unreadable_text", path=path, reason=first_line(exc)) from exc
    if not lines or not lines[0].strip():
        raise ImportError_("empty_header", path=path)
    # the header may sit under a title line: the line a profile knows best
    delimiter = max([",", ";", "\t", "|"], key=lambda d: max(line.count(d) for line in lines))
    csv.field_size_limit(max(csv.field_size_limit(), 1 << 30))  # a header cell may be long
    grid = [next(csv.reader([line.rstrip("\r\n")], delimiter=delimiter), []) for line in lines]
    skip = find_header(grid, profiles)[0] if profiles and len(grid) > 1 else 0
    if not lines[skip].strip():
        raise ImportError_("empty_header", path=path)
    headers = grid[skip]
    names = [f"c{i}" for i in range(len(headers))]
    table = _temp_name()
    base = (
        f"SELECT row_number() OVER () + {skip + 1} AS row_no, * FROM read_csv(?, "
        "all_varchar = true, header = true, delim = ?, quote = '\"', escape = '\"', names = ?, "
        f"encoding = 'utf-8', skip = {skip}{{extra}})"
    )
    try:
        con.execute(
            f"CREATE TEMP TABLE {table} AS " + base.format(extra=""),
            [str(text_path), delimiter, names],
        )
    except duckdb.Error:
        # ragged rows or quoted new lines: the slower, forgiving reader keeps every cell
        try:
            con.execute(
                f"CREATE OR REPLACE TEMP TABLE {table} AS "
                + base.format(extra=", parallel = false, null_padding = true, strict_mode = false"),
                [str(text_path), delimiter, names],
            )
        except duckdb.Error as exc:
            raise ImportError_("unreadable_csv", path=path, reason=first_line(exc)) from exc
    cols = [r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()][1:]
    if len(cols) > len(headers):  # rows longer than the header: keep the extra cells
        for i, col in enumerate(cols[len(headers) :], start=len(headers)):
            con.execute(f"ALTER TABLE {table} RENAME COLUMN {quote_ident(col)} TO c{i}")
            headers.append(f"(cột {i + 1})")
    rows = _count(con, table)
    check_rows(path, None, rows)
    blank = number_blank_lines(con, table, text_path, skip + 1, rows)
    return Source(path, None, headers, table, rows + blank, encoding)


# ---------------------------------------------------------------- Parquet


def read_parquet(con: duckdb.DuckDBPyConnection, path: Path) -> Source:
    try:
        cols = [
            r[0]
            for r in con.execute("DESCRIBE SELECT * FROM read_parquet(?)", [str(path)]).fetchall()
        ]
        meta = con.execute(
            "SELECT sum(num_rows) FROM parquet_file_metadata(?)", [str(path)]
        ).fetchone()
    except duckdb.Error as exc:
        # the Thrift reader's words without its class name ("TProtocolException: …")
        reason = re.sub(r"\b[A-Za-z]+Exception: ", "", first_line(exc))
        raise ImportError_("unreadable_parquet", path=path, reason=reason) from exc
    check_rows(path, None, int(meta[0] or 0) if meta else 0)
    select = ", ".join(f"CAST({quote_ident(c)} AS VARCHAR) AS c{i}" for i, c in enumerate(cols))
    table = _temp_name()
    con.execute(
        f"CREATE TEMP TABLE {table} AS SELECT row_number() OVER () AS row_no, {select} "
        "FROM read_parquet(?)",
        [str(path)],
    )
    return Source(path, None, cols, table, _count(con, table))


# ---------------------------------------------------------------- spreadsheets


EXCEL_ROWS = 1_048_576  # rows a worksheet can hold
UNZIP_CHECKED = 50 << 20  # parts that unzip to more than this have their ratio checked


# cells a sheet's declared range may span: the reader sets memory aside for the whole
# range (some 32 bytes a cell), so A1:XFD1048576 would ask for 512 GiB; 60 M cells are a
# full worksheet of 57 columns
GRID_CELLS = 60_000_000
_DIMENSION = re.compile(
    rb'<(?:\w+:)?dimension\s+ref="([A-Z]{1,3})(\d{1,7})(?::([A-Z]{1,3})(\d{1,7}))?"'
)


def _column_number(letters: bytes) -> int:
    number = 0
    for ch in letters:
        number = number * 26 + ch - 64
    return number


def _declared_cells(head: bytes) -> tuple[str, int] | None:
    """The range a worksheet's XML declares (``<dimension ref="A1:XFD1048576"/>``, near
    its start) and how many cells it spans."""
    found = _DIMENSION.search(head)
    if found is None or found.group(3) is None:
        return None
    c1, r1, c2, r2 = found.groups()
    cols = abs(_column_number(c2) - _column_number(c1)) + 1
    rows = abs(int(r2) - int(r1)) + 1
    return f"{c1.decode()}{int(r1)}:{c2.decode()}{int(r2)}", cols * rows


def check_unzip(path: Path) -> None:
    """Refuse a spreadsheet whose parts unzip to far more than their size (a
    decompression bomb), or whose sheet declares a range the reader would have to hold
    in memory whole, before any sheet is read."""
    limit = get_settings().max_unzip_ratio
    try:
        with zipfile.ZipFile(path) as zf:
            parts = zf.infolist()
            heads = {
                part.filename: zf.open(part).read(1 << 16)
                for part in parts
                if part.filename.startswith("xl/worksheets/") and part.filename.endswith(".xml")
            }
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, zlib.error) as exc:
        raise ImportError_("unreadable_xlsx", path=path, reason=first_line(exc)) from exc
    for name, head in heads.items():
        declared = _declared_cells(head)
        if declared is not None and declared[1] > GRID_CELLS:
            raise ImportError_(
                "sheet_grid_too_large",
                path=path,
                part=name,
                range=declared[0],
                cells=f"{declared[1]:,}",
                limit=f"{GRID_CELLS:,}",
            )
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > UNZIP_CHECKED and ratio > limit:
            raise ImportError_(
                "unzip_ratio",
                path=path,
                part=part.filename,
                size=part.file_size // (1 << 20),
                ratio=round(ratio),
                limit=f"{limit:g}",
            )


def check_rows(path: Path, part: str | None, rows: int, limit: int | None = None) -> None:
    """Refuse a file, sheet or layer with more rows than LANDCLEAN_MAX_ROWS allows."""
    limit = limit or get_settings().max_rows
    if rows > limit:
        raise ImportError_(
            "rows_over_limit", path=path, part=part or "-", rows=f"{rows:,}", limit=f"{limit:,}"
        )


@dataclass
class Sheet:
    """A worksheet parsed, not yet in DuckDB: its cells as text, the header found."""

    name: str
    headers: list[str]
    cells: pa.Table  # row_no, c0 … cN; rows without any cell left out
    rows: int  # rows read under the header, blank ones included


def parse_xlsx(path: Path, profiles: list[Profile]) -> list[Sheet]:
    """Every non-empty sheet of a workbook, parsed by calamine.  Touches no connection:
    the import parses the next workbooks in threads while DuckDB takes the current one
    (calamine works without Python's lock)."""
    check_unzip(path)
    try:
        reader = fastexcel.read_excel(str(path))
        sheets = reader.sheet_names
    except Exception as exc:  # calamine raises its own error types
        raise ImportError_("unreadable_xlsx", path=path, reason=first_line(exc)) from exc
    limit = min(get_settings().max_rows, EXCEL_ROWS)
    out = []
    for sheet in sheets:
        # one parse of the sheet: the header is looked for in its first rows; one row
        # more than the limit is read, so a sheet over it is refused, not held whole
        try:  # a zip that opens may still hold a sheet whose XML is broken
            whole = reader.load_sheet(
                sheet, header_row=None, dtypes="string", n_rows=limit + 1
            ).to_arrow()
        except Exception as exc:  # calamine raises its own error types
            raise ImportError_("unreadable_xlsx", path=path, reason=first_line(exc)) from exc
        check_rows(path, sheet, whole.num_rows, limit)
        if whole.num_rows == 0:
            continue
        probe = whole.slice(0, 15)
        grid = [[("" if v is None else str(v)) for v in row.values()] for row in probe.to_pylist()]
        header_index, headers = find_header(grid, profiles)
        data = whole.slice(header_index + 1)
        width = max(len(headers), data.num_columns)
        headers += [f"(cột {i + 1})" for i in range(len(headers), width)]
        arrays = [
            data.column(i) if i < data.num_columns else pa.nulls(data.num_rows, pa.string())
            for i in range(width)
        ]
        first_row = header_index + 2  # 1-based spreadsheet row of the first data row
        cells = pa.table(
            [pa.array(range(first_row, first_row + data.num_rows), pa.int64()), *arrays],
            names=["row_no", *[f"c{i}" for i in range(width)]],
        )
        # blank rows are counted, then left out
        out.append(Sheet(sheet, headers, _drop_empty_rows(cells), cells.num_rows))
    if not out:
        raise ImportError_("workbook_empty", path=path)
    return out


def load_sheets(con: duckdb.DuckDBPyConnection, path: Path, sheets: list[Sheet]) -> list[Source]:
    """Parsed sheets into temp tables of ``con``."""
    out = []
    for sheet in sheets:
        table = _temp_name()
        con.register(f"{table}_arrow", sheet.cells)
        con.execute(f"CREATE TEMP TABLE {table} AS SELECT * FROM {table}_arrow")
        con.unregister(f"{table}_arrow")
        out.append(Source(path, sheet.name, sheet.headers, table, sheet.rows))
    return out


def _drop_empty_rows(table: pa.Table) -> pa.Table:
    """Rows with no cell at all are layout, not data (their numbers stay as they were)."""
    cells = [c for c in table.column_names if c != "row_no"]
    if not cells:
        return table
    keep = pc.is_valid(table[cells[0]])
    for name in cells[1:]:
        keep = pc.or_(keep, pc.is_valid(table[name]))
    return table.filter(keep)


def temp_workdir() -> tempfile.TemporaryDirectory[str]:
    return tempfile.TemporaryDirectory(prefix="landclean-import-")
