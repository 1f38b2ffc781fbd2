"""``landclean import`` holds its contract on a fixed sample of the fuzz corpus.

Every case either is accepted (exit 0, nothing on stderr) or refused in one line on
stderr with the workspace unchanged; never a traceback, a hang or a crash
(tests/hardening/contract.py, docs/reliability.md).  Nothing here is expected to fail:
a failing case is a bug of landclean.  ``make fuzz`` runs 10,000 cases of the same corpus.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from landclean.api import import_sources
from landclean.workspace import Workspace
from tests.hardening.contract import FAILURES, judge
from tests.hardening.corpus import KIND_NAMES, kind_of, make_case
from tests.hardening.report import BEGIN, END, render, write_between_markers
from tests.hardening.runner import Session
from tests.hardening.seeds import SEED_FILES, build_seeds
from tests.hardening.worker import Outcome, fingerprint

SEED = 1
CASES = 300  # the first cases of seed 1: every probe a dozen times


@pytest.fixture(scope="session")
def fuzz(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Session]:
    """Seeds, a template workspace (``landclean init``) and one worker process."""
    with Session(jobs=1, folder=tmp_path_factory.mktemp("fuzz")) as session:
        yield session


@pytest.mark.parametrize("number", range(CASES), ids=lambda n: f"{n}-{kind_of(n)}")
def test_import_holds_the_contract(fuzz: Session, number: int) -> None:
    from tests.hardening.contract import explain

    outcome = fuzz.run(SEED, number)
    verdict = judge(outcome)
    assert verdict.ok, explain(outcome, verdict)


def test_hangs_and_crashes_are_caught_and_the_next_case_runs(fuzz: Session) -> None:
    """A case past the timeout, or one that kills its worker, is an outcome, not a stuck
    or broken run (the worker's self-test modes: sleep for an hour, abort)."""
    worker = fuzz.workers[0]
    saved = worker.timeout, worker.slack
    worker.timeout, worker.slack = 1.0, 0.0
    try:
        hung = fuzz.run(SEED, 0, mode="hang")
    finally:
        worker.timeout, worker.slack = saved
    crashed = fuzz.run(SEED, 0, mode="abort")
    assert (hung.killed, judge(hung).failures) == ("hang", ("hang",))
    assert (crashed.killed, crashed.code, judge(crashed).failures) == ("crash", -6, ("crash",))
    again = fuzz.run(SEED, 0)
    assert not again.killed and again.code is not None and again.kind == KIND_NAMES[0]


# one case each of probes that are accepted, refused by the reader, refused by a profile
SAMPLE = (
    "truncated",
    "value_fuzz",
    "header_only",
    "malicious_profile",
    "wrong_crs",
    "random_bytes",
)


@pytest.mark.parametrize("kind", SAMPLE)
def test_in_process_runs_equal_real_processes(fuzz: Session, kind: str) -> None:
    """The bulk runs in-process: the console script itself must answer the same."""
    inner, outer = fuzz.run_pair(SEED, KIND_NAMES.index(kind))
    assert inner.stdout.strip() or inner.stderr.strip()  # something to compare
    shown = (outer.code, outer.stdout, outer.stderr, outer.changed)
    assert shown == (inner.code, inner.stdout, inner.stderr, inner.changed)


def test_the_seed_files_are_valid_imports(fresh_ws: Workspace, tmp_path: Path) -> None:
    """What the corpus cuts and flips is real: every seed imports, three rows each."""
    seeds = build_seeds(tmp_path / "seeds")
    report = import_sources(fresh_ws, [seeds.path(n) for n in seeds.names], build=False)
    read = {Path(f.path).name: f.rows for f in report.files}
    assert read == {name: 3 for name in SEED_FILES.values()}


def test_case_files_are_the_same_on_every_run(tmp_path: Path) -> None:
    """Case i of seed s is always the same bytes (one case of every probe, twice)."""
    runs = []
    for folder in ("a", "b"):
        seeds = build_seeds(tmp_path / folder / "seeds")
        files = {}
        for n in range(len(KIND_NAMES)):
            out = tmp_path / folder / f"case{n}"
            case = make_case(SEED, n, seeds, out)
            files[n] = (case.kind, case.detail, case.target.relative_to(out), case.args[:1])
            files[n] += tuple(
                (p.relative_to(out), p.read_bytes()) for p in sorted(out.rglob("*")) if p.is_file()
            )
        runs.append(files)
    assert runs[0] == runs[1]
    assert {kinds[0] for kinds in runs[0].values()} == set(KIND_NAMES)


def _outcome(code: int | None, stderr: str = "", stdout: str = "", **more: object) -> Outcome:
    values: dict = {
        "seed": 1,
        "number": 0,
        "kind": "k",
        "detail": "",
        "mode": "in-process",
        "argv": [],
        "env": {},
        "code": code,
        "stdout": stdout,
        "stderr": stderr,
    }
    return Outcome(**(values | more))


@pytest.mark.parametrize(
    ("outcome", "status", "failures"),
    [
        (_outcome(0, stdout="Imported 3 rows", changed=True), "accepted", ()),
        (_outcome(1, "landclean: error: x.csv: not a CSV file\n"), "refused", ()),
        (_outcome(2, "landclean: error: no such option --x\n"), "refused", ()),
        (
            _outcome(1, "Traceback (most recent call last):\n  File x\nValueError: y\n"),
            "failed",
            ("traceback", "lines"),
        ),
        (_outcome(1, "landclean: error: x (ERROR 1: bad header)\n"), "failed", ("traceback",)),
        (_outcome(1, "landclean: error: RecursionError Exception\n"), "failed", ("traceback",)),
        (_outcome(1, "problem one\nproblem two\n"), "failed", ("lines",)),
        (_outcome(1, "landclean: error: a\u2028b\n"), "failed", ("lines",)),
        (_outcome(1, "landclean: error: a\x1db\r\n"), "refused", ()),  # no line break
        (_outcome(1, ""), "failed", ("lines",)),
        (_outcome(0, "Warning: something\n"), "failed", ("lines",)),
        (_outcome(1, "landclean: error: x\n", changed=True), "failed", ("workspace",)),
        (_outcome(None, killed="hang"), "failed", ("hang",)),
        (_outcome(None, killed="memory"), "failed", ("hang",)),
        (_outcome(-11, killed="crash"), "failed", ("crash",)),
    ],
)
def test_the_contract_tells_failures_apart(
    outcome: Outcome, status: str, failures: tuple[str, ...]
) -> None:
    verdict = judge(outcome)
    assert (verdict.status, verdict.failures) == (status, failures)


def test_the_fingerprint_sees_every_change_and_only_changes(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE t (a INTEGER, b VARCHAR); INSERT INTO t VALUES (1, 'x'), (2, 'y')")
    con.close()
    seen = [fingerprint(path)]

    def change(sql: str) -> None:
        con = duckdb.connect(str(path))
        con.execute(sql)
        con.close()
        seen.append(fingerprint(path))

    change("BEGIN; INSERT INTO t VALUES (3, 'z'); ROLLBACK")
    change("UPDATE t SET b = 'Y' WHERE a = 2")
    change("UPDATE t SET b = 'y' WHERE a = 2")  # back as it was
    change("INSERT INTO t VALUES (2, 'y')")  # the same row twice
    change("CREATE TABLE u (a INTEGER)")
    change("CREATE VIEW v AS SELECT 1")
    initial, rolled_back, updated, restored, *others = seen
    assert rolled_back == initial and restored == initial
    changed = [updated, *others]
    assert initial not in changed and len(set(changed)) == len(changed)


def test_the_report_keeps_the_hand_written_text(tmp_path: Path) -> None:
    doc = tmp_path / "reliability.md"
    doc.write_text(f"# Title\n\nbefore\n\n{BEGIN}\nold table\n{END}\n\nafter\n", encoding="utf-8")
    bad = _outcome(1, "Traceback (most recent call last):\nKeyError: 'x'\n", kind=KIND_NAMES[0])
    good = _outcome(1, "landclean: error: x\n", kind=KIND_NAMES[0], number=1)
    table = render([(bad, judge(bad)), (good, judge(good))], "Seed 1.")
    write_between_markers(doc, table)
    text = doc.read_text(encoding="utf-8")
    assert text.startswith("# Title\n\nbefore\n\n") and text.endswith(f"{END}\n\nafter\n")
    assert "old table" not in text and "KeyError: 'x'" in text
    row = next(line for line in text.splitlines() if line.startswith(f"| {KIND_NAMES[0]} |"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[1:5] == ["2", "0", "1", "1"]  # tried, accepted, refused, failed
    assert cells[5 : 5 + len(FAILURES)] == ["1", "1", "0", "0", "0"]  # traceback, lines
