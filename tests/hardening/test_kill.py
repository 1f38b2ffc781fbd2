"""kill -9 in the middle of a command: the workspace opens, the command run again
finishes, and the workspace then equals an uninterrupted run's (tests/hardening/crash.py;
``make crash`` runs 30 kills, this one per command).

One test, so that the province and the uninterrupted runs are made once even when the
suite runs on several workers (a module fixture is made once per worker)."""

from __future__ import annotations

import random
import shutil
from pathlib import Path

from landclean.workspace import open_workspace
from tests.hardening.crash import (
    COMMANDS,
    Place,
    Reference,
    check_rerun,
    commands,
    kill_trial,
    reference,
    run_twice,
    summary,
)
from tests.hardening.fingerprint import differences
from tests.hardening.states import prepare

SEED = 1


def references_do_what_the_commands_do(refs: dict[str, Reference]) -> None:
    """The comparison can fail: each writing command changes what it should, and the
    corrections it adds are counted."""
    changed = {n: {d.table for d in differences(r.before, r.after)} for n, r in refs.items()}
    assert changed["report"] == set()
    assert {"import_batch", "raw_parcel_record", "parcel"} <= changed["import"]
    assert {"finding", "parcel_group", "auth_result"} <= changed["run"]
    for name in ("correct", "apply"):
        before = refs[name].before["correction"].total()
        after = refs[name].after["correction"].total()
        assert after > before > 0, name  # the starting state holds a person's corrections
        assert not refs[name].before["correction"] - refs[name].after["correction"]
    correct = refs["correct"]
    assert correct.after["correction"].total() == correct.before["correction"].total() + 1


def a_doubled_correction_is_caught(ref: Reference, work: Path) -> None:
    """What `apply` taken back twice did before it was made idempotent: the last
    correction recorded again (its value now the value it replaced)."""
    place = Place(work / "doubled")
    place.root.mkdir()
    shutil.copy(ref.place.ws, place.ws)
    with open_workspace(place.ws) as ws:
        ws.con.execute(
            "INSERT INTO correction (table_name, record_id, column_name, before, value, "
            "actor, made_at, note) SELECT table_name, record_id, column_name, value, value, "
            "actor, made_at, note FROM correction ORDER BY correction_id DESC LIMIT 1"
        )
    n = ref.after["correction"].total()
    problems = check_rerun(ref, place)
    assert problems[0] == f"corrections: {n} expected, {n + 1} found"
    assert problems[1].startswith("differs from the uninterrupted run: correction:")


def test_kill_9_at_a_random_moment(tmp_path: Path) -> None:
    cmds = commands(prepare(tmp_path / "province"))
    refs = {name: reference(cmds[name], tmp_path) for name in COMMANDS}
    references_do_what_the_commands_do(refs)
    a_doubled_correction_is_caught(refs["correct"], tmp_path)
    rng = random.Random(SEED)
    trials = [kill_trial(refs[n], rng.uniform(0, refs[n].seconds), tmp_path) for n in COMMANDS]
    # a kill just after the commit, and the operator runs the command again: a worklist
    # or a correction taken back twice is recorded once
    trials += [run_twice(refs[name], tmp_path) for name in ("correct", "apply")]
    assert not any(t.problems for t in trials), "\n" + summary(refs, trials)
