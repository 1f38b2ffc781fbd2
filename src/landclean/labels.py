"""Every label and message people read, in Vietnamese and English: ``labels.json``.

One data file for the reports, the worklists, the review queues, the exports, the rules'
titles and advice, and the command line's messages, so that a translator or a province
changes words in one place.  Sections group the labels by where they appear; every label
has a ``vi`` and an ``en`` text (NFC), and placeholders such as ``{n}`` are the same in
both (a test checks).  Numbers are written the Vietnamese way in Vietnamese
(``1.234.567``, ``91,92 %``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from types import MappingProxyType

LANGS = ("vi", "en")


@cache
def _catalogue() -> dict[str, dict[str, dict[str, str]]]:
    text = resources.files("landclean").joinpath("labels.json").read_text("utf-8")
    doc: dict[str, dict[str, dict[str, str]]] = json.loads(text)
    return doc


@cache
def labels(section: str, lang: str) -> Mapping[str, str]:
    """Every label of ``section`` in ``lang`` ("vi" or "en"), by key (read-only)."""
    if lang not in LANGS:
        raise ValueError(f"language {lang!r}: expected vi or en")
    return MappingProxyType({key: texts[lang] for key, texts in _catalogue()[section].items()})


def label(section: str, key: str, lang: str, /, **values: object) -> str:
    """One label, its placeholders filled in (``label("cli", "imported", "vi", rows=3)``)."""
    text = labels(section, lang)[key]
    return text.format(**values) if values else text


def sections() -> dict[str, dict[str, dict[str, str]]]:
    """The whole catalogue (for checks and translators)."""
    return _catalogue()


def fmt_int(value: int, lang: str) -> str:
    """1234567 -> '1.234.567' (vi) or '1,234,567' (en)."""
    text = f"{value:,}"
    return text.replace(",", ".") if lang == "vi" else text


def fmt_dec(value: float, lang: str, digits: int = 1) -> str:
    """12.34 -> '12,3' (vi) or '12.3' (en)."""
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "vi" else text


def fmt_pct(part: int, whole: int, lang: str) -> str:
    """Share with two decimals: '91,92 %' (vi) or '91.92 %' (en); '–' when whole is 0."""
    if whole == 0:
        return "–"
    text = f"{100 * part / whole:.2f} %"
    return text.replace(".", ",") if lang == "vi" else text
