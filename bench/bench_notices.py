"""Citizens' notices and answers: how fast a commune's notices are written, whether their
QR codes read back, and how the confirmation page holds up.

Usage: python -m bench.bench_notices --from WS --work DIR [--commune CODE] [--answers 300]

Copies the workspace WS (imported and run) into DIR and times ``landclean notices`` for
the commune with the most land users (or ``--commune``) as its own process: notices
per second and peak memory (the process and its two drawing workers).  Then reads the QR
code back from ``--answers`` of the PDFs (rendered at 150 dpi, as a phone sees a printed
page), and through the server's application (in this process, no network) opens each
link and answers it (half confirm, half say what is wrong), and opens each link again
(must be refused: single use).  Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pypdfium2
import zxingcpp
from fastapi.testclient import TestClient

from landclean.web.app import create_app
from landclean.web.server import Server


def _commune(ws: Path) -> tuple[str, int]:
    with duckdb.connect(str(ws), read_only=True) as con:
        row = con.execute(
            "SELECT unit_code, count(*) FROM party_commune GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 1"
        ).fetchone()
    assert row is not None
    return str(row[0]), int(row[1])


def _link(pdf: Path) -> str | None:
    doc = pypdfium2.PdfDocument(str(pdf))
    try:
        image = doc[0].render(scale=150 / 72).to_pil()
    finally:
        doc.close()
    found = [r.text for r in zxingcpp.read_barcodes(image)]
    return found[0] if len(found) == 1 else None


def _p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1] if len(values) > 1 else values[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--from", dest="source", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--commune")
    parser.add_argument("--answers", type=int, default=300)
    args = parser.parse_args()
    work: Path = args.work
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    ws = work / "ws.duckdb"
    shutil.copyfile(args.source, ws)
    commune, users = _commune(ws)
    commune = args.commune or commune
    out = work / "notices"
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "landclean", "notices", str(ws), "--commune", commune,
         "--out", str(out), "--url", "https://dat.example.gov.vn"],
        check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip
    wall = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    pdfs = sorted(out.glob("*.pdf"))
    size = sum(p.stat().st_size for p in pdfs) / max(len(pdfs), 1) / 1024
    sample = pdfs[:: max(len(pdfs) // args.answers, 1)][: args.answers]
    started = time.perf_counter()
    links = [_link(p) for p in sample]
    read_s = time.perf_counter() - started
    readable = [link for link in links if link and "/confirm/" in link]
    server = Server(ws, url="http://testserver")
    server.start()
    try:
        client = TestClient(create_app(server), base_url="http://testserver")
        opened, answered, again = [], [], []
        for i, link in enumerate(readable):
            path = "/confirm/" + link.rsplit("/confirm/", 1)[1]
            t = time.perf_counter()
            assert client.get(path).status_code == 200
            opened.append(time.perf_counter() - t)
            data = {"answer": "confirmed"} if i % 2 else {"answer": "wrong", "message": f"sai {i}"}
            t = time.perf_counter()
            assert client.post(path, data=data).status_code == 200
            answered.append(time.perf_counter() - t)
            again.append(client.get(path).status_code)
            if (i + 1) % 9 == 0:  # (an address may open 30 pages in ten minutes: 3 each)
                client = TestClient(create_app(server), base_url="http://testserver")
    finally:
        server.close()
    print("| commune | land users | notices | wall | notices/s | peak RSS | KB/notice |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    print(f"| {commune} | {users:,} | {len(pdfs):,} | {wall:.1f} s | {len(pdfs) / wall:.0f} "
          f"| {peak:.0f} MB | {size:.0f} |")  # fmt: skip
    print()
    print("| QR read back (150 dpi) | open p50 / p95 | answer p50 / p95 | second opening |")
    print("|---|---:|---:|---|")
    print(
        f"| {len(readable)}/{len(sample)} ({read_s / max(len(sample), 1) * 1000:.0f} ms each) "
        f"| {statistics.median(opened) * 1000:.0f} / {_p95(opened) * 1000:.0f} ms "
        f"| {statistics.median(answered) * 1000:.0f} / {_p95(answered) * 1000:.0f} ms "
        f"| {sum(1 for c in again if c == 410)}/{len(again)} refused (410) |"
    )


if __name__ == "__main__":
    main()
