"""The table of cases tried and failures per probe, written into docs/reliability.md
between two markers (the hand-written text around them is kept)."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from tests.hardening.contract import FAILURE_TITLES, FAILURES, LINE_BREAKS, Verdict
from tests.hardening.corpus import KIND_NAMES
from tests.hardening.worker import Outcome

BEGIN = "<!-- fuzz-report:begin (written by `make fuzz`: edits between the markers are lost) -->"
END = "<!-- fuzz-report:end -->"


@dataclass
class Tally:
    tried: int = 0
    accepted: int = 0
    refused: int = 0
    failures: Counter[str] = field(default_factory=Counter)
    first: tuple[Outcome, Verdict] | None = None  # the first failing case (lowest number)

    def add(self, o: Outcome, v: Verdict) -> None:
        self.tried += 1
        self.accepted += v.status == "accepted"
        self.refused += v.status == "refused"
        self.failures.update(v.failures)
        if v.failures and (self.first is None or o.number < self.first[0].number):
            self.first = (o, v)

    @property
    def failed(self) -> int:
        return self.tried - self.accepted - self.refused


def tally(results: list[tuple[Outcome, Verdict]]) -> dict[str, Tally]:
    per_kind = {k: Tally() for k in KIND_NAMES}
    for o, v in results:
        per_kind.setdefault(o.kind, Tally()).add(o, v)
    return per_kind


# where a worker writes its case (machine-specific): left out of the report
CASE_FOLDER = re.compile(r"[^\s'\"(]*landclean-fuzz-[^/\s]+/worker\d+/case/")


def _cell(text: str, limit: int = 160) -> str:
    text = CASE_FOLDER.sub("", text)
    one = " ⏎ ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    one = one if len(one) <= limit else one[: limit - 1] + "…"
    return one.replace("|", "\\|").replace("`", "'")


def example(o: Outcome, v: Verdict) -> str:
    """The output that shows the failure: a traceback's last line, else stderr."""
    if "traceback" in v.failures and "Traceback" in o.stderr:
        lines = [line for line in o.stderr.splitlines() if line.strip()]
        return lines[-1] if lines else ""
    if o.killed:  # a crash's cause comes first (a panic, an allocation that failed)
        return f"({o.killed}, exit {o.code}) " + (o.stderr or o.stdout).strip()[:200]
    text = CASE_FOLDER.sub("", o.stderr if o.stderr.strip() else o.stdout)
    breaks = [m.start() for m in LINE_BREAKS.finditer(text.strip())]
    if "lines" in v.failures and breaks and breaks[0] > 100:  # show where the line breaks
        return f"{text[:60]} … {text[breaks[0] - 50 : breaks[0] + 50]}"
    return text


def render(results: list[tuple[Outcome, Verdict]], heading: str) -> str:
    kinds = tally(results)
    total = Tally()
    for o, v in results:
        total.add(o, v)
    head = ["Probe", "Tried", "Accepted", "Refused cleanly", "Failed"]
    head += [FAILURE_TITLES[f].capitalize() for f in FAILURES]
    lines = [heading, "", "| " + " | ".join(head) + " |", "|---" + "|--:" * (len(head) - 1) + "|"]
    for name, t in [*kinds.items(), ("**all**", total)]:
        cells = [name, t.tried, t.accepted, t.refused, t.failed, *(t.failures[f] for f in FAILURES)]
        lines.append("| " + " | ".join(str(c) for c in cells) + " |")
    failing = [(name, t.first) for name, t in kinds.items() if t.first is not None]
    if failing:
        lines += [
            "",
            "The first failing case of each probe (run it again with "
            "`.venv/bin/python -m tests.hardening.run --seed S --case N`):",
            "",
            "| Probe | Case | Failure | What it tried | Output |",
            "|---|--:|---|---|---|",
        ]
        for name, (o, v) in failing:
            what = ", ".join(FAILURE_TITLES[f] for f in v.failures)
            lines.append(
                f"| {name} | {o.number} | {what} | {_cell(o.detail, 80)} | {_cell(example(o, v))} |"
            )
    return "\n".join(lines)


def write_between_markers(path: Path, table: str, begin: str = BEGIN, end: str = END) -> None:
    """``table`` between the markers of ``path`` (appended with them if they are missing);
    the fuzz table's markers unless others are given (the crash harness has its own)."""
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    block = f"{begin}\n{table}\n{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _: block, text, count=1)
    else:
        text = text.rstrip("\n") + ("\n\n" if text else "") + block + "\n"
    path.write_text(text, encoding="utf-8")
