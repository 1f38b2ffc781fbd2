"""A scanner for personal data in the files landclean writes and in what it prints.

The rule: ID numbers (12-digit CCCD, 9-digit CMND), names with them and birth dates are
masked in logs and in the files that circulate; only ``export --unmasked`` and the
workspace itself hold them whole.  ``scan`` extracts the text of every file it is given
(workbooks: every XML part, shared and inline strings resolved, a row per record;
CSV/text/JSON/HTML/SVG/Markdown/logs; the text cells of GeoPackage/SQLite, Parquet and
DuckDB files; the text chunks of PNG and the streams of PDF) and reports

* every 9- or 12-digit run (not part of a longer one) that is a real ID number of the
  workspace (``real_ids``): parcel codes, UIDs, serials and counts raise no false alarm;
  an ID that lost its leading zero as a number (11 or 8 digits, "6.6085001260E+10") or
  written with separators ("066 085 001 260", "66.085.001.260") counts too;
* a full birth date (DD/MM/YYYY or YYYY-MM-DD) within ``NEAR`` characters of such an ID.

By hand: ``python -m tests.hardening.pii_scan WORKSPACE PATH...`` lists what it finds
(IDs masked) and exits 1 if anything is.
"""

from __future__ import annotations

import html
import json
import re
import sqlite3
import struct
import sys
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import pyarrow.parquet as pq

from landclean.privacy import mask_id

# Where the workspace holds ID numbers (table -> columns, optional row filter).
ID_SOURCES: tuple[tuple[str, tuple[str, ...], str], ...] = (
    ("registry_person", ("cccd", "cmnd"), ""),
    ("raw_registry", ("so_dinh_danh", "so_cmnd"), ""),
    ("party", ("id_number", "id_number_raw"), ""),
    ("raw_parcel_record", ("owner_id", "spouse_id", "user_id", "owner3_id", "owner4_id"), ""),
    ("auth_result", ("registry_cccd", "proposed_id"), ""),
    ("auth_candidate", ("cccd",), ""),
    ("auth_registry", ("cccd", "cmnd"), ""),
    ("correction", ("before", "value"), "column_name = 'id_number'"),
    ("change_log", ("before", "after"), "column_name = 'id_number'"),
)
RUN = re.compile(r"(?<!\d)(\d{12}|\d{11}|\d{9}|\d{8})(?!\d)")
# digits in groups: "066 085 001 260", "066.085.001.260", "66.085.001.260"
GROUPED = re.compile(r"(?<![\d.,])\d{1,4}(?:[ .\-]\d{1,4}){2,5}(?![\d])")
SCIENTIFIC = re.compile(r"(?<![\d.])(\d)\.(\d{1,11})[Ee]\+?(\d{1,2})(?!\d)")
BIRTH = re.compile(
    r"(?<!\d)(?:(?:0?[1-9]|[12]\d|3[01])[/.\-](?:0?[1-9]|1[0-2])[/.\-](?:19|20)\d\d"
    r"|(?:19|20)\d\d-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12]\d|3[01]))(?!\d)"
)
NEAR = 200  # characters between an ID and a birth date said to be "next to" it
TEXT_SUFFIXES = {".csv", ".txt", ".json", ".html", ".htm", ".md", ".log", ".svg", ".xml",
                 ".tsv", ".out", ".err", ".geojson"}  # fmt: skip
XLSX_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"


@dataclass(frozen=True)
class Hit:
    path: Path
    where: str  # "sheet1.xml row 5", "line 12", "table t row 3"
    kind: str  # "id" or "birth_by_id"
    value: str  # the ID number (or the birth date) as found

    def __str__(self) -> str:
        shown = mask_id(self.value) if self.kind == "id" else self.value
        return f"{self.path} [{self.where}] {self.kind}: {shown}"


@dataclass
class ScanReport:
    hits: list[Hit] = field(default_factory=list)
    scanned: list[Path] = field(default_factory=list)
    notes: dict[Path, str] = field(default_factory=dict)  # files not read, and why

    def ids(self) -> set[str]:
        return {h.value for h in self.hits if h.kind == "id"}

    def files(self) -> set[Path]:
        return {h.path for h in self.hits}

    def text(self, limit: int = 30) -> str:
        lines = [str(h) for h in self.hits[:limit]]
        if len(self.hits) > limit:
            lines.append(f"... {len(self.hits) - limit} more")
        return "\n".join(lines)


def real_ids(workspace: Path) -> frozenset[str]:
    """Every 9- and 12-digit ID number the workspace holds (registry persons, land
    users, raw source cells, authentication results, corrections), digits only."""
    con = duckdb.connect(str(workspace), read_only=True)
    try:
        return real_ids_of(con)
    finally:
        con.close()


