"""A citizen's notice as one printable A4 page (PDF, Vietnamese).

The page says who it is for, the personal data on record (in clear: the person checks
it digit by digit), their parcels, and how to answer: a QR code carrying the one-time
link, the same link printed, and the notice's reference for those who come to the
commune's office instead.  Drawn with ReportLab's canvas and DejaVu Sans (matplotlib's
copy, so every Vietnamese letter is there); the QR code is drawn as vector squares
(segno), so it prints sharp at any size.  Nothing here reads the workspace:
``evidence.notices`` gives what to print.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import segno
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

REGULAR, BOLD = "LcSans", "LcSans-Bold"
WIDTH, HEIGHT = A4
MARGIN = 48.0
MAX_PARCELS = 16  # rows that fit on the page; the others are counted, shown on the web page
QR_SIZE = 118.0


def _fonts() -> None:
    if REGULAR in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(REGULAR, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD, str(folder / "DejaVuSans-Bold.ttf")))


@dataclass
class NoticeParcel:
    """One parcel as printed: every value already a text."""

    commune: str  # the old commune (where the sheet numbers belong)
    sheet_parcel: str  # old sheet / parcel
    new_sheet: str
    area: str
    land_use: str
    serial: str


@dataclass
class Notice:
    """What one notice prints (texts, formatted for a Vietnamese reader)."""

    notice_id: str
    link: str
    commune: str  # "Xã Ea Kao"
    addressee: str  # "Ông Nguyễn Văn An", "Hộ bà …", an organisation's name
    issued_on: str  # DD/MM/YYYY
    expires_on: str
    person: list[tuple[str, str]]  # (label, value) of the personal data on record
    parcels: list[NoticeParcel] = field(default_factory=list)
    more_parcels: int = 0


def _text(c: Canvas, x: float, y: float, text: str, size: float = 10, bold: bool = False) -> None:
    c.setFont(BOLD if bold else REGULAR, size)
    c.drawString(x, y, text)


def _centred(c: Canvas, x: float, y: float, text: str, size: float, bold: bool = False) -> None:
    c.setFont(BOLD if bold else REGULAR, size)
    c.drawCentredString(x, y, text)


def _wrapped(c: Canvas, x: float, y: float, text: str, width: float, size: float = 10) -> float:
    """``text`` wrapped to ``width``; the baseline below its last line."""
    c.setFont(REGULAR, size)
    for line in simpleSplit(text, REGULAR, size, width):
        c.drawString(x, y, line)
        y -= size * 1.35
    return y


def _lower_first(name: str) -> str:
    """'Xã Ea Kao' -> 'xã Ea Kao' (the unit's kind inside a sentence)."""
    return name[:1].lower() + name[1:]


def _qr(c: Canvas, text: str, x: float, y: float, size: float) -> None:
    """``text`` as a QR code (error correction M, a 4-module quiet zone), lower left at
    (x, y): each row's dark runs as one rectangle."""
    matrix = segno.make(text, error="m", boost_error=False, micro=False).matrix
    n = len(matrix)
    cell = size / (n + 8)
    path = c.beginPath()
    for r, row in enumerate(matrix):
        col = 0
        while col < n:
            if row[col]:
                start = col
                while col < n and row[col]:
                    col += 1
                top = y + size - (r + 5) * cell
                path.rect(x + (start + 4) * cell, top, (col - start) * cell, cell)
            col += 1
    c.drawPath(path, stroke=0, fill=1)


COLUMNS = (  # heading, width (points), field
    ("Xã/phường cũ", 112.0, "commune"),
    ("Tờ/thửa cũ", 62.0, "sheet_parcel"),
    ("Tờ mới", 44.0, "new_sheet"),
    ("Diện tích (m²)", 72.0, "area"),
    ("Mục đích", 82.0, "land_use"),
    ("Số phát hành GCN", 0.0, "serial"),  # the rest of the line
)


def _parcels(c: Canvas, y: float, notice: Notice) -> float:
    width = WIDTH - 2 * MARGIN
    widths = [w or width - sum(x for _, x, _ in COLUMNS) for _, w, _ in COLUMNS]
    x0 = MARGIN
    c.setFillGray(0.9)
    c.rect(x0, y - 4, width, 15, stroke=0, fill=1)
    c.setFillGray(0)
    x = x0 + 3
    for (heading, _, _), w in zip(COLUMNS, widths, strict=True):
        _text(c, x, y, heading, 8.5, bold=True)
        x += w
    y -= 15
    for p in notice.parcels:
        x = x0 + 3
        for (_, _, name), w in zip(COLUMNS, widths, strict=True):
            value = str(getattr(p, name))
            c.setFont(REGULAR, 8.5)
            while len(value) > 3 and c.stringWidth(value, REGULAR, 8.5) > w - 5:
                value = value[:-2] + "…"
            c.drawString(x, y, value)
            x += w
        c.setStrokeGray(0.75)
        c.line(x0, y - 4, x0 + width, y - 4)
        y -= 14
    if not notice.parcels:
        _text(c, x0 + 3, y, "Không có thửa đất nào được ghi nhận.", 9)
        y -= 14
    if notice.more_parcels:
        _text(c, x0 + 3, y, f"… và {notice.more_parcels} thửa khác: xem đầy đủ khi mở liên kết.", 9)
        y -= 14
    return y


def draw_notice(c: Canvas, notice: Notice) -> None:
    """One notice on the canvas's current page (the caller shows the page)."""
    _fonts()
    top = HEIGHT - MARGIN
    left_mid, right_mid = MARGIN + 100, WIDTH - MARGIN - 140
    _centred(c, left_mid, top, "ỦY BAN NHÂN DÂN", 10, bold=True)
    _centred(c, left_mid, top - 13, notice.commune.upper(), 10, bold=True)
    _centred(c, right_mid, top, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", 10, bold=True)
    _centred(c, right_mid, top - 13, "Độc lập - Tự do - Hạnh phúc", 10, bold=True)
    c.setFont(REGULAR, 9)
    day, month, year = notice.issued_on.split("/")
    c.drawCentredString(right_mid, top - 32, f"ngày {day} tháng {month} năm {year}")
    y = top - 70
    _centred(c, WIDTH / 2, y, "THÔNG BÁO", 14, bold=True)
    _centred(c, WIDTH / 2, y - 17, "Đề nghị xác nhận thông tin đất đai của người sử dụng đất", 11)
    y -= 44
    _text(c, MARGIN, y, f"Kính gửi: {notice.addressee}", 11, bold=True)
    y = _wrapped(
        c, MARGIN, y - 18,
        "Thực hiện chiến dịch làm giàu, làm sạch cơ sở dữ liệu đất đai, Ủy ban nhân dân "
        f"{_lower_first(notice.commune)} đề nghị Ông/Bà kiểm tra thông tin đang được ghi "
        f"nhận dưới đây và xác nhận đúng hoặc báo sai trước ngày {notice.expires_on}.",
        WIDTH - 2 * MARGIN,
    )  # fmt: skip
    y -= 8
    _text(c, MARGIN, y, "I. Thông tin người sử dụng đất", 10.5, bold=True)
    y -= 16
    for name, value in notice.person:
        _text(c, MARGIN + 12, y, f"{name}:", 10)
        y = _wrapped(c, MARGIN + 150, y, value or "(chưa có)", WIDTH - 2 * MARGIN - 150)
    y -= 8
    _text(c, MARGIN, y, "II. Các thửa đất", 10.5, bold=True)
    y = _parcels(c, y - 18, notice)
    y -= 8
    _text(c, MARGIN, y, "III. Cách xác nhận", 10.5, bold=True)
    _qr(c, notice.link, WIDTH - MARGIN - QR_SIZE, max(y - 6 - QR_SIZE, MARGIN), QR_SIZE)
    text_width = WIDTH - 2 * MARGIN - QR_SIZE - 16
    y = _wrapped(
        c, MARGIN, y - 16,
        "Quét mã QR bên cạnh bằng điện thoại (hoặc mở liên kết dưới đây), kiểm tra thông "
        "tin và chọn «Thông tin đúng» hoặc «Có thông tin sai». Nếu có sai, ghi rõ nội dung "
        "sai và có thể gửi kèm ảnh chụp mã QR trên thẻ Căn cước công dân.",
        text_width,
    )  # fmt: skip
    y = _wrapped(
        c, MARGIN, y - 4,
        f"Liên kết chỉ dùng được một lần và hết hạn ngày {notice.expires_on}. Không có "
        "điện thoại, Ông/Bà mang thông báo này và giấy tờ đến Ủy ban nhân dân "
        f"{_lower_first(notice.commune)}.",
        text_width,
    )  # fmt: skip
    c.setFont(REGULAR, 8)
    for line in simpleSplit(notice.link, REGULAR, 8, text_width):
        c.drawString(MARGIN, y - 4, line)
        y -= 11
    _text(c, MARGIN, y - 10, f"Mã thông báo: {notice.notice_id}", 10, bold=True)
    c.setFont(REGULAR, 7.5)
    c.setFillGray(0.35)
    c.drawString(MARGIN, MARGIN - 18, f"{notice.notice_id} · in ngày {notice.issued_on}")
    c.setFillGray(0)


def notice_pdf(notice: Notice) -> bytes:
    """The notice as a one-page PDF."""
    buffer = io.BytesIO()
    c = Canvas(buffer, pagesize=A4, pageCompression=1)
    c.setTitle(f"Thông báo {notice.notice_id}")
    c.setAuthor(f"UBND {notice.commune}")
    draw_notice(c, notice)
    c.showPage()
    c.save()
    return buffer.getvalue()
