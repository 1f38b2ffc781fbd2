"""The population registry checked at the door: rows whose ID number, birth date or name
cannot be what they claim are quarantined with the column, the value and the reason;
real people (every name the generator writes, highland names, IDs as offices type
them) are imported; land users' records are not refused for what the pipeline cleans."""

from __future__ import annotations

import csv
import datetime as dt
import random
import string
from itertools import cycle, islice
from pathlib import Path

from landclean.api import import_sources
from landclean.synth.people import names_data
from landclean.workspace import Workspace
from tests.conftest import q

HEADERS = [
    "Số định danh cá nhân",
    "Số CMND cũ",
    "Họ, chữ đệm và tên",
    "Ngày sinh",
    "Nơi thường trú",
]

# (ID, old ID card, name, birth date, the ID the registry keeps): people as offices type them
GOOD = [
    ("066 085 001 234", "", "H'Lê Ksor", "26/08/1985", "066085001234"),
    ("066.085.001.235", "", "Y Bhin Êban", "1985", "066085001235"),
    ("66085001236", "", "Nguyễn Thị Ánh Tuyết", "03-04-1985", "066085001236"),  # lost its 0
    ("'066085001237", "241234567", "Lê Văn Tám (Tám Lửa)", "1985-04-03", "066085001237"),
    ("", "241234568", "Phạm Thị Nở", "01/01/1880", None),  # only the old card
    ("066085001239", "0", "Nguyễn Văn Bé", "7/3/85", "066085001239"),  # "0": no card
    ("066085001240", "", "Trần Thị Hạnh".replace("ạ", "a\u0323"), "1985", "066085001240"),  # NFD
    ("066085001241", "", "Hồ Thị Hương", f"{dt.date.today():%d/%m/%Y}", "066085001241"),
]

# (ID, name, birth date) -> (column, value, reason begins)
BAD = {
    ("0660850A1242", "Đỗ Văn Lợi", "01/01/1980"): (
        "so_dinh_danh",
        "0660850A1242",
        "the ID number has letters or signs",
    ),
    ("1234567", "Đỗ Văn Lộc", "01/01/1980"): (
        "so_dinh_danh",
        "1234567",
        "the ID number has 7 digits",
    ),
    ("066080001243", "Đỗ Thị Lan", "31/02/1990"): ("ngay_sinh", "31/02/1990", "not a date"),
    ("066080001244", "Đỗ Thị Lê", "15/06/2090"): (
        "ngay_sinh",
        "15/06/2090",
        "the birth date is in the future",
    ),
    ("066080001245", "12345", "01/01/1980"): ("ho_ten", "12345", "the name has digits"),
    ("066080001246", "Đỗ Văn Cũ", "1879"): ("ngay_sinh", "1879", "born in 1879, before 1880"),
    ("066080001247", "Đỗ\x07 Văn Chuông", "01/01/1980"): (
        "ho_ten",
        "Đỗ\x07 Văn Chuông",
        "the name has control or invisible characters",
    ),
    ("066080001248", "Đỗ Văn @#!", "01/01/1980"): ("ho_ten", "Đỗ Văn @#!", 'the name has "@#!"'),
    ("", "Đỗ Văn Vô Danh", "01/01/1980"): ("so_dinh_danh", None, "person has no ID number"),
    # an exponent no integer holds: read as digits lost, not a failed import
    ("1.5E99999999999", "Đỗ Văn Mũ", "01/01/1980"): (
        "so_dinh_danh",
        "1.5E99999999999",
        "the ID number lost digits",
    ),
    ("066080001249", "", "01/01/1980"): ("ho_ten", None, "person has no name"),
}


