"""Batches of requests to the population service: who is asked, and exactly what is sent.

A land user the service can verify is a person (an individual, or a household's head)
whose record has an ID number: the 12-digit CCCD, or the old 9-digit CMND when that is
all it has.  What is sent for them is computed in SQL from ``party`` (``current_sql``)
and kept in ``registry_request`` with its hash: a verdict counts for as long as the
values sent are the record's values (``sent_hash``), so a corrected name or birth date
makes the user "changed" and asks again.  Users are chosen set-based:

- ``unverified``: no verdict for their values as they are now (never asked, answered
  with an error, or changed since their verdict);
- ``changed``: a verdict for values they no longer have;
- ``all``: every user the service can verify.

Users already waiting in an unanswered batch are not asked again (with ``all``, only
those in a batch of the same channel not even sent yet: the next request writes it, the
connector sends it).
Batches are planned in one transaction: written files and sent bodies always name
batches the workspace holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import uuid
from dataclasses import dataclass
from pathlib import Path

import duckdb

from landclean.registry_service.protocol import Protocol, RegistryServiceError, request_select
from landclean.workspace import Workspace

SELECTIONS = ("unverified", "changed", "all")
COLUMNS = ("id_number", "old_id", "full_name", "birth_date", "birth_year", "birth_precision", "sex")

# A land user's values as the service would be sent them now (fields not sent: NULL).
FIELDS_SQL = """
SELECT p.party_id,
       CASE WHEN length(p.d) = 12 THEN p.d END AS id_number,
       CASE WHEN length(p.d) = 9 THEN p.d END AS old_id,
       nullif(trim(p.full_name), '') AS full_name,
       CASE WHEN p.birth_precision = 'day' THEN p.birth_date END AS birth_date,
       CASE WHEN p.birth_precision IN ('day', 'year')
            THEN coalesce(p.birth_year, year(p.birth_date)) END AS birth_year,
       CASE WHEN p.birth_precision IN ('day', 'year') THEN p.birth_precision
            ELSE 'none' END AS birth_precision,
       CASE WHEN p.sex IN ('M', 'F') THEN p.sex END AS sex
FROM (SELECT *, regexp_replace(coalesce(id_number, ''), '[^0-9]', '', 'g') AS d
      FROM party WHERE party_type IN ('individual', 'household') {where}) p
