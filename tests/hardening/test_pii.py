"""No real ID number leaves the workspace except through ``export --unmasked``.

Every command that writes files or prints is run (in-process, with ``-v`` and the log
captured) on a copy of the shared workspace into one folder, which the personal-data
scanner (``pii_scan``) then reads whole; the ``--unmasked`` exports go to another folder,
where the scanner must find the ID numbers the findings hold (so that it can fail).
"""

from __future__ import annotations

import json
import logging
import shutil
import sqlite3
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from landclean.campaign.worklist import FINDINGS, USERS, field_column
from landclean.cli import app
from landclean.cli.app import console, err
from landclean.corrections import typed_text
from landclean.errors import LandcleanError
from landclean.labels import labels
from landclean.privacy import mask_id, mask_typed_id
from tests.conftest import Province
from tests.hardening.pii_scan import real_ids, scan, scan_text

# one worker builds this module's fixtures once
pytestmark = pytest.mark.xdist_group("pii")

USER = labels("worklist_users", "vi")
FIND = labels("worklist_findings", "vi")


@dataclass
class Outputs:
    workspace: Path
    out: Path  # everything landclean wrote or printed, except:
    unmasked: Path  # the --unmasked exports
    commune: str


class _Landclean:
    """Runs ``landclean -v ARGS`` in-process; stdout and stderr go to ``out/NAME.out``
    and ``.err`` (the terminal is wide: nothing is folded inside a number)."""

    def __init__(self, out: Path) -> None:
        self.out, self.runner = out, CliRunner()

    def __call__(self, name: str, *args: str, code: int = 0) -> str:
        result = self.runner.invoke(app, ["-v", *args])
        (self.out / f"{name}.out").write_text(result.stdout, "utf-8")
        (self.out / f"{name}.err").write_text(result.stderr, "utf-8")
        assert result.exit_code == code, (name, result.output, result.exception)
        return result.stdout


@pytest.fixture(scope="module")
def wide_terminal() -> Iterator[None]:
    saved = [(c, c._width) for c in (console, err)]
    for c, _ in saved:
        c.width = 400
    yield
    for c, width in saved:
        c._width = width


