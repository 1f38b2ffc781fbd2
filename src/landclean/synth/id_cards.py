"""Synthetic photos and scans of chip ID cards (CCCD), with truth.

For a sample of the province's land users (individuals), the card of the person behind
them: the true person's number, old CMND, name, birth date, sex and registered address
in the QR code's real layout (``vn.cccd_qr.payload_text``), printed top-right of a card
like the real one.  Each card is written as

* a phone photo (JPEG): the card on a table, turned any way, in perspective, blurred,
  unevenly lit, with sensor noise and JPEG loss;
* or a clean scan (PNG), a little skewed;
* or a page of a multi-page PDF (a commune scanning a stack of copies).

A few documents carry no card (a blank photo) or another QR code (a link), as offices
send them.  ``truth/id_cards.parquet`` says, per file and page, the person, their land
users and the payload.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import segno
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from landclean.vn.cccd_qr import payload_text

CARD = (1012, 638)  # ID-1 at 300 dpi
PHOTO = (1600, 1200)
SCAN = (1240, 1754)  # A4 at 150 dpi
PDF_PAGES = 4  # cards per PDF


@dataclass(frozen=True)
class CardPlan:
    """How many documents of each kind."""

    photos: int
    scans: int
    pdf_cards: int
    no_qr: int = 2
    other_qr: int = 2


def card_plan(cards: int) -> CardPlan:
    """``cards`` cards: seven in ten photographed, two scanned, one in a PDF."""
    pdf = cards // 10
    scans = cards * 2 // 10
    return CardPlan(photos=cards - pdf - scans, scans=scans, pdf_cards=pdf)


def _font(size: int) -> ImageFont.FreeTypeFont:
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
    return ImageFont.truetype(str(path), size)


def card_image(
    payload: str, name: str, number: str, birth: str, rng: np.random.Generator
) -> Image.Image:
    """The card's front: title, the printed fields and the QR code top-right."""
    tint = tuple(int(v) for v in rng.integers(215, 245, 3))
    card = Image.new("RGB", CARD, tint)
    draw = ImageDraw.Draw(card)
    draw.rounded_rectangle(
        (2, 2, CARD[0] - 3, CARD[1] - 3), radius=36, outline=(120, 120, 140), width=3
    )
    draw.text((60, 40), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=_font(30), fill=(30, 30, 90))
    draw.text((60, 90), "CĂN CƯỚC CÔNG DÂN", font=_font(40), fill=(170, 20, 20))
    body = _font(28)
    for i, (label, value) in enumerate(
        (("Số / No.", number), ("Họ và tên", name), ("Ngày sinh", birth))
    ):
        draw.text((300, 200 + 90 * i), f"{label}:", font=body, fill=(60, 60, 60))
        draw.text((300, 236 + 90 * i), value, font=body, fill=(0, 0, 0))
    draw.rectangle((60, 200, 260, 460), fill=(200, 200, 210))  # the photo's place
    code = segno.make(payload, error="m", micro=False)
    buf = io.BytesIO()
    code.save(buf, kind="png", scale=4, border=2)
    qr = Image.open(buf).convert("RGB")
    card.paste(qr, (CARD[0] - qr.width - 40, 30))
    return card


