"""Incremental runs give what a full recomputation gives.

Random sequences of people's changes (corrections of land users, parcels and
certificates, parcels decided into a commune, ID cards and certificate scans brought as
evidence, the population service's verdicts, findings accepted as exceptions),
incremental runs and imports are made on
a copy of the shared workspace; then a copy of the result is recomputed with
``run --full``, and the two must hold the same findings, groups, authentication results,
placements and UIDs, tasks, the day's snapshot and summary.json (but for the run's own
metadata).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import io
import os
import re
import shutil
from pathlib import Path

import duckdb
import numpy as np
import openpyxl
import pytest
import segno
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landclean import api
from landclean.campaign.worklist import CERTS, FINDINGS, HEADER_ROW, export_worklist
from landclean.errors import LandcleanError
from landclean.evidence import ocr
from landclean.evidence.add import add_documents
from landclean.evidence.answers import mark_handled, record_answer
from landclean.pipeline import STAGE_NAMES, RunReport
from landclean.registry_service.simulator import Service, answer_file
from landclean.renumber.placement import COMMUNE_CHOICES
from landclean.rules.catalogue import CATALOGUE
from landclean.synth.certificate_scans import certificate_page
from landclean.vn.cccd_qr import payload_text
from landclean.workspace import Workspace, open_workspace
from tests import samples
from tests.conftest import Province, q, summary_of

DAY = dt.date(2025, 10, 20)
# random sequences tried (`make incremental` tries many more)
EXAMPLES = int(os.environ.get("INCREMENTAL_EXAMPLES", "5"))
BY = "Tổ công tác kiểm thử"


def outcome(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Everything a run decides, as comparable rows (no run numbers or clock times)."""
    summary = summary_of(con)
    summary.pop("last_run", None)
    return {
        "findings": q(
            con,
            "SELECT rule_id, record_type, record_id, parcel_id, CAST(details AS VARCHAR), state, "
            "source_file, source_sheet, source_row, ST_AsText(geom) FROM finding ORDER BY ALL",
        ),
        "groups": q(con, "SELECT parcel_id, grp FROM parcel_group ORDER BY ALL"),
        # the map's tables (geometries to the centimetre: the shape, not its vertex order)
        "map": q(
            con,
            "SELECT * EXCLUDE (geom, minx, miny, maxx, maxy), round(ST_Area(geom), 2) "
            "FROM map_parcel ORDER BY ALL",
        ),
        "problems": q(
            con,
            "SELECT rule_id, record_type, record_id, parcel_id, unit_code, severity, "
            "round(ST_Area(geom), 2) FROM map_problem ORDER BY ALL",
        ),
        "map_sheets": q(
            con,
            "SELECT * EXCLUDE (geom, minx, miny, maxx, maxy), round(ST_Area(geom), 1) "
            "FROM map_sheet_outline ORDER BY ALL",
        ),
        "map_communes": q(
            con,
            "SELECT * EXCLUDE (geom, minx, miny, maxx, maxy), round(ST_Area(geom), 0) "
            "FROM map_commune ORDER BY ALL",
        ),
        "auth": q(
            con,
            "SELECT party_id, status, reason, reasons, registry_cccd, method, "
            "round(match_weight, 6), round(match_probability, 6), candidates, proposed_id, "
            "proposed_name, proposed_birth, input_hash FROM auth_result ORDER BY ALL",
        ),
        "candidates": q(
            con,
            "SELECT party_id, cccd, rank, via, round(match_weight, 6) FROM auth_candidate "
            "ORDER BY ALL",
        ),
        "places": q(
            con,
            "SELECT parcel_id, unit_code, placement, new_sheet_no, uid FROM parcel_place "
            "ORDER BY ALL",
        ),
        "parcels": q(
            con,
            "SELECT parcel_id, unit_code, new_sheet_no, uid, address, ST_AsText(geom) "
            "FROM parcel ORDER BY ALL",
        ),
        "parties": q(con, "SELECT party_id, full_name, address FROM party ORDER BY ALL"),
        "sheets": q(con, "SELECT * FROM sheet_crosswalk ORDER BY ALL"),
        # areas summed in another order differ in their last bits: to the square millimetre
        "renumber_check": q(
            con,
            "SELECT * EXCLUDE (area, area_mapped), round(area, 6), round(area_mapped, 6) "
            "FROM renumber_check ORDER BY ALL",
        ),
        "tasks": q(
            con,
            "SELECT task_id, unit_code, kind, subject, title, quantity, assignee, due, status "
            "FROM task ORDER BY ALL",
        ),
        "snapshot": q(
            con,
            "SELECT snapshot_date, unit_code, metric, value FROM metric_snapshot ORDER BY ALL",
        ),
        "summary": summary,
    }


