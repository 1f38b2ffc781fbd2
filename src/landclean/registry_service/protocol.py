"""The population service's protocol as data (``protocol.json``): what a request record
holds, what a verdict holds, and the names and words the service uses for them.

landclean's own names (``REQUEST``, ``RESPONSE``) are fixed; the file maps each to the
service's field name, says which request fields are sent at all (``send``: only what
the service needs), how dates and sexes are written and where a JSON body keeps its
batch id and records.  A province whose service names things otherwise edits a copy and
points ``LANDCLEAN_REGISTRY_PROTOCOL`` at it.  The file is checked when it is read: a
wrong one is one clear error naming what is wrong.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from landclean.errors import LandcleanError

REQUEST = (
    "request_key",
    "id_number",
    "old_id",
    "full_name",
    "birth_date",
    "birth_precision",
    "sex",
)
RESPONSE = (
    "request_key",
    "found",
    "name_match",
    "birth_match",
    "sex_match",
    "registry_id",
    "registry_name",
    "registry_birth",
    "registry_sex",
    "error_code",
)
FLAGS = ("found", "name_match", "birth_match", "sex_match")
PRECISIONS = ("day", "year", "none")
SEXES = ("M", "F")
DATE_TOKENS = {"DD": "%d", "MM": "%m", "YYYY": "%Y"}
HEADER = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+\Z")  # an HTTP header's name (a token)
DATE_FORMAT = re.compile(r"(DD|MM|YYYY)([-/.])(DD|MM|YYYY)\2(DD|MM|YYYY)\Z")


class RegistryServiceError(LandcleanError):
    """Something the population service exchange cannot go on with (what, where, why)."""


class ProtocolError(RegistryServiceError):
    def __init__(self, where: str, problem: str) -> None:
        super().__init__("registry_protocol", where=where, problem=problem)


@dataclass(frozen=True)
class Side:
    """One direction of the protocol: field names, value words, the JSON body's keys."""

    fields: dict[str, str]  # landclean's name -> the service's
    date_format: str  # strftime/strptime form, e.g. %d/%m/%Y
    sex_values: dict[str, str]  # M/F -> the service's word
    batch: str  # the JSON body's key for the batch id
    records: str  # the JSON body's key for the list of records

    def name(self, field: str) -> str:
        return self.fields[field]


@dataclass(frozen=True)
class Protocol:
    send: tuple[str, ...]  # request fields sent (request_key always)
    request: Side
    response: Side
    precision_values: dict[str, str]
    true_values: tuple[str, ...]
    false_values: tuple[str, ...]
    path: str  # the online service's endpoint, below its base URL
    idempotency_header: str
    digest: str  # of the file: what was sent depends on it

    def flag(self, text: object) -> bool | str | None:
        """A verdict's yes/no as read: True, False, None (empty), or the text itself
        when it is neither (malformed)."""
        if text is None or isinstance(text, bool):
            return text
        word = _word(text)
        if not word:
            return None
        if word in self.true_values:
            return True
        if word in self.false_values:
            return False
        return str(text)


def _word(value: object) -> str:
    return unicodedata.normalize("NFC", str(value).strip()).casefold()


def _strftime(fmt: str, where: str) -> str:
    m = DATE_FORMAT.match(fmt)
    if not m or len({m.group(1), m.group(3), m.group(4)}) != 3:
        raise ProtocolError(where, f"date format {fmt!r}: expected e.g. DD/MM/YYYY or YYYY-MM-DD")
    sep = m.group(2)
    return sep.join(DATE_TOKENS[m.group(i)] for i in (1, 3, 4))


def _names(raw: Any, known: tuple[str, ...], where: str) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise ProtocolError(where, "expected an object of field names")
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise ProtocolError(
            where, f"unknown fields {', '.join(unknown)}; known: {', '.join(known)}"
        )
    missing = [f for f in known if f not in raw]
    if missing:
        raise ProtocolError(where, f"missing fields {', '.join(missing)}")
    names = {k: str(v).strip() for k, v in raw.items()}
    if any(not v for v in names.values()):
        raise ProtocolError(where, "a field name is empty")
    if len(set(names.values())) != len(names):
        raise ProtocolError(where, "two fields have one name")
    return names


def _side(raw: Any, known: tuple[str, ...], where: str) -> Side:
    if not isinstance(raw, dict):
        raise ProtocolError(where, "expected an object")
    sexes = raw.get("sex_values", {"M": "M", "F": "F"})
    if not isinstance(sexes, dict) or set(sexes) != set(SEXES):
        raise ProtocolError(f"{where}.sex_values", "expected the words for M and F")
    return Side(
        fields=_names(raw.get("fields"), known, f"{where}.fields"),
        date_format=_strftime(str(raw.get("date_format", "DD/MM/YYYY")), f"{where}.date_format"),
        sex_values={str(k): str(v) for k, v in sexes.items()},
        batch=str(raw.get("batch", "batch_id")),
        records=str(raw.get("records", "records")),
    )


