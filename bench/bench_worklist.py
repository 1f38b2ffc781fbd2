"""A commune's worklist round trip at scale: export, fill in, apply, re-run.

Usage: python -m bench.bench_worklist WS TRUTH_DIR   (WS after 'landclean run'; a copy is used)
Takes the commune with the most open findings, writes its worklist ('landclean worklist'),
fills in the true values (from the generator's truth) for the findings that point at a
field the truth knows (sheet numbers, ID numbers), accepts every proposal for users
matched after correction, applies it ('landclean apply'), re-runs validation and
authentication ('landclean run --stages validate,authenticate,classify') and counts the
filled-in findings that became fixed.  Each command in its own process (time, peak RSS).
"""

from __future__ import annotations

import json
import shutil
import sys
import time
from pathlib import Path

import duckdb
import openpyxl
import pyarrow as pa

from bench.run_bench import landclean, measure
from landclean.campaign.worklist import FIND, FINDINGS, HEADER_ROW, USERS, field_column
from landclean.rules.catalogue import rule_by_id

HEAD = HEADER_ROW


def rule_target(rule: str) -> str:
    return rule_by_id(rule).target


def main() -> None:
    source, truth = Path(sys.argv[1]), Path(sys.argv[2])
    ws = source.with_name(source.stem + ".worklist.duckdb")
    shutil.copyfile(source, ws)
    con = duckdb.connect(str(ws), read_only=True)
    commune = con.execute(
        "SELECT p.unit_code FROM finding f JOIN parcel p USING (parcel_id) "
        "WHERE f.state = 'open' AND f.severity <> 'info' GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ).fetchall()[0][0]
    truth_sheet = dict(
        con.execute(
            f"SELECT t.parcel_id, t.sheet_no FROM '{truth}/parcels.parquet' t "
            "JOIN parcel p USING (parcel_id) WHERE p.unit_code = ?",
            [commune],
        ).fetchall()
    )
    truth_id = dict(
        con.execute(
            f"SELECT p.party_id, s.cccd FROM '{truth}/parties.parquet' p "
            f"JOIN '{truth}/persons.parquet' s USING (person_id)"
        ).fetchall()
    )
    con.close()
    book = ws.with_suffix(".xlsx")
    results: dict[str, object] = {"commune": commune}
    results["worklist"] = measure(
        *landclean("worklist", str(ws), "--commune", commune, "--out", str(book))
    )
    t = time.perf_counter()
    wb = openpyxl.load_workbook(book)
    sheet = wb[FINDINGS]
    col = {c.value: i + 1 for i, c in enumerate(sheet[HEAD]) if c.value}
    filled: list[tuple[str, str]] = []
    for row in range(HEAD + 1, sheet.max_row + 1):
        rule, _, record = str(sheet.cell(row, 1).value).split("|", 2)
        field = field_column(rule_target(rule), str(sheet.cell(row, col[FIND["field"]]).value))
        value = None
        if field == "sheet_no" and truth_sheet.get(record) is not None:
            value = str(truth_sheet[record])
        elif field == "id_number" and truth_id.get(record):
            value = str(truth_id[record])
        if value is not None:
            sheet.cell(row, col["Giá trị đúng"]).value = value
            filled.append((rule, record))
    users = wb[USERS]
    head = [c.value for c in users[HEAD]]
    accepted_ids: list[str] = []
    for row in range(HEAD + 1, users.max_row + 1):
        if users.cell(row, head.index("Tình trạng") + 1).value == "Khớp sau khi sửa":
            users.cell(row, head.index("Đồng ý đề xuất (x)") + 1).value = "x"
            accepted_ids.append(str(users.cell(row, 1).value))
    wb.save(book)
    results["filled_in"] = {"findings": len(filled), "users_accepted": len(accepted_ids)}
    results["fill_seconds_openpyxl"] = time.perf_counter() - t
    results["apply"] = measure(*landclean("apply", str(ws), str(book), "--by", "bench"))
    results["rerun"] = measure(
        *landclean("run", str(ws), "--stages", "validate,authenticate,classify")
    )
    con = duckdb.connect(str(ws), read_only=True)
    filled_arrow = pa.table(  # noqa: F841  (read by DuckDB by name)
        {"rule_id": [r for r, _ in filled], "record_id": [r for _, r in filled]}
    )
    con.execute("CREATE TEMP TABLE filled AS SELECT * FROM filled_arrow")
    row = con.execute(
        "SELECT count(*) FILTER (WHERE f.state = 'fixed'), count(*) FROM filled "
        "JOIN finding f USING (rule_id, record_id)"
    ).fetchone()
    results["filled_now_fixed"] = list(row) if row else None
    results["by_rule"] = {
        rule: [int(fixed), int(n)]
        for rule, fixed, n in con.execute(
            "SELECT rule_id, count(*) FILTER (WHERE f.state = 'fixed'), count(*) FROM filled "
            "JOIN finding f USING (rule_id, record_id) GROUP BY 1 ORDER BY 1"
        ).fetchall()
    }
    accepted_arrow = pa.table({"party_id": accepted_ids})  # noqa: F841
    results["users_accepted_by_status_now"] = dict(
        con.execute(
            "SELECT status, count(*) FROM auth_result JOIN accepted_arrow USING (party_id) "
            "GROUP BY 1 ORDER BY 1"
        ).fetchall()
    )
    results["corrections"] = con.execute("SELECT count(*) FROM correction").fetchone()
    con.close()
    print(json.dumps(results, indent=1, default=str))
    ws.unlink()
    book.unlink()


if __name__ == "__main__":
    main()
