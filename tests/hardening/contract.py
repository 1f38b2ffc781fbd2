"""The contract every case is held to, and the verdict on one outcome.

``landclean import WS FILE`` either accepts the file (exit 0, nothing on stderr) or
refuses it: a non-zero exit with exactly one line on stderr, and the workspace exactly
as it was.  Neither may show a library's internals (a Python traceback, GDAL's
``ERROR 1:`` / ``Warning 1:``, an exception's class name), take longer than the timeout
or more memory than the limit, or die.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tests.hardening.worker import Outcome

# failure kinds, in the order of the report's columns
FAILURES = ("traceback", "lines", "workspace", "hang", "crash")
FAILURE_TITLES = {
    "traceback": "traceback",
    "lines": "not one line",
    "workspace": "workspace changed",
    "hang": "hang / memory",
    "crash": "crash",
}
# what breaks a line on a terminal or in a log viewer (not the separators \x1c-\x1e)
LINE_BREAKS = re.compile("\r\n|[\n\r\v\f\x85\u2028\u2029]")
INTERNALS = re.compile(r"Traceback \(most recent call last\)|\bERROR \d+:|\bWarning \d+:|Exception")


@dataclass(frozen=True)
class Verdict:
    status: str  # "accepted", "refused" (cleanly) or "failed"
    failures: tuple[str, ...]  # kinds of FAILURES broken

    @property
    def ok(self) -> bool:
        return not self.failures


def judge(o: Outcome) -> Verdict:
    failures: list[str] = []
    if o.killed in ("hang", "memory"):
        failures.append("hang")
    elif o.killed == "crash" or (o.code is not None and o.code < 0):
        failures.append("crash")
    if INTERNALS.search(o.stdout) or INTERNALS.search(o.stderr):
        failures.append("traceback")
    lines = [line for line in LINE_BREAKS.split(o.stderr) if line.strip()]
    if not o.killed:
        if o.code == 0 and lines:
            failures.append("lines")  # an accept writes nothing on stderr
        if o.code != 0 and len(lines) != 1:
            failures.append("lines")
        if o.code != 0 and o.changed:
            failures.append("workspace")
    ordered = tuple(f for f in FAILURES if f in failures)
    if ordered:
        return Verdict("failed", ordered)
    return Verdict("accepted" if o.code == 0 else "refused", ())


def explain(o: Outcome, verdict: Verdict, limit: int = 2000) -> str:
    """A failure as a person reads it: what, which case, how to run it again, the output."""
    head = (
        f"{', '.join(FAILURE_TITLES[f] for f in verdict.failures)}: {o.label}\n"
        f"  exit {o.code}{f' ({o.killed})' if o.killed else ''}, {o.seconds:.1f} s, "
        f"workspace {'CHANGED' if o.changed else 'unchanged'}, {o.mode}\n"
        f"  again: .venv/bin/python -m tests.hardening.run --seed {o.seed} --case {o.number}\n"
    )
    out, err = _shortened(o.stdout.strip(), limit), _shortened(o.stderr.strip(), limit)
    return head + (f"  stdout: {out}\n" if out else "") + f"  stderr: {err}"


def _shortened(text: str, limit: int) -> str:
    """Its start (a crash's cause) and its end (a traceback's), within ``limit``."""
    if len(text) <= limit:
        return text
    start = limit // 3
    return text[:start] + "\n  […]\n" + text[-(limit - start) :]
