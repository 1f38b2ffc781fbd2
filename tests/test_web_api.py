"""The campaign server's JSON API and pages, through HTTP: logins, CSRF, scope by role,
personal data, corrections with their conflicts and approvals, jobs.  Every route of
the application is enumerated from its router, so a route added later is checked too."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import mapbox_vector_tile
import pytest
from fastapi.testclient import TestClient

from landclean.maps.tiles import tile_of
from landclean.web.app import route_table
from tests.web import PASSWORDS, Served, serve_copy

TWELVE_DIGITS = re.compile(r"(?<!\d)\d{12}(?!\d)")
PUBLIC = {"/healthz", "/login", "/api/login", "/lang/{code}", "/confirm/{token}"}
# a tile of the map (issue 19): scope is checked on the tiles' content (tests/test_map.py)
TILE = {"layer": "parcels", "z": "15", "x": "26000", "y": "15000"}
NO_DOCUMENT = "0" * 64  # a document route's hash: none such (scope is checked first)
# a body every route with one accepts as well formed (a review's, a certificate step's)
BODY = {"decision": "explain", "reason": "deceased", "step": "collected"}


@pytest.fixture(scope="module")
def served(built_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    found = serve_copy(built_workspace, tmp_path_factory.mktemp("served"))
    yield found
    found.server.close()


def _routes(served: Served) -> list[tuple[str, str]]:
    return route_table(served.client().app)  # type: ignore[arg-type]


def _records(served: Served, commune: str) -> dict[str, str]:
    """A parcel, a land user and a certificate of ``commune``."""
    queries = {
        "parcel": "SELECT min(parcel_id) FROM parcel WHERE unit_code = ?",
        "party": "SELECT min(party_id) FROM party_commune WHERE unit_code = ?",
        "certificate": "SELECT min(certificate_id) FROM certificate_commune WHERE unit_code = ?",
    }
    with served.server.view() as ws:
        return {kind: str(ws.scalar(sql, [commune])) for kind, sql in queries.items()}


def _tile_of(served: Served, parcel: str) -> dict[str, str]:
    """The zoom-17 tile over a parcel (its box's middle in the map's table)."""
    with served.server.view() as ws:
        row = ws.con.execute(
            "SELECT (minx + maxx) / 2, (miny + maxy) / 2 FROM map_parcel WHERE parcel_id = ?",
            [parcel],
        ).fetchone()
    assert row is not None
    x, y = tile_of(row[0], row[1], 17)
    return {"layer": "parcels", "z": "17", "x": str(x), "y": str(y)}


def _fill(path: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        name = match[1]
        if name not in values:
            raise AssertionError(f"route {path}: no test value for {{{name}}}: add one")
        return values[name]

    return re.sub(r"\{(\w+)\}", one, path)


def test_health_answers_without_a_login(served: Served) -> None:
    answer = served.client().get("/healthz")
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


def test_every_route_but_the_public_ones_needs_a_login(served: Served) -> None:
    client = served.client()
    values = {"code": served.commune, "record_type": "parcel", "record_id": "x",
              "job_id": "1", "sha256": NO_DOCUMENT, "notice_id": "x", "proposal_id": "1",
              "decision": "approve", **TILE}  # fmt: skip
    checked = 0
    for method, path in _routes(served):
        if path in PUBLIC:
            continue
        answer = client.request(method, _fill(path, values), follow_redirects=False)
        if path.startswith(("/api/", "/tiles/")):  # (a map's tile: no page to go to)
            assert answer.status_code == 401, (method, path, answer.status_code)
        else:
            assert answer.status_code == 303, (method, path, answer.status_code)
            assert answer.headers["location"].startswith("/login"), (method, path)
        checked += 1
    assert checked >= 25


def test_a_wrong_password_is_401_and_a_right_one_gives_a_strict_session_cookie(
    served: Served,
) -> None:
    client = served.client()
    wrong = client.post("/api/login", json={"login": "tinh", "password": "khong-dung-dau"})
    assert wrong.status_code == 401
    right = client.post("/api/login", json={"login": "tinh", "password": PASSWORDS["tinh"]})
    assert right.status_code == 200 and len(right.json()["csrf"]) >= 32
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "max-age=" in cookie
    assert client.get("/api/me").json()["role"] == "province"
    out = client.post("/api/logout", headers={"X-CSRF-Token": right.json()["csrf"]})
    assert out.status_code == 200
    assert client.get("/api/me").status_code == 401


def test_repeated_failures_from_one_address_are_throttled(served: Served) -> None:
    client = served.client()  # a fresh application: its own throttle
    codes = [
        client.post("/api/login", json={"login": f"ai-{i}", "password": "sai-mat-khau"}).status_code
        for i in range(12)
    ]
    assert codes[:10] == [401] * 10 and codes[10:] == [429, 429]


def test_every_write_needs_the_sessions_csrf_token(served: Served) -> None:
    client, _ = served.login("tinh")
    values = {"code": served.commune, "record_type": "parcel",
              "record_id": _records(served, served.commune)["parcel"], "job_id": "1",
              "sha256": NO_DOCUMENT, "notice_id": "x", "proposal_id": "1",
              "decision": "approve"}  # fmt: skip
    writes = [(m, p) for m, p in _routes(served) if m == "POST" and p not in PUBLIC]
    assert len(writes) >= 10
    for method, path in writes:
        url = _fill(path, values)
        for wrong in ({}, {"X-CSRF-Token": "not-the-token"}):
            answer = client.request(method, url, headers=wrong, json={}, follow_redirects=False)
            assert answer.status_code == 403, (path, wrong, answer.status_code)
    with served.server.view() as ws:  # and nothing was written meanwhile
        assert ws.scalar("SELECT count(*) FROM correction") == 0


def test_a_commune_account_reaches_nothing_of_another_commune(served: Served) -> None:
    client, csrf = served.login("xa")
    # a proposal in the other commune, made by its own account
    other_client, other_csrf = served.login("xa2")
    theirs = _records(served, served.other)
    made = other_client.post(
        "/api/corrections", headers={"X-CSRF-Token": other_csrf},
        json={"record_type": "party", "record_id": theirs["party"], "field": "full_name",
              "value": "Nguyễn Văn Thử", "based_on": None, "note": "scope test"},
    )  # fmt: skip
    assert made.status_code == 409  # based on nothing: stale, nothing written
    with served.server.view() as ws:
        name = ws.scalar("SELECT full_name FROM party WHERE party_id = ?", [theirs["party"]])
    made = other_client.post(
        "/api/corrections", headers={"X-CSRF-Token": other_csrf},
        json={"record_type": "party", "record_id": theirs["party"], "field": "full_name",
              "value": "Nguyễn Văn Thử", "based_on": name, "note": "scope test"},
    )  # fmt: skip
    assert made.status_code == 202, made.text
    proposal = str(made.json()["proposal_id"])
    checked = set()
    for kind, record in theirs.items():
        values = {"code": served.other, "record_type": kind, "record_id": record,
                  "job_id": "1", "sha256": NO_DOCUMENT, "notice_id": "x", "proposal_id": proposal,
                  "decision": "approve", **_tile_of(served, theirs["parcel"])}  # fmt: skip
        for method, path in _routes(served):
            if path in PUBLIC or "{" not in path:
                continue
            if path.startswith("/tiles/"):  # the tile over their parcel: none of theirs in it
                answer = client.request(method, _fill(path, values))
                assert answer.status_code == 200
                shown = mapbox_vector_tile.decode(answer.content).get("parcels", {})
                units = {f["properties"]["unit_code"] for f in shown.get("features", [])}
                assert units <= {served.commune}, units
                checked.add((method, path))
                continue
            if "{record_type}" not in path and f"/{kind}/" not in path and kind != "parcel":
                continue
            if any(f"/{t}/" in path and kind != t for t in ("party", "certificate")):
                continue
            sent = {("json" if path.startswith("/api/") else "data"): BODY}  # a valid body
            answer = client.request(
                method, _fill(path, values), headers={"X-CSRF-Token": csrf},
                follow_redirects=False, **sent,  # type: ignore[arg-type]
            )  # fmt: skip
            assert answer.status_code in (403, 404), (method, path, kind, answer.status_code)
            if "/party/" in path or "/certificate/" in path:
                assert answer.status_code == 403, (method, path)  # it exists: refused
            checked.add((method, path))
    assert checked == {(m, p) for m, p in _routes(served) if "{" in p and p not in PUBLIC}
    # the lists answer with its own commune only
    assert [c["code"] for c in client.get("/api/communes").json()] == [served.commune]
    assert all(p["unit_code"] == served.commune for p in client.get("/api/proposals").json())
    with served.server.view() as ws:
        name = str(ws.scalar("SELECT full_name FROM party WHERE party_id = ?", [theirs["party"]]))
    hits = client.get("/api/search", params={"q": name}).json()
    assert all(h["unit_code"] == served.commune for h in hits)
    # nor can it write there
    answer = client.post(
        "/api/corrections", headers={"X-CSRF-Token": csrf},
        json={"record_type": "parcel", "record_id": theirs["parcel"], "field": "legal_area",
              "value": "100", "based_on": None, "note": "x"},
    )  # fmt: skip
    assert answer.status_code == 403


def test_a_leader_receives_no_personal_data_anywhere(served: Served) -> None:
    client, csrf = served.login("lanhdao")
    mine = _records(served, served.commune)
    shown = []
    for method, path in _routes(served):
        if method != "GET" or path in PUBLIC:
            continue
        values = {"code": served.commune, "record_type": "party", "record_id": mine["party"],
                  "job_id": "1", "sha256": NO_DOCUMENT, "notice_id": "x", "proposal_id": "1",
                  "decision": "approve", **TILE}  # fmt: skip
        answer = client.get(_fill(path, values), params={"q": "Nguyễn"})
        assert not TWELVE_DIGITS.search(answer.text), (path, TWELVE_DIGITS.search(answer.text))
        if answer.status_code == 200:
            shown.append(path)
    assert "/" in shown and "/api/communes" in shown  # the dashboard and the figures
    assert not any(p.startswith(("/records", "/api/records", "/communes")) for p in shown)
    reveal = client.post(
        f"/api/records/party/{mine['party']}/reveal", headers={"X-CSRF-Token": csrf}
    )
    assert reveal.status_code == 403


def test_ids_are_masked_until_revealed_and_every_reveal_is_logged(served: Served) -> None:
    client, csrf = served.login("xa")
    with served.server.view() as ws:
        party, number = ws.con.execute(
            "SELECT p.party_id, p.id_number FROM party p JOIN party_commune c USING (party_id) "
            "WHERE c.unit_code = ? AND length(p.id_number) = 12 ORDER BY 1 LIMIT 1",
            [served.commune],
        ).fetchone()  # type: ignore[misc]
    page = client.get(f"/records/party/{party}")
    api_record = client.get(f"/api/records/party/{party}")
    assert page.status_code == 200 and number not in page.text
    assert number not in api_record.text
    shown = client.post(f"/api/records/party/{party}/reveal", headers={"X-CSRF-Token": csrf})
    assert shown.json()["value"] == number
    with served.server.view() as ws:
        logged = ws.con.execute(
            "SELECT login, record_id, field FROM access_log WHERE record_id = ?", [party]
        ).fetchall()
    assert logged == [("xa", party, "id_number")]


def _area_finding(served: Served) -> tuple[str, str, float]:
    """A parcel of the commune with an open AREA_MISMATCH finding: id, legal area on
    record, and its map area (which the rule compares it with)."""
    with served.server.view() as ws:
        row = ws.con.execute(
            "SELECT f.record_id, CAST(p.legal_area AS VARCHAR), round(ST_Area(p.geom), 1) "
            "FROM finding f JOIN parcel p ON p.parcel_id = f.record_id "
            "WHERE f.rule_id = 'AREA_MISMATCH' AND f.state = 'open' AND p.unit_code = ? "
            "ORDER BY 1 LIMIT 1",
            [served.commune],
        ).fetchone()
    assert row is not None
    return str(row[0]), str(row[1]), float(row[2])


def test_a_correction_closes_its_finding_and_a_stale_one_is_409(served: Served) -> None:
    client, csrf = served.login("xa")
    parcel, legal, area = _area_finding(served)
    typed = f"{area:.1f}".replace(".", ",")  # as people type it: a decimal comma
    body = {"record_type": "parcel", "record_id": parcel, "field": "legal_area",
            "value": typed, "based_on": legal, "note": "đo lại"}  # fmt: skip
    done = client.post("/api/corrections", json=body, headers={"X-CSRF-Token": csrf})
    assert done.status_code == 201, done.text
    assert done.json()["actor"] == "xa" and done.json()["outcome"] == "applied"
    # another officer's form was based on the old value: refused, both values shown
    other = dict(body, value="123,4")
    stale = client.post("/api/corrections", json=other, headers={"X-CSRF-Token": csrf})
    assert stale.status_code == 409
    assert float(stale.json()["current"]) == pytest.approx(area)
    assert stale.json()["submitted"] == "123,4"
    bad = client.post(
        "/api/corrections", headers={"X-CSRF-Token": csrf},
        json=dict(body, value="nhiều", based_on=stale.json()["current"]),
    )  # fmt: skip
    assert bad.status_code == 422 and bad.json()["code"] == "not_a_number"
    served.wait_for_jobs()
    with served.server.view() as ws:
        state = ws.scalar(
            "SELECT state FROM finding WHERE rule_id = 'AREA_MISMATCH' AND record_id = ?", [parcel]
        )
        log = ws.con.execute(
            "SELECT actor, before, after, note FROM change_log WHERE stage = 'correction' "
            "AND record_id = ? AND column_name = 'legal_area'",
            [parcel],
        ).fetchall()
    assert state == "fixed"
    assert log == [("xa", legal, str(area) if "." in str(area) else f"{area}", "đo lại")]


def test_a_commune_proposes_a_name_and_the_province_approves_it(served: Served) -> None:
    xa, xa_csrf = served.login("xa")
    party = _records(served, served.commune)["party"]
    with served.server.view() as ws:
        name = str(ws.scalar("SELECT full_name FROM party WHERE party_id = ?", [party]))
    asked = xa.post(
        "/api/corrections", headers={"X-CSRF-Token": xa_csrf},
        json={"record_type": "party", "record_id": party, "field": "full_name",
              "value": "Trần Thị Duyệt", "based_on": name, "note": "theo CCCD"},
    )  # fmt: skip
    assert asked.status_code == 202 and asked.json()["outcome"] == "proposed"
    with served.server.view() as ws:  # not yet in effect
        assert ws.scalar("SELECT full_name FROM party WHERE party_id = ?", [party]) == name
    # a commune account cannot approve its own proposal
    number = asked.json()["proposal_id"]
    mine = xa.post(f"/api/proposals/{number}/approve", headers={"X-CSRF-Token": xa_csrf})
    assert mine.status_code == 403
    tinh, tinh_csrf = served.login("tinh")
    approved = tinh.post(f"/api/proposals/{number}/approve", headers={"X-CSRF-Token": tinh_csrf})
    assert approved.status_code == 200 and approved.json()["outcome"] == "applied"
    with served.server.view() as ws:
        assert ws.scalar("SELECT full_name FROM party WHERE party_id = ?", [party]) == (
            "Trần Thị Duyệt"
        )
        actor, note = ws.con.execute(
            "SELECT actor, note FROM correction WHERE record_id = ? AND column_name = 'full_name'",
            [party],
        ).fetchone()  # type: ignore[misc]
        state, by = ws.con.execute(
            "SELECT state, decided_by FROM correction_proposal WHERE proposal_id = ?", [number]
        ).fetchone()  # type: ignore[misc]
    assert actor == "xa" and "tinh" in note and (state, by) == ("approved", "tinh")
    again = tinh.post(f"/api/proposals/{number}/approve", headers={"X-CSRF-Token": tinh_csrf})
    assert again.status_code == 404  # decided once


def test_jobs_are_for_admin_and_province_and_record_who_started_them(served: Served) -> None:
    xa, xa_csrf = served.login("xa")
    assert xa.get("/api/jobs").status_code == 403
    assert (
        xa.post("/api/jobs", json={"kind": "run"}, headers={"X-CSRF-Token": xa_csrf}).status_code
        == 403
    )
    admin, csrf = served.login("quantri")
    bad = admin.post("/api/jobs", json={"kind": "drop"}, headers={"X-CSRF-Token": csrf})
    assert bad.status_code == 422
    outside = admin.post(
        "/api/jobs", json={"kind": "import", "paths": ["../../etc/passwd"]},
        headers={"X-CSRF-Token": csrf},
    )  # fmt: skip
    assert outside.status_code == 422
    started = admin.post("/api/jobs", json={"kind": "run"}, headers={"X-CSRF-Token": csrf})
    assert started.status_code == 201
    job = started.json()["job_id"]
    served.wait_for_jobs()
    shown = admin.get(f"/api/jobs/{job}").json()
    assert shown["state"] == "done", shown
    assert shown["requested_by"] == "quantri" and shown["finished_at"]


def test_a_running_job_is_cancelled_at_its_next_step(served: Served) -> None:
    admin, csrf = served.login("tinh")
    with served.server.view() as ws:
        runs = ws.scalar("SELECT count(*) FROM pipeline_run WHERE error IS NULL")
    job = admin.post(
        "/api/jobs", json={"kind": "run", "full": True}, headers={"X-CSRF-Token": csrf}
    ).json()["job_id"]
    deadline = time.monotonic() + 60
    while admin.get(f"/api/jobs/{job}").json()["state"] == "queued":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    asked = admin.post(f"/api/jobs/{job}/cancel", headers={"X-CSRF-Token": csrf})
    assert asked.status_code == 200
    served.wait_for_jobs()
    shown = admin.get(f"/api/jobs/{job}").json()
    assert shown["state"] == "cancelled" and shown["cancel_by"] == "tinh"
    with served.server.view() as ws:  # the run is recorded as stopped, not as done
        assert ws.scalar("SELECT count(*) FROM pipeline_run WHERE error IS NULL") == runs
        error = str(ws.scalar("SELECT error FROM pipeline_run ORDER BY run_id DESC LIMIT 1"))
    assert error.endswith("cancelled by tinh")


def test_other_commands_on_a_served_workspace_say_so_at_once(served: Served) -> None:
    command = [sys.executable, "-m", "landclean", "--lang", "en"]
    started = time.monotonic()
    run = subprocess.run(
        [*command, "run", str(served.path)], capture_output=True, text=True, timeout=120
    )
    assert time.monotonic() - started < 8  # said at once: a server does not end by itself
    assert run.returncode == 1
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "served by the campaign server at http://testserver" in lines[0]
    status = subprocess.run(
        [*command, "status", str(served.path)], capture_output=True, text=True, timeout=120
    )
    assert "http://testserver" in status.stdout, status.stdout + status.stderr


def test_pages_render_in_both_languages(served: Served) -> None:
    client, _ = served.login("tinh")
    parcel = _records(served, served.commune)["parcel"]
    for lang, word in (("vi", "Tổng quan"), ("en", "Dashboard")):
        client.get(f"/lang/{lang}")
        for path in ("/", f"/communes/{served.commune}", f"/communes/{served.commune}/review",
                     f"/communes/{served.commune}/certificates", f"/records/parcel/{parcel}",
                     "/search?q=Nguy", "/proposals", "/jobs"):  # fmt: skip
            page = client.get(path)
            assert page.status_code == 200, (path, page.text[:500])
            assert word in page.text
    assert client.get("/accounts").status_code == 403  # an admin's page
    admin = TestClient(client.app)
    admin.post("/api/login", json={"login": "quantri", "password": PASSWORDS["quantri"]})
    assert "lanhdao" in admin.get("/accounts").text


def test_an_admin_manages_accounts_in_the_browser_while_serving(served: Served) -> None:
    admin, csrf = served.login("quantri")
    form = {"csrf": csrf, "action": "add", "login": "xa3", "role": "commune",
            "communes": served.other, "password": "xa-ba-mat-khau-1"}  # fmt: skip
    added = admin.post("/accounts", data=form)
    assert added.status_code == 200 and "xa3" in added.text
    client = served.client()
    assert (
        client.post("/api/login", json={"login": "xa3", "password": "xa-ba-mat-khau-1"}).status_code
        == 200
    )
    assert [c["code"] for c in client.get("/api/communes").json()] == [served.other]
    token = admin.post("/accounts", data={"csrf": csrf, "action": "token", "login": "xa3"})
    found = re.search(r'id="token">([^<]+)<', token.text)
    assert found is not None
    bearer = served.client()
    assert (
        bearer.get("/api/me", headers={"Authorization": f"Bearer {found[1]}"}).json()["login"]
        == "xa3"
    )
    # a token needs no CSRF token: it is no cookie a browser sends by itself
    assert (
        bearer.post("/api/logout", headers={"Authorization": f"Bearer {found[1]}"}).status_code
        == 200
    )
    disabled = admin.post("/accounts", data={"csrf": csrf, "action": "disable", "login": "xa3"})
    assert disabled.status_code == 200
    assert client.get("/api/me").status_code == 401  # its session ended at once
    assert bearer.get("/api/me", headers={"Authorization": f"Bearer {found[1]}"}).status_code == 401
    xa, xa_csrf = served.login("xa")
    refused = xa.post("/accounts", data=dict(form, csrf=xa_csrf, login="xa4"))
    assert refused.status_code == 403


def test_no_id_number_of_record_shows_in_a_communes_pages_or_findings(served: Served) -> None:
    client, _ = served.login("tinh")
    with served.server.view() as ws:
        numbers = {
            r[0]
            for r in ws.con.execute(
                "SELECT p.id_number FROM party p JOIN party_commune c USING (party_id) "
                "WHERE c.unit_code = ? AND length(p.id_number) >= 9",
                [served.commune],
            ).fetchall()
        }
    assert numbers
    shown = [
        client.get(f"/api/communes/{served.commune}/findings", params={"limit": 5000}).text,
        client.get(f"/communes/{served.commune}").text,
        client.get(f"/communes/{served.commune}/review").text,
        client.get("/api/proposals", params={"state": ""}).text,
    ]
    for rule in {f["rule_id"] for f in client.get(
        f"/api/communes/{served.commune}/findings", params={"limit": 5000}).json()}:  # fmt: skip
        shown.append(client.get(f"/communes/{served.commune}", params={"rule": rule}).text)
    for text in shown:
        assert not [n for n in numbers if n in text]


@pytest.mark.parametrize(
    "record_id", ["../../etc/passwd", "x' OR '1'='1", "%00", "T" * 100, "<script>", "１２３"]
)
def test_hostile_identifiers_find_nothing_and_break_nothing(served: Served, record_id: str) -> None:
    client, csrf = served.login("tinh")
    for kind in ("parcel", "party", "certificate"):
        assert client.get(f"/api/records/{kind}/{record_id}").status_code == 404
    answer = client.post(
        "/api/corrections", headers={"X-CSRF-Token": csrf},
        json={"record_type": "parcel", "record_id": record_id, "field": "legal_area",
              "value": "1", "based_on": None, "note": None},
    )  # fmt: skip
    assert answer.status_code == 404
    assert client.get("/api/search", params={"q": record_id}).status_code == 200
    for path, body in ((f"/api/records/party/{record_id}/review", BODY),
                       (f"/api/records/certificate/{record_id}/steps", BODY)):  # fmt: skip
        answer = client.post(path, headers={"X-CSRF-Token": csrf}, json=body)
        assert answer.status_code == 404, (path, answer.status_code)


def test_malformed_requests_are_422_not_500(served: Served) -> None:
    client, csrf = served.login("tinh")
    headers = {"X-CSRF-Token": csrf, "Content-Type": "application/json"}
    for body in ("{", "[]", '{"record_type": 1}', '{"value": "' + "x" * 5000 + '"}'):
        answer = client.post("/api/corrections", content=body, headers=headers)
        assert answer.status_code == 422, body[:40]
    records = _records(served, served.commune)
    for path in (f"/api/records/party/{records['party']}/review",
                 f"/api/records/certificate/{records['certificate']}/steps"):  # fmt: skip
        for body in (
            "{",
            "[]",
            '{"decision": 1}',
            '{"step": "' + "x" * 5000 + '"}',
            '{"decision": "reject", "reason": "other_person", "candidate": "a"}',
        ):
            answer = client.post(path, content=body, headers=headers)
            assert answer.status_code == 422, (path, body[:40])
    answer = client.post("/api/imports", headers={"X-CSRF-Token": csrf}, data={"files": "x"})
    assert answer.status_code == 422  # a form field, not a file
    huge = client.post("/api/login", json={"login": "a" * 500, "password": "b"})
    assert huge.status_code == 422
    answer = client.get(f"/api/communes/{served.commune}/findings", params={"state": "x"})
    assert answer.status_code == 422


def test_markup_typed_into_a_record_is_shown_as_text(served: Served) -> None:
    client, csrf = served.login("tinh")
    parcel = _records(served, served.commune)["parcel"]
    with served.server.view() as ws:
        address = ws.scalar("SELECT address FROM parcel WHERE parcel_id = ?", [parcel])
    typed = "<script>alert(1)</script> Thôn 1"
    done = client.post(
        "/api/corrections", headers={"X-CSRF-Token": csrf},
        json={"record_type": "parcel", "record_id": parcel, "field": "address", "value": typed,
              "based_on": address, "note": '<img src=x onerror="alert(2)">'},
    )  # fmt: skip
    assert done.status_code == 201, done.text
    page = client.get(f"/records/parcel/{parcel}").text
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Thôn 1" in page
    with served.server.view() as ws:  # a reviewer's note, on the land user's page
        party = ws.scalar(
            "SELECT min(a.party_id) FROM auth_result a JOIN party_commune pc USING (party_id) "
            "WHERE pc.unit_code = ? AND a.status <> 'matched'",
            [served.commune],
        )
    done = client.post(
        f"/api/records/party/{party}/review", headers={"X-CSRF-Token": csrf},
        json={"decision": "explain", "reason": "other", "note": "<script>alert(3)</script>"},
    )  # fmt: skip
    assert done.status_code == 201, done.text
    page = client.get(f"/records/party/{party}").text
    assert "<script>alert(3)" not in page and "&lt;script&gt;alert(3)" in page
