"""Probes of tables (CSV, text, .xlsx, Parquet): huge cells and headers, NUL bytes, mixed
encodings, header-only files, blank rows, broken CSV structure, hostile values, a
population registry with implausible values, Parquet columns of odd types."""

from __future__ import annotations

import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from landclean.vn.legacy_encodings import encode_cp1258, encode_tcvn3, encode_vni
from tests.hardening.mutate import (
    TRICKY,
    Made,
    Probe,
    csv_bytes,
    long_text,
    rewrite_zip,
    write_xlsx,
    zip_member,
)
from tests.hardening.seeds import REGISTRY_HEADERS, REGISTRY_ROWS, Seeds, form_table

HUGE = 128 * 1024  # a "huge" cell or header: over 128 KB

ENCODERS = {
    "utf-8": lambda text: text.encode("utf-8"),
    "tcvn3": encode_tcvn3,
    "vni": encode_vni,
    "cp1258": encode_cp1258,
}


def _table(rng: random.Random) -> tuple[list[str], list[list[str]], str]:
    """The field form or the registry, as headers and rows of text."""
    if rng.random() < 0.75:
        headers, rows = form_table()
        return list(headers), [list(r) for r in rows], "form"
    return list(REGISTRY_HEADERS), [list(r) for r in REGISTRY_ROWS], "registry"


def _write(rng: random.Random, out: Path, stem: str, rows: list[list[str]], formats: str) -> Path:
    """``rows`` (the header first) as one of ``formats`` (letters c: CSV, t: tab .txt,
    x: .xlsx, p: Parquet)."""
    fmt = rng.choice(formats)
    if fmt == "x":
        return write_xlsx(out / f"{stem}.xlsx", rows)
    if fmt == "p":
        headers, body = rows[0], rows[1:]
        names = [h if h not in headers[:i] else f"{h} {i}" for i, h in enumerate(headers)]
        table = pa.table({n: pa.array([r[i] if i < len(r) else None for r in body], pa.string())
                          for i, n in enumerate(names)})  # fmt: skip
        path = out / f"{stem}.parquet"
        pq.write_table(table, path)
        return path
    path = out / (f"{stem}.txt" if fmt == "t" else f"{stem}.csv")
    path.write_bytes(csv_bytes(rows, "\t" if fmt == "t" else rng.choice(",;|")))
    return path