def real_ids_of(con: duckdb.DuckDBPyConnection) -> frozenset[str]:
    """``real_ids`` of a workspace already open."""
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    parts = []
    for table, columns, where in ID_SOURCES:
        if table not in tables:
            continue
        have = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
        for column in (c for c in columns if c in have):
            cond = f"WHERE {where}" if where else ""
            v = f"CAST({column} AS VARCHAR)"
            parts.append(
                f"SELECT unnest(regexp_extract_all({v}, '[0-9]+')) AS d FROM {table} {cond} "
                f"UNION ALL SELECT regexp_replace({v}, '[^0-9]', '', 'g') FROM {table} {cond}"
            )
    if not parts:
        return frozenset()
    sql = f"SELECT DISTINCT d FROM ({' UNION ALL '.join(parts)}) WHERE length(d) IN (9, 12)"
    return frozenset(str(r[0]) for r in con.execute(sql).fetchall())


# ---------------------------------------------------------------- text of each file type


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", "replace")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _text_records(path: Path) -> Iterator[tuple[str, str]]:
    text = _decode(path.read_bytes())
    if path.suffix.lower() in {".html", ".htm", ".svg", ".xml"}:
        text = html.unescape(re.sub(r"<(?:/tr|tr|br|/p|/li|/h\d)\b[^>]*>", "\n", text))
        text = re.sub(r"<[^>]+>", " ", text)
    for no, line in enumerate(text.splitlines(), 1):
        yield f"line {no}", line
    if path.suffix.lower() in {".json", ".geojson"}:  # \u escapes, numbers
        try:
            document = json.loads(text)
        except ValueError:
            return
        yield "json", json.dumps(document, ensure_ascii=False)


def _xml_text(element: ElementTree.Element) -> str:
    return "\t".join(
        t for e in element.iter() for t in (e.text, *e.attrib.values()) if t and t.strip()
    )


def _xlsx_records(path: Path) -> Iterator[tuple[str, str]]:
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            root = ElementTree.fromstring(z.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(f"{XLSX_NS}t")) for si in root]
        for name in names:
            data = z.read(name)
            if not name.endswith((".xml", ".rels", ".vml")):
                yield name, _decode(data)
                continue
            root = ElementTree.fromstring(data)
            rows = list(root.iter(f"{XLSX_NS}row"))
            if not rows:  # shared strings, comments, properties, workbook, drawings …
                yield name, _xml_text(root)
                continue
            for row in rows:
                cells = []
                for c in row.iter(f"{XLSX_NS}c"):
                    v = c.find(f"{XLSX_NS}v")
                    if c.get("t") == "s" and v is not None and v.text:
                        cells.append(shared[int(v.text)])
                    else:  # numbers, inline strings, formulas and their cached values
                        cells.append(_xml_text(c))
                yield f"{name} row {row.get('r')}", "\t".join(cells)


def _sqlite_records(path: Path) -> Iterator[tuple[str, str]]:
    con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            try:
                rows = con.execute(f'SELECT * FROM "{table}"').fetchall()
            except sqlite3.Error:  # virtual tables of modules not loaded (rtree …)
                continue
            for no, row in enumerate(rows, 1):
                cells = [str(v) for v in row if isinstance(v, str | int | float)]
                yield f"table {table} row {no}", "\t".join(cells)
    finally:
        con.close()


def _parquet_records(path: Path) -> Iterator[tuple[str, str]]:
    table = pq.read_table(path)
    for no, row in enumerate(table.to_pylist(), 1):
        cells = [str(v) for v in row.values() if not isinstance(v, bytes | None)]
        yield f"row {no}", "\t".join(cells)


def _duckdb_records(path: Path) -> Iterator[tuple[str, str]]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        for (table,) in con.execute("SELECT table_name FROM duckdb_tables()").fetchall():
            kinds = con.execute(f'DESCRIBE "{table}"').fetchall()
            texts = [f'CAST("{c[0]}" AS VARCHAR)' for c in kinds if c[1] not in ("BLOB",)]
            if not texts:
                continue
            try:
                rows = con.execute(f'SELECT {", ".join(texts)} FROM "{table}"').fetchall()
            except duckdb.Error:
                continue
            for no, row in enumerate(rows, 1):
                yield f"table {table} row {no}", "\t".join(str(v) for v in row if v is not None)
    finally:
        con.close()


