"""Unknown is not no.  A certificate whose sources do not say whether it has digital
data, a parcel whose sources do not say whether it is in VBDLIS, a commune no progress
report or status sheet says has a land database or is synchronized: each is counted as
unknown, beside the yes and the no, in summary.json and in the reports, never as "no".

One small workspace: a field form with the two status columns (some cells blank), a
field form without them, a commune status sheet and a progress report for a few
communes.  Every count is checked against the rows written here."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections import Counter
from typing import Any

import openpyxl
import pyarrow as pa
import pytest

from landclean import api
from landclean.ingest.profiles import load_profile
from landclean.pipeline import STAGE_NAMES
from landclean.reports.writer import write_reports
from landclean.synth.progress import HEADERS
from landclean.vn.admin_units import new_units
from landclean.xlsx import write_xlsx
from tests import samples
from tests.conftest import q, valid_summary

# the module's fixtures made once, on one worker
pytestmark = pytest.mark.xdist_group("summary_unknown")

COMMUNE = "24175"  # the new commune of the sample parcels' old commune (Hòa Phú)
DIGITAL = {"Đã số hóa": True, "Chưa có dữ liệu số": False, "": None}
SYNCED = {"Đã đồng bộ": True, "Chưa đồng bộ": False, "": None}
FLAG = {"Có": True, "Không": False, "": None}


def _parcels(prefix: str, n: int, statuses: bool) -> list[dict[str, str]]:
    """``n`` parcels of the sample commune; with ``statuses``, the digital-data and VBDLIS
    columns, their values cycling through yes, no and blank (at different paces)."""
    rows = []
    for i in range(n):
        row = copy.deepcopy(samples.PARCELS[i % 3])
        row.update(
            parcel_code=f"{prefix}{i:03d}",
            map_sheet=str(10 * (ord(prefix) - 63) + i // 10),  # A: 20, 21; B: 30
            map_parcel=str(1 + i % 10),
            owner_code=f"{prefix}C{i:03d}",
            cert_serial=f"CH {700000 + 100 * ord(prefix) + i}",
        )
        if statuses:
            row["cert_digital"] = list(DIGITAL)[i % 3]
            row["vbdlis"] = list(SYNCED)[i % 4 % 3]
        rows.append(row)
    return rows


# A commune's flags as the sources give them: (has_land_db, vbdlis_synced), "" blank.
CODES = sorted(u.code for u in new_units() if u.code != COMMUNE)[:6]
STATUS = {CODES[0]: ("Có", "Không"), CODES[1]: ("Không", "Không"), CODES[2]: ("Có", "Có"),
          CODES[3]: ("Không", "Có")}  # fmt: skip
PROGRESS = {CODES[3]: ("Có", ""), CODES[4]: ("", ""), CODES[5]: ("Có", "Không")}


def _expected_flags(code: str) -> tuple[bool | None, bool | None]:
    """What the sheets written say of a commune: the progress report where it is not
    blank, else the status sheet, else nothing (None)."""
    (status_db, status_sync), (db, sync) = STATUS.get(code, ("", "")), PROGRESS.get(code, ("", ""))
    return FLAG[db or status_db], FLAG[sync or status_sync]


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The workspace, run (without the registry), and the rows its sources hold."""
    root = tmp_path_factory.mktemp("unknown")
    with_statuses, without = _parcels("A", 12, True), _parcels("B", 5, False)
    profile = load_profile("field_form")
    a = samples.write_csv(root / "co_trang_thai.csv", "field_form", "utf-8", parcels=with_statuses)
    b = samples.write_csv(root / "khong_trang_thai.csv", "field_form", "utf-8", parcels=without)
    headers = a.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert {profile.header_of("cert_digital"), profile.header_of("vbdlis")} <= set(headers)
    headers = b.read_text(encoding="utf-8").splitlines()[0].split(",")
    assert not {profile.header_of("cert_digital"), profile.header_of("vbdlis")} & set(headers)
    status = root / "tinh_trang_xa.csv"
    status.write_text(
        "Mã xã,Tên xã,Có CSDL đất đai,Đã đồng bộ VBDLIS,Ngày thành lập BCĐ\n"
        + "".join(f"{code},x,{db},{sync},\n" for code, (db, sync) in STATUS.items()),
        encoding="utf-8",
    )
    report = root / "tien_do.xlsx"
    row: dict[str, list[str | None]] = {k: [None] * len(PROGRESS) for k in HEADERS}
    row.update(
        unit_code=list(PROGRESS), name=["x"] * len(PROGRESS),
        report_date=["17/11/2025"] * len(PROGRESS),
        has_land_db=[db or None for db, _ in PROGRESS.values()],
        vbdlis_synced=[sync or None for _, sync in PROGRESS.values()],
    )  # fmt: skip
    table = pa.table({k: pa.array(v, pa.string()) for k, v in row.items()})
    write_xlsx(table, report, "Tiến độ", [HEADERS[k] for k in table.column_names])
    path = root / "ws.duckdb"
    with api.create_workspace(path) as ws:
        api.import_sources(ws, [a, b])
        api.import_sources(ws, [status], profile="commune_status")
        api.import_sources(ws, [report], profile="commune_progress")
        api.run(ws, stages=[s for s in STAGE_NAMES if s != "authenticate"])
        summary = valid_summary(api.summary(ws).document())
        for lang in ("vi", "en"):
            write_reports(ws.con, root / lang, lang, as_of=dt.date(2025, 11, 20))
    return {"path": path, "root": root, "rows": with_statuses + without, "summary": summary}


