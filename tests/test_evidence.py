"""Evidence: ID cards' QR codes read from photos, scans and PDFs, kept unchanged, linked
to the land users they prove something about (issue 20).

Ground truth is the generator's: which person each card is, and that person's land
users.  The checks: every generated card is read; no card is linked as ``confirmed`` to
a land user who is not its person; what is proposed is the person's true value; a card
the registry does not agree with proves nothing; the same bytes twice are one document;
authentication takes a confirmed card; and an incremental run gives what a full one
does."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import unicodedata
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import segno
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from landclean import api
from landclean.evidence import ocr, store
from landclean.evidence.add import Reading, add_documents, record_readings
from landclean.evidence.certificate_text import CertificateText, read_certificate
from landclean.evidence.ocr import PageText
from landclean.evidence.pages import media_type
from landclean.pipeline import run_pipeline
from landclean.synth.certificate_scans import write_certificate_scans
from landclean.synth.id_cards import CardPlan, write_id_cards
from landclean.vn.cccd_qr import parse_payload, payload_text
from landclean.vn.citizen_id import make_cccd
from landclean.workspace import Workspace
from tests.conftest import Province, q, summary_of
from tests.test_cli import landclean

# the module's fixtures made once, on one worker
pytestmark = pytest.mark.xdist_group("evidence")

PLAN = CardPlan(photos=24, scans=8, pdf_cards=6, no_qr=2, other_qr=2)
SCANS = 12  # certificate pages (two PDF books among them)

# ------------------------------------------------------------------ the payload


def test_payload_variants_met_in_practice() -> None:
    card = (
        "066185001234|241234567|Nguyễn Thị Hoà|05071985|Nữ|Thôn 3, Xã Ea Kao, Tỉnh Đắk Lắk|12042021"
    )
    read = parse_payload(card)
    assert read is not None and read.usable
    assert (read.id_number, read.cmnd, read.birth_date, read.female) == (
        "066185001234",
        "241234567",
        dt.date(1985, 7, 5),
        True,
    )
    assert read.issue_date == dt.date(2021, 4, 12) and read.address.startswith("Thôn 3")
    empty_cmnd = parse_payload(card.replace("241234567", ""))
    assert empty_cmnd is not None and empty_cmnd.cmnd is None and empty_cmnd.usable
    six = parse_payload(card.replace("|241234567", ""))  # the CMND field left out
    assert six is not None and six.full_name == "Nguyễn Thị Hoà" and six.usable
    nfd = parse_payload(unicodedata.normalize("NFD", card))
    assert nfd is not None and nfd.full_name == "Nguyễn Thị Hoà" and nfd.usable
    latin1 = card.encode("utf-8").decode("latin-1")  # a phone app's mojibake
    assert parse_payload(latin1).full_name == "Nguyễn Thị Hoà"  # type: ignore[union-attr]
    slashes = parse_payload(card.replace("05071985", "05/07/1985").replace("Nữ", "NỮ"))
    assert slashes is not None and slashes.usable and slashes.female is True
    extra = parse_payload(card + "||Nguyễn Văn Cha|Trần Thị Mẹ")
    assert extra is not None and extra.usable and extra.extra[-1] == "Trần Thị Mẹ"
    assert parse_payload("\ufeff" + card + "\n").usable  # type: ignore[union-attr]


def test_payload_checks() -> None:
    def problems(text: str) -> tuple[str, ...]:
        read = parse_payload(text)
        assert read is not None
        return read.problems

    base = "066185001234||Nguyễn Thị Hoà|05071985|Nữ|Xã Ea Kao|12042021"
    assert problems(base) == ()
    assert "id_contradicts_birth_year" in problems(base.replace("05071985", "05071986"))
    assert "id_contradicts_sex" in problems(base.replace("Nữ", "Nam"))
    assert "birth_date_unreadable" in problems(base.replace("05071985", "31021985"))
    assert "sex_unreadable" in problems(base.replace("Nữ", "X"))
    assert "issued_before_birth" in problems(base.replace("12042021", "12041980"))
    assert "id_not_12_digits" in problems(base.replace("066185001234", "06618500123"))
    assert parse_payload("https://dichvucong.gov.vn/") is None
    assert parse_payload("066185001234|x") is None  # too few fields: not a card
    assert parse_payload("") is None


@settings(max_examples=200, deadline=None)
@given(
    year=st.integers(1920, 2010),
    female=st.booleans(),
    serial=st.integers(0, 999_999),
    name=st.sampled_from(["Nguyễn Văn An", "H'Hen Niê", "Y Bih Aliô", "Đặng Thị Thuỷ"]),
    cmnd=st.one_of(st.none(), st.from_regex(r"\A[0-9]{9}\Z", fullmatch=True)),
    day=st.integers(1, 28),
    month=st.integers(1, 12),
)
def test_payload_round_trip(
    year: int, female: bool, serial: int, name: str, cmnd: str | None, day: int, month: int
) -> None:
    """What a card carries reads back as itself, whatever the person."""
    number = make_cccd("066", year, female, serial)
    birth, issued = dt.date(year, month, day), dt.date(2022, month, day)
    read = parse_payload(payload_text(number, cmnd, name, birth, female, "Xã Ea Kao", issued))
    assert read is not None and read.usable, read
    assert (read.id_number, read.cmnd, read.full_name) == (number, cmnd, name)
    assert (read.birth_date, read.female, read.issue_date) == (birth, female, issued)


# ------------------------------------------------------------------ documents


@pytest.fixture(scope="module")
def cards(province: Province, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cards")
    write_id_cards(province.root, PLAN, seed=5, out=out)
    return out


@pytest.fixture(scope="module")
def added(copy_ws: Workspace, cards: Path) -> list:
    return api.add_evidence(copy_ws, [cards / "evidence"], by="Lê Văn Cán bộ")


def _truth(cards: Path) -> dict[tuple[str, int], dict]:
    rows = pq.read_table(cards / "truth" / "id_cards.parquet").to_pylist()
    return {(r["file"], r["page"]): r for r in rows}


def test_every_generated_card_is_read(copy_ws: Workspace, cards: Path, added: list) -> None:
    truth = _truth(cards)
    read = {
        (f, p): payload
        for f, p, payload in q(
            copy_ws.con,
            "SELECT a.file_name, c.page, c.payload FROM evidence_card c "
            "JOIN evidence_arrival a USING (sha256)",
        )
    }
    read = {(Path(f).name, p): v for (f, p), v in read.items()}
    wanted = {k: t["payload"] for k, t in truth.items() if t["variant"] in ("photo", "scan", "pdf")}
    assert len(wanted) == PLAN.photos + PLAN.scans + PLAN.pdf_cards
    assert {k: read.get(k) for k in wanted} == wanted
    kinds = {Path(a.file).name: (a.kind, a.status) for a in added}
    for (file, _), t in truth.items():
        if t["variant"] == "no_qr":
            assert kinds[file] == ("unknown", "no_code")
        elif t["variant"] == "other_qr":
            assert kinds[file] == ("unknown", "other_code")
    assert sum(1 for a in added if a.file.endswith(".pdf")) == -(-PLAN.pdf_cards // 4)


def test_no_wrong_link_is_confirmed(copy_ws: Workspace, cards: Path, added: list) -> None:
    truth = _truth(cards)
    rows = q(
        copy_ws.con,
        "SELECT a.file_name, l.page, l.party_id, l.status FROM evidence_link l "
        "JOIN evidence_arrival a USING (sha256)",
    )
    confirmed = [(Path(f).name, p, party) for f, p, party, s in rows if s == "confirmed"]
    assert len(confirmed) >= 0.6 * len(truth)  # most cards settle their person
    wrong = [c for c in confirmed if c[2] not in truth[(c[0], c[1])]["party_ids"]]
    assert wrong == []
    proposed = [(Path(f).name, p, party) for f, p, party, s in rows if s == "proposed"]
    assert [c for c in proposed if c[2] not in truth[(c[0], c[1])]["party_ids"]] == []


def test_proposals_carry_the_persons_true_values(
    copy_ws: Workspace, province: Province, added: list
) -> None:
    rows = q(
        copy_ws.con,
        f"""SELECT pr.column_name, pr.value, t.cccd, t.full_name, CAST(t.birth_date AS VARCHAR),
                   pr.proposed_by, pr.state
            FROM correction_proposal pr
            JOIN read_parquet('{province.truth("parties")}') pa ON pa.party_id = pr.record_id
            JOIN read_parquet('{province.truth("persons")}') t USING (person_id)
            WHERE pr.note LIKE 'CCCD%'""",
    )
    assert rows, "the generated records differ from some cards"
    expected = {"id_number": 2, "full_name": 3, "birth_date": 4}
    for row in rows:
        assert row[1] == row[expected[row[0]]], row
        assert row[5] == "Lê Văn Cán bộ" and row[6] == "pending"
    assert sum(a.proposals for a in added) == len(rows)


def test_documents_are_kept_unchanged_with_who_brought_them(
    copy_ws: Workspace, cards: Path, added: list
) -> None:
    for a in added:
        original = Path(a.file).read_bytes()
        assert a.sha256 == hashlib.sha256(original).hexdigest()
        assert store.read(copy_ws.path, a.sha256) == original
    arrivals = q(copy_ws.con, "SELECT DISTINCT added_by, via FROM evidence_arrival")
    assert arrivals == [("Lê Văn Cán bộ", "command")]


def test_the_same_bytes_twice_are_one_document(
    copy_ws: Workspace, cards: Path, added: list
) -> None:
    before = q(
        copy_ws.con,
        "SELECT (SELECT count(*) FROM evidence_document), (SELECT count(*) FROM evidence_link), "
        "(SELECT count(*) FROM correction_proposal)",
    )
    again = api.add_evidence(copy_ws, [cards / "evidence"], by="Người khác")
    assert {a.status for a in again} == {"already"}
    assert [a.linked for a in again] == [sorted(set(a.linked)) for a in added]
    after = q(
        copy_ws.con,
        "SELECT (SELECT count(*) FROM evidence_document), (SELECT count(*) FROM evidence_link), "
        "(SELECT count(*) FROM correction_proposal)",
    )
    assert after == before
    assert q(copy_ws.con, "SELECT count(*) FROM evidence_arrival WHERE added_by = 'Người khác'")[0][
        0
    ] == len(added)


def test_authentication_takes_confirmed_cards(copy_ws: Workspace, added: list) -> None:
    """The next run re-authenticates the confirmed users only; a confirmed card makes its user
    matched (id_card_qr) to the card's person; a full run agrees."""
    report = run_pipeline(copy_ws)
    auth = next(s for s in report.stages if s.stage == "authenticate")
    confirmed = q(
        copy_ws.con,
        "SELECT count(DISTINCT party_id) FROM evidence_link WHERE status = 'confirmed'",
    )[0][0]
    assert auth.ran and auth.counts["recomputed"] == confirmed  # (a card under review: none)
    rows = q(
        copy_ws.con,
        """SELECT a.status, a.reasons[1], a.registry_cccd = c.id_number, a.method
           FROM auth_result a JOIN evidence_link l USING (party_id)
           JOIN evidence_card c USING (sha256, page) WHERE l.status = 'confirmed'""",
    )
    assert rows and all(r[1] == "id_card_qr" and r[2] and r[3] == "id_card" for r in rows)
    assert {r[0] for r in rows} <= {"matched", "matched_after_correction"}
    incremental = q(copy_ws.con, "SELECT * EXCLUDE (run_id) FROM auth_result ORDER BY party_id")
    run_pipeline(copy_ws, full=True)
    full = q(copy_ws.con, "SELECT * EXCLUDE (run_id) FROM auth_result ORDER BY party_id")
    assert incremental == full