"""

# Verdicts that count: per request key, the one answering its latest batch (the newest
# of that batch), errors left out: an error never unseats a verdict, an answer coming
# late to an older request never unseats the answer to a newer one.
CURRENT_VERDICTS_SQL = """
SELECT * FROM registry_verdict WHERE error_code IS NULL
QUALIFY row_number() OVER (PARTITION BY request_key ORDER BY batch_id DESC, verdict_id DESC) = 1
"""
# Batches still waiting for an answer (a refused one waits no more).
WAITING = ("prepared", "sent")


def current_sql(p: Protocol, where: str = "") -> str:
    """SQL of every verifiable land user's values to send now, with ``sent_hash`` and
    ``request_key`` (``where``: more conditions on ``party``, e.g. ``AND party_id IN …``)."""
    sent = ", ".join(c if _sent(p, c) else f"NULL::{_type(c)} AS {c}" for c in COLUMNS)
    hashed = ", ".join(COLUMNS)
    return (
        f"WITH f AS ({FIELDS_SQL.format(where=where)}), s AS (SELECT party_id, {sent} FROM f) "
        f"SELECT *, hash({hashed}) AS sent_hash, "
        "left(md5(party_id || '|' || hash(" + hashed + ")::VARCHAR), 20) AS request_key FROM s "
        "WHERE id_number IS NOT NULL OR old_id IS NOT NULL"
    )


def _sent(p: Protocol, column: str) -> bool:
    if column == "birth_year":
        return "birth_date" in p.send
    return column in p.send


def _type(column: str) -> str:
    return {"birth_date": "DATE", "birth_year": "INTEGER"}.get(column, "VARCHAR")


@dataclass(frozen=True)
class Planned:
    """Batches planned: their ids in order, the requests, the users left waiting."""

    batches: list[str]
    requests: int
    waiting: int  # users already in an unanswered batch (not asked again)
    no_id: int  # persons without an ID number the service could look up


def plan(
    ws: Workspace,
    p: Protocol,
    *,
    by: str,
    channel: str,
    selection: str = "unverified",
    commune: str | None = None,
    batch_size: int = 1000,
) -> Planned:
    """Choose the users to ask (``selection``, of ``commune`` or everywhere) and record
    their batches of at most ``batch_size`` requests, all in one transaction."""
    if selection not in SELECTIONS:
        raise RegistryServiceError(
            "registry_selection", value=selection, allowed=", ".join(SELECTIONS)
        )
    if batch_size < 1:
        raise RegistryServiceError("registry_batch_size", value=batch_size)
    where = ""
    if commune:
        where = (
            "AND party_id IN (SELECT r.party_id FROM land_right r JOIN parcel x USING (parcel_id) "
            "WHERE x.unit_code = $commune)"
        )
    prefix = f"{dt.datetime.now():%Y%m%d%H%M%S%f}-{uuid.uuid4().hex[:6]}"  # in time order
    with ws.transaction() as con:
        params = {"commune": commune} if commune else {}
        con.execute(f"CREATE OR REPLACE TEMP TABLE rq_now AS {current_sql(p, where)}", params)
        # waiting: in a batch not answered yet; with ``all``, only in one of this
        # channel's not even sent yet (the next request writes it, the connector sends it)
        status = (
            f"b.status = 'prepared' AND b.channel = '{channel}'"
            if selection == "all"
            else f"b.status IN {WAITING}"
        )
        waiting_sql = (
            "SELECT r.party_id, r.sent_hash FROM registry_request r "
            f"JOIN registry_batch b USING (batch_id) WHERE {status}"
        )
        verdicts = f"SELECT party_id, sent_hash FROM ({CURRENT_VERDICTS_SQL})"
        chosen = {
            "all": "SELECT * FROM rq_now",
            "unverified": f"SELECT * FROM rq_now n WHERE NOT EXISTS (SELECT 1 FROM ({verdicts}) v "
            "WHERE v.party_id = n.party_id AND v.sent_hash = n.sent_hash)",
            "changed": "SELECT * FROM rq_now n "
            f"WHERE n.party_id IN (SELECT party_id FROM ({verdicts})) "
            f"AND NOT EXISTS (SELECT 1 FROM ({verdicts}) v "
            "WHERE v.party_id = n.party_id AND v.sent_hash = n.sent_hash)",
        }[selection]
        con.execute(f"CREATE OR REPLACE TEMP TABLE rq_chosen AS {chosen}")
        waits = (
            f"EXISTS (SELECT 1 FROM ({waiting_sql}) w "
            "WHERE w.party_id = rq_chosen.party_id AND w.sent_hash = rq_chosen.sent_hash)"
        )
        waiting = _scalar(con, f"SELECT count(*) FROM rq_chosen WHERE {waits}")
        con.execute(f"DELETE FROM rq_chosen WHERE {waits}")
        con.execute(
            "CREATE OR REPLACE TEMP TABLE rq_numbered AS SELECT *, "
            "(row_number() OVER (ORDER BY party_id) - 1) // $size AS batch_no FROM rq_chosen",
            {"size": batch_size},
        )
        params_batch = {"prefix": prefix, "by": by, "channel": channel,
                        "selection": selection, "commune": commune}  # fmt: skip
        con.execute(
            """
            INSERT INTO registry_batch (batch_id, created_at, created_by, channel, selection,
                                        commune, requests, status)
            SELECT $prefix || '-' || lpad((batch_no + 1)::VARCHAR, 5, '0'), now()::TIMESTAMP,
                   $by, $channel, $selection, $commune, count(*)::INTEGER, 'prepared'
            FROM rq_numbered GROUP BY batch_no
            """,
            params_batch,
        )
        con.execute(
            "INSERT INTO registry_request SELECT $prefix || '-' || "
            "lpad((batch_no + 1)::VARCHAR, 5, '0'), request_key, party_id, sent_hash, "
            f"{', '.join(COLUMNS)} FROM rq_numbered",
            {"prefix": prefix},
        )
        batches = [
            str(r[0])
            for r in con.execute(
                "SELECT batch_id FROM registry_batch WHERE batch_id LIKE $p ORDER BY batch_id",
                {"p": prefix + "-%"},
            ).fetchall()
        ]
        requests = _scalar(con, "SELECT count(*) FROM rq_numbered")
        no_id = _scalar(
            con,
            f"SELECT count(*) FROM ({FIELDS_SQL.format(where=where)}) "
            "WHERE id_number IS NULL AND old_id IS NULL",
            params,
        )
        for t in ("rq_now", "rq_chosen", "rq_numbered"):
            con.execute(f"DROP TABLE {t}")
    return Planned(batches, requests, waiting, no_id)


def records(con: duckdb.DuckDBPyConnection, p: Protocol, batch_id: str) -> list[dict]:
    """A batch's requests as the service reads them (its names, dates, words)."""
    cur = con.execute(
        f"SELECT {request_select(p)} FROM registry_request r WHERE r.batch_id = ? "
        "ORDER BY r.request_key",
        [batch_id],
    )
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def write_files(
    ws: Workspace, p: Protocol, batches: list[str], out: Path, *, fmt: str, by: str
) -> list[Path]:
    """One request file per batch in ``out`` (CSV or JSON), each logged as sent."""
    if fmt not in ("csv", "json"):
        raise RegistryServiceError("registry_format", value=fmt)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for batch_id in batches:
        path = out / f"{batch_id}.{fmt}"
        rows = records(ws.con, p, batch_id)
        if fmt == "json":
            from landclean.registry_service.protocol import request_body

            data = request_body(p, batch_id, rows)
        else:
            data = _csv(rows, [p.request.name(f) for f in p.send])
        tmp = path.with_suffix(path.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(path)
        with ws.transaction() as con:
            log_exchange(
                con, by=by, batch_id=batch_id, direction="request", channel="file",
                target=str(path), outcome="written", records=len(rows), body=data,
            )  # fmt: skip
            con.execute(
                "UPDATE registry_batch SET status = 'sent', attempts = attempts + 1, "
                "sent_at = coalesce(sent_at, now()::TIMESTAMP) WHERE batch_id = ?",
                [batch_id],
            )
        written.append(path)
    return written


def _csv(rows: list[dict], header: list[str]) -> bytes:
    import csv
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=header, lineterminator="\r\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: "" if v is None else v for k, v in row.items()})
    return ("\ufeff" + buf.getvalue()).encode("utf-8")  # BOM: Excel reads the diacritics


def log_exchange(
    con: duckdb.DuckDBPyConnection,
    *,
    by: str,
    batch_id: str | None,
    direction: str,
    channel: str,
    target: str,
    outcome: str,
    records: int | None,
    body: bytes | None,
) -> None:
    """One exchange with the service, recorded: who, when, what, its checksum."""
    con.execute(
        "INSERT INTO registry_exchange VALUES (now()::TIMESTAMP, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            by, batch_id, direction, channel, target, outcome, records,
            hashlib.sha256(body).hexdigest() if body is not None else None,
        ],
    )  # fmt: skip


def _scalar(con: duckdb.DuckDBPyConnection, sql: str, params: dict | None = None) -> int:
    row = con.execute(sql, params or {}).fetchone()
    return int(row[0]) if row and row[0] is not None else 0
