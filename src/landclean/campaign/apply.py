"""Taking a filled-in worklist back (``campaign.worklist`` writes it).

Every value is validated and recorded as a person's correction (``correction`` and
``change_log``, with who made it); the days certificates were collected, scanned and
entered go to ``certificate_step``; cells that cannot be applied are listed with sheet,
row, column, value and reason (``Rejected``, worded in Vietnamese or English), and the
rest is applied, set-based, in the caller's transaction.  Accepting a registry proposal
takes the value from the workspace, never from the file (the file shows it masked).
Rows naming a finding that does not exist, or a record of another commune than the
worklist's, are refused (``apply_scope``).

Over 400 lines: the three sheets are read, checked and recorded in one transaction, with
one list of rejected cells.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from landclean.campaign.apply_scope import (
    commune_label,
    foreign_findings,
    foreign_records,
    worklist_commune,
)
from landclean.campaign.worklist import (
    CERT,
    CERTS,
    F_HEAD,
    FIND,
    FINDINGS,
    STEPS,
    U_HEAD,
    USER,
    USERS,
    field_column,
    field_names,
)
from landclean.corrections import (
    Correction,
    column_type,
    planned,
    record_corrections,
    typed_text,
)
from landclean.errors import LandcleanError
from landclean.ingest.importer import sha256_of
from landclean.labels import label
from landclean.privacy import mask_typed_id
from landclean.rules.exceptions import Acceptance, accept_exceptions
from landclean.vn.text import nfc
from landclean.vn.words import is_yes, yes_no


@dataclass
class Rejected:
    """A cell of the worklist that was not applied, and why."""

    file: str
    sheet: str
    row: int
    column: str
    value: str
    reason: LandcleanError

    def text(self, lang: str) -> str:
        """One line; an ID number typed in any cell is masked (the list is printed and
        written beside the workbook)."""
        line = label(
            "errors",
            "rejected_cell",
            lang,
            file=self.file,
            sheet=self.sheet,
            row=self.row,
            column=self.column,
            value=self.value,
            reason=self.reason.text(lang),
        )
        return _ID_LIKE.sub(lambda m: mask_typed_id(m.group(0)), line)


# nine digits or more, maybe spaced or dotted, not part of a code ("T242150009722")
_ID_LIKE = re.compile(r"(?<![0-9A-Za-z])[0-9](?:[ .-]?[0-9]){8,}(?![0-9A-Za-z])")


@dataclass
class ApplyResult:
    applied: int = 0
    accepted_users: int = 0
    certificate_steps: int = 0  # collection / scanning / entry dates recorded
    rejected: list[Rejected] = field(default_factory=list)
    unchanged: int = 0  # values equal to the record's: nothing to correct
    exceptions: int = 0  # findings accepted as exceptions, with the reason
    # when and by whom this very file (same bytes) was taken back before; then nothing
    # was recorded this time, unless asked to apply it again
    applied_before: list[tuple[dt.datetime, str]] = field(default_factory=list)

    @property
    def errors(self) -> list[str]:
        """The rejected cells, in English."""
        return [r.text("en") for r in self.rejected]


Fail = Callable[[str, int, str, str, LandcleanError], None]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return nfc(str(value)).strip()  # typed in decomposed Unicode (NFD): the same words


@dataclass
class _Pending:
    """Corrections gathered from the workbook, each with the cell it came from."""

    corrections: list[Correction] = field(default_factory=list)
    origin: list[tuple[str, int, str, str]] = field(default_factory=list)  # sheet,row,col,val
    primary: list[bool] = field(default_factory=list)
    kinds: dict[tuple[str, str], str] = field(default_factory=dict)

    def add(
        self,
        con: duckdb.DuckDBPyConnection,
        where: tuple[str, int, str, str],
        target: tuple[str, str, str],
        text: str,
        actor: str,
        note: str,
    ) -> None:
        """Check the typed text for ``target`` (table, record, column) and queue it, with
        what follows from it; raises LandcleanError for a value that cannot be right."""
        table, record, column = target
        if (table, column) not in self.kinds:  # planned checks the column is correctable
            self.kinds[table, column] = column_type(con, table, column)
        queued = planned(self.kinds[table, column], table, record, column, text, actor, note)
        self.corrections += queued
        self.origin += [where] * len(queued)
        self.primary += [i == 0 for i in range(len(queued))]


Rows = list[tuple[int, dict[str, str]]]
HEADER_ROWS = 3  # the header is one of a sheet's first rows (a title row may come first)


def _rows(wb: Any, path: Path, sheet: str, headers: list[str]) -> Rows:
    """The rows of ``sheet`` by header, numbered as the spreadsheet numbers them."""
    if sheet not in wb.sheetnames:
        raise LandcleanError("no_worklist_sheet", path=path, sheet=sheet)
    rows = wb[sheet].iter_rows(values_only=True)
    head: list[str] = []
    first = 0
    while first < HEADER_ROWS:  # the header row: below the title, if any
        first += 1
        head = [_cell(h) for h in next(rows, ())]
        missing = [h for h in headers if h not in head]
        if not missing:
            break
    if missing:
        raise LandcleanError("worklist_columns", path=path, sheet=sheet, columns=", ".join(missing))
    out = []
    for number, row in enumerate(rows, first + 1):
        values = {h: _cell(row[i]) if i < len(row) else "" for i, h in enumerate(head)}
        out.append((number, values))
    return out


def _read(path: Path) -> tuple[Rows, Rows, Rows | None, str | None]:
    """The findings, users and certificates sheets (None: a worklist from before
    certificates were followed one by one) and the commune its title names, the
    workbook opened once."""
    import openpyxl

    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # not a workbook at all
        raise LandcleanError("not_a_worklist", path=path, reason=exc) from exc
    try:
        certs = None
        if CERTS in wb.sheetnames:
            certs = _rows(wb, path, CERTS, [CERT["certificate_id"], *STEPS, CERT["by"]])
        findings, users = _rows(wb, path, FINDINGS, F_HEAD), _rows(wb, path, USERS, U_HEAD)
        title = next(wb[FINDINGS].iter_rows(max_row=1, values_only=True), ())
        commune = worklist_commune(_cell(title[0])) if title else None
        return findings, users, certs, commune
    finally:
        wb.close()


def _shown(column: str, value: str) -> str:
    """A cell's value as the list of rejected cells shows it: ID numbers masked (the
    list is printed and written beside the workbook)."""
    return mask_typed_id(value) if column == "id_number" else value


def _note(path: Path, number: int, row: dict[str, str], header: str) -> str:
    where = label("worklist_sheets", "source", "vi", file=path.name, row=number)
    return where + (f": {row[header]}" if row[header] else "")


def apply_worklist(
    con: duckdb.DuckDBPyConnection, path: Path, actor: str, *, again: bool = False
) -> ApplyResult:
    """Record the corrections of a filled-in worklist (call inside a transaction).

    Each cell is checked as it is read (dates, ID numbers, the field named); then all
    the corrections are validated against the workspace and recorded set-based.  A file
    taken back before (same bytes) records nothing and says when (``applied_before``),
    unless ``again``: taking it back twice must not undo what others corrected since."""
    result = ApplyResult()
    digest = sha256_of(path)
    result.applied_before = [
        (when, str(who))
        for when, who in con.execute(
            "SELECT applied_at, actor FROM worklist_return WHERE file_sha256 = ? "
            "ORDER BY applied_at",
            [digest],
        ).fetchall()
    ]
    if result.applied_before and not again:
        return result
    findings, users, certs, commune = _read(path)
    pending = _Pending()
    keys = {  # the rows with something to take: their findings exist, in the commune
        number: (parts[0], parts[1], parts[2])
        for number, r in findings
        if (r[FIND["value"]] or r[FIND["exception"]])
        and len(parts := r[FIND["key"]].split("|", 2)) == 3
    }
    foreign = foreign_findings(con, commune, keys)

    def fail(sheet: str, row: int, column: str, value: str, reason: LandcleanError) -> None:
        result.rejected.append(Rejected(path.name, sheet, row, column, value, reason))

    accepted: list[Acceptance] = []
    accepted_at: list[tuple[str, int, str, str]] = []
    for number, r in findings:
        value, why = r[FIND["value"]], r[FIND["exception"]]
        if not value and not why:
            continue
        parts = r[FIND["key"]].split("|", 2)
        if len(parts) != 3:
            fail(FINDINGS, number, FIND["key"], r[FIND["key"]], LandcleanError("bad_key"))
            continue
        if number in foreign:
            fail(FINDINGS, number, FIND["key"], r[FIND["key"]], foreign[number])
            continue
        rule, rtype, record = parts
        who, note = r[FIND["by"]] or actor, _note(path, number, r, FIND["note"])
        if why:
            accepted.append(Acceptance(rule, rtype, record, why, who))
            accepted_at.append((FINDINGS, number, FIND["exception"], why))
        if not value:
            continue
        column = field_column(rtype, r[FIND["field"]])
        if column is None:
            names = [n for (t, _), n in field_names("vi").items() if t == rtype]
            reason = (
                LandcleanError("not_a_field", value=r[FIND["field"]], fields="; ".join(names))
                if names  # (a map sheet's finding: no field of it can be typed)
                else LandcleanError("value_not_closing")
            )
            fail(FINDINGS, number, FIND["field"], r[FIND["field"]], reason)
            continue
        where = (FINDINGS, number, FIND["value"], _shown(column, value))
        try:
            pending.add(con, where, (rtype, record, column), value, who, note)
        except LandcleanError as exc:
            fail(*where, exc)
    answers = {}  # row -> the accept cell's yes (True), no (False), or empty (None)
    for number, r in users:
        answers[number] = yes_no(r[USER["accept"]])
        if r[USER["accept"]] and answers[number] is None:  # neither: say so, apply the rest
            reason = LandcleanError("not_yes_no", value=r[USER["accept"]])
            fail(USERS, number, USER["accept"], r[USER["accept"]], reason)
    typed = ("right_name", "right_id", "right_birth")
    outside = foreign_records(
        con,
        commune,
        "party",
        {r[USER["party_id"]] for n, r in users if answers[n] or any(r[USER[k]] for k in typed)},
    )
    accepting = [r[USER["party_id"]] for n, r in users if answers[n]]
    con.register("wl_accepting", pa.table({"party_id": pa.array(accepting, pa.string())}))
    proposals = {  # a join, not list_contains: that scans the list for every user
        str(p): rest
        for p, *rest in con.execute(
            "SELECT party_id, proposed_id, proposed_name, strftime(proposed_birth, '%d/%m/%Y') "
            "FROM auth_result JOIN wl_accepting USING (party_id)"
        ).fetchall()
    }
    con.unregister("wl_accepting")
    for number, r in users:
        party = r[USER["party_id"]]
        who, note = r[USER["by"]] or actor, _note(path, number, r, USER["note"])
        changes: dict[str, tuple[str, str]] = {}  # column -> (value, the header it came from)
        if party in outside:
            reason = LandcleanError(
                "not_this_commune", record=party, commune=commune_label(con, str(commune))
            )
            fail(USERS, number, USER["party_id"], party, reason)
            continue
        if answers[number]:
            if party not in proposals:
                fail(USERS, number, USER["party_id"], party, LandcleanError("no_land_user"))
                continue
            for column, value in zip(
                ("id_number", "full_name", "birth_date"), proposals[party], strict=True
            ):
                if value:
                    changes[column] = (str(value), USER["accept"])
            result.accepted_users += 1
        for column, key in (("full_name", "right_name"), ("id_number", "right_id"),
                            ("birth_date", "right_birth")):  # fmt: skip
            if r[USER[key]]:
                changes[column] = (r[USER[key]], USER[key])
        for column, (value, header) in changes.items():
            where = (USERS, number, header, _shown(column, value))
            try:
                pending.add(con, where, ("party", party, column), value, who, note)
            except LandcleanError as exc:
                fail(*where, exc)
    same: set[int] = set()
    refused = record_corrections(con, pending.corrections, unchanged=same)
    reported = set()
    for idx, reason in sorted(refused.items()):
        if pending.origin[idx][:3] not in reported:
            reported.add(pending.origin[idx][:3])
            fail(*pending.origin[idx], reason)
    result.applied = sum(
        1
        for i, primary in enumerate(pending.primary)
        if primary and i not in refused and i not in same
    )
    result.unchanged = sum(1 for i in same if pending.primary[i])
    already: set[int] = set()  # findings that were exceptions before: nothing recorded
    refused_exceptions = accept_exceptions(con, accepted, unchanged=already)
    for idx, reason in sorted(refused_exceptions.items()):
        fail(*accepted_at[idx], reason)
    result.exceptions = len(accepted) - len(refused_exceptions) - len(already)
    if certs is not None:
        _record_steps(con, path, certs, actor, result, fail, commune)
    con.execute(
        "INSERT INTO worklist_return VALUES (?, ?, now()::TIMESTAMP, ?, ?, ?, ?, ?)",
        [
            digest,
            path.name,
            actor,
            result.applied,
            result.unchanged,
            result.certificate_steps,
            len(result.rejected),
        ],
    )
    return result


STEPS_SQL = """
CREATE OR REPLACE TEMP TABLE wl_step_new AS
WITH latest AS (
    SELECT certificate_id, step, done_on FROM certificate_step
    QUALIFY row_number() OVER (PARTITION BY certificate_id, step
                               ORDER BY recorded_at DESC, done_on DESC) = 1
)
SELECT n.*, l.done_on AS before, c.certificate_id IS NOT NULL AS found
FROM wl_steps n
LEFT JOIN (SELECT DISTINCT certificate_id FROM certificate) c USING (certificate_id)
LEFT JOIN latest l USING (certificate_id, step)
WHERE l.done_on IS DISTINCT FROM n.done_on
"""


def _record_steps(
    con: duckdb.DuckDBPyConnection,
    path: Path,
    certs: Rows,
    actor: str,
    result: ApplyResult,
    fail: Fail,
    commune: str | None = None,
) -> None:
    """The certificates sheet: the days each certificate was collected, scanned and
    entered (of the commune's certificates); a date already recorded is not recorded
    again (set-based)."""
    today = dt.date.today()
    rows: list[tuple[str, str, dt.date, str, str, int, str, str]] = []
    listed = {r[CERT["certificate_id"]] for _, r in certs if any(r[h] for h in STEPS)}
    outside = foreign_records(con, commune, "certificate", listed)
    for number, r in certs:
        who, note = r[CERT["by"]] or actor, _note(path, number, r, CERT["note"])
        if r[CERT["certificate_id"]] in outside:
            where = commune_label(con, str(commune))
            reason = LandcleanError("not_this_commune", record=r[CERT["certificate_id"]],
                                    commune=where)  # fmt: skip
            fail(CERTS, number, CERT["certificate_id"], r[CERT["certificate_id"]], reason)
            continue
        days: dict[str, dt.date] = {}
        row_steps = []
        for header, step in STEPS.items():
            text = r[header]
            if not text or yes_no(text) is False:  # empty, or "chưa": not done yet
                continue
            try:
                day = today if is_yes(text) else dt.date.fromisoformat(typed_text("DATE", "", text))
            except LandcleanError as exc:
                fail(CERTS, number, header, text, exc)
                continue
            if day > today:
                fail(CERTS, number, header, text, LandcleanError("date_in_future"))
                continue
            days[step] = day
            row_steps.append(
                (r[CERT["certificate_id"]], step, day, who, note, number, header, text)
            )
        order = [days[s] for s in STEPS.values() if s in days]
        if order == sorted(order):
            rows += row_steps
        else:  # the cells as written, and the days they were read as
            headers = " / ".join(x[6] for x in row_steps)
            shown = " / ".join(f"{x[2]:%d/%m/%Y}" for x in row_steps)
            fail(CERTS, number, headers, shown, LandcleanError("dates_out_of_order"))
    if not rows:
        return
    con.register(
        "wl_steps_arrow",
        pa.table(
            {
                "certificate_id": [x[0] for x in rows],
                "step": [x[1] for x in rows],
                "done_on": pa.array([x[2] for x in rows], pa.date32()),
                "actor": [x[3] for x in rows],
                "source": [x[4] for x in rows],
                "row_no": [x[5] for x in rows],
                "header": [x[6] for x in rows],
                "text": [x[7] for x in rows],
            }
        ),
    )
    con.execute("CREATE OR REPLACE TEMP TABLE wl_steps AS SELECT * FROM wl_steps_arrow")
    con.unregister("wl_steps_arrow")
    con.execute(STEPS_SQL)
    for row_no, header, text, cid in con.execute(
        "SELECT row_no, header, text, certificate_id FROM wl_step_new WHERE NOT found "
        "ORDER BY row_no"
    ).fetchall():
        fail(CERTS, row_no, header, text, LandcleanError("no_certificate", certificate=cid))
    con.execute(
        "INSERT INTO certificate_step SELECT certificate_id, step, done_on, actor, "
        "now()::TIMESTAMP, source FROM wl_step_new WHERE found"
    )
    con.execute(
        "INSERT INTO change_log (changed_at, actor, stage, table_name, record_id, column_name, "
        "before, after, note) SELECT now()::TIMESTAMP, actor, 'worklist', 'certificate', "
        "certificate_id, step || '_on', CAST(before AS VARCHAR), CAST(done_on AS VARCHAR), "
        "source FROM wl_step_new WHERE found"
    )
    row = con.execute("SELECT count(*) FROM wl_step_new WHERE found").fetchone()
    result.certificate_steps = int(row[0]) if row else 0
    con.execute("DROP TABLE wl_steps")
    con.execute("DROP TABLE wl_step_new")