def _png_records(path: Path) -> Iterator[tuple[str, str]]:
    """The text chunks (tEXt, zTXt, iTXt): the only text a PNG carries."""
    data = path.read_bytes()
    pos = 8
    while pos + 8 <= len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        if kind == b"tEXt":
            yield "tEXt", body.decode("latin-1")
        elif kind == b"zTXt":
            key, _, rest = body.partition(b"\0")
            yield "zTXt", key.decode("latin-1") + "\t" + _decode(zlib.decompress(rest[1:]))
        elif kind == b"iTXt":
            yield "iTXt", _decode(body.replace(b"\0", b"\t"))
        pos += 12 + length


def _pdf_records(path: Path) -> Iterator[tuple[str, str]]:
    """The raw file and its deflated streams (a text layer's strings are in them)."""
    data = path.read_bytes()
    yield "raw", data.decode("latin-1")
    for no, m in enumerate(re.finditer(rb"stream\r?\n(.*?)endstream", data, re.S), 1):
        try:
            yield f"stream {no}", zlib.decompress(m.group(1)).decode("latin-1")
        except zlib.error:
            continue


READERS = {
    ".xlsx": _xlsx_records,
    ".xlsm": _xlsx_records,
    ".gpkg": _sqlite_records,
    ".sqlite": _sqlite_records,
    ".db": _sqlite_records,
    ".parquet": _parquet_records,
    ".duckdb": _duckdb_records,
    ".png": _png_records,
    ".pdf": _pdf_records,
}


def records(path: Path) -> Iterator[tuple[str, str]]:
    """(where, text) for every piece of text ``path`` holds; ValueError if its type is
    not known and it is not text."""
    suffix = path.suffix.lower()
    if suffix in READERS:
        yield from READERS[suffix](path)
    elif suffix in TEXT_SUFFIXES or b"\0" not in path.read_bytes()[:8192]:
        yield from _text_records(path)
    else:
        raise ValueError(f"binary file of an unknown type ({suffix or 'no suffix'})")


# ---------------------------------------------------------------- finding the IDs


def candidates(text: str) -> Iterator[tuple[int, str]]:
    """(position, 9- or 12-digit number) of every run that may be an ID: as written, its
    leading zero restored, from digits in groups or in scientific notation."""
    for m in RUN.finditer(text):
        d = m.group(1)
        yield m.start(), d if len(d) in (9, 12) else "0" + d
    for m in GROUPED.finditer(text):
        d = re.sub(r"\D", "", m.group(0))
        if len(d) in (8, 9, 11, 12):
            yield m.start(), d if len(d) in (9, 12) else "0" + d
    for m in SCIENTIFIC.finditer(text):
        whole, frac, exp = m.group(1), m.group(2), int(m.group(3))
        if len(frac) <= exp:
            d = whole + frac + "0" * (exp - len(frac))
            if len(d) in (8, 9, 11, 12):
                yield m.start(), d if len(d) in (9, 12) else "0" + d


def scan_text(path: Path, where: str, text: str, ids: frozenset[str]) -> list[Hit]:
    """The real IDs in ``text`` and the birth dates next to them."""
    found = [(pos, d) for pos, d in candidates(text) if d in ids]
    hits = [Hit(path, where, "id", d) for d in dict.fromkeys(d for _, d in found)]
    for m in BIRTH.finditer(text):
        if any(abs(m.start() - pos) <= NEAR for pos, _ in found):
            hits.append(Hit(path, where, "birth_by_id", m.group(0)))
    return hits


def files_under(paths: Iterable[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        out.extend(sorted(f for f in p.rglob("*") if f.is_file()) if p.is_dir() else [p])
    return out


def scan(paths: Iterable[Path], ids: frozenset[str], exclude: Iterable[Path] = ()) -> ScanReport:
    """Scan every file of ``paths`` (folders walked), except ``exclude``."""
    skip = {p.resolve() for p in exclude}
    report = ScanReport()
    for path in files_under(paths):
        if path.resolve() in skip:
            continue
        try:
            for where, text in records(path):
                report.hits.extend(scan_text(path, where, text, ids))
        except (ValueError, OSError, zipfile.BadZipFile, sqlite3.Error, duckdb.Error) as exc:
            report.notes[path] = f"not read: {exc}"
            continue
        report.scanned.append(path)
    return report


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print("usage: python -m tests.hardening.pii_scan WORKSPACE PATH...", file=sys.stderr)
        return 2
    workspace = Path(argv[0])
    report = scan([Path(a) for a in argv[1:]], real_ids(workspace), exclude=[workspace])
    for path, note in report.notes.items():
        print(f"note: {path}: {note}")
    print(report.text(limit=1000) or f"no personal data in {len(report.scanned)} files")
    return 1 if report.hits else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
