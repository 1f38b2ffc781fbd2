"""QR codes in a page image, read with zxing-cpp.

A phone photo of an ID card is small, turned, blurred and unevenly lit.  zxing-cpp is
asked first as it is (any rotation, downscaled and inverted tries included); when that
finds nothing, again with a global binarizer (even light), then on the page enlarged
and sharpened (a blurred code of two or three pixels per module), then on its contrast
stretched.  The first
try that reads a code wins; the text is taken from the code's bytes as UTF-8 (what the
cards carry) and from zxing's own reading only when the bytes are not UTF-8.
"""

from __future__ import annotations

import zxingcpp
from PIL import Image, ImageFilter, ImageOps

MAX_SIDE = 5000  # pages are enlarged for a small code, never beyond this
QR = zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)


def _texts(found: list[zxingcpp.Barcode]) -> list[str]:
    texts = []
    for code in found:
        try:
            texts.append(bytes(code.bytes).decode("utf-8"))
        except UnicodeDecodeError:
            texts.append(code.text)
    return texts


def _sharpened(gray: Image.Image, factor: float) -> Image.Image:
    """The page enlarged ``factor`` times and sharpened: a blurred code of two or three
    pixels per module gets edges zxing can sample."""
    size = (int(gray.width * factor), int(gray.height * factor))
    big = gray.resize(size, Image.Resampling.BICUBIC) if factor != 1 else gray
    return big.filter(ImageFilter.UnsharpMask(radius=2 * factor, percent=150, threshold=0))


def read_codes(image: Image.Image, thorough: bool = True) -> list[str]:
    """The texts of the QR codes in ``image`` (empty when none could be read);
    ``thorough=False``: the two quick tries only (a page that may be a certificate is
    read with Tesseract before the slow tries are spent on it)."""
    gray = image.convert("L")
    found = zxingcpp.read_barcodes(gray, formats=QR)
    if found:
        return _texts(found)
    found = zxingcpp.read_barcodes(gray, formats=QR, binarizer=zxingcpp.Binarizer.GlobalHistogram)
    if found or not thorough:
        return _texts(found)
    return read_codes_harder(gray)


def read_codes_harder(image: Image.Image) -> list[str]:
    """The slow tries: enlarged and sharpened, then the contrast stretched."""
    gray = image.convert("L")
    largest = max(gray.size)
    for factor in (1.5, 2.0, 1.0, 3.0):  # the cheapest that usually works first
        if largest * factor > MAX_SIDE:
            continue
        found = zxingcpp.read_barcodes(_sharpened(gray, factor), formats=QR)
        if found:
            return _texts(found)
    stretched = ImageOps.autocontrast(ImageOps.equalize(gray), cutoff=1)
    return _texts(zxingcpp.read_barcodes(stretched, formats=QR))
