"""Synthetic scans of land-use right certificates (GCN), with truth.

For a sample of the province's certificates, the first page as a flatbed gives it
(A4 at 150 dpi, grey): the national heading, the certificate's title, the holder, the
parcel (*Thửa đất số*, *Tờ bản đồ số*, address, area), the serial printed large at the
bottom and the book entry; a little skewed, with scanner noise and some blur.  Most are
one PNG or JPEG per certificate; some communes scan a book: one PDF of several pages.
``truth/certificate_scans.parquet`` says, per file and page, the certificate, its parcel
and the serial, sheet and parcel numbers printed (the true ones, whatever the record says).
"""

from __future__ import annotations

import io
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from PIL import Image, ImageDraw, ImageFilter, ImageFont

PAGE = (1240, 1754)  # A4 at 150 dpi
_VN_NUMBER = str.maketrans({",": ".", ".": ","})  # 1.234,5
BOOK_PAGES = 5

CERTS_SQL = """
SELECT c.certificate_id, c.parcel_id, c.serial, c.book_entry_no, p.sheet_no,
       p.true_parcel_no AS parcel_no,
       p.legal_area, p.village, c.issuer, any_value(pa.name) AS holder
FROM read_parquet($certificates) c
JOIN read_parquet($parcels) p USING (parcel_id)
LEFT JOIN read_parquet($rights) r USING (parcel_id)
LEFT JOIN read_parquet($parties) pa USING (party_id)
WHERE c.serial IS NOT NULL
GROUP BY ALL ORDER BY c.certificate_id
"""


def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    import matplotlib

    name = "DejaVuSerif-Bold.ttf" if bold else "DejaVuSerif.ttf"
    return ImageFont.truetype(str(Path(matplotlib.get_data_path()) / "fonts" / "ttf" / name), size)


def certificate_page(row: dict, rng: np.random.Generator) -> Image.Image:
    """The certificate's first page, scanned."""
    page = Image.new("L", PAGE, 248)
    d = ImageDraw.Draw(page)
    body = _font(26)
    d.text((170, 110), "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", font=_font(30, True), fill=25)
    d.text((380, 160), "Độc lập - Tự do - Hạnh phúc", font=_font(26), fill=25)
    d.text((280, 300), "GIẤY CHỨNG NHẬN", font=_font(58, True), fill=15)
    d.text(
        (110, 390), "QUYỀN SỬ DỤNG ĐẤT, QUYỀN SỞ HỮU TÀI SẢN GẮN LIỀN VỚI ĐẤT", font=body, fill=15
    )
    lines = [
        f"I. Người sử dụng đất: {row['holder'] or 'Ủy ban nhân dân xã'}",
        "II. Thửa đất, nhà ở và tài sản khác gắn liền với đất",
        f"1. Thửa đất: a) Thửa đất số: {row['parcel_no']};   b) Tờ bản đồ số: {row['sheet_no']};",
        f"c) Địa chỉ: {row['village'] or ''}",
        "d) Diện tích: "
        + (f"{row['legal_area']:,.1f}".translate(_VN_NUMBER) + " m²" if row["legal_area"] else "—"),
        f"Nơi cấp: {row['issuer'] or ''}",
    ]
    for i, line in enumerate(lines):
        d.text((110, 520 + 62 * i), line, font=body, fill=15)
    d.text((760, 1470), row["serial"], font=_font(46, True), fill=30)
    if row["book_entry_no"]:
        d.text((110, 1590), f"Số vào sổ cấp GCN: {row['book_entry_no']}", font=body, fill=15)
    page = page.rotate(
        float(rng.uniform(-2.0, 2.0)), fillcolor=248, resample=Image.Resampling.BICUBIC
    )
    page = page.filter(ImageFilter.GaussianBlur(float(rng.uniform(0.0, 0.8))))
    pixels = np.asarray(page, dtype=np.float32)
    pixels += rng.standard_normal(pixels.shape, dtype=np.float32) * rng.uniform(3, 12)
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def write_certificate_scans(province: Path, scans: int, seed: int, out: Path | None = None) -> int:
    """Scans of ``scans`` certificates of the generated ``province`` under
    ``out/evidence/certificates`` (one in five in a book PDF), truth in
    ``out/truth/certificate_scans.parquet``; returns the number of files."""
    rng = np.random.default_rng([seed, 21])
    out = out or province
    folder = out / "evidence" / "certificates"
    folder.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect()
    try:
        rows = con.execute(
            CERTS_SQL,
            {
                n: str(province / "truth" / f"{n}.parquet")
                for n in ("certificates", "parcels", "rights", "parties")
            },
        ).fetch_arrow_table()
    finally:
        con.close()
    chosen = rows.take(
        pa.array(np.sort(rng.choice(rows.num_rows, min(scans, rows.num_rows), replace=False)))
    )
    truth: dict[str, list[object]] = {
        k: []
        for k in ("file", "page", "certificate_id", "parcel_id", "serial", "sheet_no", "parcel_no")
    }
    book: list[Image.Image] = []
    files = 0
    books = 0
    for i, row in enumerate(chosen.to_pylist()):
        image = certificate_page(row, rng)
        if i % 5 == 4:  # a book scanned page by page
            name = f"so_gcn_{books + 1:03d}.pdf"
            book.append(image)
            page_no = len(book)
            if len(book) == BOOK_PAGES:
                book[0].save(
                    folder / name,
                    format="PDF",
                    save_all=True,
                    append_images=book[1:],
                    resolution=150,
                )
                files, books, book = files + 1, books + 1, []
        else:
            page_no = 1
            name = f"gcn_{i + 1:05d}." + ("jpg" if i % 2 else "png")
            buf = io.BytesIO()
            image.save(buf, format="JPEG" if i % 2 else "PNG", **({"quality": 85} if i % 2 else {}))
            (folder / name).write_bytes(buf.getvalue())
            files += 1
        printed = (name, page_no, row["certificate_id"], row["parcel_id"], row["serial"],
                   row["sheet_no"], row["parcel_no"])  # fmt: skip
        for key, value in zip(truth, printed, strict=True):
            truth[key].append(value if key == "page" else str(value))
    if book:
        name = f"so_gcn_{books + 1:03d}.pdf"
        book[0].save(
            folder / name, format="PDF", save_all=True, append_images=book[1:], resolution=150
        )
        files += 1
    (out / "truth").mkdir(parents=True, exist_ok=True)
    table = pa.table(
        {k: pa.array(v, pa.int32() if k == "page" else pa.string()) for k, v in truth.items()}
    )
    pq.write_table(table, out / "truth" / "certificate_scans.parquet")
    return files
