"""A columnar .xlsx writer for large sheets (inline strings; one or several sheets).

xlsxwriter spends ~0.5 ms per row in Python; a province's field forms have millions of
rows.  Here each column's cell XML is built with Arrow compute kernels and rows are
joined column-wise, so the Python work is per column, not per cell.  The output is a
plain OOXML workbook that Excel, LibreOffice, openpyxl and calamine read.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.compute as pc

from landclean.safe_cells import dangerous

FIXED_ZIP_TIME = (2025, 9, 18, 8, 0, 0)
CHUNK_ROWS = 50_000

XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
SHEET_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml"
REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_NS = "http://schemas.openxmlformats.org/package/2006"

MAX_ROWS = 1_048_576  # rows in one worksheet, the header row(s) included
ROOT_RELS = (
    f'{XML_HEAD}<Relationships xmlns="{PKG_NS}/relationships">'
    f'<Relationship Id="rId1" Type="{REL_NS}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)


def _content_types(n: int) -> str:
    sheets = "".join(
        f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
        f'ContentType="{SHEET_MIME}.worksheet+xml"/>'
        for i in range(1, n + 1)
    )
    return (
        f'{XML_HEAD}<Types xmlns="{PKG_NS}/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{SHEET_MIME}.sheet.main+xml"/>'
        f"{sheets}"
        f'<Override PartName="/xl/styles.xml" ContentType="{SHEET_MIME}.styles+xml"/>'
        "</Types>"
    )


def _workbook_rels(n: int) -> str:
    sheets = "".join(
        f'<Relationship Id="rId{i}" Type="{REL_NS}/worksheet" Target="worksheets/sheet{i}.xml"/>'
        for i in range(1, n + 1)
    )
    return (
        f'{XML_HEAD}<Relationships xmlns="{PKG_NS}/relationships">{sheets}'
        f'<Relationship Id="rId{n + 1}" Type="{REL_NS}/styles" Target="styles.xml"/>'
        "</Relationships>"
    )


STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="1"><fill><patternFill patternType="none"/></fill></fills>'
    '<borders count="1"><border/></borders>'
    '<cellStyleXfs count="1"><xf/></cellStyleXfs>'
    '<cellXfs count="3"><xf xfId="0"/><xf xfId="0" fontId="1" applyFont="1"/>'
    '<xf xfId="0" quotePrefix="1"/></cellXfs>'  # 2: text that looks like a formula
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _workbook(names: list[str]) -> str:
    sheets = "".join(
        f'<sheet name="{_escape(name)}" sheetId="{i}" r:id="rId{i}"/>'
        for i, name in enumerate(names, start=1)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f"<sheets>{sheets}</sheets></workbook>"
    )


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def column_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def _cells(col: pa.Array, letter: str, rows: pa.Array) -> pa.Array:
    """Cell XML for one column (null where the value is null: the cell is omitted)."""
    ref = pc.binary_join_element_wise(letter, rows, "")
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type):
        value = pc.cast(col, pa.string())
        return pc.binary_join_element_wise('<c r="', ref, '"><v>', value, "</v></c>", "")
    text = pc.cast(col, pa.string())
    # text a spreadsheet would take for a formula keeps a quote prefix (safe_cells)
    style = pc.if_else(pc.fill_null(dangerous(text), False), '" s="2', "")
    for old, new in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ("\r", "&#13;")):
        text = pc.replace_substring(text, old, new)
    return pc.binary_join_element_wise(
        '<c r="', ref, style, '" t="inlineStr"><is><t xml:space="preserve">', text,
        "</t></is></c>", ""
    )  # fmt: skip


def _header_row(number: int, values: list[str]) -> str:
    cells = "".join(
        f'<c r="{column_letter(i)}{number}" s="1" t="inlineStr"><is><t>{_escape(v)}</t></is></c>'
        for i, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


@dataclass
class Sheet:
    """One worksheet: a table under a bold header row, with an optional title row."""

    name: str  # at most 31 characters, no []:*?/\\
    table: pa.Table
    headers: list[str]
    title: str | None = None


def sheet_name(text: str) -> str:
    """A valid worksheet name from any text."""
    return "".join(" " if ch in "[]:*?/\\" else ch for ch in text)[:31] or "Sheet"


def write_workbook(path: Path, sheets: list[Sheet]) -> None:
    """Write the sheets into one .xlsx file (columns as Arrow kernels build them)."""
    for sheet in sheets:
        first = 3 if sheet.title else 2
        if sheet.table.num_rows + first - 1 > MAX_ROWS:
            raise ValueError(
                f"sheet {sheet.name!r}: {sheet.table.num_rows:,} rows; a worksheet holds at "
                f"most {MAX_ROWS - first + 1:,}"
            )
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        for name, text in (
            ("[Content_Types].xml", _content_types(len(sheets))),
            ("_rels/.rels", ROOT_RELS),
            ("xl/workbook.xml", _workbook([sheet_name(s.name) for s in sheets])),
            ("xl/_rels/workbook.xml.rels", _workbook_rels(len(sheets))),
            ("xl/styles.xml", STYLES),
        ):
            zf.writestr(zipfile.ZipInfo(name, FIXED_ZIP_TIME), text)
        for number, sheet in enumerate(sheets, start=1):
            info = zipfile.ZipInfo(f"xl/worksheets/sheet{number}.xml", FIXED_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            with zf.open(info, "w") as out:
                _write_sheet(out, sheet)


def _write_sheet(out: IO[bytes], sheet: Sheet) -> None:
    first = 3 if sheet.title else 2
    table = sheet.table
    out.write(
        b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
        b'main"><sheetData>'
    )
    if sheet.title:
        out.write(_header_row(1, [sheet.title]).encode())
    out.write(_header_row(first - 1, sheet.headers).encode())
    for start in range(0, table.num_rows, CHUNK_ROWS):
        chunk = table.slice(start, CHUNK_ROWS)
        numbers = pa.array(range(first + start, first + start + chunk.num_rows), pa.int64())
        row_refs = pc.cast(numbers, pa.string())
        cells = [
            _cells(chunk.column(i).combine_chunks(), column_letter(i), row_refs)
            for i in range(chunk.num_columns)
        ]
        body = pc.binary_join_element_wise(*cells, "", null_handling="replace", null_replacement="")
        rows = pc.binary_join_element_wise('<row r="', row_refs, '">', body, "</row>", "")
        out.write("".join(rows.to_pylist()).encode("utf-8"))
    out.write(b"</sheetData></worksheet>")


def write_xlsx(
    table: pa.Table, path: Path, sheet: str, headers: list[str], title: str | None = None
) -> None:
    """Write ``table`` as the one sheet of a workbook."""
    write_workbook(path, [Sheet(sheet, table, headers, title)])
