"""One exception family: every error a user can cause, worded in Vietnamese and English.

An error is raised with a key of the labels' ``errors`` section and the values it names
(``ImportError_("no_source", path=src)``): ``text(lang)`` words it for people (the
command line prints it in the user's language, one line), ``str()`` is the English text
(logs, tests).  Several problems found at once, before any work, are one ``Problems``.
"""

from __future__ import annotations

import errno
import os
import re

from landclean.labels import LANGS, label


class LandcleanError(Exception):
    """Base of every error a user can cause (bad input, bad arguments, wrong workspace)."""

    def __init__(self, key: str, **values: object) -> None:
        self.key = key
        self.values = values
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        """The error in ``lang`` (vi or en)."""
        return label("errors", self.key, lang, **self.values)


class WorkspaceError(LandcleanError):
    """The workspace file is missing, locked, of another version, or not a workspace."""


class GenerateError(LandcleanError):
    """The synthetic-province generator got impossible settings."""


class ImportError_(LandcleanError):
    """A source file cannot be read; nothing of it was written."""


class PipelineError(LandcleanError):
    """A pipeline stage cannot run (e.g. a required earlier stage is missing)."""


class ReportError(LandcleanError):
    """A report cannot be written."""


class Problems(LandcleanError):
    """Several problems found at once, before any work: each is one line."""

    def __init__(self, problems: list[LandcleanError]) -> None:
        self.problems = list(problems)
        super().__init__("problems", n=len(self.problems))

    def text(self, lang: str) -> str:
        return "; ".join(p.text(lang) for p in self.problems)


class SettingsProblem(Problems):
    """A LANDCLEAN_* environment variable has a value that cannot be used."""


class PreflightError(Problems, PipelineError):
    """Settings, files or arguments that would make the work fail, found before it starts."""


_BREAKS = str.maketrans({c: "⏎" for c in "\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029"})
LONGEST = 2000  # characters of one message shown; the rest is cut (a header may be 1 MB)


def one_line(text: str, longest: int = LONGEST) -> str:
    """A message as one line of bounded length: line breaks a file name or a header
    brought in are shown as ⏎, other control characters as their code, and a message
    over ``longest`` characters is cut."""
    text = text.translate(_BREAKS)
    text = "".join(f"\\x{ord(c):02x}" if ord(c) < 32 and c != "\t" else c for c in text)
    return text if len(text) <= longest else text[: longest - 1] + "…"


def first_line(exc: BaseException) -> str:
    """The first non-empty line of a library's error message (they can run to pages)."""
    for line in str(exc).splitlines():
        if line.strip():
            return line.strip()
    return type(exc).__name__


# a disk with no room left, a quota reached, a file at its size limit: the C library's
# words, which DuckDB puts in its messages as they are
_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
_FULL_WORDS = tuple(os.strerror(code) for code in _FULL)


def disk_full(exc: BaseException) -> LandcleanError | None:
    """``exc`` (an OSError, or DuckDB's error about a file it could not write) as the
    one-line "disk full" error naming the file; None when it is about something else."""
    if isinstance(exc, OSError) and exc.errno in _FULL:
        return LandcleanError("disk_full", path=exc.filename or "?", reason=exc.strerror)
    message = first_line(exc)
    reason = next((w for w in _FULL_WORDS if w in message), None)
    if reason is None:
        return None
    named = re.search(r'file "([^"]+)"', message)
    return LandcleanError("disk_full", path=named[1] if named else "?", reason=reason)


def check_lang(lang: str, error: type[LandcleanError] = LandcleanError) -> str:
    """``lang`` if it is a language of the labels (vi, en); else ``error``."""
    if lang not in LANGS:
        raise error("unknown_language", lang=lang)
    return lang