def _log_to(path: Path) -> logging.Handler:
    """What ``-v`` logs (INFO and above) into ``path``, as basicConfig would show it."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    return handler


def _fill_worklist(workspace: Path, written: Path, filled: Path) -> None:
    """A commune clerk's answers: the user's ID typed with a second number beside it
    (refused: not one ID), a proposal accepted, an ID finding answered the same way."""
    shutil.copy(written, filled)
    con = duckdb.connect(str(workspace), read_only=True)
    wb = openpyxl.load_workbook(filled)
    users = wb[USERS]
    head = [c.value for c in users[2]]  # a title row, then the header row
    col = {h: i + 1 for i, h in enumerate(head)}
    rows = list(range(3, users.max_row + 1))
    assert len(rows) >= 2
    registry = ""
    for n, row in enumerate(rows[:4]):
        party = users.cell(row, 1).value
        own, registry = con.execute(
            "SELECT p.id_number, (SELECT min(cccd) FROM registry_person) FROM party p "
            "WHERE party_id = ?",
            [party],
        ).fetchone()  # type: ignore[misc]
        if n == 0:
            users.cell(row, col[USER["accept"]]).value = "x"
        else:
            typed = f"{own or registry} / {registry}"
            users.cell(row, col[USER["right_id"]]).value = typed
    findings = wb[FINDINGS]
    fcol = {c.value: i + 1 for i, c in enumerate(findings[2])}
    for row in range(3, findings.max_row + 1):
        _, rtype, record = str(findings.cell(row, 1).value).split("|", 2)
        if field_column(rtype, str(findings.cell(row, fcol[FIND["field"]]).value)) == "id_number":
            hit = con.execute(
                "SELECT r.cccd FROM auth_result a JOIN registry_person r "
                "ON r.cccd = a.registry_cccd WHERE a.party_id = ?",
                [record],
            ).fetchone()
            cccd = hit[0] if hit else registry
            findings.cell(row, fcol[FIND["value"]]).value = f"{cccd}/{cccd}"
            break
    con.close()
    wb.save(filled)


@pytest.fixture(scope="module")
def outputs(
    built_workspace: Path,
    province: Province,
    tmp_path_factory: pytest.TempPathFactory,
    wide_terminal: None,
) -> Outputs:
    root = tmp_path_factory.mktemp("pii")
    ws = root / "ws.duckdb"
    shutil.copy(built_workspace, ws)
    out, unmasked, typed = root / "out", root / "unmasked", root / "typed"
    for folder in (out, unmasked, typed):
        folder.mkdir()
    con = duckdb.connect(str(ws), read_only=True)
    commune = con.execute(
        "SELECT unit_code FROM party_commune JOIN auth_result a USING (party_id) "
        "WHERE a.status <> 'matched' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
    ).fetchone()[0]  # type: ignore[index]
    old, sheet, parcel, serial = con.execute(
        "SELECT p.old_unit_code, p.sheet_no, p.parcel_no, c.serial FROM parcel p "
        "JOIN certificate_parcel USING (parcel_id) JOIN certificate c USING (certificate_id) "
        "WHERE p.sheet_no IS NOT NULL AND p.parcel_no IS NOT NULL AND c.serial IS NOT NULL "
        "ORDER BY p.parcel_id LIMIT 1"
    ).fetchone()  # type: ignore[misc]
    party, cccd = con.execute(
        "SELECT party_id, (SELECT max(cccd) FROM registry_person) FROM party "
        "WHERE id_type = 'CCCD' ORDER BY party_id LIMIT 1"
    ).fetchone()  # type: ignore[misc]
    accepted = con.execute(  # a land user's finding, accepted as an exception
        "SELECT rule_id, record_id FROM finding WHERE record_type = 'party' AND state = 'open' "
        "ORDER BY rule_id, record_id LIMIT 1"
    ).fetchone()
    assert accepted is not None
    con.close()
    # a registry extract of the province's own people, as a province would add one
    registry = province.root / "registry" / "population.csv"
    extract = typed / "dan_cu_bo_sung.csv"  # an input: it holds IDs
    extract.write_text("\n".join(registry.read_text("utf-8").splitlines()[:40]) + "\n", "utf-8")

    root_logger = logging.getLogger()
    handler, level = _log_to(out / "landclean-v.log"), root_logger.level
    root_logger.addHandler(handler)
    root_logger.setLevel(logging.INFO)
    try:
        lc = _Landclean(out)
        w = str(ws)
        lc("status", "status", w)
        lc("rules", "rules")
        lc("tasks", "tasks", w, "--all")
        lc(
            "lookup",
            "lookup",
            w,
            "--old-commune",
            old,
            "--sheet",
            str(sheet),
            "--parcel",
            str(parcel),
        )
        lc("lookup_serial", "lookup", w, "--serial", serial)
        lc("crosswalk", "crosswalk", w, "--out", str(out / "crosswalk"), "--commune", commune)
        lc("review", "review", w, "--out", str(out / "review"), "--commune", commune)
        lc("worklist", "worklist", w, "--commune", commune, "--out", str(out / "worklist.xlsx"))
        lc("report", "report", w, "--out", str(out / "report"))
        for suffix in ("csv", "xlsx", "gpkg"):
            lc(f"export_{suffix}", "export", w, "--out", str(out / f"findings.{suffix}"), "--all")
            lc(
                f"unmasked_{suffix}",
                "export",
                w,
                "--out",
                str(unmasked / f"findings.{suffix}"),
                "--all",
                "--unmasked",
            )
        lc("export_commune", "export", w, "--out", str(out / "commune.csv"), "--commune", commune)
        lc("suggest", "profiles", "suggest", str(extract), "--out", str(out / "profile.json"))
        lc("import_dry", "import", w, str(extract), "--dry-run")
        lc("import", "import", w, str(province.root))  # imported before: skipped, logged
        lc("correct", "correct", w, "party", party, "id_number", cccd, "--by", "Cán bộ")
        twice = f"{cccd} / {cccd}"  # not one ID: refused, the value echoed
        lc("correct_refused", "correct", w, "party", party, "id_number", twice, "--by", "A", code=1)
        filled = typed / "worklist_filled.xlsx"  # the clerk's file, not landclean's
        _fill_worklist(ws, out / "worklist.xlsx", filled)
        lc("apply", "apply", w, str(filled), "--by", "Cán bộ xã")
        lc("accept", "accept", w, *accepted, "--reason", "đã đối chiếu hồ sơ", "--by", "Cán bộ")
        lc("run", "run", w, "--stages", "authenticate,classify,campaign")
        lc("status_after", "status", w)
    finally:
        root_logger.removeHandler(handler)
        root_logger.setLevel(level)
        handler.close()
    shutil.move(typed / "worklist_filled.rejected.txt", out / "worklist_filled.rejected.txt")
    return Outputs(ws, out, unmasked, str(commune))


def test_no_real_id_outside_the_unmasked_exports(outputs: Outputs) -> None:
    ids = real_ids(outputs.workspace)
    assert len(ids) > 1000
    report = scan([outputs.out], ids)
    assert not report.notes, report.notes
    suffixes = {p.suffix for p in report.scanned}
    expected = {".xlsx", ".csv", ".gpkg", ".html", ".json", ".svg", ".png", ".txt", ".log"}
    assert expected <= suffixes | {".out", ".err"}, suffixes
    assert len(report.scanned) > 30
    assert not report.hits, "personal data in:\n" + report.text()


def test_the_unmasked_exports_hold_the_ids(outputs: Outputs) -> None:
    """The control: the scanner finds, in each --unmasked export, every ID number the
    findings' details hold (read from the workspace, not from the export)."""
    con = duckdb.connect(str(outputs.workspace), read_only=True)
    held = {
        r[0]
        for r in con.execute(
            "SELECT json_extract_string(details, '$.id_number') AS n FROM finding "
            "WHERE regexp_full_match(n, '[0-9]{9}|[0-9]{12}')"
        ).fetchall()
    }
    con.close()
    assert len(held) > 10
    ids = real_ids(outputs.workspace)
    for path in sorted(outputs.unmasked.glob("findings.*")):
        found = scan([path], ids).ids()
        assert held & ids <= found, (path, len(held & ids - found))