def run(ws: Workspace, full: bool = False) -> RunReport:
    return api.run(ws, day=DAY, actor=BY, full=full)


@pytest.fixture(scope="module")
def base(built_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shared workspace run once for DAY (the day every run here counts for)."""
    path = tmp_path_factory.mktemp("incremental") / "base.duckdb"
    shutil.copyfile(built_workspace, path)
    with open_workspace(path) as ws:
        run(ws)
    return path


@pytest.fixture(scope="module")
def pools(base: Path) -> dict[str, list]:
    """Records and values the random edits draw from."""
    with open_workspace(base, read_only=True) as ws:
        con = ws.con
        return {
            "party": q(
                con,
                "SELECT party_id, id_number, full_name, address FROM party "
                "WHERE party_type IN ('individual', 'household') ORDER BY party_id LIMIT 400",
            ),
            "parcel": q(
                con,
                "SELECT parcel_id, sheet_no, parcel_no, scale, address FROM parcel "
                "ORDER BY parcel_id LIMIT 400",
            ),
            "certificate": q(
                con,
                "SELECT certificate_id, serial FROM certificate WHERE serial IS NOT NULL "
                "ORDER BY certificate_id LIMIT 200",
            ),
            # parcels of split communes (undecided first) and the communes each may be
            # decided into: a decision moves a parcel between communes
            "decidable": q(
                con,
                "SELECT parcel_id, "
                + COMMUNE_CHOICES.format(old="old_unit_code")
                + " FROM parcel WHERE placement IN ('ambiguous', 'no_location', "
                "'unknown_commune', 'location') ORDER BY placement = 'location', parcel_id "
                "LIMIT 200",
            ),
            # land users sharing an ID with someone else: a correction there moves a group
            "shared": [
                r[0]
                for r in q(
                    con,
                    "SELECT record_id FROM finding WHERE rule_id IN "
                    "('PARTY_SAME_ID_DIFFERENT_PEOPLE', 'PARTY_DUPLICATE') ORDER BY 1 LIMIT 100",
                )
            ],
        }


# an edit: (kind, index into its pool, index of the value it takes)
EDITS = st.tuples(
    st.sampled_from(
        [
            "id_copy",
            "id_digit",
            "id_shared",
            "name",
            "birth",
            "party_address",
            "sheet",
            "parcel_no",
            "scale",
            "area",
            "land_use",
            "synced",
            "parcel_address",
            "serial_copy",
            "serial_new",
            "decide",
            "decide",
            "id_card",
            "id_card",
            "verdicts",
            "verdicts",
            "scan",
            "answer",
            "handled",
            "exception",
            "exception",
            "run",
            "run",
            "import",
            "reimport",
            "reimport",
        ]
    ),
    st.integers(0, 10_000),
    st.integers(0, 10_000),
)


def correction(
    pools: dict[str, list], kind: str, i: int, j: int
) -> tuple[str, str, str, str | None]:
    """The correction an edit makes: (table, record, column, value)."""
    party, other = pools["party"][i % len(pools["party"])], pools["party"][j % len(pools["party"])]
    parcel = pools["parcel"][i % len(pools["parcel"])]
    neighbour = pools["parcel"][j % len(pools["parcel"])]
    cert = pools["certificate"][i % len(pools["certificate"])]
    other_cert = pools["certificate"][j % len(pools["certificate"])]
    if kind == "id_copy":  # another person's ID typed for this one
        return "party", party[0], "id_number", other[1] or "066190000123"
    if kind == "id_digit":  # one digit changed
        number = party[1] or "066190000123"
        k = j % len(number)
        return (
            "party",
            party[0],
            "id_number",
            number[:k] + str((int(number[k]) + 1) % 10) + number[k + 1 :],
        )
    if kind == "id_shared":  # a land user of a shared ID given another one
        shared = pools["shared"][i % len(pools["shared"])] if pools["shared"] else party[0]
        return "party", shared, "id_number", other[1] or "066190000123"
    if kind == "name":
        return "party", party[0], "full_name", other[2] or "Nguyễn Văn An"
    if kind == "birth":
        return "party", party[0], "birth_date", f"{1 + j % 28:02d}/0{1 + j % 9}/{1930 + j % 120}"
    if kind == "party_address":
        return "party", party[0], "address", other[3] or "Thôn 1"
    if kind == "sheet":
        return "parcel", parcel[0], "sheet_no", str(neighbour[1] or 1 + j % 40)
    if kind == "parcel_no":  # often the number of another parcel of the same sheet
        return "parcel", parcel[0], "parcel_no", str(neighbour[2] or 1 + j % 300)
    if kind == "scale":
        return "parcel", parcel[0], "scale", str((500, 1000, 2000, 5000)[j % 4])
    if kind == "area":
        return "parcel", parcel[0], "legal_area", str(1 + j * 7 % 5000)
    if kind == "land_use":
        return "parcel", parcel[0], "land_use", ("ONT+CLN", "LUC", "CLN", "ODT")[j % 4]
    if kind == "synced":
        return "parcel", parcel[0], "vbdlis_synced", ("có", "không")[j % 2]
    if kind == "parcel_address":
        return "parcel", parcel[0], "address", neighbour[4] or "Thôn 2"
    if kind == "decide":  # a province user decides a parcel's commune, or withdraws it
        record, choices = pools["decidable"][i % len(pools["decidable"])]
        value = None if j % 6 == 0 else "99999" if j % 11 == 0 else choices[j % len(choices)]
        return "parcel", record, "unit_code", value
    if kind == "serial_copy":  # another certificate's serial: a duplicate
        return "certificate", cert[0], "serial", other_cert[1]
    return "certificate", cert[0], "serial", f"CS {100000 + j:06d}"


def edit(
    ws: Workspace, pools: dict[str, list], province: Province, step: tuple, scratch: Path
) -> None:
    kind, i, j = step
    if kind == "run":
        run(ws)
    elif kind == "import":  # a newer export of the campaign's state: a build, then all again
        api.import_sources(ws, [province.root / "campaign" / "communes.csv"], actor=BY)
    elif kind == "reimport":  # a district's newer export: the build keeps what it changed
        api.import_sources(ws, samples.newer_export(province.root, scratch, i, j), actor=BY)
    elif kind == "id_card":  # a land user's ID card photographed: evidence links it
        api_add_card(ws, pools, i, j)
    elif kind == "verdicts":  # the population service answers one batch of requests
        registry_verdicts(ws, province, i, j, scratch)
    elif kind == "scan" and ocr.available():  # a certificate scanned: counted as scanned
        api_add_scan(ws, pools, i)
    elif kind == "answer":  # a land user answers their notice: a task for the commune
        citizen_answers(ws, pools, i, j, scratch)
    elif kind == "handled":  # the commune handles an answer
        waiting = q(ws.con, "SELECT notice_id FROM citizen_answer WHERE handled_at IS NULL "
                    "ORDER BY 1")  # fmt: skip
        if waiting:
            with ws.transaction() as con:
                mark_handled(con, waiting[i % len(waiting)][0], by=BY, note="đã xem")
    elif kind == "exception":
        found = q(
            ws.con, "SELECT rule_id, record_id FROM finding WHERE state = 'open' ORDER BY 1, 2"
        )
        if found:
            rule_id, record_id = found[i % len(found)]
            api.accept_exception(ws, rule_id, record_id, reason="đúng thực địa", by=BY)
    else:
        table, record, column, value = correction(pools, kind, i, j)
        with contextlib.suppress(LandcleanError):  # refused, as a mistyped value is
            api.correct(ws, table, record, column, value, by=BY)


@functools.cache
def population_service(extract: Path) -> Service:
    return Service(extract)


def registry_verdicts(ws: Workspace, province: Province, i: int, j: int, scratch: Path) -> None:
    """Requests for the land users not verified yet, in batches, and the simulated
    service's answer to one of them read back."""
    _, files = api.registry_request(ws, scratch / f"rq_{i}_{j}", batch_size=40 + i % 300, by=BY)
    if files:
        service = population_service(province.root / "registry" / "population.parquet")
        answer = answer_file(service, files[j % len(files)], scratch / f"rs_{i}_{j}")
        api.registry_response(ws, [answer], by=BY)


def api_add_card(ws: Workspace, pools: dict[str, list], i: int, j: int) -> None:
    """The registry person of a land user's ID number (or of another's, every third time:
    a card that contradicts the record) brings their card's QR code."""
    party = pools["party"][(j if j % 3 == 0 else i) % len(pools["party"])]
    found = q(
        ws.con,
        "SELECT cccd, cmnd, full_name, birth_date FROM registry_person WHERE cccd = ? "
        "AND birth_date IS NOT NULL LIMIT 1",
        [party[1]],
    )
    if not found:
        return
    cccd, cmnd, name, birth = found[0]
    text = payload_text(cccd, cmnd, name, birth, int(cccd[3]) % 2 == 1, "", dt.date(2022, 5, 1))
    image = io.BytesIO()
    segno.make(text, error="m").save(image, kind="png", scale=5, border=4)
    add_documents(ws, [(f"cccd_{i}_{j}.png", image.getvalue())], by=BY)


def citizen_answers(ws: Workspace, pools: dict[str, list], i: int, j: int, scratch: Path) -> None:
    """A notice for a land user (a reprint for them alone), answered through its link."""
    party = pools["party"][i % len(pools["party"])][0]
    found = q(ws.con, "SELECT unit_code FROM party_commune WHERE party_id = ? ORDER BY 1",
              [party])  # fmt: skip
    if not found:
        return
    issued = api.issue_notices(
        ws, found[0][0], scratch / "notices", by=BY, url="https://x.vn", only=[party]
    )
    token = next(iter(issued.links.values())).rsplit("/", 1)[1]
    record_answer(ws, token, "wrong" if j % 2 else "confirmed", f"sai tên {j}" if j % 2 else None)


def api_add_scan(ws: Workspace, pools: dict[str, list], i: int) -> None:
    """A certificate's first page scanned, its serial printed as the record holds it."""
    cert = pools["certificate"][i % len(pools["certificate"])][0]
    found = q(
        ws.con,
        "SELECT c.serial, p.sheet_no, p.parcel_no FROM certificate c JOIN certificate_parcel "
        "cp USING (certificate_id) JOIN parcel p USING (parcel_id) WHERE c.certificate_id = ? "
        "AND c.serial IS NOT NULL LIMIT 1",
        [cert],
    )
    if not found:
        return
    serial, sheet, parcel = found[0]
    row = {"holder": "Nguyễn Văn A", "parcel_no": parcel, "sheet_no": sheet,
           "legal_area": 100.0, "village": "Thôn 1", "issuer": "UBND", "serial": serial,
           "book_entry_no": None}  # fmt: skip
    image = io.BytesIO()
    certificate_page(row, np.random.default_rng(i)).save(image, format="PNG")
    add_documents(ws, [(f"gcn_{i}.png", image.getvalue())], by=BY)


def compare(path: Path, tmp: Path) -> None:
    """The incremental result at ``path`` against a full recomputation of a copy."""
    full = tmp / "full.duckdb"
    shutil.copyfile(path, full)
    with open_workspace(path, read_only=True) as ws:
        incremental = outcome(ws.con)
    with open_workspace(full) as ws:
        run(ws, full=True)
        recomputed = outcome(ws.con)
    for key, rows in recomputed.items():
        assert incremental[key] == rows, f"{key} differs from a full recomputation"


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(EDITS, min_size=1, max_size=12))
def test_incremental_equals_full(
    steps: list[tuple], base: Path, pools: dict[str, list], province: Province, tmp_path: Path
) -> None:
    work = tmp_path / "work"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir()
    path = work / "ws.duckdb"
    shutil.copyfile(base, path)
    with open_workspace(path) as ws:
        for step in steps:
            edit(ws, pools, province, step, work)
        run(ws)
    compare(path, work)


