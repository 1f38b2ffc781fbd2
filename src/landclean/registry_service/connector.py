"""The online connector: batches sent to the population service over HTTP(S), verdicts
applied as they come, every fault survived.

1. Batches an earlier run left unanswered (it was stopped, killed, or gave up) are sent
   first, as they were: same requests, same idempotency key, and nobody new is planned
   in that run.  Otherwise the users chosen are planned into batches
   (``batches.plan``), in one transaction.
2. Each batch is POSTed with its idempotency key (the batch id): a service that already
   did it answers again without doing it twice.  Before each attempt the batch's
   attempts are recorded.  Answers are applied ten batches (or two seconds) at a time,
   in one transaction that marks those batches answered; before waiting to try a batch
   again, and whatever stops the run, the answers held are applied first.  Killed at
   any point, the next run finds every batch either answered (its verdicts kept) or
   not (sent again under the same key): no user is sent twice as new work, no verdict
   the workspace kept is lost.
3. Timeouts, dropped connections, 408/409/425/429/5xx and bodies that are not an answer
   to this batch (not JSON, cut short, another batch's answer, two fields of one name)
   are retried with exponential backoff and jitter, a ``Retry-After`` honoured, until
   the service answers or ``patience`` seconds pass without an answer (then the run
   stops, saying so; run again to resume).  A batch the service refuses for its
   content (400, 413, 422), or answers three times without a record of it, is set
   aside (``refused``) and the others go on; other 4xx (a refused token), a wrong
   address or header, and an answer in another protocol stop at once.
4. Requests start at most ``rate`` in any second (``Pacer``; retries included).

Every attempt is logged in ``registry_exchange`` (who, when, the outcome, the body's
SHA-256); personal data never reaches the log.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from landclean.registry_service.batches import WAITING, Planned, log_exchange, plan, records
from landclean.registry_service.protocol import (
    Protocol,
    RegistryServiceError,
    request_body,
    response_records,
)
from landclean.registry_service.verdicts import Applied, apply, folded, load_rows, rows_relation
from landclean.workspace import Workspace

log = logging.getLogger(__name__)

RETRY_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
# the service refuses this batch (its content), not the connector: the batch is set
# aside as refused and the others go on; any other status stops the run (a token
# refused, a wrong address)
BATCH_REFUSED = frozenset({400, 413, 422})
GROUP_SECONDS = 2.0  # answers kept at most this long before they are applied
FOREIGN_MAX = 3  # well-formed answers without a record of their batch before it is set aside


@dataclass(frozen=True)
class _Answer:
    """A batch's answer, checked to be one, not applied yet."""

    batch_id: str
    records: list
    content: bytes


@dataclass
class Verified:
    """What one ``verify`` did."""

    resumed: int = 0  # batches an earlier run left unanswered, sent again
    planned: Planned | None = None
    batches: int = 0  # answered now
    attempts: int = 0
    retries: dict[str, int] = field(default_factory=dict)  # outcome -> retries
    applied: Applied = field(default_factory=Applied)
    seconds: float = 0.0
    waited: float = 0.0  # of which waiting (rate limit, backoff)
    service_seconds: float = 0.0  # of which waiting for the service's answers
    plan_seconds: float = 0.0  # of which choosing the users and recording the batches
    refused: int = 0  # batches the service refused (their users may be asked again)


