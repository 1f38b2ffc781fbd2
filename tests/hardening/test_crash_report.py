"""The kill harness's ``--report``: its table, written between its own markers of
docs/reliability.md, the text around them (the fuzz table included) kept.  No kill is
run: the trials are made up."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from tests.hardening import report
from tests.hardening.crash import BEGIN, END, Command, Place, Reference, Trial, markdown
from tests.hardening.report import write_between_markers


def made_up() -> tuple[dict[str, Reference], list[Trial]]:
    def ref(name: str, seconds: float) -> Reference:
        empty: dict[str, Counter[str]] = {}
        command = Command(name, Path("ws"), [])
        return Reference(command, seconds, empty, empty, empty, empty, Place(Path(name)))

    refs = {"apply": ref("apply", 4.0), "report": ref("report", 9.5)}
    trials = [
        Trial("apply", 0.5, killed=True, seconds=3.0),
        Trial("apply", 1.5, killed=True, seconds=5.0, problems=["a | b\nsecond line"]),
        Trial("apply", 3.9, killed=False, seconds=7.0),
        Trial("apply", 4.0, twice=True, seconds=4.0),
        Trial("report", 2.0, killed=False, seconds=12.0),
        Trial("report", 9.5, twice=True, seconds=9.0, problems=["report files differ"]),
    ]
    return refs, trials


def test_the_table_says_what_the_trials_did() -> None:
    refs, trials = made_up()
    lines = markdown(refs, trials, "Seed 7, 4 kills.").splitlines()
    assert lines[0] == "Seed 7, 4 kills."
    assert lines[2].startswith("| Command | Kills | Landed mid-command | Recovered | Failures |")
    # apply: 3 kills, 2 mid-command, 1 failed; run twice passed; trials (3+5+7)/3 = 5 s
    assert lines[4] == "| apply | 3 | 2 | 2 | 1 | ok | 4.0 | 5.0 |"
    assert lines[5] == "| report | 1 | 0 | 1 | 0 | FAIL | 9.5 | 12.0 |"
    assert lines[6] == "" and lines[7].startswith("Problems found") and lines[8] == ""
    assert lines[9:] == [
        "- apply (kill at 1.50 s): a \\| b ⏎ second line",
        "- report (run twice): report files differ",
    ]


def test_only_the_text_between_the_crash_markers_is_replaced(tmp_path: Path) -> None:
    before = f"# Reliability\n\nintro\n\n{report.BEGIN}\nfuzz table\n{report.END}\n\n## Kills\n\n"
    after = "\n\nclosing words\n"
    doc = tmp_path / "reliability.md"
    doc.write_text(f"{before}{BEGIN}\n(run `make fuzz` to fill in)\n{END}{after}", "utf-8")
    refs, trials = made_up()
    table = markdown(refs, trials, "Seed 7.")
    for _ in range(2):  # written again: replaced, not added
        write_between_markers(doc, table, BEGIN, END)
        assert doc.read_text("utf-8") == f"{before}{BEGIN}\n{table}\n{END}{after}"
    # the fuzz table's own markers are the default, and leave the crash table alone
    write_between_markers(doc, "new fuzz table")
    assert doc.read_text("utf-8") == (
        before.replace("fuzz table", "new fuzz table") + f"{BEGIN}\n{table}\n{END}{after}"
    )


def test_missing_markers_are_appended(tmp_path: Path) -> None:
    doc = tmp_path / "reliability.md"
    doc.write_text("# Reliability\n\ntext\n", "utf-8")
    write_between_markers(doc, "the table", BEGIN, END)
    assert doc.read_text("utf-8") == f"# Reliability\n\ntext\n\n{BEGIN}\nthe table\n{END}\n"
