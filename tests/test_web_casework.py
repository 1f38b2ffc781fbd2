"""A commune's case work on the campaign server beyond corrections: rejecting a registry
candidate or explaining a case of the review queue, recording the days certificates
were collected, scanned and entered, and uploading files to import from the browser.
Each is checked through HTTP and then in the workspace with queries of its own."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import pytest

from landclean.browse.commune import review_queue
from tests.conftest import Province
from tests.web import Served, serve_copy

TWELVE_DIGITS = re.compile(r"(?<!\d)\d{12}(?!\d)")


@pytest.fixture(scope="module")
def served(built_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    found = serve_copy(built_workspace, tmp_path_factory.mktemp("casework"))
    yield found
    found.server.close()


def _one(served: Served, sql: str, params: list[object] | None = None) -> object:
    with served.server.view() as ws:
        return ws.scalar(sql, params or [])


def _queued(served: Served, party: str) -> bool:
    with served.server.view() as ws:
        return party in {r["party_id"] for r in review_queue(ws.con, served.commune, limit=None)}


REVIEW_CASE = (  # a land user of the commune account's commune in the review band
    "SELECT a.party_id FROM auth_result a JOIN party_commune pc USING (party_id) "
    "WHERE pc.unit_code = ? AND a.status <> 'matched' AND EXISTS (SELECT 1 FROM "
    "auth_candidate c WHERE c.party_id = a.party_id AND c.rank = 1) "
    "ORDER BY a.party_id LIMIT 1 OFFSET ?"
)
PENDING_CERTIFICATE = (  # one of its certificates without digital data nor any step
    "SELECT c.certificate_id FROM certificate c JOIN certificate_commune cc "
    "USING (certificate_id) WHERE cc.unit_code = ? AND c.digital_status <> 'digital' "
    "AND c.certificate_id NOT IN (SELECT certificate_id FROM certificate_step) "
    "ORDER BY 1 LIMIT 1 OFFSET ?"
)


def _nth(served: Served, sql: str, skip: int = 0) -> str:
    """The ``skip``-th record ``sql`` picks in the commune account's commune."""
    return str(_one(served, sql, [served.commune, skip]))


def _review_case(served: Served, skip: int = 0) -> str:
    return _nth(served, REVIEW_CASE, skip)