def test_nothing_changed_leaves_every_stage_idle(base: Path, tmp_path: Path) -> None:
    path = tmp_path / "ws.duckdb"
    shutil.copyfile(base, path)
    with open_workspace(path) as ws:
        before = outcome(ws.con)
        report = run(ws)
        assert [r.stage for r in report.stages if r.ran] == []
        assert outcome(ws.con) == before
        # --full does it all again, and finds the same
        report = run(ws, full=True)
        assert {r.stage for r in report.stages if r.ran} >= set(STAGE_NAMES) - {"build"}
        assert outcome(ws.con) == before


def test_a_corrected_name_is_checked_again_alone(base: Path, tmp_path: Path) -> None:
    """One land user's name typed again: only the stages that read names run, over that
    user (and those sharing their ID number), and the finding it closes is fixed."""
    path = tmp_path / "ws.duckdb"
    shutil.copyfile(base, path)
    with open_workspace(path) as ws:
        party, id_number = q(
            ws.con,
            "SELECT f.record_id, p.id_number FROM finding f JOIN party p "
            "ON p.party_id = f.record_id WHERE f.rule_id = 'PARTY_MISSING_NAME' "
            "AND f.state = 'open' AND p.id_number IS NOT NULL ORDER BY 1 LIMIT 1",
        )[0]
        sharing = q(ws.con, "SELECT count(*) FROM party WHERE id_number = ?", [id_number])[0][0]
        api.correct(ws, "party", party, "full_name", "Trần Thị Bích", by=BY)
        report = run(ws)
        ran = {r.stage: r for r in report.stages if r.ran}
        assert set(ran) == {"validate", "authenticate", "classify", "campaign", "map"}
        assert ran["validate"].counts["rechecked"] == sharing  # the user and its ID's holders
        assert ran["authenticate"].counts["recomputed"] == 1
        state = q(
            ws.con,
            "SELECT state FROM finding WHERE rule_id = 'PARTY_MISSING_NAME' AND record_id = ?",
            [party],
        )[0][0]
        assert state == "fixed"
    compare(path, tmp_path)