def _qr_png(text: str) -> bytes:
    buf = io.BytesIO()
    segno.make(text, error="m").save(buf, kind="png", scale=6, border=4)
    return buf.getvalue()


def test_a_card_the_registry_does_not_agree_with_proves_nothing(copy_ws: Workspace) -> None:
    """A forged card (a registry person's number with another name and birth date) and a
    card of nobody the registry knows: linked for review at most, nothing proposed."""
    cccd, name, birth = q(
        copy_ws.con,
        "SELECT r.cccd, p.full_name, p.birth_date FROM registry_person r "
        "JOIN party p ON p.id_number = r.cccd WHERE p.birth_precision = 'day' "
        "ORDER BY r.cccd LIMIT 1",
    )[0]
    forged_birth = birth.replace(day=1 if birth.day != 1 else 2)
    forged = payload_text(
        cccd, None, "Trần Văn Giả", forged_birth, int(cccd[3]) % 2 == 1, "X", dt.date(2022, 1, 1)
    )
    stranger = payload_text(
        make_cccd("001", birth.year, int(cccd[3]) % 2 == 1, 999_999), None, name, birth,
        int(cccd[3]) % 2 == 1, "X", dt.date(2022, 1, 1),
    )  # fmt: skip
    proposals = q(copy_ws.con, "SELECT count(*) FROM correction_proposal")[0][0]
    done = add_documents(
        copy_ws, [("gia.png", _qr_png(forged)), ("la.png", _qr_png(stranger))], by="kiểm thử"
    )
    assert [d.kind for d in done] == ["cccd_qr", "cccd_qr"]
    assert all(d.status in ("review", "no_land_user") for d in done), done
    assert q(copy_ws.con, "SELECT count(*) FROM correction_proposal")[0][0] == proposals
    statuses = q(
        copy_ws.con,
        "SELECT DISTINCT status, registry FROM evidence_link WHERE sha256 IN (?, ?)",
        [done[0].sha256, done[1].sha256],
    )
    assert all(s == "review" and r in ("differs", "absent") for s, r in statuses)


