"""A simulated population service, for tests and demos: it speaks the protocol
(``protocol.json``: the JSON body, the endpoint, the idempotency header), answers from a
registry extract (CSV or Parquet with the columns of the generator's
``registry/population.*``: so_dinh_danh, so_cmnd, ho_ten, ngay_sinh, gioi_tinh) and
injects faults on request.  It listens on 127.0.0.1 only.

Its verdict for one request, as a population service would give it:

- found: the 12-digit ID is a person's, or (only the old ID sent) the 9-digit CMND is;
- name_match: the names agree once written alike (Unicode NFC, case, spaces);
- birth_match: the date agrees (the year alone when only the year was sent), none when
  no birth was sent; sex_match likewise;
- the registry's values are returned with every verdict of a found person;
- an ID of the wrong length is error ``E_ID``, no ID at all ``E_NO_ID``.

Faults (``Faults``: each request draws at most one, seeded): ``timeout`` (the batch is
done, the answer comes too late), ``throttle`` (429 with ``Retry-After``), ``error``
(500, after the batch is done), ``truncated`` (the connection closes mid-body),
``malformed`` (200 with a body that is not the protocol's), ``duplicated`` (records
repeated and shuffled), ``stale`` (the answer of another batch), an ``outage``: from
the ``outage_after``-th request, every connection is dropped for ``outage_seconds``, and
an expired token: from the ``unauthorized_after``-th request on, 401.

A batch is done once per idempotency key: a repeated key gets the first answer again
and counts no new work (``work``: how many times each request key was done as new work).
"""

from __future__ import annotations

import json
import random
import threading
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import duckdb

from landclean.registry_service.protocol import Protocol, load_protocol

FAULTS = ("timeout", "throttle", "error", "truncated", "malformed", "duplicated", "stale")


@dataclass
class Faults:
    """The chance of each fault per request, and the outage."""

    timeout: float = 0.0
    throttle: float = 0.0
    error: float = 0.0
    truncated: float = 0.0
    malformed: float = 0.0
    duplicated: float = 0.0
    stale: float = 0.0
    outage_after: int = 0  # the outage starts at this request (0: none)
    unauthorized_after: int = 0  # from this request on, 401: the token expired (0: never)
    outage_seconds: float = 0.0
    hang: float = 3.0  # how late a timed-out answer comes (seconds)
    retry_after: int = 1  # seconds, in a 429's Retry-After
    seed: int = 0

    @classmethod
    def parse(cls, text: str) -> Faults:
        """From ``name=value,…`` (e.g. ``timeout=0.1,throttle=0.2,outage_after=5``)."""
        faults = cls()
        for part in filter(None, (p.strip() for p in text.split(","))):
            name, _, value = part.partition("=")
            if name not in cls.__dataclass_fields__:
                raise ValueError(f"unknown fault {name!r}")
            kind = type(getattr(faults, name))
            setattr(faults, name, kind(value))
        return faults


def _name(text: object) -> str:
    return " ".join(unicodedata.normalize("NFC", str(text or "")).casefold().split())


def load_extract(path: Path) -> dict[str, tuple]:
    """The registry extract: ID (12 digits, and the 9-digit CMND) → (CCCD, name, birth
    date, sex)."""
    con = duckdb.connect()
    reader = "read_parquet" if path.suffix.lower() == ".parquet" else "read_csv"
    extra = ", all_varchar = true" if reader == "read_csv" else ""
    rows = con.execute(
        f"SELECT so_dinh_danh::VARCHAR, so_cmnd::VARCHAR, ho_ten::VARCHAR, "
        f"ngay_sinh::VARCHAR, gioi_tinh::VARCHAR FROM {reader}(?{extra})",
        [str(path)],
    ).fetchall()
    con.close()
    people: dict[str, tuple] = {}
    for cccd, cmnd, name, birth, sex in rows:
        if birth and "/" in birth:
            d, m, y = birth.split("/")
            birth = f"{y}-{m.zfill(2)}-{d.zfill(2)}"
        person = (cccd, name, birth, {"Nam": "M", "Nữ": "F"}.get(sex or "", sex))
        if cccd:
            people[cccd] = person
        if cmnd:
            people.setdefault(cmnd, person)
    return people