def test_the_scanner_reads_every_format(tmp_path: Path) -> None:
    real, cmnd, born = "066085001260", "245678901", "12/03/1965"
    ids = frozenset({real, cmnd})
    files = {
        "a.csv": f"x,{real[1:]}\n",  # lost its leading zero
        "b.txt": f"Số: {real[:3]} {real[3:6]} {real[6:9]} {real[9:]}",
        "c.json": json.dumps({"id": real}, ensure_ascii=True).replace("0", "\\u0030"),
        "d.html": f"<td>{cmnd}</td><td>{born}</td>",
        "e.log": f"INFO x: 6.6085001260E+10 {born}",
    }
    for name, text in files.items():
        (tmp_path / name).write_text(text, "utf-8")
    with zipfile.ZipFile(tmp_path / "f.xlsx", "w") as z:
        ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
        z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{ns}"><si><t>{born}</t></si></sst>')
        z.writestr(
            "xl/worksheets/sheet1.xml",
            f'<worksheet xmlns="{ns}"><sheetData><row r="1">'
            f'<c r="A1" t="inlineStr"><is><t>{real}</t></is></c><c r="B1" t="s"><v>0</v></c>'
            "</row></sheetData></worksheet>",
        )
    db = sqlite3.connect(tmp_path / "g.gpkg")
    db.execute("CREATE TABLE t (geom BLOB, note TEXT)")
    db.execute("INSERT INTO t VALUES (?, ?)", [b"\0\1", f"chủ {cmnd}"])
    db.commit()
    db.close()
    pq.write_table(pa.table({"n": [int(real)]}), tmp_path / "h.parquet")
    dk = duckdb.connect(str(tmp_path / "i.duckdb"))
    dk.execute(f"CREATE TABLE t AS SELECT '{cmnd}' AS v")
    dk.close()
    chunk = b"tEXt" + b"Comment\0" + real.encode()
    png = b"\x89PNG\r\n\x1a\n" + struct.pack(">I", len(chunk) - 4) + chunk + b"\0\0\0\0"
    (tmp_path / "j.png").write_bytes(png)
    stream = zlib.compress(f"BT ({cmnd}) Tj ET".encode())
    (tmp_path / "k.pdf").write_bytes(b"%PDF-1.4\nstream\n" + stream + b"\nendstream\n")
    report = scan([tmp_path], ids)
    assert not report.notes
    by_file = {p.name for p in report.files()}
    assert by_file == {*files, "f.xlsx", "g.gpkg", "h.parquet", "i.duckdb", "j.png", "k.pdf"}
    births = {h.path.name for h in report.hits if h.kind == "birth_by_id"}
    assert births == {"d.html", "e.log", "f.xlsx"}


def test_the_scanner_does_not_cry_wolf(tmp_path: Path) -> None:
    """Numbers that are not real IDs, or a real ID inside a longer run, are no hit; a
    birth date far from any ID is none either."""
    real = "066085001260"
    text = (
        f"T2454700036700 1{real} {real}5 066085001261 245470003670 "
        f"066*******60 {'.' * 300} 12/03/1965"
    )
    assert scan_text(Path("x"), "line 1", text, frozenset({real})) == []
    assert [h.value for h in scan_text(Path("x"), "line 1", real, frozenset({real}))] == [real]


def test_a_typed_id_is_echoed_masked() -> None:
    """What the fixes rest on: an ID number a person typed, shown back in a message,
    keeps its first three and last two digits whatever surrounds it."""
    real = "066085001260"
    assert mask_typed_id(real) == mask_id(real) == "066*******60"
    assert mask_typed_id(f"{real} / 245678901") == "066********* / *******01"
    assert mask_typed_id("066 085 001 260") == "066 *** *** *60"
    assert mask_typed_id("12ab") == "12ab"  # nothing to hide
    with pytest.raises(LandcleanError) as refused:
        typed_text("VARCHAR", "id_number", f"{real}/{real}")
    assert real not in refused.value.text("vi") and "066*********/**********60" in str(
        refused.value
    )