@dataclass
class Pacer:
    """At most ``rate`` request starts in any window of one second (of ``1 / rate``
    seconds when slower than one a second): a request held up by the workspace's own
    work may be caught up, never more than the limit in a window."""

    rate: float
    starts: deque[float] = field(default_factory=deque)
    waited: float = 0.0

    def wait(self) -> None:
        if self.rate <= 0:
            return
        window = max(1.0, 1.0 / self.rate)
        allowed = max(1, int(self.rate * window))
        now = time.monotonic()
        while self.starts and now - self.starts[0] >= window:
            self.starts.popleft()
        if len(self.starts) >= allowed:
            gap = window - (now - self.starts[0])
            time.sleep(gap)
            self.waited += gap
            self.starts.popleft()
        self.starts.append(time.monotonic())


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def verify(
    ws: Workspace,
    p: Protocol,
    service: str,
    *,
    by: str,
    selection: str = "unverified",
    commune: str | None = None,
    batch_size: int = 1000,
    rate: float = 5.0,
    token: str | None = None,
    timeout: float = 30.0,
    patience: float = 600.0,
    backoff: float = 0.5,
    progress: Callable[[int, int], None] | None = None,
    client: httpx.Client | None = None,
    group: int = 10,
) -> Verified:
    """Verify the chosen land users through the service at ``service`` (base URL);
    answers are applied ``group`` batches (or ``GROUP_SECONDS``) at a time."""
    if not re.match(r"https?://[^/\s]+", service):
        raise RegistryServiceError("registry_url", url=service)
    started = time.monotonic()
    report = Verified()
    pending = _unanswered(ws)
    report.resumed = len(pending)
    if pending:  # an interrupted run is finished first, as it was planned: nobody new
        report.planned = Planned([], 0, 0, 0)
    else:
        report.planned = plan(
            ws, p, by=by, channel="online", selection=selection, commune=commune,
            batch_size=batch_size,
        )  # fmt: skip
    report.plan_seconds = time.monotonic() - started
    todo = pending + report.planned.batches
    url = service.rstrip("/") + p.path
    headers = {"Content-Type": "application/json; charset=utf-8"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    pacer = Pacer(rate)
    own = client is None
    http = client or httpx.Client(timeout=timeout)
    answers: list[_Answer] = []  # answered, not yet applied
    oldest = 0.0

    def flush() -> None:
        if answers:
            held = list(answers)
            answers.clear()  # (a failing apply is not tried again on the way out)
            report.applied.add(_apply(ws, p, held, url, by))
            report.batches += len(held)

    try:
        for done, batch_id in enumerate(todo):
            rows = records(ws.con, p, batch_id)
            keys = {str(r[p.request.name("request_key")]) for r in rows}
            body = request_body(p, batch_id, rows)
            try:
                answer = _send(ws, p, http, url, batch_id, keys, body, headers, by, pacer,
                               report, patience, backoff, flush)  # fmt: skip
            except _Refused:
                with ws.transaction() as con:
                    con.execute(
                        "UPDATE registry_batch SET status = 'refused' WHERE batch_id = ?",
                        [batch_id],
                    )
                report.refused += 1
                if progress:
                    progress(done + 1, len(todo))
                continue
            if not answers:
                oldest = time.monotonic()
            answers.append(answer)
            if len(answers) >= group or time.monotonic() - oldest >= GROUP_SECONDS:
                flush()
            if progress:
                progress(done + 1, len(todo))
        flush()
    except BaseException:
        flush()  # answers received are kept whatever stops the run
        raise
    finally:
        if own:
            http.close()
    report.seconds = time.monotonic() - started
    report.waited = pacer.waited + report.waited
    return report


def _unanswered(ws: Workspace) -> list[str]:
    rows = ws.con.execute(
        f"SELECT batch_id FROM registry_batch WHERE channel = 'online' AND status IN {WAITING} "
        "ORDER BY batch_id"
    ).fetchall()
    return [str(r[0]) for r in rows]


def _send(
    ws: Workspace,
    p: Protocol,
    http: httpx.Client,
    url: str,
    batch_id: str,
    keys: set[str],
    body: bytes,
    headers: dict[str, str],
    by: str,
    pacer: Pacer,
    report: Verified,
    patience: float,
    backoff: float,
    idle: Callable[[], None],
) -> _Answer:
    """One batch sent until answered (see the module); ``idle``: called before waiting
    to try again (answers held are applied meanwhile)."""
    since = time.monotonic()
    failures = 0
    foreign = 0  # well-formed answers holding no record of this batch
    while True:
        pacer.wait()
        with ws.transaction() as con:
            con.execute(
                "UPDATE registry_batch SET status = 'sent', attempts = attempts + 1, "
                "sent_at = coalesce(sent_at, now()::TIMESTAMP) WHERE batch_id = ?",
                [batch_id],
            )
            log_exchange(con, by=by, batch_id=batch_id, direction="request", channel="online",
                         target=url, outcome="sending", records=None, body=body)  # fmt: skip
        report.attempts += 1
        wait: float | None = None
        asked = time.monotonic()
        try:
            response = http.post(
                url, content=body, headers=headers | {p.idempotency_header: batch_id}
            )
        except (httpx.UnsupportedProtocol, httpx.LocalProtocolError) as exc:
            raise RegistryServiceError(  # no retry mends a wrong address or header
                "registry_refused", url=url, status="—", detail=str(exc)[:200]
            ) from exc
        except httpx.TimeoutException:
            report.service_seconds += time.monotonic() - asked
            outcome = "timeout"
        except httpx.TransportError as exc:
            report.service_seconds += time.monotonic() - asked
            outcome = "connection: " + type(exc).__name__
        else:
            report.service_seconds += time.monotonic() - asked
            outcome = str(response.status_code)
            if response.status_code == 200:
                answer = _answer(p, batch_id, keys, response.content)
                if answer is not None:
                    return answer
                outcome = "malformed"
                foreign += _well_formed(p, batch_id, response.content)
                if foreign >= FOREIGN_MAX:  # asked again, it answers others: set aside
                    _log(ws, by, batch_id, url, "no record of this batch", response.content)
                    raise _Refused
            elif response.status_code in BATCH_REFUSED:
                _log(ws, by, batch_id, url, outcome, response.content)
                log.warning("registry batch %s refused: HTTP %s", batch_id, outcome)
                raise _Refused
            elif response.status_code not in RETRY_STATUSES:
                _log(ws, by, batch_id, url, outcome, response.content)
                raise RegistryServiceError(
                    "registry_refused", url=url, status=response.status_code,
                    detail=response.text[:200].replace("\n", " "),
                )  # fmt: skip
            else:
                wait = _retry_after(response)
        _log(ws, by, batch_id, url, outcome, None)
        report.retries[outcome] = report.retries.get(outcome, 0) + 1
        failures += 1
        if time.monotonic() - since > patience:
            raise RegistryServiceError(
                "registry_unreachable", url=url, batch=batch_id, seconds=round(patience),
                outcome=outcome,
            )  # fmt: skip
        if wait is None or not math.isfinite(wait):
            delay = min(60.0, backoff * 2 ** min(failures - 1, 10)) * random.uniform(0.5, 1.0)
        else:
            delay = wait
        delay = min(delay, max(patience - (time.monotonic() - since), 0.0) + 0.1)
        log.info("registry batch %s: %s, again in %.1f s", batch_id, outcome, delay)
        idle()
        time.sleep(delay)
        report.waited += delay


def _log(ws: Workspace, by: str, batch_id: str, url: str, outcome: str, body: bytes | None) -> None:
    with ws.transaction() as con:
        log_exchange(con, by=by, batch_id=batch_id, direction="response", channel="online",
                     target=url, outcome=outcome, records=None, body=body)  # fmt: skip


def _answer(p: Protocol, batch_id: str, keys: set[str], content: bytes) -> _Answer | None:
    """The body as the batch's answer; None when it is not one (not JSON, not the
    protocol's shape, another batch's id, or not one record of this batch)."""
    try:
        batch, rows = response_records(p, json.loads(content))
    except (ValueError, UnicodeDecodeError):
        return None
    if batch is not None and batch != batch_id:
        return None
    wanted = folded(p.response.name("request_key"))
    names = {folded(n): n for n in p.response.fields.values()}
    fields: set[str] = set()
    mine = False
    canonical = []  # each record under the protocol's own names (one spelling per body)
    for r in rows:
        if not isinstance(r, dict):
            canonical.append(r)
            continue
        fields.update(map(str, r))
        named = {names.get(folded(str(k)), str(k)): v for k, v in r.items()}
        if len(named) < len(r):  # two fields of one name: not an answer
            return None
        canonical.append(named)
        key = named.get(p.response.name("request_key"))
        mine = mine or (key is not None and str(key).strip() in keys)
    if mine:
        return _Answer(batch_id, canonical, content)
    if fields and wanted not in {folded(f) for f in fields}:  # another protocol: no retry
        raise RegistryServiceError(                            # mends that
            "registry_answer_fields", batch=batch_id, field=p.response.name("request_key"),
            fields=", ".join(sorted(fields)[:20]),
        )  # fmt: skip
    return None


def _well_formed(p: Protocol, batch_id: str, content: bytes) -> int:
    """1 when the body is the protocol's and does not name another batch (then it is an
    answer to this one without its records), else 0."""
    try:
        batch, _ = response_records(p, json.loads(content))
    except (ValueError, UnicodeDecodeError):
        return 0
    return int(batch is None or batch == batch_id)


def _apply(ws: Workspace, p: Protocol, answers: list[_Answer], url: str, by: str) -> Applied:
    """Answers applied, each row to the batch it answers, in one transaction with their
    batches marked answered and the bodies logged."""
    with ws.transaction() as con:
        present = rows_relation(con, [(a.batch_id, a.records) for a in answers])
        load_rows(con, p, "rv_body", present, tagged=True, where=url)
        con.unregister("rv_body")
        applied = apply(con, p, source=url, by=by, tagged=True)
        for a in answers:
            log_exchange(con, by=by, batch_id=a.batch_id, direction="response", channel="online",
                         target=url, outcome="200", records=len(a.records),
                         body=a.content)  # fmt: skip
        con.execute(
            "UPDATE registry_batch SET status = 'answered', "
            "answered_at = coalesce(answered_at, now()::TIMESTAMP) "
            "WHERE list_contains($batches, batch_id)",
            {"batches": [a.batch_id for a in answers]},
        )
    return applied


class _Refused(Exception):
    """The service refused a batch for its content (``BATCH_REFUSED``)."""
