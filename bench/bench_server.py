"""The campaign server under load: officers reading pages and posting corrections while a
pipeline job runs (issue 18's load test; against 127.0.0.1 only).

Usage: python -m bench.bench_server --from WS --work DIR [--officers 200] [--minutes 5]
       [--think 2:8] [--port 8765] [--no-job]

1. ``WS`` (a workspace already run) is copied into ``DIR``; one commune account per new
   commune and one province account are added; parcels per commune are sampled.
2. ``landclean serve`` starts as its own process on 127.0.0.1.
3. ``--officers`` simulated officers (asyncio + httpx), spread over the communes, each
   logs in, then for ``--minutes`` waits a think time (uniform in ``--think`` seconds)
   and does one thing: the dashboard (15 %), its commune's page (15 %), a record page
   (40 %), a search (5 %), or a correction (25 %: the parcel's legal area read from the
   API, then posted based on it). The province account starts a full pipeline run at the
   start (``--no-job``: none).
4. The server stops; every correction the server accepted (201) is looked for in the
   workspace's ``correction`` table: one not found is a lost update.

Prints a Markdown table: requests, p50 / p95 / p99 milliseconds per kind, server
errors, conflicts (409: two officers of a commune editing one parcel), lost updates.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import httpx

from landclean import api
from landclean.workspace import open_workspace

PASSWORD = "bench-mat-khau-dai"


def _prepare(path: Path, per_commune: int = 200) -> dict[str, list[str]]:
    """Accounts for every commune (login ``xa_CODE``) and ``tinh``; parcels to work on."""
    with open_workspace(path) as ws:
        communes = [r[0] for r in ws.con.execute("SELECT code FROM admin_unit").fetchall()]
        existing = {a.login for a in api.list_users(ws)}
        for code in communes:
            if f"xa_{code}" not in existing:
                api.add_user(ws, f"xa_{code}", "commune", PASSWORD, [code], actor="bench")
        if "tinh" not in existing:
            api.add_user(ws, "tinh", "province", PASSWORD, actor="bench")
        rows = ws.con.execute(
            "SELECT unit_code, list(parcel_id ORDER BY hash(parcel_id))[1:?] FROM parcel "
            "WHERE unit_code IS NOT NULL AND legal_area IS NOT NULL GROUP BY 1",
            [per_commune],
        ).fetchall()
    return {str(r[0]): list(r[1]) for r in rows}


class Tally:
    def __init__(self) -> None:
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.status: dict[int, int] = defaultdict(int)
        self.errors: list[str] = []
        self.accepted: list[tuple[str, str, str]] = []  # parcel, value, login
        self.started = time.perf_counter()
        self.when: list[tuple[float, float]] = []  # (seconds since the start, ms): every request
        self.job_steps: list[tuple[float, str]] = []  # (seconds since the start, job's step)

    def add(self, kind: str, started: float, answer: httpx.Response) -> None:
        self.ms[kind].append((time.perf_counter() - started) * 1000)
        self.when.append((started - self.started, self.ms[kind][-1]))
        self.status[answer.status_code] += 1
        if answer.status_code >= 500:
            self.errors.append(f"{kind} {answer.status_code} {answer.text[:200]}")


async def _officer(
    n: int, url: str, commune: str, parcels: list[str], end: float, think: tuple[float, float],
    tally: Tally,
) -> None:  # fmt: skip
    rng = random.Random(n)
    login = f"xa_{commune}"
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        await asyncio.sleep(rng.uniform(0, think[1]))
        started = time.perf_counter()
        answer = await client.post("/api/login", json={"login": login, "password": PASSWORD})
        tally.add("login", started, answer)
        if answer.status_code != 200:
            return
        csrf = answer.json()["csrf"]
        while time.monotonic() < end:
            await asyncio.sleep(rng.uniform(*think))
            roll = rng.random()
            parcel = rng.choice(parcels)
            try:
                if roll < 0.15:
                    started = time.perf_counter()
                    tally.add("page: dashboard", started, await client.get("/"))
                elif roll < 0.30:
                    started = time.perf_counter()
                    tally.add("page: commune", started, await client.get(f"/communes/{commune}"))
                elif roll < 0.70:
                    started = time.perf_counter()
                    page = await client.get(f"/records/parcel/{parcel}")
                    tally.add("page: record", started, page)
                elif roll < 0.75:
                    started = time.perf_counter()
                    tally.add("page: search", started, await client.get("/search?q=Nguyễn Văn"))
                else:
                    started = time.perf_counter()
                    record = await client.get(f"/api/records/parcel/{parcel}")
                    tally.add("api: record", started, record)
                    if record.status_code != 200:
                        continue
                    now = record.json()["values"]["legal_area"]
                    value = f"{float(now or 100) + rng.randint(1, 9) / 10:.1f}"
                    started = time.perf_counter()
                    done = await client.post(
                        "/api/corrections", headers={"X-CSRF-Token": csrf},
                        json={"record_type": "parcel", "record_id": parcel,
                              "field": "legal_area", "value": value, "based_on": now,
                              "note": "bench"},
                    )  # fmt: skip
                    tally.add("correction", started, done)
                    if done.status_code == 201 and done.json()["outcome"] == "applied":
                        tally.accepted.append((parcel, done.json()["value"], login))
            except httpx.HTTPError as exc:
                tally.errors.append(f"{type(exc).__name__}: {exc}")


async def _job(url: str, tally: Tally, end_after: float) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        answer = await client.post("/api/login", json={"login": "tinh", "password": PASSWORD})
        csrf = answer.json()["csrf"]
        started = time.perf_counter()
        queued = await client.post(
            "/api/jobs", json={"kind": "run", "full": True}, headers={"X-CSRF-Token": csrf}
        )
        tally.add("job start", started, queued)
        job_id = queued.json()["job_id"]
        while time.perf_counter() - tally.started < end_after:  # what the job is doing, when
            await asyncio.sleep(5)
            with contextlib.suppress(httpx.HTTPError, ValueError, KeyError):
                job = (await client.get(f"/api/jobs/{job_id}")).json()
                step = job.get("progress") or job.get("state")
                tally.job_steps.append((time.perf_counter() - tally.started, str(step)))


def _pct(values: list[float], q: float) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--from", dest="source", type=Path, required=True)
    parser.add_argument("--work", type=Path, required=True)
    parser.add_argument("--officers", type=int, default=200)
    parser.add_argument("--minutes", type=float, default=5.0)
    parser.add_argument("--think", default="2:8")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--no-job", action="store_true")
    args = parser.parse_args()
    think = tuple(float(x) for x in args.think.split(":"))
    args.work.mkdir(parents=True, exist_ok=True)
    path = args.work / "served.duckdb"
    shutil.copyfile(args.source, path)
    parcels = _prepare(path)
    communes = sorted(parcels)
    url = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "landclean", "serve", str(path), "--port", str(args.port)],
    )
    try:
        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(f"{url}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("the server did not start")
            time.sleep(0.5)
        tally = Tally()
        end = time.monotonic() + args.minutes * 60

        async def everyone() -> None:
            work = [
                _officer(i, url, communes[i % len(communes)], parcels[communes[i % len(communes)]],
                         end, think, tally)  # type: ignore[arg-type]
                for i in range(args.officers)
            ]  # fmt: skip
            if not args.no_job:
                work.append(_job(url, tally, args.minutes * 60))
            await asyncio.gather(*work)

        asyncio.run(everyone())
        _print(args, tally, len(communes))
        with httpx.Client(base_url=url, timeout=120) as client:
            client.post("/api/login", json={"login": "tinh", "password": PASSWORD})
            jobs = client.get("/api/jobs").json()
        for job in jobs[:8]:
            times = f"{job['started_at']} → {job['finished_at']}"
            print(f"job {job['job_id']} {job['kind']} {job['state']} by {job['requested_by']}: "
                  f"{times} {job['message'] or ''}"[:300])  # fmt: skip
    finally:
        stopping = time.monotonic()
        server.send_signal(signal.SIGINT)
        server.wait(timeout=600)
        print(f"\nserver stopped {time.monotonic() - stopping:.1f} s after SIGINT")
    with open_workspace(path, read_only=True) as ws:
        stored = set(
            ws.con.execute(
                "SELECT record_id, value, actor FROM correction WHERE column_name = 'legal_area'"
            ).fetchall()
        )
    lost = [a for a in tally.accepted if a not in stored]
    print(f"lost updates: {len(lost)} of {len(tally.accepted)} accepted corrections")


def _print(args: argparse.Namespace, tally: Tally, communes: int) -> None:
    job = "none" if args.no_job else "run --full"
    print(f"\n{args.officers} officers, {args.minutes:g} min, think {args.think} s, "
          f"{communes} communes; job: {job}\n")  # fmt: skip
    print("| kind | requests | p50 ms | p95 ms | p99 ms |\n|---|---:|---:|---:|---:|")
    for kind, values in sorted(tally.ms.items()):
        print(f"| {kind} | {len(values)} | {_pct(values, 50):.0f} | {_pct(values, 95):.0f} | "
              f"{_pct(values, 99):.0f} |")  # fmt: skip
    pages = [v for k, vs in tally.ms.items() if k.startswith("page") for v in vs]
    print(f"\nall pages: p95 {_pct(pages, 95):.0f} ms; corrections accepted "
          f"{len(tally.accepted)}, conflicts (409) {tally.status.get(409, 0)}, "
          f"server errors {sum(n for s, n in tally.status.items() if s >= 500)}, "
          f"client errors {len(tally.errors)}")  # fmt: skip
    for error in tally.errors[:10]:
        print("error:", error)
    _timeline(tally)
    sys.stdout.flush()


def _timeline(tally: Tally, every: float = 30.0) -> None:
    """Every request's time by when it was asked, beside what the job was doing then."""
    print("\n| from s | requests | p50 ms | p95 ms | max ms | job |")
    print("|---:|---:|---:|---:|---:|---|")
    end = max((t for t, _ in tally.when), default=0.0)
    start = 0.0
    while start <= end:
        ms = [m for t, m in tally.when if start <= t < start + every]
        steps = dict.fromkeys(s for t, s in tally.job_steps if start <= t < start + every)
        if ms:
            print(f"| {start:.0f} | {len(ms)} | {_pct(ms, 50):.0f} | {_pct(ms, 95):.0f} | "
                  f"{max(ms):.0f} | {'; '.join(str(s) for s in steps)[:120]} |")  # fmt: skip
        start += every


if __name__ == "__main__":
    main()