def test_hostile_documents_are_refused_one_by_one(copy_ws: Workspace, tmp_path: Path) -> None:
    """Damaged, disguised or oversized files: each gets its own outcome, none stops the
    others, nothing is linked."""
    jpeg = io.BytesIO()
    Image.new("RGB", (400, 300), (90, 90, 90)).save(jpeg, format="JPEG")
    bomb = io.BytesIO()
    Image.new("1", (30_000, 30_000)).save(bomb, format="PNG")  # 900 M pixels, a few KB
    files = [
        ("truncated.jpg", jpeg.getvalue()[:200]),
        ("text.jpg", b'=HYPERLINK("http://x")\n'),
        ("fake.pdf", b"%PDF-1.7\n garbage"),
        ("bomb.png", bomb.getvalue()),
        ("payload.png", _qr_png("066185001234|=cmd()|<script>|99999999|X|Y|Z")),
        ("good.png", _qr_png("hello")),
    ]
    done = add_documents(copy_ws, files, by="kiểm thử")
    assert [d.status for d in done] == [
        "unreadable",
        "unreadable",
        "unreadable",
        "unreadable",
        "invalid_payload",
        "other_code",
    ]
    assert all(not d.linked for d in done)
    assert "bomb.png" in done[3].problems[0]
    assert media_type(files[1][1]) is None and media_type(files[2][1]) == "application/pdf"


