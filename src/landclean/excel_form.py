"""Workbooks people work in: Arrow tables written as Excel forms with xlsxwriter.

Every sheet gets a bold header row (after an optional title row), column widths, the
header row and the key columns frozen, an autofilter, and sheet protection with only
the input columns unlocked (no password: it guards against typing over a key, not
against a person who means to change it).  Input columns are shaded and carry data
validation: dropdowns for choices, dates as DD/MM/YYYY dates, numbers as numbers.  A
column whose kind changes from row to row (the worklist's "right value", a date for a
birth date, a number for an area) takes each row's kind from another column of the
table (``Column.kind_from``); the rows of one kind are validated as a run.

Lists too long for an inline dropdown (Excel allows 255 characters) are written to a
protected sheet of their own (``Choices.sheet``) and the dropdown points at its range.
Numbers are written as numbers, dates as dates; text that a spreadsheet would take for
a formula stays text (``safe_cells``).  Large sheets are written in xlsxwriter's
constant-memory mode (rows streamed to disk in order).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyarrow as pa
import xlsxwriter
import xlsxwriter.exceptions
from xlsxwriter.format import Format
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.worksheet import Worksheet

from landclean.errors import ReportError, first_line
from landclean.safe_cells import XLSXWRITER_OPTIONS, is_dangerous

CONSTANT_MEMORY_ROWS = 20_000  # above this, rows are streamed (constant-memory mode)
CHUNK_ROWS = 20_000
MAX_ROWS = 1_048_576
INLINE_LIST_CHARS = 255  # Excel's limit for a list typed into the validation itself
DATE_FORMAT = "dd/mm/yyyy"
KINDS = ("text", "int", "number", "date", "date_or_x", "choice")


@dataclass(frozen=True)
class Choices:
    """A dropdown's values, and (for long lists) the sheet that holds them with what
    each means."""

    values: tuple[str, ...]
    meanings: tuple[str, ...] = ()
    sheet: str | None = None  # written to this sheet when too long to be inline
    strict: bool = True  # False: other values are let through with a warning


@dataclass(frozen=True)
class Column:
    """One column of a form: the table column ``key`` under ``header``."""

    key: str
    header: str
    width: float = 14
    kind: str = "text"  # one of KINDS
    input: bool = False  # the person types here: unlocked, shaded, validated
    wrap: bool = False
    choices: Choices | None = None  # kind "choice", or a row kind's dropdown
    # the name of a table column holding each row's kind (one of KINDS or a key of
    # FormSheet.row_choices); that column itself is not written
    kind_from: str | None = None
    # the name of a numeric table column: where it holds a number, that number is
    # written instead (a column of mixed values whose numbers stay numbers)
    number_from: str | None = None


@dataclass
class FormSheet:
    """One worksheet of a form."""

    name: str  # at most 31 characters, no []:*?/\\
    columns: list[Column]
    table: pa.Table
    title: str | None = None
    frozen_columns: int = 1  # key columns kept in view when scrolling right
    row_choices: dict[str, Choices] = field(default_factory=dict)  # row kind -> list
    protect: bool = True


@dataclass
class _Formats:
    head: Format
    title: Format
    text: Format
    wrap: Format
    number: Format
    whole: Format  # a float with no fraction: "#,##0.##" would show "2,655."
    int: Format
    date: Format
    input: dict[str, Format]


def _formats(wb: xlsxwriter.Workbook) -> _Formats:
    base = {"valign": "top"}
    fill = {"bg_color": "#FFF7D6", "border": 1, "border_color": "#C9B458", "locked": False}
    return _Formats(
        head=wb.add_format({"bold": True, "bg_color": "#DCE6F0", "border": 1,
                            "text_wrap": True, "valign": "vcenter"}),
        title=wb.add_format({"bold": True, "font_size": 13}),
        text=wb.add_format(base),
        wrap=wb.add_format({**base, "text_wrap": True}),
        number=wb.add_format({**base, "num_format": "#,##0.##"}),
        whole=wb.add_format({**base, "num_format": "#,##0"}),
        int=wb.add_format({**base, "num_format": "0"}),
        date=wb.add_format({**base, "num_format": DATE_FORMAT}),
        input={
            "text": wb.add_format({**fill, "num_format": "@"}),
            "int": wb.add_format({**fill, "num_format": "0"}),
            "number": wb.add_format({**fill, "num_format": "#,##0.##"}),
            "date": wb.add_format({**fill, "num_format": DATE_FORMAT}),
            "date_or_x": wb.add_format({**fill, "num_format": DATE_FORMAT}),
            "choice": wb.add_format(fill),
        },
    )  # fmt: skip


def _validation(
    kind: str, choices: Choices | None, lists: dict[Choices, str], cell: str
) -> dict[str, Any]:
    """xlsxwriter's data_validation options for input cells of ``kind`` from ``cell``
    (the top-left one, for formulas relative to it)."""
    if choices is not None:
        source: Any = lists.get(choices) or list(choices.values)
        return {
            "validate": "list",
            "source": source,
            "error_type": "stop" if choices.strict else "warning",
            "ignore_blank": True,
        }
    if kind == "date":
        return {
            "validate": "date",
            "criteria": "between",
            "minimum": dt.date(1900, 1, 1),
            "maximum": dt.date(2100, 12, 31),
            "input_title": "DD/MM/YYYY",
            "input_message": "Ngày / Date: DD/MM/YYYY",
            "error_title": "DD/MM/YYYY",
            "error_message": "Ngày theo dạng DD/MM/YYYY. A date as DD/MM/YYYY.",
        }
    if kind == "date_or_x":
        return {
            "validate": "custom",
            "value": f'=OR(ISNUMBER({cell}),LOWER(TRIM({cell}))="x")',
            "input_title": "DD/MM/YYYY / x",
            "input_message": "Ngày (DD/MM/YYYY) hoặc x = hôm nay. A date, or x for today.",
            "error_title": "DD/MM/YYYY / x",
            "error_message": "Ngày theo dạng DD/MM/YYYY, hoặc x. A date as DD/MM/YYYY, or x.",
        }
    if kind in ("int", "number"):
        return {
            "validate": "integer" if kind == "int" else "decimal",
            "criteria": ">=",
            "value": 0,
            "error_title": "Số / Number",
            "error_message": "Nhập một số không âm. A number, not negative.",
        }
    return {}


def _lists_sheet(
    wb: xlsxwriter.Workbook, sheets: list[FormSheet], formats: _Formats
) -> dict[Choices, str]:
    """Write every list too long to be inline to its sheet; the range each one is in."""
    long: dict[str, list[Choices]] = {}
    for sheet in sheets:
        every = [c.choices for c in sheet.columns if c.choices] + list(sheet.row_choices.values())
        for choices in every:
            inline = len(",".join(choices.values)) <= INLINE_LIST_CHARS and not any(
                "," in v for v in choices.values
            )
            if not inline or choices.meanings:
                name = choices.sheet or "Danh mục"
                if choices not in long.setdefault(name, []):
                    long[name].append(choices)
    ranges: dict[Choices, str] = {}
    for name, lists in long.items():
        ws = wb.add_worksheet(name)
        for i, choices in enumerate(lists):
            col = 2 * i
            ws.set_column(col, col, 12)
            ws.set_column(col + 1, col + 1, 48)
            for row, value in enumerate(choices.values):
                ws.write_string(row, col, value, formats.text)
                if row < len(choices.meanings):
                    ws.write_string(row, col + 1, choices.meanings[row], formats.text)
            letter = xlsxwriter.utility.xl_col_to_name(col)
            ranges[choices] = f"='{name}'!${letter}$1:${letter}${len(choices.values)}"
        ws.protect()
    return ranges


def _write_value(ws: Worksheet, row: int, col: int, value: Any, fmt: Format) -> None:
    if value is None:
        ws.write_blank(row, col, None, fmt)
    elif isinstance(value, bool):
        ws.write_string(row, col, "x" if value else "", fmt)
    elif isinstance(value, int | float):
        ws.write_number(row, col, value, fmt)
    elif isinstance(value, dt.datetime | dt.date):
        ws.write_datetime(row, col, value, fmt)
    else:
        ws.write_string(row, col, str(value), fmt)


def _cell_format(column: Column, value: Any, formats: _Formats, quoted: Format) -> Format:
    if is_dangerous(value):
        return quoted
    if column.wrap:
        return formats.wrap
    if isinstance(value, dt.date):
        return formats.date
    if isinstance(value, int) and column.kind == "int":
        return formats.int
    if isinstance(value, float):
        return formats.whole if value.is_integer() else formats.number
    return formats.text


def _runs(kinds: list[str]) -> list[tuple[int, int, str]]:
    """Consecutive rows of the same kind: (first, last, kind)."""
    runs: list[tuple[int, int, str]] = []
    for i, kind in enumerate(kinds):
        if runs and runs[-1][2] == kind and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i, kind)
        else:
            runs.append((i, i, kind))
    return runs


def _write_sheet(
    ws: Worksheet,
    sheet: FormSheet,
    formats: _Formats,
    quoted: Format,
    lists: dict[Choices, str],
) -> None:
    table = sheet.table
    first = 2 if sheet.title else 1  # the first data row (0-based)
    if table.num_rows + first > MAX_ROWS:
        raise ReportError("sheet_too_long", sheet=sheet.name, rows=table.num_rows)
    for col, column in enumerate(sheet.columns):
        ws.set_column(col, col, column.width)
    if sheet.title:
        ws.write_string(0, 0, sheet.title, formats.title)
    ws.set_row(first - 1, 30)
    for col, column in enumerate(sheet.columns):
        ws.write_string(first - 1, col, column.header, formats.head)
    last = first + max(table.num_rows, 1) - 1
    row_kinds: dict[str, list[str]] = {}
    for col, column in enumerate(sheet.columns):
        if not column.input:
            continue
        if column.kind_from:
            kinds = [str(k or "text") for k in table.column(column.kind_from).to_pylist()]
            row_kinds[column.key] = kinds
            for start, end, kind in _runs(kinds):
                choices = sheet.row_choices.get(kind)
                check = _validation(kind, choices, lists, xl_rowcol_to_cell(first + start, col))
                if check:
                    ws.data_validation(first + start, col, first + end, col, check)
        else:
            check = _validation(column.kind, column.choices, lists, xl_rowcol_to_cell(first, col))
            if check:
                ws.data_validation(first, col, last, col, check)
    for start in range(0, table.num_rows, CHUNK_ROWS):
        chunk = table.slice(start, CHUNK_ROWS)
        plan = []  # per column: its values, its numbers, its input cells' format(s)
        for col, column in enumerate(sheet.columns):
            numbers = chunk.column(column.number_from).to_pylist() if column.number_from else None
            entry: Format | list[Format] | None = None
            if column.input and column.kind_from:
                kinds = row_kinds[column.key][start : start + chunk.num_rows]
                entry = [formats.input.get(k, formats.input["text"]) for k in kinds]
            elif column.input:
                entry = formats.input.get(column.kind, formats.input["text"])
            plan.append((col, column, chunk.column(column.key).to_pylist(), numbers, entry))
        blank = ws.write_blank
        for i in range(chunk.num_rows):
            row = first + start + i
            for col, column, values, numbers, entry in plan:
                value = values[i]
                if numbers is not None and numbers[i] is not None:
                    value = numbers[i]
                if entry is not None:  # an input cell: unlocked, shaded, even when empty
                    fmt = entry[i] if isinstance(entry, list) else entry
                    if value is None:
                        blank(row, col, None, fmt)
                        continue
                elif value is None:  # nothing to show: no cell
                    continue
                else:
                    fmt = _cell_format(column, value, formats, quoted)
                _write_value(ws, row, col, value, fmt)
    ws.freeze_panes(first, sheet.frozen_columns)
    ws.autofilter(first - 1, 0, last, len(sheet.columns) - 1)
    if sheet.protect:
        ws.protect("", {"autofilter": True, "sort": True, "format_columns": True,
                        "format_rows": True, "select_locked_cells": True,
                        "select_unlocked_cells": True})  # fmt: skip


def write_form(
    path: Path,
    sheets: list[FormSheet],
    guide: tuple[str, list[str]] | None = None,
    guide_name: str = "Hướng dẫn",
) -> None:
    """Write ``sheets`` to ``path`` (.xlsx), after a guide sheet (title, lines) if given,
    and before the sheets holding long dropdown lists."""
    rows = sum(s.table.num_rows for s in sheets)
    options = {**XLSXWRITER_OPTIONS, "default_date_format": DATE_FORMAT}
    if rows > CONSTANT_MEMORY_ROWS:
        options["constant_memory"] = True
    else:  # small: assembled in memory, not in a dozen temporary files
        options["in_memory"] = True
    try:
        wb = xlsxwriter.Workbook(str(path), options)
        formats = _formats(wb)
        quoted = wb.add_format({"quote_prefix": True, "valign": "top"})
        if guide is not None:
            ws = wb.add_worksheet(guide_name)
            ws.set_column(0, 0, 120, formats.wrap)
            ws.write_string(0, 0, guide[0], formats.title)
            for i, line in enumerate(guide[1], 2):
                ws.write_string(i, 0, line, formats.wrap)
            ws.protect()
        targets = [(wb.add_worksheet(s.name), s) for s in sheets]
        lists = _lists_sheet(wb, sheets, formats)  # after the sheets, which point at it
        for ws, sheet in targets:
            _write_sheet(ws, sheet, formats, quoted, lists)
        wb.close()
    except (OSError, xlsxwriter.exceptions.FileCreateError) as exc:
        raise ReportError("cannot_write", path=path, reason=first_line(exc)) from exc