def _counts(rows: list[dict[str, str]], field: str, words: dict[str, bool | None]) -> Counter:
    """Yes, no and unknown (True, False, None) among the rows written; a row of a file
    without the column is unknown."""
    return Counter(words[r.get(field, "")] for r in rows)


def test_source_files_hold_all_three(written: dict[str, Any]) -> None:
    """The sources really hold yes, no, blank cells and no column at all."""
    rows = written["rows"]
    for field, words in (("cert_digital", DIGITAL), ("vbdlis", SYNCED)):
        counts = _counts(rows, field, words)
        assert counts[True] and counts[False] and counts[None]
        blank = sum(1 for r in rows if r.get(field) == "")
        missing = sum(1 for r in rows if field not in r)
        assert blank and missing and counts[None] == blank + missing


def test_certificates_unknown_is_not_without_digital_data(written: dict[str, Any]) -> None:
    s, rows = written["summary"], written["rows"]
    expected = _counts(rows, "cert_digital", DIGITAL)
    commune = next(c for c in s["communes"] if c["code"] == COMMUNE)
    for d in (s["digitization"], s["regions"]["west"]["digitization"], commune["digitization"]):
        assert d["certificates"] == len(rows)
        assert d["with_digital_data"] == expected[True]
        assert d["without_digital_data"] == expected[False]
        assert d["certificates_digital_unknown"] == expected[None]
        # the old reading (anything not digital is without) would count more
        assert d["without_digital_data"] < d["certificates"] - d["with_digital_data"]
    with api.open_workspace(written["path"], read_only=True) as ws:
        held = dict(q(ws.con, "SELECT digital_status, count(*) FROM certificate GROUP BY 1"))
    assert held == {"digital": expected[True], "paper_only": expected[False],
                    "unknown": expected[None]}  # fmt: skip


def test_parcels_unknown_is_not_out_of_vbdlis(written: dict[str, Any]) -> None:
    s, rows = written["summary"], written["rows"]
    expected = _counts(rows, "vbdlis", SYNCED)
    commune = next(c for c in s["communes"] if c["code"] == COMMUNE)
    for doc in (s, s["regions"]["west"], commune):
        camp = doc["campaign"]
        assert doc["parcels"]["total"] == len(rows)
        assert camp["parcels_in_vbdlis"] == expected[True]
        assert camp["parcels_not_in_vbdlis"] == expected[False]
        assert camp["parcels_vbdlis_unknown"] == expected[None]
        assert camp["parcels_not_in_vbdlis"] < doc["parcels"]["total"] - camp["parcels_in_vbdlis"]
    with api.open_workspace(written["path"], read_only=True) as ws:
        not_synced = q(ws.con, "SELECT count(*) FROM finding WHERE rule_id = 'PARCEL_NOT_SYNCED'")
    assert not_synced[0][0] == expected[False]  # the rule agrees: only the known "no"


def _land_db(camp: dict[str, int]) -> tuple[int, int, int]:
    return camp["has_land_db"], camp["no_land_db"], camp["land_db_unknown"]


def _synced(camp: dict[str, int]) -> tuple[int, int, int]:
    return camp["vbdlis_synced"], camp["vbdlis_not_synced"], camp["vbdlis_unknown"]


def test_communes_flags_unknown_is_not_no(written: dict[str, Any]) -> None:
    s = written["summary"]
    flags = {c["code"]: _expected_flags(c["code"]) for c in s["communes"]}
    assert len(flags) == 102
    db, sync = Counter(f[0] for f in flags.values()), Counter(f[1] for f in flags.values())
    assert db[None] > 96 and sync[None] > 96  # only a few communes are said anything of
    camp = s["campaign"]
    assert _land_db(camp) == (db[True], db[False], db[None])
    assert _synced(camp) == (sync[True], sync[False], sync[None])
    lagging = {lag["code"]: lag["reasons"] for lag in s["laggards"]}
    for c in s["communes"]:
        has_db, synced = flags[c["code"]]
        assert _land_db(c["campaign"]) == (has_db is True, has_db is False, has_db is None)
        assert _synced(c["campaign"]) == (synced is True, synced is False, synced is None)
        reasons = lagging.get(c["code"], [])
        # a commune said to have no land database lags for that; one known not synced
        # for that; one nobody says anything of for its unknown synchronization
        if has_db is False:
            assert "no_land_db" in reasons and "not_synced" not in reasons
        elif synced is False:
            assert "not_synced" in reasons
        elif synced is None:
            assert "sync_unknown" in reasons and "not_synced" not in reasons
        else:
            assert not {"not_synced", "sync_unknown"} & set(reasons)


