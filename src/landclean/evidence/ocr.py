"""Text on a scanned page, read with Tesseract and its Vietnamese model.

Tesseract is reached through tesserocr (the library in-process: no program started per
page); the Vietnamese model (``vie.traineddata``) comes from the operating system's
package ``tesseract-ocr-vie`` (``make test`` installs it where it is missing), found in
``TESSDATA_PREFIX`` or Debian's and Ubuntu's folders.  Each thread keeps its own
Tesseract (one is not to be shared between threads); the interpreter is released while
it reads.  Where the model cannot be found, ``available()`` says so and a document that
needs reading is reported ``ocr_unavailable``, never guessed.
"""

from __future__ import annotations

import functools
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

LANGUAGE = "vie"
MAX_SIDE = 3600  # pixels: an A4 page at 300 dpi
FOLDERS = (
    "/usr/share/tesseract-ocr/5/tessdata",
    "/usr/share/tesseract-ocr/4.00/tessdata",
    "/usr/share/tessdata",
    "/usr/local/share/tessdata",
)
_local = threading.local()


@dataclass(frozen=True)
class PageText:
    """What Tesseract read: the text, and each word with its confidence (0-100)."""

    text: str
    words: tuple[tuple[str, float], ...]


def tessdata() -> Path | None:
    """The folder holding the Vietnamese model, or None."""
    given = os.environ.get("TESSDATA_PREFIX")
    for folder in ([given] if given else []) + list(FOLDERS):
        if (Path(folder) / f"{LANGUAGE}.traineddata").is_file():
            return Path(folder)
    return None


@functools.cache
def available() -> bool:
    """Whether Tesseract and its Vietnamese model are there (asked once per process)."""
    try:
        import tesserocr  # noqa: F401
    except ImportError:
        return False
    return tessdata() is not None


def _api() -> object:
    import tesserocr

    api = getattr(_local, "api", None)
    if api is None:
        folder = tessdata()
        if folder is None:
            raise RuntimeError("Tesseract's Vietnamese model (tesseract-ocr-vie) is missing")
        api = tesserocr.PyTessBaseAPI(path=str(folder) + "/", lang=LANGUAGE)
        _local.api = api
    return api


def read_page(image: Image.Image) -> PageText:
    """The page's text and words, read in Vietnamese."""
    import tesserocr

    api = _api()
    assert isinstance(api, tesserocr.PyTessBaseAPI)
    gray = image.convert("L")
    if max(gray.size) > MAX_SIDE:  # a 600 dpi page reads as well at 300, four times faster
        gray.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    api.SetImage(gray)
    text = api.GetUTF8Text()
    words: list[tuple[str, float]] = []
    iterator = api.GetIterator()
    level = tesserocr.RIL.WORD
    if iterator is not None:  # (none on a blank page)
        for word in tesserocr.iterate_level(iterator, level):
            try:
                found = word.GetUTF8Text(level)
            except RuntimeError:  # "No text returned": an empty word box
                continue
            if found:
                words.append((found, float(word.Confidence(level))))
    api.Clear()
    return PageText(text, tuple(words))
