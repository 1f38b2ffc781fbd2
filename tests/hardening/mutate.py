"""Helpers the probes share: copy a seed, cut and flip bytes, rewrite an .xlsx zip,
write rows as CSV or .xlsx, and values chosen to break parsers."""

from __future__ import annotations

import csv
import io
import random
import shutil
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter

from tests.hardening.seeds import FIXED_DAY, SEED_FILES, SHAPEFILE_PARTS, Seeds

ZIP_DAY = (2025, 9, 1, 0, 0, 0)


@dataclass
class Made:
    """What a probe wrote: the file to import and how."""

    target: Path
    detail: str
    env: dict[str, str] = field(default_factory=dict)  # LANDCLEAN_* variables of the case
    args: list[str] = field(default_factory=list)  # extra arguments after the file


Probe = Callable[[random.Random, Seeds, Path], Made]


def copy_seed(seeds: Seeds, name: str, out: Path, stem: str = "case") -> Path:
    """The seed ``name`` copied into ``out`` as ``stem`` + its suffix (a Shapefile with
    its side files); the copy's main path."""
    src = seeds.path(name)
    if src.suffix == ".shp":
        for part in SHAPEFILE_PARTS:
            side = src.with_suffix(part)
            if side.exists():
                shutil.copyfile(side, out / f"{stem}{part}")
        return out / f"{stem}.shp"
    dst = out / f"{stem}{Path(SEED_FILES[name]).suffix}"
    shutil.copyfile(src, dst)
    return dst


def truncate(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """``data`` cut somewhere: near the start, the end, or anywhere."""
    n = len(data)
    where = rng.choice(("head", "tail", "any"))
    if where == "head":
        cut = rng.randrange(1, min(n, 64))
    elif where == "tail":
        cut = max(1, n - rng.randrange(1, min(n, 64)))
    else:
        cut = rng.randrange(1, n)
    return data[:cut], f"cut at {cut}/{n}"


def flip_bits(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """``data`` with a few bits flipped or bytes overwritten."""
    out = bytearray(data)
    k = rng.choice((1, 1, 2, 4, 8, 32))
    where = []
    for _ in range(k):
        i = rng.randrange(len(out))
        if rng.random() < 0.7:
            out[i] ^= 1 << rng.randrange(8)
        else:
            out[i] = rng.choice((0x00, 0xFF, 0x7F, 0x80, ord('"'), ord(","), ord("\n")))
        where.append(i)
    return bytes(out), f"{k} flip(s) at {sorted(where)[:8]}"


def zip_info(name: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, date_time=ZIP_DAY)
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def rewrite_zip(
    src: Path, dst: Path, replace: dict[str, bytes | None], add: dict[str, bytes] | None = None
) -> None:
    """A copy of the zip ``src`` with members replaced (``None``: dropped) or added."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = replace[info.filename] if info.filename in replace else zin.read(info)
            if data is not None:
                zout.writestr(zip_info(info.filename), data)
        for name, data in (add or {}).items():
            zout.writestr(zip_info(name), data)


def zip_member(path: Path, name: str) -> bytes:
    with zipfile.ZipFile(path) as z:
        return z.read(name)


def csv_bytes(rows: Iterable[list[str]], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows(rows)
    return out.getvalue().encode(encoding, errors="surrogatepass")


def write_xlsx(path: Path, rows: list[list[str]], sheet: str = "Xã Hòa Phú") -> Path:
    """Rows of text written as one sheet (control characters escaped by the writer)."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False})
    wb.set_properties({"created": FIXED_DAY})
    ws = wb.add_worksheet(sheet)
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            ws.write_string(r, c, value)
    wb.close()
    return path


def long_text(rng: random.Random, size: int) -> str:
    """``size`` characters of Vietnamese-looking text (repetitive, cheap to make)."""
    word = rng.choice(("Nguyễn", "Thửa", "đất", "ĐẮK LẮK", "x", "Ở", "ệ"))
    return (word * (size // len(word) + 1))[:size]


# values that parsers of dates, numbers, IDs, serials and land-use cells meet badly
TRICKY = (
    "", " ", "\t", "NULL", "null", "None", "NaN", "nan", "inf", "-inf", "1e400", "-1e400",
    "1e-400", "0", "-0", "-1", "0" * 30 + "1", "9" * 40, "1,2,3", "1.234.567,89", ",,,",
    "٣٤٥", "１２３", "𝟙𝟚𝟛", "½", "Ⅻ", "0x1F", "1_000", "31/02/2020", "00/00/0000",
    "99/99/9999", "1/1/1", "0001-01-01", "9999-12-31 23:59:59", "2024-02-30", "12-3-65",
    "١٢/٠٣/١٩٦٥", "1900", "2999", "45000", "-45000", "1e10", "6.6065001236E+99", "=1+1",
    "=HYPERLINK(\"http://x\")", "@SUM(A1)", "+1", "-", "'", '"', '"""', "a\nb", "a\r\nb",
    "\u200b", "\ufeff", "\u202e", "Nguye\u0302\u0303n", "Nguyễn " * 40, "\x1b[31m",
    "<b>x</b>", "${jndi:ldap://x}", "'; DROP TABLE parcel; --", "ONT+", "+++",
    "ONT 1e999m2", "ONT 0m2; ; ;", "CS ", "CS 99999999999999", "AA 0", "%s%s%n",
    "{0}{name}", "{path}", "../../etc/passwd", "C:\\con\\con", "😀", "True", "false",
    "1965.5", "  12  ", "12/03/1965 25:61:61", "066 165.001234.9", "000000000000",
)  # fmt: skip
