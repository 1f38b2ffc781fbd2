"""The days a certificate was collected, scanned and entered, recorded one at a time:
whatever order people type them in, what is on record keeps its order, each accepted
day is the one on record afterwards, and each refusal leaves everything as it was."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landclean.campaign.cert_steps import STEPS, pending_certificates, record_step
from landclean.errors import LandcleanError
from landclean.workspace import Workspace

TODAY = dt.date(2026, 6, 30)
LATEST = """
SELECT step, done_on FROM certificate_step WHERE certificate_id = ?
QUALIFY row_number() OVER (PARTITION BY step ORDER BY recorded_at DESC, done_on DESC) = 1
"""


def _latest(ws: Workspace, cert: str) -> dict[str, dt.date]:
    return dict(ws.con.execute(LATEST, [cert]).fetchall())


@pytest.fixture(scope="module")
def certs(copy_ws: Workspace) -> list[str]:
    rows = copy_ws.con.execute(
        "SELECT certificate_id FROM certificate WHERE digital_status <> 'digital' "
        "AND certificate_id NOT IN (SELECT certificate_id FROM certificate_step) "
        "ORDER BY 1 LIMIT 60"
    ).fetchall()
    assert len(rows) == 60
    return [r[0] for r in rows]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.tuples(st.sampled_from(STEPS), st.integers(-40, 5)), min_size=1, max_size=8),
)
def test_what_is_on_record_stays_in_order(
    copy_ws: Workspace, certs: list[str], typed: list[tuple[str, int]]
) -> None:
    cert = certs.pop() if len(certs) > 1 else certs[0]
    for step, offset in typed:
        day = TODAY + dt.timedelta(days=offset)
        before = _latest(copy_ws, cert)
        try:
            with copy_ws.transaction() as con:
                changed = record_step(con, cert, step, day.strftime("%d/%m/%Y"), by="t",
                                      today=TODAY)  # fmt: skip
        except LandcleanError as exc:
            assert _latest(copy_ws, cert) == before  # a refusal records nothing
            expected = {**before, step: day}
            in_order = [expected[s] for s in STEPS if s in expected]
            assert day > TODAY or in_order != sorted(in_order), exc.key
            continue
        after = _latest(copy_ws, cert)
        assert after[step] == day and changed == (before.get(step) != day)
        assert {k: v for k, v in after.items() if k != step} == {
            k: v for k, v in before.items() if k != step
        }
        days = [after[s] for s in STEPS if s in after]
        assert days == sorted(days) and max(days) <= TODAY


def test_an_unknown_certificate_or_step_is_refused(copy_ws: Workspace) -> None:
    with pytest.raises(LandcleanError) as caught:
        record_step(copy_ws.con, "GCN-does-not-exist", "collected", None, by="t")
    assert caught.value.key == "no_certificate"
    with pytest.raises(LandcleanError) as caught:
        record_step(copy_ws.con, "x", "printed", None, by="t")
    assert caught.value.key == "setting_choice"


def test_pending_certificates_are_the_communes_not_yet_entered(copy_ws: Workspace) -> None:
    con = copy_ws.con
    commune = con.execute(
        "SELECT unit_code FROM certificate_commune GROUP BY 1 ORDER BY count(*) DESC LIMIT 1"
    ).fetchone()[0]  # type: ignore[index]
    total, rows = pending_certificates(con, commune, limit=10_000)
    expected = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT c.certificate_id FROM certificate c "
            "JOIN certificate_commune cc USING (certificate_id) "
            "JOIN certificate_parcel USING (certificate_id) "
            "WHERE cc.unit_code = ? AND c.digital_status <> 'digital' "
            "AND c.certificate_id NOT IN "
            "(SELECT certificate_id FROM certificate_step WHERE step = 'entered')",
            [commune],
        ).fetchall()
    }
    assert total == len(expected) and {r["certificate_id"] for r in rows} == expected
