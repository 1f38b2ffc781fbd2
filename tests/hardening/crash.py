"""kill -9 harness: commands killed at a random moment, the workspace checked after.

Each command (``import``, ``run``, ``correct``, ``apply``, ``report``) is run once,
uninterrupted, from a prepared workspace (``states``): its duration and the workspace's
content before and after (``fingerprint``) are the reference.  A trial then starts the
same command as a real process on a fresh copy, sends it SIGKILL after a delay drawn
from a seeded RNG between 0 and the measured duration, and checks:

1. the workspace opens: ``landclean status`` exits 0;
2. nothing committed before the kill is lost: every correction of the starting state is
   still there;
3. what the command writes is all or nothing: a command of one transaction (``correct``,
   ``apply``) leaves the state before or the state after, never a mixture; each pipeline
   stage's own tables (``run``, ``import --build``) are those before or those after;
   ``report`` (reads only) leaves the workspace as it was;
4. the same command run again finishes (exit 0);
5. the workspace then equals the uninterrupted run's, table by table (and ``report``
   writes the same files); in particular the corrections applied are the corrections
   expected, none doubled.

Besides the kills, each command is run a second time on the workspace its
uninterrupted run left (``run_twice``): a kill just after the commit, whatever the
random moments, and nothing may change.

``python -m tests.hardening.crash --kills 30 --seed 1`` (``make crash``) spreads the
kills over the commands and prints a summary table; it exits 1 if any trial failed.
With ``--report FILE`` (``make fuzz`` and ``make crash`` give docs/reliability.md) the
table is also written, as Markdown, between this harness's markers in FILE (the text
around them kept).  tests/hardening/test_kill.py runs one kill per command.

Over 400 lines: the commands, a trial's checks and the trials' summary are one harness,
each part short and used only by the others (the workspaces it starts from and the
comparison are in states.py and fingerprint.py).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from landclean.pipeline import STAGE_NAMES
from tests.hardening.fingerprint import (
    Fingerprint,
    differences,
    fingerprint,
    fingerprints,
    order_problems,
    stage_states,
)
from tests.hardening.report import write_between_markers
from tests.hardening.states import ACTOR, AS_OF, States, prepare

COMMANDS = ("import", "run", "correct", "apply", "report")
TIMEOUT = 600  # seconds any single command may take before the harness gives up
# appended to by several stages' transactions: compared once the command has run again
HISTORY = {"change_log"}
# the table ``--report`` writes goes between these (the fuzz table has its own)
BEGIN = (
    "<!-- crash:begin (written by `make fuzz` and `make crash`: "
    "edits between the markers are lost) -->"
)
END = "<!-- crash:end -->"


@dataclass
class Command:
    name: str
    start: Path  # the workspace it starts from
    argv: list[str]  # after ``landclean``; {ws}, {out} and {file} are filled per trial
    staged: bool = False  # pipeline stages, each in its own transaction
    reads_only: bool = False
    file: Path | None = None  # an input the command is given (copied per trial)


def commands(states: States) -> dict[str, Command]:
    late = [str(p) for p in states.late]
    return {
        "import": Command("import", states.ran, ["import", "{ws}", *late, "--build"], True),
        "run": Command("run", states.waiting, ["run", "{ws}", "--as-of", AS_OF], True),
        "correct": Command(
            "correct",
            states.ran,
            [
                "correct",
                "{ws}",
                "parcel",
                states.parcel,
                "legal_area",
                "321,5",
                "--by",
                ACTOR,
                "--note",
                "kiểm tra lại",
            ],
        ),
        "apply": Command(
            "apply", states.ran, ["apply", "{ws}", "{file}", "--by", ACTOR], file=states.worklist
        ),
        "report": Command(
            "report",
            states.ran,
            ["report", "{ws}", "--out", "{out}", "--as-of", AS_OF],
            reads_only=True,
        ),
    }


def landclean(*args: str) -> list[str]:
    return [sys.executable, "-m", "landclean", *args]


@dataclass
class Place:
    """A trial's folder: the workspace copy, the report folder, the input file."""

    root: Path

    @property
    def ws(self) -> Path:
        return self.root / "ws.duckdb"

    @property
    def out(self) -> Path:
        return self.root / "report"

    @property
    def file(self) -> Path:
        return self.root / "worklist.xlsx"

    def fresh(self, command: Command, start: Path | None = None) -> list[str]:
        """Copy the starting workspace (``start``, else the command's) and the input in;
        the command's argv."""
        if self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        shutil.copy(start or command.start, self.ws)
        if command.file is not None:
            shutil.copy(command.file, self.file)
        fill = {"{ws}": str(self.ws), "{out}": str(self.out), "{file}": str(self.file)}
        return landclean(*(fill.get(a, a) for a in command.argv))