def _coeffs(out_pts: np.ndarray, in_pts: np.ndarray) -> list[float]:
    """PIL's PERSPECTIVE coefficients: each output pixel (x, y) is read from the input at
    ((a x + b y + c) / (g x + h y + 1), (d x + e y + f) / (g x + h y + 1)); solved so that
    ``out_pts`` read from ``in_pts``."""
    rows = []
    for (x, y), (u, v) in zip(out_pts, in_pts, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    return [float(c) for c in np.linalg.solve(np.array(rows), in_pts.reshape(8))]


def photo(card: Image.Image, rng: np.random.Generator) -> bytes:
    """The card photographed by a phone: JPEG bytes."""
    scale = rng.uniform(0.8, 1.3)  # the card fills half to four fifths of the photo's width
    w, h = CARD[0] * scale, CARD[1] * scale
    corners = np.array([(0, 0), (w, 0), (w, h), (0, h)]) - (w / 2, h / 2)
    corners += rng.uniform(-0.07, 0.07, (4, 2)) * (w, h)  # in perspective
    angle = rng.uniform(0, 2 * np.pi)  # turned any way
    turn = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = corners @ turn.T
    span = corners.max(axis=0) - corners.min(axis=0)
    fit = min(1.0, 0.98 * min(PHOTO[0] / span[0], PHOTO[1] / span[1]))
    corners *= fit
    low, high = corners.min(axis=0), corners.max(axis=0)
    at = rng.uniform(-low, np.array(PHOTO) - high)  # anywhere on the table
    src = np.array([(0, 0), (CARD[0], 0), (CARD[0], CARD[1]), (0, CARD[1])], dtype=float)
    coeffs = _coeffs(corners + at, src)
    warped = card.convert("RGBA").transform(
        PHOTO, Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BICUBIC
    )
    table = (*(int(v) for v in rng.integers(40, 160, 3)), 255)
    canvas = Image.new("RGBA", PHOTO, table)
    canvas.alpha_composite(warped)
    canvas = canvas.convert("RGB")
    canvas = canvas.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.0, 1.5))))
    pixels = np.asarray(canvas, dtype=np.float32)
    # uneven light: a slope and a vignette, drawn small and enlarged (smooth anyway)
    yy, xx = np.mgrid[0:120, 0:160].astype(np.float32)
    direction = rng.uniform(-1, 1, 2)
    light = 1.0 + 0.35 * (direction[0] * (xx / 160 - 0.5) + direction[1] * (yy / 120 - 0.5))
    light *= 1.0 - 0.5 * ((xx / 160 - 0.5) ** 2 + (yy / 120 - 0.5) ** 2)
    light *= rng.uniform(0.75, 1.1)
    big = Image.fromarray(light.astype(np.float32), mode="F").resize(
        PHOTO, Image.Resampling.BILINEAR
    )
    pixels = pixels * np.asarray(big)[..., None]
    noise = rng.standard_normal(pixels.shape[:2], dtype=np.float32) * rng.uniform(2, 8)
    pixels += noise[..., None]  # sensor noise (luminance)
    out = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    buf = io.BytesIO()
    out.save(buf, format="JPEG", quality=int(rng.integers(45, 86)))
    return buf.getvalue()


