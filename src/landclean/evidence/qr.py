"""QR codes in a page image, read with zxing-cpp.

A phone photo of an ID card is small, turned, blurred and unevenly lit.  zxing-cpp is
asked first as it is (any rotation, downscaled and inverted tries included); when that
finds nothing, again with a global binarizer (even light), then on the page enlarged
twice (a code of a few pixels per module), then on its contrast stretched.  The first
try that reads a code wins; the text is taken from the code's bytes as UTF-8 (what the
cards carry) and from zxing's own reading only when the bytes are not UTF-8.
"""

from __future__ import annotations

import zxingcpp
from PIL import Image, ImageOps


def _texts(found: list[zxingcpp.Barcode]) -> list[str]:
    texts = []
    for code in found:
        try:
            texts.append(bytes(code.bytes).decode("utf-8"))
        except UnicodeDecodeError:
            texts.append(code.text)
    return texts


def read_codes(image: Image.Image) -> list[str]:
    """The texts of the QR codes in ``image`` (empty when none could be read)."""
    gray = image.convert("L")
    qr = zxingcpp.BarcodeFormat.QRCode
    found = zxingcpp.read_barcodes(gray, formats=qr)
    if found:
        return _texts(found)
    found = zxingcpp.read_barcodes(gray, formats=qr, binarizer=zxingcpp.Binarizer.GlobalHistogram)
    if found:
        return _texts(found)
    if max(gray.size) < 4000:
        big = gray.resize((gray.width * 2, gray.height * 2), Image.Resampling.BICUBIC)
        found = zxingcpp.read_barcodes(big, formats=qr)
        if found:
            return _texts(found)
    stretched = ImageOps.autocontrast(ImageOps.equalize(gray), cutoff=1)
    return _texts(zxingcpp.read_barcodes(stretched, formats=qr))