def _tail(text: str) -> str:
    lines = [x for x in text.strip().splitlines() if x.strip()]
    return " | ".join(lines[-3:])[:400]


def finish(argv: Sequence[str], what: str) -> float:
    """Run ``argv`` to its end; its seconds.  Raises AssertionError if it fails."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT)
    if done.returncode != 0:
        raise AssertionError(f"{what} exited {done.returncode}: {_tail(done.stderr)}")
    return time.perf_counter() - started


def _content(path: Path) -> bytes:
    """A file's bytes; a workbook's parts but the one saying when it was written."""
    if path.suffix != ".xlsx":
        return path.read_bytes()
    with zipfile.ZipFile(path) as book:
        parts = sorted(n for n in book.namelist() if n != "docProps/core.xml")
        return b"\0".join(n.encode() + b"\0" + book.read(n) for n in parts)


def report_files(out: Path) -> dict[str, bytes]:
    """The files a report wrote, by relative path, with their content."""
    return {str(p.relative_to(out)): _content(p) for p in sorted(out.rglob("*")) if p.is_file()}


@dataclass
class Reference:
    """A command run once, uninterrupted."""

    command: Command
    seconds: float
    before: Fingerprint
    after: Fingerprint
    before_own: Fingerprint  # without the columns later stages carry (stage checks)
    after_own: Fingerprint
    place: Place  # where it ran: the workspace it left
    files: dict[str, bytes] = field(default_factory=dict)


def reference(command: Command, work: Path) -> Reference:
    place = Place(work / f"ref-{command.name}")
    argv = place.fresh(command)
    before, before_own = fingerprints(place.ws)
    seconds = finish(argv, f"uninterrupted {command.name}")
    after, after_own = fingerprints(place.ws)
    ref = Reference(command, seconds, before, after, before_own, after_own, place)
    if command.reads_only:
        ref.files = report_files(place.out)
    return ref


@dataclass
class Trial:
    command: str
    delay: float
    killed: bool = False  # False: the command had finished before the kill
    twice: bool = False  # not a kill: the command run again on what it left
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)


def _corrections(fp: Fingerprint) -> int:
    return fp["correction"].total() if "correction" in fp else 0


def check_killed(ref: Reference, ws: Path) -> list[str]:
    """Checks 1–3 on a killed command's workspace."""
    status = subprocess.run(
        landclean("status", str(ws)), capture_output=True, text=True, timeout=TIMEOUT
    )
    if status.returncode != 0:
        return [f"status after the kill exited {status.returncode}: {_tail(status.stderr)}"]
    now, own = fingerprints(ws)
    problems = []
    lost = ref.before.get("correction", Counter()) - now.get("correction", Counter())
    if lost:
        problems.append(f"{lost.total()} corrections committed before the kill are lost")
    if ref.command.reads_only:
        problems += [f"a read-only command changed {d}" for d in differences(ref.before, now)]
    elif ref.command.staged:  # and the import's tables, people's input: (no stage)
        states = stage_states(ref.before_own, ref.after_own, own, HISTORY)
        for group in (g for g, state in states.items() if state == "mixed"):
            problems.append(f"{group} kept part of its work")
        order = [*(["(no stage)"] if ref.command.name == "import" else []), *STAGE_NAMES]
        problems += order_problems(states, order)
    elif differences(ref.before, now) and differences(ref.after, now):
        shown = "; ".join(str(d).splitlines()[0] for d in differences(ref.before, now))
        problems.append(f"neither the state before nor the state after: {shown}")
    return problems


