"""Evidence on the campaign server: ID cards uploaded on a commune's page, listed on the
land user's page, and the document itself shown only to those who may see the person's
data, each opening logged (issue 20)."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import segno

from landclean.evidence import ocr
from landclean.synth.certificate_scans import certificate_page
from landclean.vn.cccd_qr import payload_text
from tests.web import Served, serve_copy

TWELVE_DIGITS = re.compile(r"(?<!\d)\d{12}(?!\d)")


@pytest.fixture(scope="module")
def served(built_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    found = serve_copy(built_workspace, tmp_path_factory.mktemp("evidence"))
    yield found
    found.server.close()


def _card_of(served: Served, commune: str) -> tuple[str, bytes]:
    """A land user of ``commune`` whose ID, name and birth date are the registry's, and a
    scan of the QR code of their card."""
    with served.server.view() as ws:
        party, cccd, cmnd, name, birth = ws.con.execute(
            "SELECT p.party_id, r.cccd, r.cmnd, r.full_name, r.birth_date FROM party p "
            "JOIN party_commune pc USING (party_id) JOIN registry_person r "
            "ON r.cccd = p.id_number AND r.full_name = p.full_name AND r.birth_date = p.birth_date "
            "WHERE pc.unit_code = ? ORDER BY p.party_id LIMIT 1",
            [commune],
        ).fetchone()
    text = payload_text(cccd, cmnd, name, birth, int(cccd[3]) % 2 == 1, "Xã", dt.date(2022, 3, 4))
    image = io.BytesIO()
    segno.make(text, error="m").save(image, kind="png", scale=6, border=4)
    return party, image.getvalue()


def test_a_commune_uploads_an_id_card_and_its_land_user_shows_it(served: Served) -> None:
    party, png = _card_of(served, served.commune)
    client, csrf = served.login("xa")
    answer = client.post(
        f"/communes/{served.commune}/evidence", data={"csrf": csrf},
        files=[("files", ("../../cccd mặt trước.png", png, "image/png"))],
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert "Đã xác nhận" in answer.text and party in answer.text
    assert not TWELVE_DIGITS.search(answer.text)  # the ID shown masked
    sha = hashlib.sha256(png).hexdigest()
    with served.server.view() as ws:
        arrival = ws.con.execute(
            "SELECT file_name, added_by, via, unit_code FROM evidence_arrival WHERE sha256 = ?",
            [sha],
        ).fetchall()
    assert arrival == [("cccd mặt trước.png", "xa", "web", served.commune)]
    page = client.get(f"/records/party/{party}")
    assert page.status_code == 200 and sha[:12] in page.text
    listed = client.get(f"/communes/{served.commune}/evidence")
    assert listed.status_code == 200 and sha[:12] in listed.text
    # the document itself: the bytes as brought, sandboxed, the opening logged
    shown = client.get(f"/records/party/{party}/evidence/{sha}")
    assert shown.status_code == 200 and shown.content == png
    assert shown.headers["content-type"] == "image/png"
    assert "sandbox" in shown.headers["content-security-policy"]
    assert shown.headers["x-content-type-options"] == "nosniff"
    with served.server.view() as ws:
        logged = ws.con.execute(
            "SELECT login, record_id, field FROM access_log WHERE field LIKE 'evidence:%'"
        ).fetchall()
    assert ("xa", party, f"evidence:{sha[:12]}") in logged
    # the re-check the upload queued authenticates the land user by their card
    served.wait_for_jobs()
    with served.server.view() as ws:
        result = ws.con.execute(
            "SELECT status, reason, method FROM auth_result WHERE party_id = ?", [party]
        ).fetchone()
    assert result == ("matched", "id_card_qr", "id_card")


def test_others_cannot_reach_the_document(served: Served) -> None:
    party, png = _card_of(served, served.commune)
    sha = hashlib.sha256(png).hexdigest()
    tinh, tinh_csrf = served.login("tinh")  # the province brings it (again: one document)
    brought = tinh.post(
        f"/communes/{served.commune}/evidence", data={"csrf": tinh_csrf},
        files=[("files", ("a.png", png, "image/png"))],
    )  # fmt: skip
    assert brought.status_code == 200
    other, _ = served.login("xa2")
    assert other.get(f"/records/party/{party}/evidence/{sha}").status_code == 403
    leader, _ = served.login("lanhdao")
    assert leader.get(f"/records/party/{party}/evidence/{sha}").status_code == 403
    mine, _ = served.login("xa")
    # a hash not linked to this land user, or not a hash at all: nothing
    assert mine.get(f"/records/party/{party}/evidence/{'0' * 64}").status_code == 404
    assert mine.get(f"/records/party/{party}/evidence/..%2F..%2Fserved.duckdb").status_code == 404


def test_uploads_are_refused_outside_the_commune_and_for_the_wrong_role(served: Served) -> None:
    _, png = _card_of(served, served.other)
    files = [("files", ("x.png", png, "image/png"))]
    xa, csrf = served.login("xa")
    assert (
        xa.post(f"/communes/{served.other}/evidence", data={"csrf": csrf}, files=files).status_code
        == 403
    )
    leader, leader_csrf = served.login("lanhdao")
    assert (
        leader.post(
            f"/communes/{served.commune}/evidence", data={"csrf": leader_csrf}, files=files
        ).status_code
        == 403
    )
    none = xa.post(f"/communes/{served.commune}/evidence", data={"csrf": csrf})
    assert none.status_code == 422 and "Chưa chọn tệp" in none.text
    no_csrf = xa.post(f"/communes/{served.commune}/evidence", files=files)
    assert no_csrf.status_code == 403


def test_a_card_of_another_communes_land_user_names_nobody_to_this_commune(
    served: Served,
) -> None:
    """The card links to a land user of another commune: the upload's outcome does not
    name them to a commune account (the link is still made, for those who may see it)."""
    party, png = _card_of(served, served.other)
    xa, csrf = served.login("xa")
    answer = xa.post(
        f"/communes/{served.commune}/evidence", data={"csrf": csrf},
        files=[("files", ("ban.png", png, "image/png"))],
    )  # fmt: skip
    assert answer.status_code == 200 and party not in answer.text
    with served.server.view() as ws:
        linked = ws.con.execute(
            "SELECT party_id FROM evidence_link WHERE sha256 = ?",
            [hashlib.sha256(png).hexdigest()],
        ).fetchall()
    assert (party,) in linked


@pytest.mark.skipif(not ocr.available(), reason="tesseract-ocr-vie is installed by make test")
def test_a_certificate_scan_is_linked_and_shown_on_the_certificate(served: Served) -> None:
    with served.server.view() as ws:
        cert, serial, sheet, parcel = ws.con.execute(
            "SELECT c.certificate_id, c.serial, p.sheet_no, p.parcel_no FROM certificate c "
            "JOIN certificate_commune cc USING (certificate_id) "
            "JOIN certificate_parcel cp USING (certificate_id) JOIN parcel p USING (parcel_id) "
            "WHERE cc.unit_code = ? AND c.serial IS NOT NULL AND c.serial IN "
            "(SELECT serial FROM certificate GROUP BY serial HAVING count(*) = 1) "
            "ORDER BY c.certificate_id LIMIT 1",
            [served.commune],
        ).fetchone()
    row = {"holder": "Nguyễn Văn A", "parcel_no": parcel, "sheet_no": sheet,
           "legal_area": 250.0, "village": "Thôn 1", "issuer": "UBND", "serial": serial,
           "book_entry_no": "CH 00324"}  # fmt: skip
    page = io.BytesIO()
    certificate_page(row, np.random.default_rng(3)).save(page, format="PNG")
    client, csrf = served.login("xa")
    answer = client.post(
        f"/communes/{served.commune}/evidence", data={"csrf": csrf},
        files=[("files", ("gcn.png", page.getvalue(), "image/png"))],
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert "Đã gắn với giấy chứng nhận" in answer.text and cert in answer.text
    shown = client.get(f"/records/certificate/{cert}")
    assert shown.status_code == 200 and serial in shown.text
    assert hashlib.sha256(page.getvalue()).hexdigest()[:12] in shown.text
