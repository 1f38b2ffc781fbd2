"""No formulas out: text that a spreadsheet would take for a formula stays text.

The workbooks and CSV files landclean writes go to communes; their cells carry what
people typed (names, addresses, certificate serials, file names).  A cell whose text
begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to Excel
or LibreOffice (OWASP, "CSV injection").  So:

* xlsxwriter workbooks are opened with ``XLSXWRITER_OPTIONS`` (every string a string);
* ``landclean.xlsx`` writes inline strings (text already) and gives such cells a
  quote-prefix style, so they stay text when someone edits them;
* in CSV files such text gets a leading apostrophe (``quote_table``).
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
_PATTERN = "^[=+\\-@\t\r]"

XLSXWRITER_OPTIONS: dict[str, Any] = {
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


def is_dangerous(text: object) -> bool:
    """Whether one value is text a spreadsheet would read as a formula."""
    return isinstance(text, str) and text.startswith(DANGEROUS_PREFIXES)


def _is_text(type_: pa.DataType) -> bool:
    return (
        pa.types.is_string(type_)
        or pa.types.is_large_string(type_)
        or pa.types.is_string_view(type_)
    )


def dangerous(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """Per value of a text array: begins with a dangerous character (null stays null)."""
    return pc.match_substring_regex(values, _PATTERN)


def quote_text(values: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    """A text array with an apostrophe before every value that begins with a dangerous
    character; other arrays (numbers, dates) as they are."""
    if pa.types.is_dictionary(values.type) and _is_text(values.type.value_type):
        values = pc.cast(values, values.type.value_type)
    if pa.types.is_string_view(values.type):
        values = pc.cast(values, pa.string())
    if not _is_text(values.type):
        return values
    return pc.replace_substring_regex(values, _PATTERN, "'\\0")


def quote_table(table: pa.Table) -> pa.Table:
    """``table`` with ``quote_text`` applied to its text columns (for CSV files)."""
    return pa.table([quote_text(c) for c in table.columns], names=table.column_names)