def scan_page(card: Image.Image, rng: np.random.Generator) -> Image.Image:
    """The card on a white A4 page, a little skewed, as a flatbed scanner gives it."""
    page = Image.new("RGB", SCAN, (250, 250, 248))
    small = card.resize((CARD[0] // 2, CARD[1] // 2), Image.Resampling.LANCZOS)
    small = card if rng.random() < 0.5 else small.resize(CARD, Image.Resampling.BICUBIC)
    skewed = small.rotate(float(rng.uniform(-2.5, 2.5)), expand=True, fillcolor=(250, 250, 248))
    page.paste(skewed, (int(rng.integers(60, 180)), int(rng.integers(80, 300))))
    return page


PEOPLE_SQL = """
SELECT p.person_id, p.full_name, p.female, p.birth_date, p.cccd, p.cmnd,
       coalesce(r.noi_thuong_tru, '') AS address,
       list(l.party_id ORDER BY l.party_id) AS party_id_list
FROM read_parquet($persons) p
JOIN read_parquet($parties) l USING (person_id)
LEFT JOIN (SELECT so_dinh_danh, any_value(noi_thuong_tru) AS noi_thuong_tru
           FROM read_parquet($registry) GROUP BY ALL) r ON r.so_dinh_danh = p.cccd
WHERE l.party_type = 'individual' OR l.party_type = 'household'
GROUP BY ALL ORDER BY p.person_id
"""


def _people(province: Path, n: int, rng: np.random.Generator) -> list[dict]:
    """``n`` persons holding land, with their land users and registered address."""
    con = duckdb.connect()
    try:
        rows = con.execute(
            PEOPLE_SQL,
            {
                "persons": str(province / "truth" / "persons.parquet"),
                "parties": str(province / "truth" / "parties.parquet"),
                "registry": str(province / "registry" / "population.parquet"),
            },
        ).fetch_arrow_table()
    finally:
        con.close()
    take = np.sort(rng.choice(rows.num_rows, size=min(n, rows.num_rows), replace=False))
    return rows.take(pa.array(take)).to_pylist()


def write_id_cards(province: Path, plan: CardPlan, seed: int, out: Path | None = None) -> int:
    """Write ``plan``'s documents for the generated ``province`` under
    ``out/evidence/id_cards`` and their truth in ``out/truth/id_cards.parquet`` (``out``:
    the province's folder unless given); return the number of files."""
    rng = np.random.default_rng([seed, 20])
    out = out or province
    folder = out / "evidence" / "id_cards"
    folder.mkdir(parents=True, exist_ok=True)
    people = _people(province, plan.photos + plan.scans + plan.pdf_cards, rng)
    truth: dict[str, list[object]] = {
        k: [] for k in ("file", "page", "variant", "person_id", "party_ids", "payload")
    }

    def note(file: str, page: int, variant: str, row: dict | None, payload: str | None) -> None:
        truth["file"].append(file)
        truth["page"].append(page)
        truth["variant"].append(variant)
        truth["person_id"].append(row["person_id"] if row else None)
        truth["party_ids"].append(row["party_id_list"] if row else [])
        truth["payload"].append(payload)

    pdf_pages: list[Image.Image] = []
    files = 0
    for i, row in enumerate(people):
        birth: dt.date = row["birth_date"]
        issued = dt.date(
            int(rng.integers(2021, 2025)), int(rng.integers(1, 13)), int(rng.integers(1, 29))
        )
        payload = payload_text(
            row["cccd"],
            row["cmnd"],
            row["full_name"],
            birth,
            bool(row["female"]),
            row["address"],
            max(issued, birth + dt.timedelta(days=14 * 366)),
        )
        card = card_image(
            payload, row["full_name"].upper(), row["cccd"], birth.strftime("%d/%m/%Y"), rng
        )
        if i < plan.photos:
            name = f"anh_cccd_{i + 1:05d}.jpg"
            (folder / name).write_bytes(photo(card, rng))
            note(name, 1, "photo", row, payload)
            files += 1
        elif i < plan.photos + plan.scans:
            name = f"scan_cccd_{i + 1:05d}.png"
            scan_page(card, rng).save(folder / name, format="PNG", optimize=False)
            note(name, 1, "scan", row, payload)
            files += 1
        else:
            pdf_pages.append(scan_page(card, rng))
            note(
                f"cccd_xa_{(len(pdf_pages) - 1) // PDF_PAGES + 1:03d}.pdf",
                (len(pdf_pages) - 1) % PDF_PAGES + 1,
                "pdf",
                row,
                payload,
            )
    for start in range(0, len(pdf_pages), PDF_PAGES):
        pages = pdf_pages[start : start + PDF_PAGES]
        name = f"cccd_xa_{start // PDF_PAGES + 1:03d}.pdf"
        pages[0].save(
            folder / name, format="PDF", save_all=True, append_images=pages[1:], resolution=150
        )
        files += 1
    for j in range(plan.no_qr):
        blank = Image.new("RGB", PHOTO, tuple(int(v) for v in rng.integers(60, 200, 3)))
        name = f"anh_khong_ma_{j + 1:03d}.jpg"
        blank.save(folder / name, format="JPEG", quality=80)
        note(name, 1, "no_qr", None, None)
        files += 1
    for j in range(plan.other_qr):
        link = f"https://dichvucong.gov.vn/p/home/dvc-trang-chu.html?ref={j}"
        page = Image.new("RGB", (800, 800), (255, 255, 255))
        buf = io.BytesIO()
        segno.make(link, error="m").save(buf, kind="png", scale=8, border=4)
        page.paste(Image.open(buf).convert("RGB"), (100, 100))
        name = f"ma_khac_{j + 1:03d}.png"
        page.save(folder / name, format="PNG")
        note(name, 1, "other_qr", None, link)
        files += 1
    table = pa.table(
        {
            "file": pa.array(truth["file"], pa.string()),
            "page": pa.array(truth["page"], pa.int32()),
            "variant": pa.array(truth["variant"], pa.string()),
            "person_id": pa.array(truth["person_id"], pa.string()),
            "party_ids": pa.array(truth["party_ids"], pa.list_(pa.string())),
            "payload": pa.array(truth["payload"], pa.string()),
        }
    )
    (out / "truth").mkdir(parents=True, exist_ok=True)
    pq.write_table(table, out / "truth" / "id_cards.parquet")
    return files
