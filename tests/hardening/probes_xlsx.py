"""Probes of spreadsheets: broken XML inside a valid .xlsx zip, decompression bombs
(sheet XML streamed into the zip: tiny compressed, millions of rows once unzipped), and
odd but well-formed workbooks."""

from __future__ import annotations

import random
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import xlsxwriter

from tests.hardening.mutate import Made, Probe, rewrite_zip, zip_info, zip_member
from tests.hardening.seeds import FIXED_DAY, Seeds, form_table

SHEET = "xl/worksheets/sheet1.xml"
MEMBERS = (
    SHEET,
    SHEET,
    "xl/sharedStrings.xml",
    "xl/workbook.xml",
    "[Content_Types].xml",
    "xl/_rels/workbook.xml.rels",
    "xl/styles.xml",
    "_rels/.rels",
)
LAUGHS = (
    b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">'
    + b"".join(
        b'<!ENTITY %s "%s">'
        % (chr(ord("b") + i).encode(), (b"&%s;" % chr(ord("a") + i).encode()) * 10)
        for i in range(8)
    )
    + b"]>"
)
XXE = b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>'


def _with_doctype(data: bytes, doctype: bytes, entity: bytes) -> bytes:
    """``doctype`` after the XML declaration, ``entity`` used in the first value."""
    end = data.find(b"?>") + 2 if data.startswith(b"<?xml") else 0
    data = data[:end] + doctype + data[end:]
    for tag in (b"<t>", b"<v>", b'<t xml:space="preserve">'):
        if tag in data:
            return data.replace(tag, tag + entity, 1)
    return data


def _break_xml(data: bytes, how: str, rng: random.Random) -> bytes | None:
    if how == "cut":
        return data[: rng.randrange(1, len(data))]
    if how == "drop_close":
        closes = [m.start() for m in re.finditer(rb"</[A-Za-z:]+>", data)]
        i = rng.choice(closes) if closes else 0
        return data[:i] + data[data.index(b">", i) + 1 :] if closes else data[1:]
    if how == "garbage":
        i = rng.randrange(len(data))
        return (
            data[:i]
            + rng.choice((b"<<&&>>", b"]]>", b"<!--", b"<x", b"&#0;", b"&bogus;"))
            + data[i:]
        )
    if how == "control":
        i = rng.randrange(len(data))
        return data[:i] + rng.choice((b"\x00", b"\x01\x02", b"\xff\xfe", b"\xc3")) + data[i:]
    if how == "refs":  # cell and range references out of any sheet's bounds
        huge = rng.choice((b"XFD1048577", b"ZZZZZZ99999999999", b"A0", b"A-1", b"1A"))
        data = re.sub(rb'r="[A-Z]+([0-9]+)"', b'r="' + huge + b'"', data, count=3)
        return re.sub(rb'ref="[^"]*"', b'ref="A1:' + huge + b'"', data)
    if how == "laughs":
        return _with_doctype(data, LAUGHS, b"&i;")
    if how == "xxe":
        return _with_doctype(data, XXE, b"&e;")
    if how == "not_xml":
        return rng.randbytes(rng.randrange(1, 512))
    if how == "empty":
        return b""
    if how == "encoding":
        return data.replace(b'encoding="UTF-8"', b'encoding="UTF-16"', 1).replace(
            "Hòa".encode(), "Hòa".encode("latin-1", errors="replace")
        )
    return None  # "drop": the member is left out