def check_rerun(ref: Reference, place: Place) -> list[str]:
    """Check 5, after the command ran again."""
    now = fingerprint(place.ws)
    expected, found = _corrections(ref.after), _corrections(now)
    problems = []
    if found != expected:
        problems.append(f"corrections: {expected} expected, {found} found")
    problems += [f"differs from the uninterrupted run: {d}" for d in differences(ref.after, now)]
    if ref.command.reads_only:
        files = report_files(place.out)
        if set(files) != set(ref.files):
            problems.append(f"report files differ: {sorted(set(files) ^ set(ref.files))[:5]}")
        changed = sorted(k for k in set(files) & set(ref.files) if files[k] != ref.files[k])
        if changed:
            problems.append(f"report files with other content: {changed[:5]}")
    return problems


def kill_trial(ref: Reference, delay: float, work: Path, number: int = 0) -> Trial:
    """Start the command, SIGKILL it after ``delay`` seconds, check, run it again, check
    (the trial's folder is kept when it failed)."""
    trial = Trial(ref.command.name, delay)
    started = time.perf_counter()
    place = Place(work / f"trial{number}-{ref.command.name}")
    argv = place.fresh(ref.command)
    with subprocess.Popen(
        argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    ) as proc:
        try:
            proc.wait(timeout=delay)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            trial.killed = True
        proc.wait()  # reaped: its pid is gone, as after a real crash
    trial.problems = check_killed(ref, place.ws)
    if not any(p.startswith("status") for p in trial.problems):
        try:
            finish(argv, f"{ref.command.name} run again")
            trial.problems += check_rerun(ref, place)
        except (AssertionError, subprocess.TimeoutExpired) as exc:
            trial.problems.append(str(exc))
    trial.seconds = time.perf_counter() - started
    if not trial.problems:
        shutil.rmtree(place.root)
    return trial


def run_twice(ref: Reference, work: Path) -> Trial:
    """The command run again on the workspace it left: what an operator does after a
    kill that came just after the command committed.  Nothing may change (a worklist or a
    correction recorded twice would show here whatever the kills' moments)."""
    trial = Trial(ref.command.name, ref.seconds, twice=True)
    started = time.perf_counter()
    place = Place(work / f"twice-{ref.command.name}")
    try:
        finish(place.fresh(ref.command, ref.place.ws), f"{ref.command.name} run twice")
        trial.problems = check_rerun(ref, place)
    except (AssertionError, subprocess.TimeoutExpired) as exc:
        trial.problems.append(str(exc))
    trial.seconds = time.perf_counter() - started
    if not trial.problems:
        shutil.rmtree(place.root)
    return trial


def plan(kills: int, names: Sequence[str]) -> list[str]:
    """``kills`` trials spread over the commands in turn."""
    return [names[i % len(names)] for i in range(kills)]


def run_trials(
    work: Path, kills: int, seed: int, names: Sequence[str] = COMMANDS
) -> tuple[dict[str, Reference], list[Trial]]:
    states = prepare(work / "province")
    cmds = commands(states)
    rng = random.Random(seed)
    order = plan(kills, names)
    refs = {name: reference(cmds[name], work) for name in dict.fromkeys(order)}
    trials = []
    for number, name in enumerate(order):
        ref = refs[name]
        trials.append(kill_trial(ref, rng.uniform(0, ref.seconds), work, number))
    trials += [run_twice(ref, work) for ref in refs.values()]
    return refs, trials


