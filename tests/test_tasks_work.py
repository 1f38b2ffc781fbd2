"""Tasks: overdue ones flagged from the due date and the day asked for, one task per piece
of work (the certificates without digital data are one task's, not two), and a person
given a task keeps it when a task kind's work moves to another task."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from landclean import api
from landclean.campaign.tasks import assign_task, generate_tasks, list_tasks
from landclean.labels import labels
from landclean.workspace import Workspace, open_workspace
from tests.conftest import q

DUE = dt.date(2025, 11, 30)  # the campaign's end in the tests' settings


@pytest.fixture
def copy(built_workspace: Path, tmp_path: Path) -> Path:
    path = tmp_path / "ws.duckdb"
    path.write_bytes(built_workspace.read_bytes())
    return path


def test_an_open_task_past_its_due_date_is_overdue(copy: Path) -> None:
    with open_workspace(copy) as ws:
        late, early = q(ws.con, "SELECT task_id FROM task WHERE status = 'open' ORDER BY 1")[:2]
        with ws.transaction() as tx:
            assign_task(tx, late[0], None, dt.date(2025, 10, 1), "Trưởng ban")
            assign_task(tx, early[0], None, dt.date(2025, 12, 15), "Trưởng ban")
        on = dt.date(2025, 11, 5)
        listed = {t.code: t for t in list_tasks(ws.con, include_done=True, today=on)}
        assert listed[late[0]].status == "overdue" and listed[late[0]].overdue
        assert listed[early[0]].status == "open" and not listed[early[0]].overdue
        assert {t.status for t in listed.values() if t.due == DUE} <= {"open", "done"}
        # the same tasks a month later: every open one is overdue; a done one stays done
        later = list_tasks(ws.con, include_done=True, today=dt.date(2025, 12, 20))
        for t in later:
            stored = q(ws.con, "SELECT status, due FROM task WHERE task_id = ?", [t.code])[0]
            expected = "done" if stored[0] == "done" else "open"
            if stored[0] == "open" and stored[1] < dt.date(2025, 12, 20):
                expected = "overdue"
            assert t.status == expected, t.code
        assert q(ws.con, "SELECT count(*) FROM task WHERE status = 'overdue'") == [(0,)]  # computed
        # shown in words: "Quá hạn" / "Overdue" (the command line and the report's sheet)
        assert labels("task_statuses", "vi")["overdue"] == "Quá hạn"
        assert labels("task_statuses", "en")["overdue"] == "Overdue"
        if dt.date.today() > DUE:  # listed without a day: as of today
            assert {t.status for t in api.tasks(ws).tasks if t.due == DUE} == {"overdue"}


def _certificates_of_tasks(ws: Workspace, commune: str) -> dict[str, set[str]]:
    """The certificates each task of ``commune`` covers, computed from the records: a
    rule's task, its open findings' certificates; the certificates task, the commune's
    certificates without (or not known to have) digital data not yet entered."""
    covered: dict[str, set[str]] = {}
    for task_id, kind, rule in q(
        ws.con, "SELECT task_id, kind, subject FROM task WHERE unit_code = ?", [commune]
    ):
        if kind == "fix_findings":
            rows = q(
                ws.con,
                "SELECT DISTINCT f.record_id FROM finding f JOIN parcel p USING (parcel_id) "
                "WHERE f.rule_id = ? AND f.record_type = 'certificate' AND f.state = 'open' "
                "AND p.unit_code = ?",
                [rule, commune],
            )
        elif kind == "collect_certificates":
            rows = q(
                ws.con,
                "SELECT c.certificate_id FROM certificate c JOIN certificate_commune cc "
                "USING (certificate_id) WHERE cc.unit_code = ? AND c.digital_status <> "
                "'digital' AND certificate_id NOT IN (SELECT certificate_id FROM "
                "certificate_step WHERE step = 'entered')",
                [commune],
            )
        else:
            continue
        covered[task_id] = {r[0] for r in rows}
    return covered


def test_the_certificates_without_digital_data_are_one_tasks_work(ws: Workspace) -> None:
    communes = q(
        ws.con,
        "SELECT cc.unit_code, list(c.certificate_id) FROM certificate c "
        "JOIN certificate_commune cc USING (certificate_id) "
        "WHERE c.digital_status = 'paper_only' GROUP BY 1 HAVING count(*) >= 3",
    )
    assert len(communes) > 10
    for commune, paper in communes:
        covered = _certificates_of_tasks(ws, commune)
        # every certificate without digital data is in a task; in exactly one that holds
        # them all (before: the certificates task and a CERT_NO_DIGITAL_DATA task)
        holding = [t for t, certs in covered.items() if set(paper) <= certs]
        assert holding == [f"collect:{commune}"], (commune, holding)
    assert q(ws.con, "SELECT count(*) FROM task WHERE subject = 'CERT_NO_DIGITAL_DATA'") == [(0,)]
    findings = q(ws.con, "SELECT count(*) FROM finding WHERE rule_id = 'CERT_NO_DIGITAL_DATA'")
    assert findings[0][0] > 0  # the rule still finds them: its work is the other task's


def _legacy_task(ws: Workspace, commune: str, assignee: str | None, due: dt.date) -> str:
    """A CERT_NO_DIGITAL_DATA task as earlier versions made them, given to someone."""
    task_id = f"fix:{commune}:CERT_NO_DIGITAL_DATA"
    ws.con.execute(
        "INSERT INTO task VALUES (?, ?, 'fix_findings', 'CERT_NO_DIGITAL_DATA', 'Sửa', 4, "
        "'Tổ công tác', ?, 'open', now()::TIMESTAMP, now()::TIMESTAMP, NULL, NULL)",
        [task_id, commune, DUE],
    )
    if assignee:
        with ws.transaction() as tx:
            assign_task(tx, task_id, assignee, due, "Trưởng ban chỉ đạo")
    return task_id


def test_an_assignment_moves_with_the_work(copy: Path) -> None:
    with open_workspace(copy) as ws:
        first, second = (
            r[0]
            for r in q(ws.con, "SELECT unit_code FROM task WHERE kind = 'collect_certificates' "
                       "ORDER BY 1 LIMIT 2")
        )  # fmt: skip
        old = _legacy_task(ws, first, "Lê Thị Thu", dt.date(2025, 11, 10))
        # the second commune's certificates task has its own person: that one stays
        with ws.transaction() as tx:
            assign_task(tx, f"collect:{second}", "Phạm Văn Nam", None, "Trưởng ban chỉ đạo")
        other = _legacy_task(ws, second, "Lê Thị Thu", dt.date(2025, 11, 10))
        with ws.transaction() as tx:
            generate_tasks(tx, DUE)
        assert q(ws.con, "SELECT count(*) FROM task WHERE task_id IN (?, ?)", [old, other]) == [
            (0,)
        ]
        assert q(
            ws.con,
            "SELECT assignee, due, assigned_by FROM task WHERE task_id = ?",
            [f"collect:{first}"],
        ) == [("Lê Thị Thu", dt.date(2025, 11, 10), "Trưởng ban chỉ đạo")]
        assert q(
            ws.con, "SELECT assignee, due FROM task WHERE task_id = ?", [f"collect:{second}"]
        ) == [("Phạm Văn Nam", DUE)]
        log = q(
            ws.con,
            "SELECT record_id, before, after FROM change_log WHERE table_name = 'task' "
            "AND column_name = 'task_id' ORDER BY record_id",
        )
        assert log == [
            (f"collect:{first}", old, f"collect:{first}"),
            (f"collect:{second}", other, f"collect:{second}"),
        ]
        # brought up to date again: nothing more moves, nothing is logged twice
        with ws.transaction() as tx:
            generate_tasks(tx, DUE)
        assert len(q(ws.con, "SELECT * FROM change_log WHERE column_name = 'task_id'")) == 2
        assert q(ws.con, "SELECT assignee FROM task WHERE task_id = ?", [f"collect:{first}"]) == [
            ("Lê Thị Thu",)
        ]