def test_citizens_answers_are_the_communes_task_until_handled(
    base: Path, pools: dict[str, list], tmp_path: Path
) -> None:
    """Two land users answer their notices: after an incremental run their communes'
    tasks count them, as a full run does; handled, the tasks close."""
    path = tmp_path / "ws.duckdb"
    shutil.copyfile(base, path)
    with open_workspace(path) as ws:
        citizen_answers(ws, pools, 3, 1, tmp_path)
        citizen_answers(ws, pools, 40, 2, tmp_path)
        run(ws)
        answered = q(ws.con, "SELECT unit_code, count(*) FROM citizen_answer GROUP BY 1")
        tasks = q(ws.con, "SELECT unit_code, quantity FROM task WHERE kind = 'citizen_answers' "
                  "AND status = 'open'")  # fmt: skip
        assert sorted(tasks) == sorted(answered) and answered
    compare(path, tmp_path)
    with open_workspace(path) as ws:
        for (notice,) in q(ws.con, "SELECT notice_id FROM citizen_answer"):
            with ws.transaction() as con:
                mark_handled(con, notice, by=BY, note=None)
        run(ws)
        assert not q(ws.con, "SELECT 1 FROM task WHERE kind = 'citizen_answers' AND "
                     "status = 'open'")  # fmt: skip
    compare(path, tmp_path)