def load_protocol(path: Path | None = None) -> Protocol:
    """The protocol file (the packaged default when ``path`` is None), checked."""
    where = str(path) if path else "protocol.json"
    try:
        text = (
            Path(path).read_text(encoding="utf-8")
            if path
            else resources.files("landclean.registry_service")
            .joinpath("protocol.json")
            .read_text(encoding="utf-8")
        )
        raw = json.loads(text)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ProtocolError(where, str(exc)) from exc
    if not isinstance(raw, dict):
        raise ProtocolError(where, "expected a JSON object")
    given = raw.get("send", list(REQUEST))
    if not isinstance(given, list) or not all(isinstance(f, str) for f in given):
        raise ProtocolError(f"{where}: send", "expected a list of field names")
    send = tuple(given)
    unknown = sorted(set(send) - set(REQUEST))
    if unknown:
        raise ProtocolError(f"{where}: send", f"unknown fields {', '.join(unknown)}")
    if "request_key" not in send:
        send = ("request_key", *send)
    if not ({"id_number", "old_id"} & set(send)):
        raise ProtocolError(f"{where}: send", "an ID number (id_number or old_id) must be sent")
    request = _side(raw.get("request"), REQUEST, f"{where}: request")
    response = _side(raw.get("response"), RESPONSE, f"{where}: response")
    words = raw.get("request", {}).get("precision_values", {p: p for p in PRECISIONS})
    if not isinstance(words, dict) or set(words) != set(PRECISIONS):
        raise ProtocolError(f"{where}: request.precision_values", "expected day, year and none")
    answers = raw.get("response", {})
    lists = {k: answers.get(k, [k[:-7]]) for k in ("true_values", "false_values")}
    for k, v in lists.items():
        if not isinstance(v, list) or not v:
            raise ProtocolError(f"{where}: response.{k}", "expected a list of words")
    true_values = tuple(_word(v) for v in lists["true_values"])
    false_values = tuple(_word(v) for v in lists["false_values"])
    if set(true_values) & set(false_values):
        raise ProtocolError(f"{where}: response", "a word is both true and false")
    for side in (request, response):
        if side.batch == side.records:
            raise ProtocolError(where, f"the batch and the records have one key: {side.batch}")
        if len({_word(v) for v in side.sex_values.values()}) != 2:
            raise ProtocolError(where, "male and female have one word")
    online = raw.get("online", {})
    header = str(online.get("idempotency_header", "Idempotency-Key"))
    if not HEADER.match(header):
        raise ProtocolError(f"{where}: online.idempotency_header", f"{header!r} is no header name")
    return Protocol(
        send=send,
        request=request,
        response=response,
        precision_values={str(k): str(v) for k, v in words.items()},
        true_values=true_values,
        false_values=false_values,
        path="/" + str(online.get("path", "/verify")).lstrip("/"),
        idempotency_header=header,
        digest=hashlib.sha256(text.encode()).hexdigest()[:16],
    )


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _ident(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def request_select(p: Protocol, alias: str = "r") -> str:
    """The SELECT list writing ``registry_request`` rows (``alias``) as the service reads
    them: the fields sent, under its names, dates and words in its form."""
    side = p.request
    sex = " ".join(f"WHEN {_literal(k)} THEN {_literal(v)}" for k, v in side.sex_values.items())
    precision = " ".join(
        f"WHEN {_literal(k)} THEN {_literal(v)}" for k, v in p.precision_values.items()
    )
    values = {
        "request_key": f"{alias}.request_key",
        "id_number": f"{alias}.id_number",
        "old_id": f"{alias}.old_id",
        "full_name": f"{alias}.full_name",
        "birth_date": f"CASE {alias}.birth_precision WHEN 'day' THEN strftime({alias}.birth_date, "
        f"{_literal(side.date_format)}) WHEN 'year' THEN {alias}.birth_year::VARCHAR END",
        "birth_precision": f"CASE {alias}.birth_precision {precision} END",
        "sex": f"CASE {alias}.sex {sex} END",
    }
    return ", ".join(f"{values[f]} AS {_ident(side.name(f))}" for f in REQUEST if f in p.send)


def request_body(p: Protocol, batch_id: str, records: list[dict[str, Any]]) -> bytes:
    """A batch as the service's JSON body."""
    return json.dumps(
        {p.request.batch: batch_id, p.request.records: records}, ensure_ascii=False
    ).encode("utf-8")


def response_records(p: Protocol, body: Any) -> tuple[str | None, list[Any]]:
    """The batch id and records of a JSON response body (already parsed); a body of
    another shape raises ``ValueError``."""
    if isinstance(body, list):
        return None, body
    if not isinstance(body, dict) or not isinstance(body.get(p.response.records), list):
        raise ValueError(f"expected an object with a list {p.response.records!r}")
    batch = body.get(p.response.batch)
    return (None if batch is None else str(batch)), body[p.response.records]
