"""The workspaces the crash and disk-full harnesses start commands from.

One small synthetic province (500 parcels), one district of it held back, and:

* ``ran.duckdb``: the province without that district imported, the pipeline run
  (``--as-of`` ``AS_OF``) and two corrections made by a person: the state ``import``,
  ``correct``, ``apply`` and ``report`` start from (so that corrections exist that
  nothing may lose);
* ``waiting.duckdb``: ``ran`` with the held-back district imported and not yet built: the
  state ``run`` starts from (its build re-applies the corrections);
* ``worklist.xlsx``: a commune's worklist of ``ran``, filled in with the true values of the
  generator's truth (sheet and parcel numbers, areas, ID numbers) and the days three
  certificates were collected and scanned.

Everything is made in-process with the library (faster than the command line); the
commands under test then run as real processes.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl

AS_OF = "15/11/2025"
ACTOR = "Cán bộ kiểm thử"
PARCELS = 500


@dataclass
class States:
    root: Path
    source: Path  # the province's files without the held-back district
    late: list[Path]  # the held-back district: its map layer and its attribute file
    ran: Path
    waiting: Path
    worklist: Path
    parcel: str  # a parcel of ``ran`` for ``landclean correct``


def _held_back(source: Path, late: Path) -> list[Path]:
    """Move one district (the first whose attributes are a workbook) out of ``source``."""
    for layer in sorted((source / "map").glob("*.gpkg")):
        form = source / "attributes" / f"{layer.stem}.xlsx"
        if form.exists():
            late.mkdir()
            moved = [late / layer.name, late / form.name]
            shutil.move(layer, moved[0])
            shutil.move(form, moved[1])
            return moved
    raise AssertionError(f"no district with a workbook in {source}")


def _truth(con: duckdb.DuckDBPyConnection, truth: Path) -> dict[tuple[str, str], dict]:
    """(table, column) -> {record: the true value as an official would type it}."""
    parcels = con.execute(
        f"SELECT parcel_id, sheet_no, true_parcel_no, true_area FROM '{truth / 'parcels.parquet'}'"
    ).fetchall()
    ids = con.execute(
        f"SELECT p.party_id, s.cccd FROM '{truth / 'parties.parquet'}' p "
        f"JOIN '{truth / 'persons.parquet'}' s USING (person_id) WHERE s.cccd IS NOT NULL"
    ).fetchall()
    area = {p: f"{a:.1f}".replace(".", ",") for p, _, _, a in parcels if a is not None}
    return {
        ("parcel", "sheet_no"): {p: str(s) for p, s, _, _ in parcels if s is not None},
        ("parcel", "parcel_no"): {p: str(n) for p, _, n, _ in parcels if n is not None},
        ("parcel", "legal_area"): area,
        ("party", "id_number"): dict(ids),
    }


def fill_worklist(path: Path, truth: dict[tuple[str, str], dict]) -> int:
    """Type the true values into a worklist as a commune would; the corrections typed."""
    from landclean.campaign.worklist import CERT, CERTS, FIND, FINDINGS, HEADER_ROW, field_column

    wb = openpyxl.load_workbook(path)
    sheet = wb[FINDINGS]
    head = HEADER_ROW
    col = {c.value: i + 1 for i, c in enumerate(sheet[head])}
    typed = 0
    for row in range(head + 1, sheet.max_row + 1):
        _, table, record = str(sheet.cell(row, 1).value).split("|", 2)
        field = field_column(table, str(sheet.cell(row, col[FIND["field"]]).value or ""))
        value = truth.get((table, field or ""), {}).get(record)
        if value is not None:
            sheet.cell(row, col[FIND["value"]]).value = value
            typed += 1
    certs = wb[CERTS]
    c_col = {c.value: i + 1 for i, c in enumerate(certs[head])}
    for row in range(head + 1, min(certs.max_row, head + 3) + 1):
        certs.cell(row, c_col[CERT["collected"]]).value = "02/10/2025"
        certs.cell(row, c_col[CERT["scanned"]]).value = "06/10/2025"
    wb.save(path)
    return typed


def prepare(root: Path, seed: int = 11) -> States:
    """Generate the province and make the workspaces (a few seconds)."""
    from landclean import api
    from landclean.synth.config import GeneratorConfig
    from landclean.synth.generate import generate
    from landclean.vn.values import parse_date

    source = root / "source"
    generate(GeneratorConfig(parcels=PARCELS, seed=seed, defect_scale=3.0), source)
    late = _held_back(source, root / "late")
    ran, waiting, worklist = root / "ran.duckdb", root / "waiting.duckdb", root / "worklist.xlsx"
    with api.create_workspace(ran) as ws:
        api.import_sources(ws, [source], build=False, actor=ACTOR)
        api.run(ws, actor=ACTOR, day=parse_date(AS_OF))
        first, second = (
            str(r[0])
            for r in ws.con.execute(
                "SELECT parcel_id FROM parcel WHERE legal_area IS NOT NULL ORDER BY 1 LIMIT 2"
            ).fetchall()
        )
        api.correct(ws, "parcel", first, "legal_area", "100,5", by=ACTOR, note="đo lại")
        api.correct(ws, "parcel", second, "village", "Thôn Mới", by=ACTOR)
        commune = ws.scalar(
            "SELECT p.unit_code FROM finding f JOIN parcel p USING (parcel_id) "
            "WHERE f.state = 'open' AND f.rule_id IN ('PARCEL_MISSING_SHEET', "
            "'AREA_MISMATCH', 'PARTY_ID_WRONG_LENGTH') GROUP BY 1 ORDER BY count(*) DESC, 1 "
            "LIMIT 1"
        )
        api.worklist(ws, str(commune), worklist)
        typed = fill_worklist(worklist, _truth(ws.con, source / "truth"))
        assert typed > 0, "the worklist has no value the truth knows"
        parcel = str(ws.scalar("SELECT parcel_id FROM parcel ORDER BY 1 DESC LIMIT 1"))
    shutil.copy(ran, waiting)
    with api.open_workspace(waiting) as ws:
        api.import_sources(ws, late, build=False, actor=ACTOR)
    return States(root, source, late, ran, waiting, worklist, parcel)
