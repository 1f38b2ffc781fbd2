"""ID cards as evidence: how many are read and linked, how fast, and how many links are
wrong, against the generator's truth.

Usage: python -m bench.bench_evidence --province SRC --from WS --work DIR [--cards 1000]
                                       [--same-cards]

Writes ``--cards`` ID cards of SRC's land users (``synth.id_cards``: seven in ten
photographed, two scanned, one in a multi-page PDF) and ``--scans`` certificates' first
pages (``synth.certificate_scans``) into DIR, copies the workspace WS
(imported from SRC and run) into DIR, and times ``landclean evidence add`` on the
folder as its own process (reading, storing, linking, proposing), then ``landclean run``
(authentication takes the confirmed cards).  Prints a Markdown table: documents per
second, cards decoded exactly, linked to their person (confirmed, proposed or for
review), confirmed, and wrong links confirmed automatically (must be 0), per variant.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import duckdb
import pyarrow.parquet as pq

from landclean.synth.certificate_scans import write_certificate_scans
from landclean.synth.id_cards import card_plan, write_id_cards


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--province", type=Path, required=True)
    parser.add_argument("--from", dest="source", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--cards", type=int, default=1000)
    parser.add_argument("--scans", type=int, default=200, help="certificates scanned")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument(
        "--same-cards", action="store_true", help="Keep the documents DIR has (a second run)."
    )
    args = parser.parse_args()
    work: Path = args.work
    truth = work / "truth"
    if not args.same_cards:
        shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    files = 0
    if not (truth / "id_cards.parquet").exists():
        files += write_id_cards(args.province, card_plan(args.cards), args.seed, out=work)
    if not (truth / "certificate_scans.parquet").exists():
        files += write_certificate_scans(args.province, args.scans, args.seed, out=work)
    print(f"wrote {files} files in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    ws = work / "ws.duckdb"
    for old in (ws, work / "ws.duckdb.evidence", work / "ws.duckdb.wal"):
        shutil.rmtree(old, ignore_errors=True) if old.is_dir() else old.unlink(missing_ok=True)
    shutil.copyfile(args.source, ws)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "landclean", "evidence", "add", str(ws), str(work / "evidence"),
         "--json", "--by", "bench"],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    add_seconds = time.perf_counter() - started
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "landclean", "run", str(ws)], check=True,
                   capture_output=True)  # fmt: skip
    run_seconds = time.perf_counter() - started
    outcomes = [json.loads(line) for line in done.stdout.splitlines()]
    truth = pq.read_table(work / "truth" / "id_cards.parquet").to_pylist()
    con = duckdb.connect(str(ws), read_only=True)
    read = {
        (name.rsplit("/", 1)[-1], page): (payload, party, status)
        for name, page, payload, party, status in con.execute(
            "SELECT a.file_name, c.page, c.payload, l.party_id, l.status FROM evidence_card c "
            "JOIN evidence_arrival a USING (sha256) "
            "LEFT JOIN evidence_link l USING (sha256, page)"
        ).fetchall()
    }
    links: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for name, page, party, status in con.execute(
        "SELECT a.file_name, l.page, l.party_id, l.status FROM evidence_link l "
        "JOIN evidence_arrival a USING (sha256)"
    ).fetchall():
        links.setdefault((name.rsplit("/", 1)[-1], page), []).append((party, status))
    auth = con.execute("SELECT count(*) FROM auth_result WHERE method = 'id_card'").fetchone()[0]  # type: ignore[index]
    stats: dict[str, Counter[str]] = {}
    for t in truth:
        if t["variant"] not in ("photo", "scan", "pdf"):
            continue
        c = stats.setdefault(t["variant"], Counter())
        key = (t["file"], t["page"])
        c["cards"] += 1
        c["decoded"] += read.get(key, (None,))[0] == t["payload"]
        mine = links.get(key, [])
        true_parties = set(t["party_ids"])
        c["linked"] += any(p in true_parties for p, _ in mine)
        c["confirmed"] += any(p in true_parties and s == "confirmed" for p, s in mine)
        c["wrong_confirmed"] += sum(
            1 for p, s in mine if s == "confirmed" and p not in true_parties
        )
        c["wrong_proposed"] += sum(1 for p, s in mine if s == "proposed" and p not in true_parties)
    total = Counter()
    for c in stats.values():
        total.update(c)
    stats["all"] = total
    scan_truth = {
        (r["file"], r["page"]): r
        for r in pq.read_table(work / "truth" / "certificate_scans.parquet").to_pylist()
    }
    scanned = con.execute(
        "SELECT a.file_name, e.page, e.serial, e.status, list(cp.parcel_id) "
        "FROM evidence_certificate e JOIN evidence_arrival a USING (sha256) "
        "LEFT JOIN certificate_parcel cp USING (certificate_id) GROUP BY ALL"
    ).fetchall()
    sc: Counter[str] = Counter()
    for name, page, serial, status, parcels in scanned:
        t = scan_truth[(name.rsplit("/", 1)[-1], page)]
        sc["exact"] += serial == t["serial"]
        sc["linked"] += status == "linked" and t["parcel_id"] in parcels
        sc["wrong"] += status == "linked" and t["parcel_id"] not in parcels
        sc["review"] += status == "review"
    n_scans = max(len(scan_truth), 1)
    print(f"| documents | {len(outcomes)} files, {total['cards']} cards, {len(scan_truth)} "
          "certificate pages |")  # fmt: skip
    print(f"| `evidence add` (process) | {add_seconds:.1f} s: "
          f"{len(outcomes) / add_seconds:.1f} files/s |")  # fmt: skip
    print(f"| `run` after | {run_seconds:.1f} s, {auth} users authenticated by their card |")
    print(f"| statuses | {dict(Counter(o['status'] for o in outcomes))} |")
    print(f"| certificate scans | {len(scanned)} pages read of {len(scan_truth)}; serial read "
          f"exactly {100 * sc['exact'] / n_scans:.1f} %; linked to their certificate "
          f"{100 * sc['linked'] / n_scans:.1f} %; for review {sc['review']}; wrong links "
          f"{sc['wrong']} |")  # fmt: skip
    print()
    print("| variant | cards | decoded exactly | linked to their person | confirmed | "
          "wrong links confirmed | wrong links proposed |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, c in stats.items():
        n = max(c["cards"], 1)
        print(
            f"| {name} | {c['cards']} | {100 * c['decoded'] / n:.1f} % | "
            f"{100 * c['linked'] / n:.1f} % | {100 * c['confirmed'] / n:.1f} % | "
            f"{c['wrong_confirmed']} | {c['wrong_proposed']} |"
        )


if __name__ == "__main__":
    main()