def test_command_prints_one_json_object_per_file(
    built_workspace: Path, cards: Path, tmp_path: Path
) -> None:
    path = tmp_path / "ws.duckdb"
    path.write_bytes(built_workspace.read_bytes())
    chosen = sorted((cards / "evidence" / "id_cards").iterdir())[:3]
    result = landclean("evidence", "add", str(path), *map(str, chosen), "--json", "--by", "A")
    assert result.returncode == 0, result.stderr
    objects = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["file"] for o in objects] == list(map(str, chosen))
    for o in objects:
        assert set(o) >= {"file", "kind", "status", "id_number", "linked", "cards"}
        assert o["id_number"] is None or "*" in o["id_number"]  # masked
    assert (tmp_path / "ws.duckdb.evidence").is_dir()
    table = landclean("evidence", "add", str(path), str(chosen[0]))
    assert table.returncode == 0 and "Đã có" in table.stdout  # the same bytes again


# ------------------------------------------------------------------ certificate scans


def _page(text: str, confidence: float = 95.0) -> PageText:
    return PageText(text, tuple((w, confidence) for w in text.split()))


def test_certificate_text_is_read_through_ocr_slips() -> None:
    text = (
        "GIẤY CHỨNG NHẬN\nQUYỀN SỬ DỤNG ĐẤT\n1. Thửa đất: a) Thửa đất số: 0127; "
        "b) Tờ bản đổ số: 14;\nBĐ 264024\nSố vào sổ cấp GCN: CS 123456\n"
    )
    read = read_certificate(_page(text))
    assert read is not None
    assert (read.serial, read.repaired, read.sheet_no, read.parcel_no) == (
        "BĐ 264024",
        False,
        "14",
        "127",
    )
    assert read.book_entry_no == "CS 123456"  # six digits too, but the book entry's
    slipped = read_certificate(_page(text.replace("BĐ 264024", "AA O6654954")))
    assert slipped is not None and (slipped.serial, slipped.repaired) == ("AA 06654954", True)
    tail = read_certificate(_page(text.replace("BĐ 264024", "AQO 284403")))
    assert tail is not None and (tail.serial, tail.repaired) == ("AQ 284403", True)
    two = read_certificate(_page(text.replace("BĐ 264024", "CS 111111 CS 222222")))
    assert two is not None and two.serial is None and two.ambiguous
    assert read_certificate(_page("Biên bản họp thôn, ngày 12/3/2025")) is None
    low = read_certificate(_page(text, confidence=40.0))
    assert low is not None and low.confidence == 40.0


