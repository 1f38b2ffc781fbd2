"""GDAL's messages while map files are read: kept, not printed, and worded on one line.

GDAL reports a problem through an error handler of the thread that called it.  pyogrio
installs one in the thread that imported it and raises its failures as exceptions, but
map layers are streamed into DuckDB (``sources.Source.stream``), whose own threads pull
the batches: there GDAL's default handler would print ``ERROR 1: …`` on stderr and let a
damaged Shapefile go on with empty geometries.  So every GDAL call of the import runs
through ``quietly``: for the time of the call, in whatever thread it runs, pyogrio's
collecting handler is pushed, GDAL's failures are gathered (and, for data read, refuse
the layer), its warnings are logged.  Whatever GDAL still says from threads of its own
(the GeoPackage reader's helpers) goes to ``CPL_LOG``, the null device unless the user
set it: a short read is caught by the feature count (``importer._insert_stream``).
``reason`` turns any of these errors into one clean line: no Python traceback, no SQL.
"""

from __future__ import annotations

import ast
import logging
import os
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pyogrio

try:  # pyogrio's own collecting handler (pinned version; without it GDAL is only muted)
    from pyogrio._err import _ERROR_STACK, capture_errors
except ImportError:  # pragma: no cover - another pyogrio
    _ERROR_STACK = None
    capture_errors = None

log = logging.getLogger(__name__)

T = TypeVar("T")
MAX_REASON = 240  # characters of GDAL's wording kept in a message
_muted = False


class GdalError(Exception):
    """GDAL failed (or reported failures) during one call; ``reason`` is one clean line."""

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


def mute_default_handler() -> None:
    """GDAL's default handler (threads without one of their own) writes to the null
    device, unless the user chose a log file with CPL_LOG.  Once per process, before
    GDAL has printed anything (it opens its log at the first message)."""
    global _muted
    if not _muted and not os.environ.get("CPL_LOG"):
        pyogrio.set_gdal_config_options({"CPL_LOG": os.devnull})
    _muted = True


def quietly(call: Callable[..., T], *args: Any, strict: bool = False, **kwargs: Any) -> T:
    """``call(*args, **kwargs)`` (GDAL work in this thread) with GDAL's messages kept,
    not printed.

    A failure of the call raises ``GdalError`` with GDAL's own words (those of the
    first failure it reported, else of the exception, and how many more).  With
    ``strict`` (reading data), a failure GDAL reported without failing the call (a
    Shapefile record it could not read, returned empty) raises too.  GDAL's warnings
    are logged (shown with --verbose).
    """
    if capture_errors is None or _ERROR_STACK is None:  # pragma: no cover
        try:
            return call(*args, **kwargs)
        except Exception as exc:
            raise GdalError(reason(exc)) from exc
    failure: BaseException | None = None
    result: Any = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        # pyogrio's context pops its handler only when the block ends normally
        with capture_errors():
            try:
                result = call(*args, **kwargs)
            except BaseException as exc:  # re-raised below, once the handler is popped
                failure = exc
            reported = [reason(e) for e in _ERROR_STACK.get([])]
    for w in caught:
        log.info("GDAL: %s", reason(str(w.message)))
    if failure is not None and not isinstance(failure, Exception):
        raise failure  # KeyboardInterrupt, SystemExit
    if failure is not None or (strict and reported):
        words = [*reported, reason(failure)] if failure is not None else reported
        more = len(set(words)) - 1
        raise GdalError(words[0] + (f" (+{more})" if more > 0 else "")) from failure
    return result


# "Python exception: Traceback …" when a stream's producer raised; what follows is noise
_NOISE = re.compile(r"(\.\s*)?(Detail: )?Python exception:.*|Traceback \(most recent.*", re.S)
_SQL_CALL = re.compile(r"sqlite3_\w+\(.*\) failed: ")  # GeoPackage: the statement GDAL ran
_RAW = re.compile(r"Could not decode error message to UTF-8\. Raw error: (b(['\"]).*\2)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\ufffd]+")


def reason(error: BaseException | str, path: Path | None = None) -> str:
    """A GDAL or pyogrio error as one clean line: no traceback, no SQL statement, no
    repeated part, no undecodable bytes, the file's own path left out (the message
    names it), at most ``MAX_REASON`` characters."""
    if isinstance(error, GdalError):
        return error.reason
    text = str(error)
    text = _RAW.sub(lambda m: _decode_raw(m.group(1)), text)
    text = _NOISE.sub("", text)
    if path is not None:
        text = text.replace(str(path), "")
    parts = [_SQL_CALL.sub("", p) for p in re.split(r";\s+|\n", text)]
    text = _join(_CONTROL.sub(" ", p).strip(" .:;()") for p in parts)
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) > MAX_REASON:
        text = text[: MAX_REASON - 1].rstrip() + "…"
    if not text:
        return type(error).__name__ if isinstance(error, BaseException) else "GDAL"
    return text


def _join(parts: Any) -> str:
    seen: list[str] = []
    for part in parts:
        if part and part not in seen:
            seen.append(part)
    return "; ".join(seen)


def _decode_raw(literal: str) -> str:
    """GDAL's message in bytes that are not UTF-8: up to the first undecodable byte
    (what follows is the damaged file's own bytes)."""
    try:
        raw = ast.literal_eval(literal)
    except (ValueError, SyntaxError):
        return ""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return text.split("\ufffd")[0].rstrip() + "…" if "\ufffd" in text else text