class Service:
    """The simulated service's state: the registry, the answers given by key, the work."""

    def __init__(
        self, extract: Path, protocol: Protocol | None = None, faults: Faults | None = None
    ):
        self.p = protocol or load_protocol()
        self.faults = faults or Faults()
        self.people = load_extract(extract)
        self.answers: dict[str, bytes] = {}  # idempotency key -> the body first answered
        self.work: Counter[str] = Counter()  # request key -> times done as new work
        self.requests = 0
        self.outage_until = 0.0
        self.rng = random.Random(self.faults.seed)
        self.lock = threading.Lock()

    def verdict(self, record: dict[str, Any]) -> dict[str, Any]:
        """One record's verdict, in the protocol's response names."""
        rq, rs = self.p.request, self.p.response
        get = lambda f: record.get(rq.name(f)) if f in self.p.send else None  # noqa: E731
        out: dict[str, Any] = {rs.name("request_key"): get("request_key")}
        id_number, old_id = (str(get(f) or "") for f in ("id_number", "old_id"))
        if not id_number and not old_id:
            return out | {rs.name("error_code"): "E_NO_ID"}
        if (id_number and len(id_number) != 12) or (old_id and len(old_id) != 9):
            return out | {rs.name("error_code"): "E_ID"}
        person = self.people.get(id_number) if id_number else self.people.get(old_id)
        if person is None:
            return out | {rs.name("found"): False}
        cccd, name, birth, sex = person
        sent_birth = str(get("birth_date") or "")
        if not sent_birth:
            birth_match = None
        elif len(sent_birth) == 4:
            birth_match = bool(birth) and birth[:4] == sent_birth
        else:
            fmt = rq.date_format.replace("%d", "{d}").replace("%m", "{m}").replace("%Y", "{y}")
            y, m, d = (birth or "--").split("-") if birth else ("", "", "")
            birth_match = bool(birth) and fmt.format(d=d, m=m, y=y) == sent_birth
        words = {v: k for k, v in rq.sex_values.items()}
        sent_sex = words.get(str(get("sex") or ""))
        reg_birth = ""
        if birth:
            y, m, d = birth.split("-")
            reg_birth = rs.date_format.replace("%d", d).replace("%m", m).replace("%Y", y)
        return out | {
            rs.name("found"): True,
            rs.name("name_match"): _name(get("full_name")) == _name(name),
            rs.name("birth_match"): birth_match,
            rs.name("sex_match"): None if sent_sex is None else sent_sex == sex,
            rs.name("registry_id"): cccd,
            rs.name("registry_name"): name,
            rs.name("registry_birth"): reg_birth or None,
            rs.name("registry_sex"): rs.sex_values.get(sex or "", sex),
        }

    def answer(self, key: str, body: bytes) -> bytes:
        """The answer to a batch: done once per idempotency key."""
        with self.lock:
            if key in self.answers:
                return self.answers[key]
        parsed = json.loads(body)
        records = parsed[self.p.request.records]
        results = [self.verdict(r) for r in records]
        answer = json.dumps(
            {
                self.p.response.batch: parsed.get(self.p.request.batch),
                self.p.response.records: results,
            },
            ensure_ascii=False,
        ).encode()
        with self.lock:
            if key not in self.answers:  # two concurrent first sends: one does the work
                self.answers[key] = answer
                for r in records:
                    self.work[str(r.get(self.p.request.name("request_key")))] += 1
            return self.answers[key]

    def draw(self) -> str | None:
        with self.lock:
            self.requests += 1
            f = self.faults
            if f.unauthorized_after and self.requests >= f.unauthorized_after:
                return "unauthorized"
            if f.outage_after and self.requests == f.outage_after:
                self.outage_until = time.monotonic() + f.outage_seconds
            if time.monotonic() < self.outage_until:
                return "outage"
            roll = self.rng.random()
        for name in FAULTS:
            chance = getattr(self.faults, name)
            if roll < chance:
                return name
            roll -= chance
        return None


def _handler(service: Service) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:  # quiet
            pass

        def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            with service.lock:  # how much was done: for checking that nothing was twice
                stats = {
                    "requests": service.requests,
                    "batches": len(service.answers),
                    "keys": len(service.work),
                    "work": sum(service.work.values()),
                    "most": max(service.work.values(), default=0),
                }
            self._send(200, json.dumps(stats).encode())

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            fault = service.draw()
            if fault == "outage":
                self.close_connection = True
                return
            if fault == "unauthorized":
                self._send(401, b'{"error": "token expired"}')
                return
            if self.path != service.p.path:
                self._send(404, b'{"error": "not found"}')
                return
            key = self.headers.get(service.p.idempotency_header)
            if not key:
                self._send(400, b'{"error": "idempotency key missing"}')
                return
            if fault == "throttle":
                self._send(
                    429, b'{"error": "slow down"}', {"Retry-After": str(service.faults.retry_after)}
                )
                return
            try:
                answer = service.answer(key, body)
            except (ValueError, KeyError, TypeError):
                self._send(400, b'{"error": "bad request body"}')
                return
            if fault == "timeout":
                time.sleep(service.faults.hang)
            elif fault == "error":
                self._send(500, b"internal error")
                return
            elif fault == "truncated":
                self.send_response(200)
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer[: len(answer) // 2])
                self.close_connection = True
                return
            elif fault == "malformed":
                self._send(200, b"<html>Gateway error</html>")
                return
            elif fault == "duplicated":
                data = json.loads(answer)
                recs = data[service.p.response.records]
                recs = recs + recs[: max(1, len(recs) // 3)]
                service.rng.shuffle(recs)
                data[service.p.response.records] = recs
                answer = json.dumps(data, ensure_ascii=False).encode()
            elif fault == "stale":
                with service.lock:
                    others = [a for k, a in service.answers.items() if k != key]
                if others:
                    answer = service.rng.choice(others)
            self._send(200, answer)

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that gave up on a late answer is one of the faults, not news


class Simulator:
    """The simulated service running in a thread (``with Simulator(...) as sim``)."""

    def __init__(self, service: Service, port: int = 0) -> None:
        self.service = service
        self.server = _Server(("127.0.0.1", port), _handler(service))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> Simulator:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def answer_file(service: Service, request: Path, out: Path) -> Path:
    """A request file (CSV or JSON) answered as the service would, written in ``out``
    in the same form (offline batches in tests and demos)."""
    import csv

    p = service.p
    out.mkdir(parents=True, exist_ok=True)
    target = out / request.name
    if request.suffix.lower() == ".json":
        body = json.loads(request.read_bytes())
        results = [service.verdict(r) for r in body[p.request.records]]
        data = {p.response.batch: body.get(p.request.batch), p.response.records: results}
        target.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        return target
    with request.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    names = [p.response.name(n) for n in p.response.fields]
    yes, no = p.true_values[0], p.false_values[0]
    with target.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=names)
        w.writeheader()
        for row in rows:
            v = service.verdict(row)
            w.writerow({k: yes if x is True else no if x is False else x for k, x in v.items()})
    return target