@pytest.fixture(scope="module")
def scans(province: Province, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("scans")
    write_certificate_scans(province.root, SCANS, seed=9, out=out)
    return out


@pytest.mark.skipif(not ocr.available(), reason="tesseract-ocr-vie is installed by make test")
def test_certificate_scans_are_read_and_linked_to_their_certificate(
    copy_ws: Workspace, province: Province, scans: Path
) -> None:
    done = api.add_evidence(copy_ws, [scans / "evidence"], by="Văn thư")
    assert {d.kind for d in done} == {"certificate"}
    truth = {
        (r["file"], r["page"]): r
        for r in pq.read_table(scans / "truth" / "certificate_scans.parquet").to_pylist()
    }
    rows = q(
        copy_ws.con,
        "SELECT a.file_name, e.page, e.serial, e.status, "
        "list(cp.parcel_id) FILTER (WHERE cp.parcel_id IS NOT NULL) "
        "FROM evidence_certificate e JOIN evidence_arrival a USING (sha256) "
        "LEFT JOIN certificate_parcel cp USING (certificate_id) GROUP BY ALL",
    )
    assert len(rows) == SCANS
    exact = sum(1 for f, p, serial, _, _ in rows if serial == truth[(Path(f).name, p)]["serial"])
    assert exact >= 0.9 * SCANS
    linked = [(Path(f).name, p, parcels) for f, p, _, status, parcels in rows if status == "linked"]
    assert len(linked) >= 0.8 * SCANS
    wrong = [x for x in linked if truth[(x[0], x[1])]["parcel_id"] not in x[2]]
    assert wrong == []  # a scan linked is the scan of that certificate
    # the campaign counts the certificates whose scan is registered, commune by commune
    run_pipeline(copy_ws)
    expected = dict(
        q(
            copy_ws.con,
            "SELECT cc.unit_code, count(DISTINCT e.certificate_id) FROM evidence_certificate e "
            "JOIN certificate_commune cc USING (certificate_id) WHERE e.status = 'linked' "
            "GROUP BY 1",
        )
    )
    summary = summary_of(copy_ws.con)
    shown = {
        c["code"]: c["digitization"]["scans_registered"]
        for c in summary["communes"]
        if c["digitization"]["scans_registered"]
    }
    assert shown == expected and sum(expected.values()) == len({x[2][0] for x in linked})


def _scan_reading(serial: str | None, sheet: int, parcel: int, tag: str) -> Reading:
    """A certificate page as Tesseract would have read it (no OCR needed)."""
    data = f"scan {tag}".encode()
    text = CertificateText(serial, 95.0, False, serial is None, str(sheet), str(parcel), None)
    return Reading(f"{tag}.png", data, store.digest(data), "image/png", 1, [], [(1, text, "")])


def test_a_scan_whose_serial_is_on_no_certificate_is_found_by_its_sheet_and_parcel(
    copy_ws: Workspace,
) -> None:
    """The serial read is on no certificate: the one certificate of the sheet and parcel
    read, in the commune the scan was brought for, is proposed for review (never linked
    unseen, never counted as scanned); two such certificates, or none: nothing."""
    pairs = q(
        copy_ws.con,
        "SELECT p.unit_code, p.sheet_no, p.parcel_no, count(DISTINCT cp.certificate_id), "
        "any_value(cp.certificate_id) FROM parcel p JOIN certificate_parcel cp USING (parcel_id) "
        "WHERE p.unit_code IS NOT NULL AND p.sheet_no IS NOT NULL AND p.parcel_no IS NOT NULL "
        "GROUP BY 1, 2, 3 ORDER BY 4, 1, 2, 3",
    )
    unit, sheet, parcel, _, certificate = next(r for r in pairs if r[3] == 1)
    readings = [
        _scan_reading("ZZ 999999", sheet, parcel, "wrong-serial"),
        _scan_reading(None, sheet, parcel, "two-serials"),
        _scan_reading("ZZ 999998", 9999, 9999, "nowhere"),
    ]
    many = [r for r in pairs if r[3] > 1 and r[0] == unit]  # two certificates
    if many:
        readings.append(_scan_reading("ZZ 999997", many[0][1], many[0][2], "ambiguous"))
    done = record_readings(copy_ws, readings, by="Văn thư", via="web", unit_code=unit)
    statuses = {d.file: (d.status, d.scans[0]["certificate"]) for d in done}
    assert statuses["wrong-serial.png"] == ("parcel_match", certificate)
    assert statuses["two-serials.png"] == ("parcel_match", certificate)
    assert statuses["nowhere.png"] == ("no_certificate", None)
    if many:
        assert statuses["ambiguous.png"] == ("no_certificate", None)
    assert certificate not in {p for d in done for p in d.linked}