def test_a_worklist_taken_back_gives_what_a_full_run_gives(base: Path, tmp_path: Path) -> None:
    """Exceptions and certificates' entry days from a commune's worklist, then a run: the
    same as recomputing everything."""
    path = tmp_path / "ws.duckdb"
    shutil.copyfile(base, path)
    with open_workspace(path) as ws:
        commune = q(
            ws.con,
            "SELECT p.unit_code FROM finding f JOIN parcel p USING (parcel_id) "
            "WHERE f.state = 'open' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1",
        )[0][0]
        book = tmp_path / "worklist.xlsx"
        export_worklist(ws.con, commune, book)
        wb = openpyxl.load_workbook(book)
        findings, certs = wb[FINDINGS], wb[CERTS]
        col = {c.value: i + 1 for i, c in enumerate(findings[HEADER_ROW]) if c.value}
        for row in range(HEADER_ROW + 1, min(findings.max_row, HEADER_ROW + 40) + 1, 3):
            findings.cell(row, col["Chấp nhận ngoại lệ: lý do"]).value = "Đã kiểm tra thực địa"
            findings.cell(row, col["Người sửa"]).value = "Cán bộ địa chính xã"
        c_col = {c.value: i + 1 for i, c in enumerate(certs[HEADER_ROW]) if c.value}
        entered = c_col["Ngày nhập CSDL (DD/MM/YYYY hoặc x)"]
        for row in range(HEADER_ROW + 1, min(certs.max_row, HEADER_ROW + 20) + 1, 2):
            certs.cell(row, entered).value = "x"
        wb.save(book)
        applied = api.apply(ws, book, by="Cán bộ địa chính xã").result
        assert not applied.rejected, applied.errors
        assert applied.certificate_steps > 0
        run(ws)
    compare(path, tmp_path)