def table_rows(refs: dict[str, Reference], trials: list[Trial]) -> list[tuple[str, ...]]:
    """Per command: kills, killed mid-way, recovered, failures, run twice, seconds (the
    uninterrupted run, a trial on average)."""
    rows: list[tuple[str, ...]] = []
    for name, ref in refs.items():
        mine = [t for t in trials if t.command == name and not t.twice]
        again = [t for t in trials if t.command == name and t.twice]
        bad = sum(1 for t in mine if t.problems)
        mean = sum(t.seconds for t in mine) / len(mine) if mine else 0.0
        twice = "-" if not again else "FAIL" if again[0].problems else "ok"
        rows.append(
            (name, str(len(mine)), str(sum(t.killed for t in mine)), str(len(mine) - bad),
             str(bad), twice, f"{ref.seconds:.1f}", f"{mean:.1f}")
        )  # fmt: skip
    return rows


def failures(trials: list[Trial]) -> list[str]:
    """One line per problem found: the command, the kill's moment, the problem."""
    lines = []
    for t in trials:
        when = "run twice" if t.twice else f"kill at {t.delay:.2f} s"
        lines += [f"{t.command} ({when}): {p}" for p in t.problems]
    return lines


def summary(refs: dict[str, Reference], trials: list[Trial]) -> str:
    """command | kills | killed mid-way | recovered | failures | run twice | seconds: the
    uninterrupted run, a trial on average"""
    head = ("command", "kills", "mid-way", "recovered", "failures", "run twice",
            "uninterr. s", "trial s")  # fmt: skip
    rows = [head, *table_rows(refs, trials)]
    widths = [max(len(r[i]) for r in rows) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines + [f"FAIL {line}" for line in failures(trials)])


def _cell(text: str) -> str:
    one = " ⏎ ".join(line.strip() for line in text.strip().splitlines() if line.strip())
    return one.replace("|", "\\|").replace("`", "'")


def markdown(refs: dict[str, Reference], trials: list[Trial], heading: str) -> str:
    """The summary as the Markdown ``--report`` writes: ``heading``, the table, and the
    problems found (if any)."""
    head = ["Command", "Kills", "Landed mid-command", "Recovered", "Failures", "Run twice",
            "Uninterrupted run (s)", "A trial (s)"]  # fmt: skip
    lines = [heading, "", "| " + " | ".join(head) + " |", "|---" + "|--:" * 4 + "|---|--:|--:|"]
    lines += ["| " + " | ".join(row) + " |" for row in table_rows(refs, trials)]
    problems = failures(trials)
    if problems:
        lines += ["", "Problems found (the trial's folder is kept; run again with the same "
                  "`--seed` and `--workdir DIR`):", ""]  # fmt: skip
        lines += [f"- {_cell(p)}" for p in problems]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--commands", default=",".join(COMMANDS))
    parser.add_argument("--workdir", type=Path, help="keep the trials' folders here")
    parser.add_argument(
        "--report", type=Path, help="the Markdown file whose table (between its markers) to rewrite"
    )
    args = parser.parse_args(argv)
    names = [n for n in args.commands.split(",") if n]
    unknown = set(names) - set(COMMANDS)
    if unknown:
        parser.error(f"unknown commands: {', '.join(sorted(unknown))}")
    work = args.workdir or Path(tempfile.mkdtemp(prefix="landclean-crash-"))
    started = time.perf_counter()
    refs, trials = run_trials(work, args.kills, args.seed, names)
    seconds = time.perf_counter() - started
    failed = any(t.problems for t in trials)
    kills = sum(1 for t in trials if not t.twice)
    print(summary(refs, trials))
    print(
        f"{kills} kills and {len(trials) - kills} second runs in {seconds:.0f} s; "
        f"seed {args.seed}; "
        + (f"workspaces in {work}" if args.workdir or failed else "workspaces removed")
    )
    if args.report:
        heading = (
            f"Seed {args.seed}, {kills} kills and {len(trials) - kills} second runs, "
            f"{seconds:.0f} s in all."
        )
        table = markdown(refs, trials, heading).replace(str(work), "WORKDIR")
        write_between_markers(args.report, table, BEGIN, END)
        print(f"written: {args.report}")
    if args.workdir is None and not failed:
        shutil.rmtree(work)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