def test_rejecting_a_candidate_takes_the_case_out_of_the_queue_with_a_name(
    served: Served,
) -> None:
    party = _review_case(served)
    assert party != "None" and _queued(served, party)
    client, csrf = served.login("xa")
    answer = client.post(
        f"/api/records/party/{party}/review", headers={"X-CSRF-Token": csrf},
        json={"decision": "reject", "reason": "other_person", "candidate": 1,
              "note": "cùng tên, khác cha mẹ"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    assert not TWELVE_DIGITS.search(answer.json()["candidate"])  # masked
    row = _one(
        served,
        "SELECT list_value(d.actor, d.decision, d.reason, (d.cccd = c.cccd)::VARCHAR) "
        "FROM review_decision d JOIN auth_candidate c ON c.party_id = d.party_id "
        "AND c.rank = 1 WHERE d.party_id = ?",
        [party],
    )
    assert row == ["xa", "reject", "other_person", "true"]
    assert not _queued(served, party)
    shown = client.get(f"/api/records/party/{party}").json()["decisions"]
    assert [(d["actor"], d["decision"], d["current"]) for d in shown] == [("xa", "reject", True)]
    page = client.get(f"/records/party/{party}")
    rejected = _one(served, "SELECT cccd FROM review_decision WHERE party_id = ?", [party])
    assert "cùng tên, khác cha mẹ" in page.text and str(rejected) not in page.text


def test_explaining_a_case_needs_a_known_reason_and_a_note_for_other(served: Served) -> None:
    party = _review_case(served, skip=1)
    client, csrf = served.login("xa")
    url, headers = f"/api/records/party/{party}/review", {"X-CSRF-Token": csrf}
    refused = [
        ({"decision": "explain", "reason": "other"}, "review_note_needed"),
        ({"decision": "explain", "reason": "bored"}, "setting_choice"),
        ({"decision": "forget", "reason": "deceased"}, "setting_choice"),
        ({"decision": "reject", "reason": "other_person", "candidate": 99}, "no_candidate"),
    ]
    for body, code in refused:
        answer = client.post(url, headers=headers, json=body)
        assert answer.status_code == 422 and answer.json()["code"] == code, (body, answer.text)
    assert _one(served, "SELECT count(*) FROM review_decision WHERE party_id = ?", [party]) == 0
    matched = _one(
        served,
        "SELECT min(a.party_id) FROM auth_result a JOIN party_commune pc USING (party_id) "
        "WHERE pc.unit_code = ? AND a.status = 'matched'",
        [served.commune],
    )
    answer = client.post(
        f"/api/records/party/{matched}/review", headers=headers,
        json={"decision": "explain", "reason": "deceased"},
    )  # fmt: skip
    assert answer.status_code == 422 and answer.json()["code"] == "not_in_review_queue"
    leader, leader_csrf = served.login("lanhdao")
    answer = leader.post(
        url, headers={"X-CSRF-Token": leader_csrf}, json={"decision": "explain", "reason": "other"}
    )
    assert answer.status_code == 403
    # the page's form: explained, with its reason in words, and out of the queue
    page = client.post(
        f"/records/party/{party}/review",
        data={"csrf": csrf, "decision": "explain", "reason": "deceased", "note": "mất 2019"},
    )
    assert page.status_code == 200 and "thừa kế" in page.text
    assert not _queued(served, party)


def test_a_decided_case_comes_back_when_the_record_changes(served: Served) -> None:
    """A decision holds for the authentication result it was made on."""
    party = _review_case(served, skip=2)
    client, csrf = served.login("xa")
    answer = client.post(
        f"/api/records/party/{party}/review", headers={"X-CSRF-Token": csrf},
        json={"decision": "explain", "reason": "no_chip_id"},
    )  # fmt: skip
    assert answer.status_code == 201 and not _queued(served, party)
    before = _one(served, "SELECT input_hash FROM auth_result WHERE party_id = ?", [party])
    province, province_csrf = served.login("tinh")
    shown = province.get(f"/api/records/party/{party}").json()
    year = _one(served, "SELECT birth_year FROM party WHERE party_id = ?", [party])
    answer = province.post(
        "/api/corrections", headers={"X-CSRF-Token": province_csrf},
        json={"record_type": "party", "record_id": party, "field": "birth_year",
              "value": str(int(year or 1960) - 1), "based_on": shown["versions"]["birth_year"],
              "note": "theo sổ hộ khẩu"},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    served.wait_for_jobs()
    after = _one(served, "SELECT input_hash FROM auth_result WHERE party_id = ?", [party])
    status = _one(served, "SELECT status FROM auth_result WHERE party_id = ?", [party])
    assert after != before  # authentication looked again …
    decisions = client.get(f"/api/records/party/{party}").json()["decisions"]
    assert [d["current"] for d in decisions] == [False]  # … so the decision is history
    assert _queued(served, party) == (status != "matched")


def _pending_certificate(served: Served, skip: int = 0) -> str:
    return _nth(served, PENDING_CERTIFICATE, skip)


def test_certificate_steps_are_recorded_in_order_with_a_name(served: Served) -> None:
    cert = _pending_certificate(served)
    assert cert != "None"
    client, csrf = served.login("xa")
    url, headers = f"/api/records/certificate/{cert}/steps", {"X-CSRF-Token": csrf}
    tomorrow = (dt.date.today() + dt.timedelta(days=1)).strftime("%d/%m/%Y")
    sent = [
        ({"step": "scanned", "day": "05/01/2026"}, 201, None),
        ({"step": "collected", "day": "06/01/2026"}, 422, "dates_out_of_order"),
        ({"step": "collected", "day": "04/01/2026"}, 201, None),
        ({"step": "collected", "day": "4/1/2026"}, 200, None),  # the same day: nothing new
        ({"step": "entered", "day": tomorrow}, 422, "date_in_future"),
        ({"step": "entered", "day": "32/13/2026"}, 422, "not_a_date"),
        ({"step": "printed", "day": "05/01/2026"}, 422, "setting_choice"),
    ]
    for body, status, code in sent:
        answer = client.post(url, headers=headers, json=body)
        assert answer.status_code == status, (body, answer.text)
        if code:
            assert answer.json()["code"] == code
    rows = _one(
        served,
        "SELECT list(step || ' ' || strftime(done_on, '%d/%m/%Y') || ' ' || actor "
        "ORDER BY done_on) FROM certificate_step WHERE certificate_id = ?",
        [cert],
    )
    assert rows == ["collected 04/01/2026 xa", "scanned 05/01/2026 xa"]
    logged = _one(
        served,
        "SELECT list(column_name ORDER BY change_id) FROM change_log "
        "WHERE table_name = 'certificate' AND record_id = ? AND actor = 'xa'",
        [cert],
    )
    assert logged == ["scanned_on", "collected_on"]
    page = client.get(f"/communes/{served.commune}/certificates")
    assert cert in page.text and "04/01/2026" in page.text
    # entered through the page's form (empty day: today): it leaves the list
    answer = client.post(
        f"/records/certificate/{cert}/step", data={"csrf": csrf, "step": "entered", "day": ""}
    )
    assert answer.status_code == 200
    entered = _one(
        served,
        "SELECT max(done_on) FROM certificate_step WHERE certificate_id = ? AND step = 'entered'",
        [cert],
    )
    assert entered == dt.date.today()
    assert (
        f'/records/certificate/{cert}"'
        not in client.get(f"/communes/{served.commune}/certificates").text
    )
    assert client.get(f"/records/certificate/{cert}").status_code == 200


def test_certificate_steps_stay_in_the_accounts_communes(served: Served) -> None:
    other = _one(
        served,
        "SELECT min(certificate_id) FROM certificate_commune WHERE unit_code = ?",
        [served.other],
    )
    client, csrf = served.login("xa")
    answer = client.post(
        f"/api/records/certificate/{other}/steps", headers={"X-CSRF-Token": csrf},
        json={"step": "collected"},
    )  # fmt: skip
    assert answer.status_code == 403
    steps = "SELECT count(*) FROM certificate_step WHERE certificate_id = ?"
    assert _one(served, steps, [other]) == 0


def _targets(province: Province) -> bytes:
    """The targets sheet with one commune's target changed: new content to import."""
    book = openpyxl.load_workbook(province.root / "campaign" / "chi_tieu.xlsx")
    book.active.cell(row=2, column=3).value = "77 %"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_files_uploaded_are_kept_verbatim_and_imported_as_the_uploader(
    served: Served, province: Province
) -> None:
    content = _targets(province)
    admin, csrf = served.login("quantri")
    answer = admin.post(
        "/api/imports", headers={"X-CSRF-Token": csrf},
        files=[("files", ("../../chỉ tiêu mới.xlsx", content, "application/octet-stream"))],
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    body = answer.json()
    (kept,) = body["paths"]
    assert kept.startswith("uploads/") and kept.endswith("/chỉ tiêu mới.xlsx")
    stored = served.server.imports / kept
    assert stored.resolve().is_relative_to(served.server.imports.resolve())
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == hashlib.sha256(content).hexdigest()
    served.wait_for_jobs()
    job = admin.get(f"/api/jobs/{body['job_id']}").json()
    assert job["state"] == "done" and job["requested_by"] == "quantri", job
    batch = _one(
        served,
        "SELECT list_value(imported_by, sha256) FROM import_batch WHERE source_path LIKE ?",
        [f"%{kept.split('/')[-2]}%"],
    )
    assert batch == ["quantri", hashlib.sha256(content).hexdigest()]


def test_uploads_refuse_bad_names_and_other_roles(served: Served) -> None:
    admin, csrf = served.login("quantri")
    headers = {"X-CSRF-Token": csrf}
    before = sorted((served.server.imports / "uploads").rglob("*"))
    for files, code in [
        ([("files", ("..", b"x"))], "upload_no_name"),
        ([("files", ("dir/ . ", b"x"))], "upload_no_name"),
        ([("files", ("a.csv", b"1")), ("files", ("b/a.csv", b"2"))], "upload_same_name"),
    ]:
        answer = admin.post("/api/imports", headers=headers, files=files)
        assert answer.status_code == 422 and answer.json()["code"] == code, answer.text
    assert sorted((served.server.imports / "uploads").rglob("*")) == before  # nothing kept
    commune, commune_csrf = served.login("xa")
    answer = commune.post(
        "/api/imports", headers={"X-CSRF-Token": commune_csrf}, files=[("files", ("a.csv", b"1"))]
    )
    assert answer.status_code == 403
    answer = admin.post("/api/imports", files=[("files", ("a.csv", b"1"))])  # no CSRF token
    assert answer.status_code == 403
