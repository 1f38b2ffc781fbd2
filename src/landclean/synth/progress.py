"""The communes' weekly progress reports of the campaign (synthetic).

Each Monday from 8 Sep to 17 Nov 2025 every new commune sends one row: its steering
committee and working group (once set up: date, leader, members), whether it has a land
database and is synchronized with VBDLIS, and how many certificates issued without
digital data it has collected, scanned and entered, and ID-card copies collected.
Counts only grow; a committee or a synchronization, once reported, stays.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from landclean.synth.people import make_names

REPORT_DATES = np.arange(
    np.datetime64("2025-09-08"), np.datetime64("2025-11-18"), np.timedelta64(7, "D")
)
CAMPAIGN_START = np.datetime64("2025-09-01")
CAMPAIGN_END = np.datetime64("2025-11-30")

# Vietnamese headers of the progress sheet (the profile "commune_progress" reads them).
HEADERS = {
    "unit_code": "Mã xã",
    "name": "Tên xã",
    "report_date": "Ngày báo cáo",
    "committee_date": "Ngày thành lập BCĐ",
    "working_group_date": "Ngày thành lập tổ công tác",
    "leader": "Tổ trưởng",
    "members": "Số thành viên",
    "has_land_db": "Có CSDL đất đai",
    "vbdlis_synced": "Đã đồng bộ VBDLIS",
    "certificates_to_collect": "GCN cần thu thập",
    "certificates_collected": "GCN đã thu thập",
    "certificates_scanned": "GCN đã quét",
    "certificates_entered": "GCN đã nhập",
    "id_cards_collected": "CCCD đã thu thập",
}


def progress_reports(
    rng: np.random.Generator, communes: pa.Table, to_collect: dict[str, int]
) -> pa.Table:
    """One row per commune and report date (truth and source at once)."""
    codes = np.array(communes["unit_code"].to_pylist())
    names = np.array(communes["name"].to_pylist())
    n = len(codes)
    committee = communes["committee_date"].to_numpy(zero_copy_only=False).astype("datetime64[D]")
    synced = communes["vbdlis_synced"].to_numpy(zero_copy_only=False)
    has_db = communes["has_land_db"].to_numpy(zero_copy_only=False)
    group_date = committee + rng.integers(0, 6, n).astype("timedelta64[D]")
    leader = np.array(make_names(rng, rng.random(n) < 0.3, np.zeros(n, bool))[0].to_pylist())
    members = rng.integers(5, 16, n)
    # synchronized communes report it from a date in the campaign; others never
    synced_from = CAMPAIGN_START + rng.integers(0, 70, n).astype("timedelta64[D]")
    need = np.array([to_collect.get(c, 0) for c in codes])
    final_share = rng.uniform(0.55, 1.0, n)
    speed = rng.uniform(0.04, 0.12, n)  # logistic growth per day
    middle = rng.integers(25, 60, n)  # day of the campaign at half the final count
    scan_share = rng.uniform(0.8, 1.0, n)
    enter_share = rng.uniform(0.8, 1.0, n)
    rows: dict[str, list[object]] = {k: [] for k in HEADERS}
    for date in REPORT_DATES:
        day = int((date - CAMPAIGN_START) / np.timedelta64(1, "D"))
        curve = 1 / (1 + np.exp(-speed * (day - middle)))
        collected = np.floor(need * final_share * curve).astype(int)
        scanned = np.floor(collected * scan_share * curve).astype(int)
        entered = np.floor(scanned * enter_share * curve).astype(int)
        set_up = ~np.isnat(committee) & (committee <= date)
        group_up = set_up & (group_date <= date)
        rows["unit_code"] += list(codes)
        rows["name"] += list(names)
        rows["report_date"] += [date.astype(object)] * n
        rows["committee_date"] += [
            c.astype(object) if s else None for c, s in zip(committee, set_up, strict=True)
        ]
        rows["working_group_date"] += [
            g.astype(object) if s else None for g, s in zip(group_date, group_up, strict=True)
        ]
        rows["leader"] += [str(x) if s else None for x, s in zip(leader, group_up, strict=True)]
        rows["members"] += [int(x) if s else None for x, s in zip(members, group_up, strict=True)]
        rows["has_land_db"] += ["Có" if x else "Không" for x in has_db]
        rows["vbdlis_synced"] += [
            "Có" if s and f <= date else "Không" for s, f in zip(synced, synced_from, strict=True)
        ]
        rows["certificates_to_collect"] += [int(x) for x in need]
        rows["certificates_collected"] += [int(x) for x in collected]
        rows["certificates_scanned"] += [int(x) for x in scanned]
        rows["certificates_entered"] += [int(x) for x in entered]
        rows["id_cards_collected"] += [int(x) for x in np.floor(collected * 1.1)]
    table = pa.table(rows)
    return table.set_column(
        table.column_names.index("report_date"),
        "report_date",
        pc.cast(table["report_date"], pa.date32()),
    )  # fmt: skip


# Headers of the province's targets sheet (profile "commune_target").
TARGET_HEADERS = {
    "unit_code": "Mã xã",
    "name": "Tên xã",
    "clean_target": "Chỉ tiêu thửa nhóm 1 (%)",
    "due_date": "Hạn hoàn thành",
}


def commune_targets(rng: np.random.Generator, communes: pa.Table) -> pa.Table:
    """Targets the province gives about two communes in three: a share of clean parcels
    (85-100 %) and a due date (mid-November or the campaign's end).  ``clean_target``
    is the share as a fraction (truth); ``clean_target_text`` as the sheet types it,
    sometimes "95", "95 %" or "0,95"."""
    n = communes.num_rows
    given = rng.random(n) < 0.65
    share = rng.choice(np.array([0.85, 0.9, 0.95, 1.0]), n)
    style = rng.integers(0, 3, n)
    text = [
        (
            f"{round(v * 100)}"
            if k == 0
            else f"{round(v * 100)} %"
            if k == 1
            else f"{v:g}".replace(".", ",")
        )
        for v, k in zip(share, style, strict=True)
    ]
    due = np.where(rng.random(n) < 0.5, np.datetime64("2025-11-15"), CAMPAIGN_END).astype(
        "datetime64[D]"
    )
    keep = pa.array(given)
    return pa.table(
        {
            "unit_code": communes["unit_code"],
            "name": communes["name"],
            "clean_target": pa.array(share, pa.float64()),
            "clean_target_text": pa.array(text, pa.string()),
            "due_date": pa.array(due, pa.date32()),
        }
    ).filter(keep)