def test_rules_of_todays_date_look_again_on_a_new_day(base: Path, tmp_path: Path) -> None:
    """Nothing changed, but validation last ran yesterday: the rules comparing with
    today's date are evaluated whole again (a birth date that was in the future may not
    be any more), and nothing else is."""
    path = tmp_path / "ws.duckdb"
    shutil.copyfile(base, path)
    with open_workspace(path) as ws:
        ws.con.execute(
            "UPDATE stage_state SET recorded_at = recorded_at - INTERVAL 1 DAY "
            "WHERE stage = 'validate'"
        )
        open_before = q(
            ws.con,
            "SELECT rule_id, count(*) FROM finding WHERE state = 'open' GROUP BY 1 ORDER BY 1",
        )
        report = run(ws)
        assert [r.stage for r in report.stages if r.ran] == ["validate"]
        evaluated = q(
            ws.con,
            "SELECT rule_id, found FROM rule_run WHERE run_id = ? ORDER BY 1",
            [report.run_id],
        )
        dated = sorted(r.rule_id for r in CATALOGUE if r.dated)
        assert [r for r, _ in evaluated] == dated
        counts = dict(open_before)
        assert all(found == counts.get(rule, 0) for rule, found in evaluated)


def test_the_scope_is_the_first_condition_of_every_rule() -> None:
    """A scoped run narrows before it computes: every ``$scope(column)`` of the catalogue
    comes right after its WHERE (DuckDB evaluates the conditions in the order written)."""
    marks = [(r.rule_id, m.start()) for r in CATALOGUE for m in re.finditer(r"\$scope\(", r.sql)]
    assert len(marks) >= 20
    late = [rule for rule, at in marks if not _sql(rule)[:at].rstrip().endswith("WHERE")]
    assert late == []


def _sql(rule_id: str) -> str:
    return next(r.sql for r in CATALOGUE if r.rule_id == rule_id)