def xlsx_broken_xml(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    src = seeds.path(rng.choice(("form_xlsx", "form_xlsm")))
    member = rng.choice(MEMBERS)
    how = rng.choice(
        ("cut", "drop_close", "garbage", "control", "refs", "laughs", "xxe", "not_xml",
         "empty", "encoding", "drop")
    )  # fmt: skip
    path = out / f"broken{src.suffix}"
    rewrite_zip(src, path, {member: _break_xml(zip_member(src, member), how, rng)})
    return Made(path, f"{member}: {how}")


# ------------------------------------------------------------------ bombs


def _header_row() -> bytes:
    headers, _ = form_table()
    cells = "".join(f'<c t="inlineStr"><is><t>{escape(h)}</t></is></c>' for h in headers)
    return f'<row r="1">{cells}</row>'.encode()


SHEET_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _stream_member(
    src: Path, dst: Path, member: str, parts: list[tuple[bytes, int]], keep_sst: bool = True
) -> int:
    """A copy of ``src`` whose ``member`` is the concatenation of each ``(chunk, times)``,
    streamed into the zip (never held in memory); the member's unzipped size."""
    size = 0
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename == "xl/sharedStrings.xml" and not keep_sst:
                continue
            if info.filename != member:
                zout.writestr(zip_info(info.filename), zin.read(info))
                continue
            with zout.open(zip_info(member), "w") as f:
                for chunk, times in parts:
                    per_block = max(1, (1 << 20) // len(chunk))  # about a megabyte a write
                    blocks, rest = divmod(times, per_block)
                    block = chunk * per_block
                    for _ in range(blocks):
                        f.write(block)
                    f.write(chunk * rest)
                    size += len(chunk) * times
    return size


def xlsx_bomb(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    """Tiny on disk, tens or hundreds of megabytes (millions of rows) once unzipped."""
    src = seeds.path("form_xlsx")
    path = out / "bomb.xlsx"
    how = rng.choice(("rows", "same_row", "wide", "shared_strings", "huge_cell", "dimension"))
    rows = rng.choice((1_500_000, 2_000_000, 3_000_000))
    head = SHEET_HEAD + b"<sheetData>" + _header_row()
    tail = b"</sheetData></worksheet>"
    cell = b'<c t="inlineStr"><is><t>T1</t></is></c>'
    if how == "rows":  # rows without numbers: each the next one
        parts = [(head, 1), (b"<row>" + cell + b"</row>", rows), (tail, 1)]
    elif how == "same_row":  # the same row number again and again
        parts = [(head, 1), (b'<row r="2">' + cell + b"</row>", rows), (tail, 1)]
    elif how == "wide":  # one row of millions of cells
        parts = [(head, 1), (b"<row>", 1), (cell, rows), (b"</row>", 1), (tail, 1)]
    elif how == "huge_cell":  # one cell of a hundred megabytes
        parts = [
            (head, 1),
            (b'<row><c t="inlineStr"><is><t>', 1),
            (b"A" * 64, rows),
            (b"</t></is></c></row>", 1),
            (tail, 1),
        ]
    elif how == "shared_strings":  # millions of shared strings, the sheet uses the last
        sst = (
            b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.'
            b'org/spreadsheetml/2006/main" count="%d" uniqueCount="%d">' % (rows, rows)
        )
        parts = [(sst, 1), (b"<si><t>Nguy\xe1\xbb\x85n</t></si>", rows), (b"</sst>", 1)]
        _stream_member(src, out / "stage.xlsx", "xl/sharedStrings.xml", parts)
        sheet = head + b'<row r="2"><c t="s"><v>%d</v></c></row>' % (rows - 1) + tail
        rewrite_zip(out / "stage.xlsx", path, {SHEET: sheet})
        (out / "stage.xlsx").unlink()
        return Made(path, f"shared strings: {rows:,} entries")
    else:  # the sheet claims the whole grid and holds three cells
        sheet = (
            SHEET_HEAD + b'<dimension ref="A1:XFD1048576"/><sheetData>' + _header_row()
            + b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>T1</t></is></c></row>'
            + tail
        )  # fmt: skip
        rewrite_zip(src, path, {SHEET: sheet})
        return Made(path, "dimension A1:XFD1048576, last cell filled")
    size = _stream_member(src, path, SHEET, parts)
    return Made(path, f"{how}: {rows:,} repeats, sheet unzips to {size >> 20} MB")


# ------------------------------------------------------------------ odd workbooks


def _workbook(path: Path, build: str, rng: random.Random) -> None:
    headers, rows = form_table()
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    wb.set_properties({"created": FIXED_DAY})
    if build == "many_sheets":
        for i in range(rng.randrange(20, 80)):
            ws = wb.add_worksheet(f"Tờ {i}")
            ws.write_row(0, 0, headers if i % 3 == 0 else ["x"])
    elif build == "hidden":
        visible = wb.add_worksheet("Hiện")
        hidden = wb.add_worksheet("Ẩn")
        for sheet in (visible, hidden):
            sheet.write_row(0, 0, headers)
            for r, row in enumerate(rows, 1):
                sheet.write_row(r, 0, row)
        hidden.hide()
    elif build == "formulas":
        ws = wb.add_worksheet()
        ws.write_row(0, 0, headers)
        for r, row in enumerate(rows, 1):
            ws.write_row(r, 0, row)
            for c in rng.sample(range(len(headers)), 5):
                ws.write_formula(
                    r,
                    c,
                    rng.choice(("=1/0", "=NA()", "=A1&A1", "=#REF!")),
                    None,
                    rng.choice(("#DIV/0!", "#N/A", 0, "")),
                )
    elif build == "typed":
        ws = wb.add_worksheet()
        ws.write_row(0, 0, headers)
        date_format = wb.add_format({"num_format": "dd/mm/yyyy"})
        for r, row in enumerate(rows, 1):
            for c, value in enumerate(row):
                kind = rng.choice(("number", "date", "bool", "string", "blank"))
                if kind == "number":
                    ws.write_number(r, c, rng.choice((0, -1, 1e308, 3.5, 45000, 1e-300)))
                elif kind == "date":
                    ws.write_datetime(
                        r, c, FIXED_DAY.replace(year=rng.randrange(1900, 2100)), date_format
                    )
                elif kind == "bool":
                    ws.write_boolean(r, c, rng.random() < 0.5)
                elif kind == "string":
                    ws.write_string(r, c, value)
    elif build == "merged":
        ws = wb.add_worksheet()
        ws.merge_range(0, 0, rng.randrange(1, 4), len(headers) - 1, "BIỂU TỔNG HỢP")
        ws.write_row(5, 0, headers)
        ws.merge_range(6, 0, rng.randrange(100, 5000), 3, rows[0][0])
    else:  # "title_only": a title and nothing else
        wb.add_worksheet().write_string(0, 0, "BIỂU TỔNG HỢP THÔNG TIN THỬA ĐẤT")
    wb.close()


def xlsx_structure(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    build = rng.choice(
        ("many_sheets", "hidden", "formulas", "typed", "merged", "title_only", "no_sheets",
         "empty_zip", "ole2", "sheet_name", "missing_sheet")
    )  # fmt: skip
    path = out / f"odd{rng.choice(('.xlsx', '.xlsm'))}"
    src = seeds.path("form_xlsx")
    workbook = zip_member(src, "xl/workbook.xml")
    if build == "no_sheets":
        rewrite_zip(
            src, path, {"xl/workbook.xml": re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", workbook)}
        )
    elif build == "empty_zip":
        with zipfile.ZipFile(path, "w"):
            pass
    elif build == "ole2":  # an old .xls (or an encrypted workbook) named .xlsx
        path.write_bytes(
            b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng.randbytes(rng.randrange(8, 2048))
        )
    elif build == "sheet_name":
        name = rng.choice(("a\nb", "x" * 5000, "&amp;&lt;", "'", "", "\u202e"))
        rewrite_zip(
            src,
            path,
            {
                "xl/workbook.xml": re.sub(
                    rb'name="[^"]*"', b'name="' + escape(name).encode() + b'"', workbook
                )
            },
        )
        build += f" {name[:20]!r}"
    elif build == "missing_sheet":  # the workbook names a sheet the zip does not hold
        rewrite_zip(src, path, {SHEET: None})
    else:
        _workbook(path, build, rng)
    return Made(path, build)


PROBES: dict[str, Probe] = {
    "xlsx_broken_xml": xlsx_broken_xml,
    "xlsx_bomb": xlsx_bomb,
    "xlsx_structure": xlsx_structure,
}
