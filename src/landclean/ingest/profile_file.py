"""A profile file read as data, never trusted: a bounded size, UTF-8 text, a bounded
nesting depth (found by a scan of the text, before the JSON parser could recurse), JSON,
a name fit to be a name, and every known key of the expected type.

Each problem is an ``ImportError_`` naming the file and what is wrong, one line; a
profile folder's problems are listed together before any work (``check_profiles``).
"""

from __future__ import annotations

import json
import re
import stat
from itertools import accumulate
from pathlib import Path

from landclean.errors import ImportError_

MAX_KB = 1000  # a profile names columns; the largest built-in has under 5 kB
MAX_BYTES = MAX_KB * 1000
MAX_DEPTH = 20  # the deepest built-in profile nests 4 levels
NAME_MAX = 64
NAME = re.compile(rf"[A-Za-z0-9][A-Za-z0-9_.-]{{0,{NAME_MAX - 1}}}")
# a JSON string, its closing quote optional so that the scan stays linear on any text
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_BOM = b"\xef\xbb\xbf"
# top-level keys that hold a text, and whether it may be blank
TEXT_KEYS = {"name": False, "title": False, "target": False, "description": True, "sheet": True}


def nesting_depth(text: str) -> int:
    """How deep the brackets of a JSON text nest, strings left out (no recursion)."""
    brackets = _NOT_BRACKET.sub("", _STRING.sub("", text))
    steps = accumulate(1 if b in "[{" else -1 for b in brackets)
    return max(steps, default=0)


def read_profile_json(path: Path) -> object:
    """The JSON document of a profile file, checked as data before it is parsed."""
    info = path.stat()
    if not stat.S_ISREG(info.st_mode):
        raise ImportError_("profile_not_file", path=path)
    if info.st_size > MAX_BYTES:
        raise ImportError_("profile_too_big", path=path, kb=info.st_size // 1000, limit=MAX_KB)
    with path.open("rb") as f:
        data = f.read(MAX_BYTES + 1)  # a file that grew since: still bounded
    if len(data) > MAX_BYTES:
        raise ImportError_("profile_too_big", path=path, kb=len(data) // 1000, limit=MAX_KB)
    try:
        text = data.removeprefix(_BOM).decode("utf-8")  # a BOM is no error
    except UnicodeDecodeError as exc:
        raise ImportError_(
            "profile_encoding", path=path, byte=f"0x{data[exc.start]:02x}", position=exc.start
        ) from None
    depth = nesting_depth(text)
    if depth > MAX_DEPTH:
        raise ImportError_("profile_too_deep", path=path, depth=depth, limit=MAX_DEPTH)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # ValueError: JSONDecodeError, huge numbers
        raise ImportError_("profile_json", path=path, reason=str(exc).split(";")[0]) from None


def _shown(value: object) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:59] + "…"


def _text_problem(value: object, part: str, source: str, blank_ok: bool) -> None:
    if not isinstance(value, str) or not (blank_ok or value.strip()):
        raise ImportError_("profile_not_text", source=source, part=part, value=_shown(value))


def _texts_problem(value: object, part: str, source: str) -> None:
    if not isinstance(value, list):
        raise ImportError_("profile_not_texts", source=source, part=part, value=_shown(value))
    for i, item in enumerate(value, 1):
        _text_problem(item, f"{part}[{i}]", source, blank_ok=False)


def check_types(doc: dict[str, object], source: str) -> None:
    """Every known key of the profile of the type it must have (texts, lists of texts),
    and a name fit to be a name; ``ImportError_`` naming the first that is not."""
    for key, blank_ok in TEXT_KEYS.items():
        if key in doc:
            _text_problem(doc[key], key, source, blank_ok)
    name = doc.get("name")
    if isinstance(name, str) and not (NAME.fullmatch(name) and ".." not in name):
        raise ImportError_("profile_name", source=source, name=_shown(name), limit=NAME_MAX)
    if "required" in doc:
        _texts_problem(doc["required"], "required", source)
    columns = doc.get("columns")
    for i, col in enumerate(columns if isinstance(columns, list) else [], 1):
        if not isinstance(col, dict):
            continue  # the structure is checked by the parser, which names it
        for key in ("field", "header"):
            if key in col:
                _text_problem(col[key], f"columns[{i}].{key}", source, blank_ok=False)
        if "aliases" in col:
            _texts_problem(col["aliases"], f"columns[{i}].aliases", source)
