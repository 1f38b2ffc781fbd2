"""What one page of the campaign server costs, part by part, on a workspace already run.

Usage: python -m bench.bench_pages --from WS [--communes 5] [--repeat 3]

Opens ``WS`` read-only as the server does (a cursor with the SQL's macros, one DuckDB
thread unless ``--threads``) and times, for a few communes (the largest first, then
others spread over the province) and a few of their records, each library call a page
makes: the commune page's findings by rule, records to fix, review queue, certificates,
tasks and proposals; a parcel's and a land user's record; a name search within one
commune and over the province.  Prints a Markdown table: median and worst milliseconds
of each call.  (The load test, ``bench_server``, shows what these costs become with 200
officers at once.)
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

from landclean.browse.commune import commune_tasks, findings_by_rule, records_to_fix, review_queue
from landclean.browse.records import get_record
from landclean.browse.search import search
from landclean.campaign.cert_steps import pending_certificates
from landclean.edits import proposals
from landclean.workspace import open_workspace
from landclean.workspace.connection import prepared_cursor


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--from", dest="source", type=Path, required=True)
    parser.add_argument("--communes", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="DuckDB threads (the server: 1)")
    args = parser.parse_args()
    times: dict[str, list[float]] = defaultdict(list)

    def timed(name: str, call: Callable[..., Any], *given: Any) -> Any:
        started = time.perf_counter()
        result = call(*given)
        times[name].append((time.perf_counter() - started) * 1000)
        return result

    with open_workspace(args.source, read_only=True) as ws:
        ws.con.execute(f"SET threads = {args.threads}")
        con = prepared_cursor(ws.con)
        ranked = [
            r[0]
            for r in con.execute(
                "SELECT unit_code FROM parcel WHERE unit_code IS NOT NULL GROUP BY 1 "
                "ORDER BY count(*) DESC, 1"
            ).fetchall()
        ]
        step = max(1, len(ranked) // args.communes)
        communes = ranked[::step][: args.communes]
        for _ in range(args.repeat):
            for code in communes:
                by_rule = timed("commune: findings by rule", findings_by_rule, con, code)
                rule = next((r["rule_id"] for r in by_rule if r["to_fix"]), None)
                timed("commune: records to fix", records_to_fix, con, code, "vi", rule)
                timed("commune: review queue", review_queue, con, code)
                timed("commune: certificates", pending_certificates, con, code)
                timed("commune: tasks", commune_tasks, con, code)
                timed("commune: proposals", proposals, con, (code,))
                parcel, party = con.execute(
                    "SELECT (SELECT min(parcel_id) FROM parcel WHERE unit_code = $c), "
                    "(SELECT min(party_id) FROM party_commune WHERE unit_code = $c)",
                    {"c": code},
                ).fetchone() or (None, None)
                timed("record: parcel", get_record, con, "parcel", str(parcel))
                timed("record: land user", get_record, con, "party", str(party))
                timed("search: name, one commune", search, con, "Nguyễn Văn", (code,))
            timed("search: name, province", search, con, "Nguyễn Văn", None)
    print("| call | median ms | worst ms | calls |")
    print("|---|---:|---:|---:|")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.0f} | {max(values):.0f} | {len(values)} |")


if __name__ == "__main__":
    main()
