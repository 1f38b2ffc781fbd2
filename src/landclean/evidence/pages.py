"""A document's pages as images: photos and scans (JPEG, PNG, TIFF, WebP, BMP; every
frame of a multi-page TIFF) and PDF (every page rendered with PDFium).

The kind of file is read from its first bytes, never from its name: a phone that saves a
PNG as ``.jpg`` is still read.  A file that is none of these, or that the libraries
cannot open, raises ``UnreadableDocument`` naming why; nothing is guessed.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from PIL import Image, ImageSequence, UnidentifiedImageError

from landclean.errors import LandcleanError

PDF_DPI = 200  # scans of ID cards and certificates are read well at this resolution
MAX_PAGES = 2_000  # a bound book of certificates; more is refused rather than read forever
MAX_PIXELS = 80_000_000  # a page larger than this is a decompression bomb, not a scan

MAGIC = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"BM", "image/bmp"),
)


class UnreadableDocument(LandcleanError):
    """A document that is not an image or PDF this reads, or is damaged."""


def media_type(data: bytes) -> str | None:
    """The document's media type from its first bytes; None when it is none we read."""
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:1024].lstrip()  # some PDF writers put a line before the header
    for magic, kind in MAGIC:
        if data.startswith(magic) or (kind == "application/pdf" and head.startswith(magic)):
            return kind
    return None


def pages(data: bytes, name: str) -> Iterator[Image.Image]:
    """Each page of the document, as an RGB or grayscale image."""
    kind = media_type(data)
    if kind is None:
        raise UnreadableDocument("document_not_image", file=name)
    if kind == "application/pdf":
        yield from _pdf_pages(data, name)
        return
    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        image = Image.open(io.BytesIO(data))
        for i, frame in enumerate(ImageSequence.Iterator(image)):
            if i >= MAX_PAGES:
                raise UnreadableDocument("document_too_many_pages", file=name, pages=MAX_PAGES)
            yield frame.convert("L" if frame.mode in ("1", "L", "I;16") else "RGB")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as exc:
        raise UnreadableDocument("document_damaged", file=name, reason=str(exc)[:200]) from exc


def _pdf_pages(data: bytes, name: str) -> Iterator[Image.Image]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise UnreadableDocument("document_damaged", file=name, reason=str(exc)[:200]) from exc
    try:
        if len(pdf) > MAX_PAGES:
            raise UnreadableDocument("document_too_many_pages", file=name, pages=MAX_PAGES)
        for index in range(len(pdf)):
            page = pdf[index]
            width, height = page.get_size()  # points
            scale = PDF_DPI / 72
            if width * height * scale * scale > MAX_PIXELS:
                scale = (MAX_PIXELS / (width * height)) ** 0.5
            yield page.render(scale=scale, grayscale=True).to_pil()
            page.close()
    finally:
        pdf.close()