# Headers of the report workbook's columns, and the briefing's words, by language.
WORDS = {
    "vi": {
        "vbdlis": "Đồng bộ VBDLIS",
        "certificates": "Số hóa GCN",
        "province": "Toàn tỉnh",
        "columns": {
            "land_db_unknown": "Chưa rõ có CSDL đất đai",
            "no_land_db": "Chưa có CSDL đất đai",
            "vbdlis_unknown": "Chưa rõ đồng bộ VBDLIS",
            "vbdlis_not_synced": "Chưa đồng bộ VBDLIS",
            "parcels_vbdlis_unknown": "Thửa chưa rõ tích hợp VBDLIS",
            "parcels_not_in_vbdlis": "Thửa chưa tích hợp VBDLIS",
        },
        "cert_columns": {
            "certificates_digital_unknown": "GCN chưa rõ dữ liệu số",
            "without_digital_data": "GCN chưa có dữ liệu số",
            "with_digital_data": "GCN đã có dữ liệu số",
        },
        "unknown": "Chưa rõ",
        "yes": "Có",
        "no": "Không",
        "brief": "({n} thửa chưa rõ)",
        "brief_communes": "({n} xã chưa rõ)",
    },
    "en": {
        "vbdlis": "VBDLIS",
        "certificates": "Certificates",
        "province": "Province",
        "columns": {
            "land_db_unknown": "Land database unknown",
            "no_land_db": "No land database",
            "vbdlis_unknown": "VBDLIS synchronization unknown",
            "vbdlis_not_synced": "Not synchronized from VBDLIS",
            "parcels_vbdlis_unknown": "Parcels, VBDLIS unknown",
            "parcels_not_in_vbdlis": "Parcels not in VBDLIS",
        },
        "cert_columns": {
            "certificates_digital_unknown": "Digital data unknown",
            "without_digital_data": "Without digital data",
            "with_digital_data": "With digital data",
        },
        "unknown": "Unknown",
        "yes": "Yes",
        "no": "No",
        "brief": "({n} unknown)",
        "brief_communes": "({n} unknown)",
    },
}


@pytest.mark.parametrize("lang", ["vi", "en"])
def test_reports_show_unknown_beside_yes_and_no(written: dict[str, Any], lang: str) -> None:
    s, out, w = written["summary"], written["root"] / lang, WORDS[lang]
    camp, d = s["campaign"], s["digitization"]
    assert json.loads((out / "summary.json").read_text(encoding="utf-8"))["campaign"] == camp
    wb = openpyxl.load_workbook(out / "report.xlsx", read_only=True)
    mine = next(c for c in s["communes"] if c["code"] == COMMUNE)
    for sheet, block, columns in (
        (w["vbdlis"], "campaign", w["columns"]),
        (w["certificates"], "digitization", w["cert_columns"]),
    ):
        rows = list(wb[sheet].iter_rows(values_only=True))
        header, province = rows[0], rows[-1]
        commune = next(r for r in rows if r[0] == COMMUNE)
        assert province[1] == w["province"]
        for key, title in columns.items():
            assert province[header.index(title)] == s[block][key], title
            value = mine[block][key]
            if block == "campaign" and not key.startswith("parcels_"):  # one commune: yes/no
                value = w["yes"] if value else w["no"]
            assert commune[header.index(title)] == value, title
    page = (out / "report.html").read_text(encoding="utf-8")
    unknowns = (
        camp["land_db_unknown"],
        camp["vbdlis_unknown"],
        camp["parcels_vbdlis_unknown"],
        d["certificates_digital_unknown"],
    )
    table = page[page.index(f"<th>{w['unknown']}</th>") :]
    cells = [int(c.split("<")[0].replace(".", "").replace(",", ""))
             for c in table.split('<td class="n">')[1:13]]  # fmt: skip
    assert tuple(cells[2::3]) == unknowns
    assert tuple(cells[1::3]) == (
        camp["no_land_db"],
        camp["vbdlis_not_synced"],
        camp["parcels_not_in_vbdlis"],
        d["without_digital_data"],
    )
    brief = (out / "briefing.html").read_text(encoding="utf-8")
    assert w["brief"].format(n=camp["parcels_vbdlis_unknown"]) in brief
    assert w["brief_communes"].format(n=camp["vbdlis_unknown"]) in brief