def _generated_names() -> list[str]:
    """A name with every surname, middle name, given name and highland clan the
    generator writes."""
    d = names_data()
    kinh = [list(d[k]) for k in ("kinh_surnames", "kinh_middle_male", "kinh_given_male")]
    kinh_f = [list(d[k]) for k in ("kinh_surnames", "kinh_middle_female", "kinh_given_female")]
    clans = list(d["highland_clans"])
    n = max(len(v) for v in [*kinh, *kinh_f, clans, d["highland_given_male"]])
    n = max(n, len(d["highland_given_female"]))

    def take(values: list[str]) -> list[str]:
        return list(islice(cycle(values), n))

    out = [" ".join(parts) for parts in zip(*map(take, kinh), strict=True)]
    out += [" ".join(parts) for parts in zip(*map(take, kinh_f), strict=True)]
    out += [f"Y {g} {c}" for g, c in zip(take(d["highland_given_male"]), take(clans), strict=True)]
    out += [
        f"H'{g} {c}" for g, c in zip(take(d["highland_given_female"]), take(clans), strict=True)
    ]
    return out


def _random_text(rng: random.Random) -> str:
    chars = string.ascii_letters + string.digits + string.punctuation + " àăâđêôơưỹ"
    text = "".join(rng.choices(chars, k=rng.randint(3, 20)))
    return text if text.strip() else "x" + text


def test_implausible_registry_rows_are_quarantined_with_the_reason(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    rows: list[list[str]] = []  # the last cell says what the row is
    for i, (pid, cmnd, name, birth, _) in enumerate(GOOD):
        rows.append([pid, cmnd, name, birth, f"good {i}"])
    names = _generated_names()
    for i, name in enumerate(names):
        rows.append([f"066{1 + i % 2}70{i:06d}", "", name, "15/05/1970", f"generated {i}"])
    rng = random.Random(20251)
    for i in range(200):
        rows.append([_random_text(rng) for _ in range(4)] + [f"random {i}"])
    for i, (pid, name, birth) in enumerate(BAD):
        rows.append([pid, "", name, birth, f"bad {i}"])
    path = tmp_path / "dan_cu.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([HEADERS, *rows])

    (report,) = import_sources(fresh_ws, [path], build=True).files
    assert report.layout == "registry"
    assert (report.rows, report.blank) == (len(rows), 0)
    assert report.quarantined == 200 + len(BAD)
    got = q(
        fresh_ws.con,
        """SELECT r.noi_thuong_tru, q.column_name, q.value, q.reason
           FROM quarantine q JOIN raw_registry r USING (batch_id, row_no)""",
    )
    by_row = {row: (column, value, reason) for row, column, value, reason in got}
    assert {r for r in by_row if r.startswith("random")} == {f"random {i}" for i in range(200)}
    for i, expected in enumerate(BAD.values()):
        column, value, reason = by_row[f"bad {i}"]
        assert (column, value) == expected[:2]
        assert reason.startswith(expected[2]), reason
        assert "expected" in reason
    assert not [r for r in by_row if r.startswith(("good", "generated"))]

    kept = q(fresh_ws.con, "SELECT cccd, cmnd, full_name FROM registry_person")
    assert len(kept) == len(GOOD) + len(names)
    assert {c for c, _, _ in kept} >= {g[4] for g in GOOD if g[4]}
    assert ("241234568" in {m for _, m, _ in kept}) and "12345" not in {n for _, _, n in kept}


def test_land_users_records_are_not_refused_for_what_the_pipeline_cleans(
    fresh_ws: Workspace, tmp_path: Path
) -> None:
    path = tmp_path / "so_muc_ke.csv"
    headers = ["maThuaDat", "maXa", "soHieuToBanDo", "soThuTuThua", "tenChuSuDung", "namSinh",
               "soGiayTo"]  # fmt: skip
    rows = [
        ["T1", "24178", "3", "1", "Nguyễn Văn 3", "31/02/1990", "0660850A1242"],
        ["T2", "24178", "3", "2", "12345", "2090", "1234567"],
    ]
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows([headers, *rows])
    (report,) = import_sources(fresh_ws, [path], build=False).files
    assert report.layout == "vbdlis_parcel"
    assert report.quarantined == 0 and report.records == 2