def huge_cell(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    headers, rows, what = _table(rng)
    size = rng.randrange(HUGE + 1, HUGE + HUGE // 2)
    r, c = rng.randrange(len(rows)), rng.randrange(len(headers))
    rows[r][c] = long_text(rng, size)
    path = _write(rng, out, "huge_cell", [headers, *rows], "cctxp")
    return Made(path, f"{what}: cell row {r + 1} column {c + 1} of {size:,} characters")


def huge_header(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    headers, rows, what = _table(rng)
    how = rng.choice(("long", "many", "one_line"))
    if how == "long":  # one header cell over 128 KB
        c = rng.randrange(len(headers))
        headers[c] = headers[c] + long_text(rng, rng.randrange(HUGE + 1, HUGE + HUGE // 2))
        return Made(
            _write(rng, out, "huge_header", [headers, *rows], "cctxp"),
            f"{what}: header {c + 1} over 128 KB",
        )
    if how == "many":  # thousands of columns
        n = rng.randrange(2_000, 5_000)
        wide = headers + [f"Cột {i}" for i in range(n)]
        body = [r + ["x"] * n for r in rows]
        return Made(_write(rng, out, "wide", [wide, *body], "cct"), f"{what}: {n:,} more columns")
    path = out / "one_line.csv"  # a header line with no delimiter, over 128 KB
    path.write_bytes(
        ("Mã thửa đất" + long_text(rng, rng.randrange(HUGE + 1, HUGE + HUGE // 2))).encode()
    )
    return Made(path, "a header line of over 128 KB, no delimiter, no data")


def nul_bytes(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    how = rng.choice(("scattered", "header", "utf16_no_bom", "xlsx", "parquet", "geojson"))
    if how in ("scattered", "header"):
        data = bytearray(
            seeds.path(rng.choice(("form_csv", "registry_csv", "form_txt"))).read_bytes()
        )
        end = data.index(b"\n") if how == "header" else len(data)
        for _ in range(rng.randrange(1, 16)):
            data.insert(rng.randrange(end), 0)
        path = out / "nul.csv"
        path.write_bytes(bytes(data))
    elif how == "utf16_no_bom":  # "Unicode text" from Excel without its BOM
        path = out / "nul.txt"
        path.write_bytes(seeds.path("form_csv").read_text("utf-8").encode("utf-16-le"))
    elif how == "xlsx":  # a raw NUL in the shared strings (XML forbids it)
        src = seeds.path("form_xlsx")
        sst = zip_member(src, "xl/sharedStrings.xml").replace(
            b"<t>", b"<t>a\x00b", rng.randrange(1, 5)
        )
        path = out / "nul.xlsx"
        rewrite_zip(src, path, {"xl/sharedStrings.xml": sst})
    elif how == "parquet":
        headers, rows = form_table()
        rows = [[v + "\x00" + v if rng.random() < 0.3 else v for v in r] for r in rows]
        path = _write(rng, out, "nul", [list(headers), *rows], "p")
    else:
        text = seeds.path("map_geojson").read_text("utf-8")
        path = out / "nul.geojson"
        path.write_text(
            text.replace("Nguyễn", "Nguy\\u0000ễn").replace("T001", "T0\x0001"), "utf-8"
        )
    return Made(path, how)


def mixed_encoding(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    """UTF-8 and legacy Vietnamese encodings (TCVN3, VNI, CP1258) in one file."""
    headers, rows, what = _table(rng)
    lines = [headers, *rows]
    how = rng.choice(("per_line", "per_cell", "bom_then_legacy", "header_legacy"))
    chosen: list[str] = []
    data = b""
    for i, line in enumerate(lines):
        if how == "per_cell":
            cells = []
            for cell in line:
                enc = rng.choice(list(ENCODERS))
                chosen.append(enc)
                cells.append(ENCODERS[enc](cell))
            data += b",".join(b'"' + c.replace(b'"', b'""') + b'"' for c in cells) + b"\n"
            continue
        if how == "per_line":
            enc = rng.choice(list(ENCODERS))
        elif how == "header_legacy":
            enc = rng.choice(("tcvn3", "vni", "cp1258")) if i == 0 else "utf-8"
        else:
            enc = "utf-8" if i == 0 else rng.choice(("tcvn3", "vni", "cp1258"))
        chosen.append(enc)
        data += ENCODERS[enc](csv_bytes([line]).decode("utf-8"))
    if how == "bom_then_legacy":
        data = b"\xef\xbb\xbf" + data
    path = out / rng.choice(("mixed.csv", "mixed.txt"))
    path.write_bytes(data)
    return Made(path, f"{what} {how}: {', '.join(dict.fromkeys(chosen))}")


def header_only(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    headers, _, what = _table(rng)
    how = rng.choice(("plain", "blank_lines", "legacy", "title_above"))
    rows: list[list[str]] = [headers]
    if how == "title_above":
        rows = [["BIỂU TỔNG HỢP THÔNG TIN THỬA ĐẤT"], headers]
    if how == "legacy":
        path = out / "header.csv"
        path.write_bytes(encode_tcvn3(csv_bytes(rows).decode("utf-8")))
        return Made(path, f"{what}: header only, TCVN3")
    path = _write(rng, out, "header", rows, "cctxp")
    if how == "blank_lines" and path.suffix in (".csv", ".txt"):
        path.write_bytes(path.read_bytes() + b"\n" * rng.randrange(1, 5))
    return Made(path, f"{what}: header only ({how})")


def blank_rows(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    headers, rows, what = _table(rng)
    blank = rng.choice(([""] * len(headers), [" "] * len(headers), [""], ["\t"]))
    before = rng.choice((0, 0, 1, 3))
    between = rng.choice((0, 1, 50, 2000))
    after = rng.choice((0, 1, 5, 5000))
    grid = [blank] * before + [headers]
    for row in rows:
        grid += [row] + [blank] * between
    grid += [blank] * after
    path = _write(rng, out, "blank", grid, "cctx")
    return Made(
        path, f"{what}: {before} blank rows above, {between} between, {after} below ({blank[:1]!r})"
    )


def csv_structure(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    text = seeds.path(rng.choice(("form_csv", "registry_csv"))).read_text("utf-8")
    lines = text.splitlines()
    how = rng.choice(
        ("ragged", "open_quote", "cr_only", "only_delimiters", "quoted_newlines", "dup_headers",
         "empty_headers", "bom_only", "whitespace_only", "no_newline", "many_delimiters",
         "mixed_delimiters", "backslash_quotes", "sep_line", "crlf_mix")
    )  # fmt: skip
    if how == "ragged":
        lines = [ln + ",x" * rng.randrange(0, 30) if i else ln for i, ln in enumerate(lines)]
        lines.append("T999")
    elif how == "open_quote":
        i = rng.randrange(len(lines))
        lines[i] = lines[i].replace(",", ',"', 1)
    elif how == "cr_only":
        text = "\r".join(lines) + "\r"
    elif how == "only_delimiters":
        lines = [rng.choice((",", ";", "\t", "|")) * rng.randrange(1, 200)] * rng.randrange(1, 10)
    elif how == "quoted_newlines":
        lines = [lines[0]] + [ln.replace(",", ',"a\n\nb",', 1) for ln in lines[1:]]
    elif how == "dup_headers":
        head = lines[0].split(",")
        lines[0] = ",".join(head[:3] * (len(head) // 3 + 1))[: len(lines[0]) + 50]
    elif how == "empty_headers":
        lines[0] = ",".join("" if rng.random() < 0.5 else h for h in lines[0].split(","))
    elif how == "bom_only":
        text = "\ufeff"
    elif how == "whitespace_only":
        text = rng.choice((" ", "\n", "\r\n", "\t \n \n")) * rng.randrange(1, 100)
    elif how == "no_newline":
        text = lines[0]
    elif how == "many_delimiters":
        lines = [ln + "," * rng.randrange(1_000, 50_000) for ln in lines]
    elif how == "mixed_delimiters":
        lines = [ln.replace(",", rng.choice((";", "\t", "|", ","))) for ln in lines]
    elif how == "backslash_quotes":
        lines = [ln.replace(",", ',\\"x\\",', 1) for ln in lines]
    elif how == "sep_line":
        lines = ["sep=,", *lines]
    else:
        text = "".join(ln + rng.choice(("\n", "\r\n", "\r")) for ln in lines)
    if how not in ("cr_only", "bom_only", "whitespace_only", "no_newline", "crlf_mix"):
        text = "\n".join(lines) + "\n"
    path = out / "structure.csv"
    path.write_bytes(text.encode("utf-8"))
    return Made(path, how)


def _fuzzed_value(rng: random.Random) -> str:
    if rng.random() < 0.8:
        return rng.choice(TRICKY)
    alphabet = "0123456789/.,-+ eE ONTCLNLUC ÀÁẢÃẠàáảãạĐđƠơƯư\u0300\u0301\u0303\u0309\u0323"
    return "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 40)))


def value_fuzz(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    """Valid headers, cells replaced by values that break parsers."""
    headers, rows, what = _table(rng)
    share = rng.choice((0.1, 0.3, 1.0))
    rows = [[_fuzzed_value(rng) if rng.random() < share else v for v in r] for r in rows]
    rows += [[_fuzzed_value(rng) for _ in headers] for _ in range(rng.randrange(0, 20))]
    path = _write(rng, out, "values", [headers, *rows], "ccxp")
    return Made(path, f"{what}: {share:.0%} of cells replaced, {len(rows)} rows")


def registry_values(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    """A population registry whose IDs, names, birth dates and sexes are implausible."""
    ids = ("", "abc", "0" * 12, "9" * 12, "1" * 11, "066165001234" * 2, "-66165001234",
           "6.6e11", "066165001234", "066 165 001 234", "０６６１６５００１２３４")  # fmt: skip
    names = ("", "A", "12345", "Nguyễn" * 1000, "😀😀", "NULL", "Nguyễn Văn A\nB")
    births = ("31/02/1990", "01/01/2999", "01/01/1800", "abc", "0", "", "1965", "45000")
    sexes = ("Nam", "Nữ", "X", "", "Nam Nữ", "1")
    rows = [
        [rng.choice(ids), rng.choice(names), rng.choice(births), rng.choice(sexes), "Xã Hòa Phú"]
        for _ in range(rng.randrange(1, 30))
    ]
    if rng.random() < 0.5:
        rows.append(list(rows[0]))  # the same person twice
    path = _write(rng, out, "registry", [list(REGISTRY_HEADERS), *rows], "ccxp")
    return Made(path, f"{len(rows)} implausible people")


def parquet_types(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    """The form's columns as Parquet of types no export should have."""
    headers, rows = form_table()
    n = len(rows)
    odd = {
        "list": pa.array([["a", "b"]] * n, pa.list_(pa.string())),
        "struct": pa.array([{"x": 1, "y": "ư"}] * n),
        "map": pa.array([[("k", 1)]] * n, pa.map_(pa.string(), pa.int64())),
        "binary": pa.array([b"\xff\xfe\x00"] * n, pa.binary()),
        "decimal": pa.array([None] * n, pa.decimal128(38, 10)),
        "timestamp_tz": pa.array(
            [0, 2**62, -(2**62)][:n], pa.timestamp("ns", tz="Asia/Ho_Chi_Minh")
        ),
        "date": pa.array([0, 2**31 - 1, -(2**31)][:n], pa.date32()),
        "float": pa.array([float("nan"), float("inf"), -0.0][:n], pa.float64()),
        "dictionary": pa.array(["a", "b", "a"][:n]).dictionary_encode(),
        "null": pa.nulls(n),
        "bool": pa.array([True, False, None][:n]),
        "int_extremes": pa.array([2**63 - 1, -(2**63), 0][:n], pa.int64()),
        "large_string": pa.array(["x" * 10, "ư", ""][:n], pa.large_string()),
    }
    columns = {h: pa.array([r[i] for r in rows], pa.string()) for i, h in enumerate(headers)}
    chosen = rng.sample(sorted(odd), rng.randrange(1, 5))
    for kind in chosen:
        target = rng.choice(list(columns))
        columns[target] = odd[kind]
    how = rng.choice(("replace", "replace", "odd_names", "no_rows", "no_columns"))
    path = out / "types.parquet"
    if how == "no_columns":
        pq.write_table(pa.table({}), path)
        return Made(path, "a Parquet file without columns")
    names = list(columns)
    if how == "odd_names":
        names = [
            rng.choice(('"', "a\nb", "", names[i], "x" * 5000, "c0", "row_no"))
            for i in range(len(names))
        ]
    table = pa.Table.from_arrays(list(columns.values()), names=names)
    if how == "no_rows":
        table = table.slice(0, 0)
    pq.write_table(table, path)
    return Made(path, f"{how}: {', '.join(chosen)}")


PROBES: dict[str, Probe] = {
    "huge_cell": huge_cell,
    "huge_header": huge_header,
    "nul_bytes": nul_bytes,
    "mixed_encoding": mixed_encoding,
    "header_only": header_only,
    "blank_rows": blank_rows,
    "csv_structure": csv_structure,
    "value_fuzz": value_fuzz,
    "registry_values": registry_values,
    "parquet_types": parquet_types,
}
