"""Verification through the national population service (issue 22): request files and
their records, verdicts read back and checked, the online connector under faults and
killed mid-way, and verdicts becoming authentication results.

The truth a verdict is compared with is computed here, independently, from the
registry extract the simulated service answers from (``population.csv``)."""

from __future__ import annotations

import csv
import json
import os
import random
import signal
import subprocess
import sys
import unicodedata
from pathlib import Path

import pytest

from landclean import api
from landclean.pipeline import run_pipeline
from landclean.registry_service.batches import plan
from landclean.registry_service.connector import verify
from landclean.registry_service.protocol import ProtocolError, load_protocol
from landclean.registry_service.simulator import Faults, Service, Simulator, answer_file
from landclean.workspace import Workspace, open_workspace
from tests.conftest import Province, q

pytestmark = pytest.mark.xdist_group("registry_service")


def _fold(text: object) -> str:
    return " ".join(unicodedata.normalize("NFC", str(text or "")).casefold().split())


@pytest.fixture(scope="module")
def registry(province: Province) -> dict[str, dict[str, str]]:
    """The extract, by 12-digit ID and by old 9-digit ID."""
    people: dict[str, dict[str, str]] = {}
    with (province.root / "registry" / "population.csv").open(encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            people[row["so_dinh_danh"]] = row
            if row["so_cmnd"]:
                people.setdefault(row["so_cmnd"], row)
    return people


def truth(ws: Workspace, people: dict[str, dict[str, str]]) -> dict[str, tuple]:
    """Each request key's verdict (found, name, birth, sex matches), from what was sent."""
    out = {}
    for key, id_number, old_id, name, birth, year, precision, sex in q(
        ws.con,
        "SELECT request_key, id_number, old_id, full_name, birth_date, birth_year, "
        "birth_precision, sex FROM registry_request",
    ):
        person = people.get(id_number or old_id)
        if person is None:
            out[key] = (False, None, None, None)
            continue
        d, m, y = person["ngay_sinh"].split("/")
        if precision == "day":
            birth_ok = birth.isoformat() == f"{y}-{m}-{d}"
        elif precision == "year":
            birth_ok = str(year) == y
        else:
            birth_ok = None
        sex_ok = None if sex is None else {"M": "Nam", "F": "Nữ"}[sex] == person["gioi_tinh"]
        out[key] = (True, _fold(name) == _fold(person["ho_ten"]), birth_ok, sex_ok)
    return out


def recorded(ws: Workspace) -> dict[str, tuple]:
    """Each request key's verdict that counts, as the workspace holds it."""
    from landclean.registry_service.batches import CURRENT_VERDICTS_SQL

    return {
        r[0]: tuple(r[1:])
        for r in q(
            ws.con,
            "SELECT request_key, found, name_match, birth_match, sex_match "
            f"FROM ({CURRENT_VERDICTS_SQL})",
        )
    }


@pytest.fixture
def copy(built_workspace: Path, tmp_path: Path) -> Workspace:
    path = tmp_path / "ws.duckdb"
    path.write_bytes(built_workspace.read_bytes())
    ws = open_workspace(path)
    yield ws  # type: ignore[misc]
    ws.close()


def test_the_protocol_file_is_checked(tmp_path: Path) -> None:
    default = json.loads(
        (Path(api.__file__).parent / "registry_service" / "protocol.json").read_text()
    )
    assert load_protocol().request.name("id_number") == default["request"]["fields"]["id_number"]
    broken = [
        ("send", ["request_key", "full_name"], "ID number"),
        ("send", ["request_key", "id_number", "passport"], "passport"),
        ("request.fields.sex", "ho_ten", "one name"),
        ("response.date_format", "DD/DD/YYYY", "date format"),
        ("response.fields.colour", "mau", "colour"),
    ]
    for where, value, said in broken:
        doc = json.loads(json.dumps(default))
        node = doc
        *path, last = where.split(".")
        for part in path:
            node = node[part]
        node[last] = value
        f = tmp_path / "p.json"
        f.write_text(json.dumps(doc), encoding="utf-8")
        with pytest.raises(ProtocolError, match=said):
            load_protocol(f)


def test_request_files_hold_only_what_the_service_needs_and_are_recorded(
    copy: Workspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    doc = json.loads((Path(api.__file__).parent / "registry_service" / "protocol.json").read_text())
    doc["send"] = ["id_number", "full_name", "birth_date"]  # no sex, no old ID, no precision
    doc["request"]["fields"]["id_number"] = "personal_id"
    custom = tmp_path / "protocol.json"
    custom.write_text(json.dumps(doc), encoding="utf-8")
    monkeypatch.setenv("LANDCLEAN_REGISTRY_PROTOCOL", str(custom))
    from landclean.settings import get_settings

    get_settings.cache_clear()
    try:
        planned, files = api.registry_request(copy, tmp_path / "out", batch_size=700, by="cán bộ A")
    finally:
        get_settings.cache_clear()
    # every person with a 12-digit ID (the only ID sent) is asked, once, in batches of 700
    expected = {
        r[0]: r[1]
        for r in q(
            copy.con,
            "SELECT party_id, d FROM (SELECT party_id, regexp_replace(coalesce(id_number, ''), "
            "'[^0-9]', '', 'g') AS d FROM party WHERE party_type IN ('individual', 'household')) "
            "WHERE length(d) = 12",
        )
    }
    assert planned.requests == len(expected) and len(files) == -(-len(expected) // 700)
    rows = []
    for f in files:
        with f.open(encoding="utf-8-sig") as h:
            reader = csv.DictReader(h)
            assert reader.fieldnames == ["ma_yeu_cau", "personal_id", "ho_ten", "ngay_sinh"]
            rows += list(reader)
    sent = {
        r[0]: r[1:]
        for r in q(
            copy.con, "SELECT request_key, party_id, id_number, full_name FROM registry_request"
        )
    }
    assert len(rows) == len(sent) == len(expected)
    for row in rows:
        party, id_number, name = sent[row["ma_yeu_cau"]]
        assert row["personal_id"] == id_number == expected[party]
        assert row["ho_ten"] == (name or "")
    assert q(
        copy.con,
        "SELECT count(*) FROM registry_request WHERE sex IS NOT NULL OR old_id IS NOT NULL",
    ) == [(0,)]
    # who sent what and when: one log row per file, with the file's checksum
    import hashlib

    logged = dict(
        q(copy.con, "SELECT target, sha256 FROM registry_exchange WHERE actor = 'cán bộ A'")
    )
    assert logged == {str(f): hashlib.sha256(f.read_bytes()).hexdigest() for f in files}
    # asked again: nobody, they all wait for an answer
    again = plan(copy, load_protocol(custom), by="x", channel="file")
    assert again.requests == 0 and again.waiting == len(expected)


def test_offline_verdicts_equal_the_truth_apply_once_and_decide_authentication(
    copy: Workspace, province: Province, registry: dict, tmp_path: Path
) -> None:
    planned, files = api.registry_request(copy, tmp_path / "req", batch_size=900, fmt="json")
    service = Service(province.root / "registry" / "population.parquet")
    answers = [answer_file(service, f, tmp_path / "resp") for f in files]
    done = api.registry_response(copy, answers, by="officer")
    assert done.problems == [] and done.applied == planned.requests
    expected = truth(copy, registry)
    assert recorded(copy) == expected
    assert {v[0] for v in expected.values()} == {True, False}  # both kinds are exercised
    journal = q(copy.con, "SELECT count(*) FROM change_log")
    again = api.registry_response(copy, answers, by="officer")  # the same files again
    assert again.applied == 0 and again.unchanged == planned.requests
    assert q(copy.con, "SELECT count(*) FROM change_log") == journal
    assert q(copy.con, "SELECT count(*) FROM registry_verdict") == [(planned.requests,)]

    run_pipeline(copy)
    results = {
        r[0]: r[1:]
        for r in q(
            copy.con,
            "SELECT q.request_key, a.method, a.status, a.reasons FROM auth_result a "
            "JOIN registry_request q USING (party_id)",
        )
    }
    assert results.keys() == expected.keys()
    for key, (found, name_ok, birth_ok, sex_ok) in expected.items():
        method, status, reasons = results[key]
        assert method == "service"
        if not found:
            assert "not_in_registry" in reasons and status in ("unmatched", "review")
        elif name_ok and birth_ok is not False and sex_ok is not False and status != "matched":
            assert reasons == ["old_id_card"]  # only the old ID was sent
        else:
            assert (name_ok is False) == bool(
                {"name_differs", "tone_encoding_variant"} & set(reasons)
            )
            assert (sex_ok is False) == ("sex_differs" in reasons)
            assert (status == "matched") == (not reasons)
    # the incremental run gives what a full recomputation gives
    before = q(copy.con, "SELECT * EXCLUDE (run_id) FROM auth_result ORDER BY party_id")
    run_pipeline(copy, full=True)
    assert q(copy.con, "SELECT * EXCLUDE (run_id) FROM auth_result ORDER BY party_id") == before


def test_a_corrected_user_is_changed_and_the_old_verdict_no_longer_counts(
    copy: Workspace, province: Province, tmp_path: Path
) -> None:
    _, files = api.registry_request(copy, tmp_path / "req")
    service = Service(province.root / "registry" / "population.parquet")
    api.registry_response(copy, [answer_file(service, f, tmp_path / "resp") for f in files])
    run_pipeline(copy)
    party, name = q(
        copy.con,
        "SELECT a.party_id, p.full_name FROM auth_result a JOIN party p USING (party_id) "
        "WHERE a.method = 'service' AND a.status = 'matched' ORDER BY party_id LIMIT 1",
    )[0]
    api.correct(copy, "party", party, "full_name", name + " Thị", by="officer")
    run_pipeline(copy)
    assert q(copy.con, "SELECT method FROM auth_result WHERE party_id = ?", [party]) != [
        ("service",)
    ]
    changed = plan(copy, load_protocol(), by="x", channel="file", selection="changed")
    assert q(
        copy.con,
        f"SELECT DISTINCT party_id FROM registry_request WHERE batch_id = '{changed.batches[0]}'",
    ) == [(party,)]
    assert changed.requests == 1


def test_response_rows_that_cannot_be_trusted_are_listed_never_applied(
    copy: Workspace, tmp_path: Path
) -> None:
    api.registry_request(copy, tmp_path / "req", batch_size=10_000)
    keys = [
        r[0]
        for r in q(
            copy.con, "SELECT request_key FROM registry_request ORDER BY request_key LIMIT 6"
        )
    ]
    lines = [
        "ma_yeu_cau,tim_thay,khop_ho_ten,khop_ngay_sinh,khop_gioi_tinh,ma_loi",
        f"{keys[0]},1,1,1,1,",  # good
        f"{keys[1]},có,không,1,,",  # good: the protocol's words
        f"{keys[2]},1,1,1,1,",  # repeated, the same: applied once
        f"{keys[2]},1,1,1,1,",
        f"{keys[3]},1,1,1,1,",  # conflicting: none applied
        f"{keys[3]},0,,,,",
        f"{keys[4]},maybe,1,1,1,",  # malformed flag
        f"{keys[5]},,,,,",  # no verdict, no error
        "ffffffffffffffffffff,1,1,1,1,",  # never sent
        ",1,1,1,1,",  # no key
    ]
    f = tmp_path / "answer.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    done = api.registry_response(copy, [f])
    assert done.problem_count == len(done.problems) == 7
    problems = {(row, problem) for row, _, problem, _ in done.problems}
    assert problems == {
        (4, "duplicate"), (5, "conflicting"), (6, "conflicting"), (7, "malformed"),
        (8, "malformed"), (9, "unknown_key"), (10, "malformed"),
    }  # fmt: skip
    assert set(recorded(copy)) == {keys[0], keys[1], keys[2]}
    assert recorded(copy)[keys[1]] == (True, False, True, None)
    assert q(copy.con, "SELECT count(*) FROM registry_problem") == [(7,)]


MIXES = {
    "timeouts": "timeout=0.4",
    "throttled": "throttle=0.5",
    "errors": "error=0.4",
    "cut short": "truncated=0.4",
    "malformed": "malformed=0.4",
    "duplicated": "duplicated=0.6",
    "another batch's answer": "stale=0.5",
    "everything and an outage": (
        "timeout=0.08,throttle=0.08,error=0.08,truncated=0.08,malformed=0.08,"
        "duplicated=0.08,stale=0.08,outage_after=6,outage_seconds=1.5"
    ),
}


@pytest.mark.parametrize("mix", MIXES.values(), ids=list(MIXES))
def test_online_verdicts_equal_the_truth_under_every_fault_mix(
    copy: Workspace, province: Province, registry: dict, mix: str
) -> None:
    faults = Faults.parse(mix + ",hang=0.6,retry_after=0,seed=3")
    service = Service(province.root / "registry" / "population.parquet", faults=faults)
    p = load_protocol()
    with Simulator(service) as sim:
        done = verify(copy, p, sim.url, by="connector", batch_size=250, rate=0, timeout=0.4,
                      backoff=0.02, patience=60)  # fmt: skip
    assert done.planned is not None and done.planned.requests > 2000
    assert sum(done.retries.values()) > 0 or mix.startswith("duplicated")
    assert recorded(copy) == truth(copy, registry)  # every user, the right verdict
    assert set(service.work.values()) == {1}  # each done once as new work
    assert len(service.work) == done.planned.requests
    assert q(copy.con, "SELECT DISTINCT status FROM registry_batch") == [("answered",)]
    assert q(copy.con, "SELECT count(*), count(DISTINCT party_id) FROM registry_request")[0] == (
        done.planned.requests, done.planned.requests,
    )  # fmt: skip


def test_retry_after_is_honoured(copy: Workspace, province: Province) -> None:
    faults = Faults.parse("throttle=0.5,retry_after=1,seed=1")
    service = Service(province.root / "registry" / "population.parquet", faults=faults)
    with Simulator(service) as sim:
        done = verify(copy, load_protocol(), sim.url, by="c", batch_size=1000, rate=0, backoff=0.01)
    throttled = done.retries.get("429", 0)
    assert throttled > 0 and done.waited >= throttled * 1.0


def test_a_connector_killed_at_random_points_resumes_each_user_verified_once(
    built_workspace: Path, province: Province, registry: dict, tmp_path: Path
) -> None:
    path = tmp_path / "ws.duckdb"
    path.write_bytes(built_workspace.read_bytes())
    faults = Faults.parse("timeout=0.05,error=0.05,throttle=0.05,hang=0.5,retry_after=0,seed=5")
    service = Service(province.root / "registry" / "population.parquet", faults=faults)
    rng = random.Random(11)
    env = os.environ | {"LANDCLEAN_LOCK_WAIT": "30"}
    kills = 0
    with Simulator(service) as sim:
        cmd = [
            sys.executable, "-m", "landclean", "registry", "verify", str(path),
            "--service", sim.url, "--batch-size", "60", "--rate", "40/s", "--timeout", "0.3",
        ]  # fmt: skip
        for _ in range(30):
            proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
            try:
                proc.wait(timeout=rng.uniform(1.5, 4.0))
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                proc.wait()
                kills += 1
                continue
            assert proc.returncode == 0, proc.stderr.read().decode()
            break
        else:
            pytest.fail("the connector never finished")
    assert kills >= 2  # it was interrupted, more than once
    with open_workspace(path) as ws:
        assert recorded(ws) == truth(ws, registry)
        wanted = q(ws.con, "SELECT count(DISTINCT party_id) FROM registry_request")[0][0]
        assert q(ws.con, "SELECT count(*) FROM registry_request")[0][0] == wanted  # asked once
        assert q(ws.con, "SELECT DISTINCT status FROM registry_batch") == [("answered",)]
    assert set(service.work.values()) == {1} and len(service.work) == wanted


def test_the_command_line_round_trip(
    built_workspace: Path, province: Province, tmp_path: Path
) -> None:
    path = tmp_path / "ws.duckdb"
    path.write_bytes(built_workspace.read_bytes())
    run = lambda *a: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "landclean", *a], capture_output=True, text=True,
        env=os.environ | {"LANDCLEAN_LANG": "en"},
    )  # fmt: skip
    out = run(
        "registry", "request", str(path), "--out", str(tmp_path / "req"), "--batch-size", "5000"
    )
    assert out.returncode == 0 and "requests in 1 files" in out.stdout, out.stderr
    request = next((tmp_path / "req").iterdir())
    extract = province.root / "registry" / "population.csv"
    out = run(
        "registry",
        "simulate",
        "--extract",
        str(extract),
        "--answer",
        str(request),
        "--out",
        str(tmp_path / "resp"),
    )
    assert out.returncode == 0, out.stderr
    answer = tmp_path / "resp" / request.name
    bad = tmp_path / "bad.csv"
    bad.write_text("ma_yeu_cau,tim_thay\nnot-ours,1\n", encoding="utf-8")
    out = run(
        "registry",
        "response",
        str(path),
        str(answer),
        str(bad),
        "--problems",
        str(tmp_path / "p.csv"),
    )
    assert out.returncode == 0, out.stderr
    assert "1 rows not applied" in out.stdout, out.stdout
    listed = list(csv.reader((tmp_path / "p.csv").read_text("utf-8-sig").splitlines()))
    assert listed == [
        ["File", "Row", "Request key", "Problem", "Detail"],
        [str(bad), "1", "not-ours", "Request key never sent", ""],
    ]
    out = run("registry", "response", str(path), str(tmp_path / "missing.csv"))
    assert out.returncode == 1 and "missing.csv" in out.stderr
    wrong = tmp_path / "wrong.csv"
    wrong.write_text("key,verdict\na,1\n", encoding="utf-8")
    out = run("registry", "response", str(path), str(wrong))
    assert out.returncode == 1 and "ma_yeu_cau" in out.stderr and "wrong.csv" in out.stderr


def test_any_order_and_repetition_of_a_response_gives_the_same_verdicts(
    built_workspace: Path,
    province: Province,
    registry: dict,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Property: whatever order a response's rows come in, and however often a row is
    repeated, the verdicts recorded are the true ones and each repetition is listed."""
    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st

    work = tmp_path_factory.mktemp("property")
    path = work / "ws.duckdb"
    path.write_bytes(built_workspace.read_bytes())
    ws = open_workspace(path)
    try:
        _, files = api.registry_request(ws, work / "req", batch_size=200, commune=None)
        service = Service(province.root / "registry" / "population.parquet")
        answer = answer_file(service, files[0], work / "resp")
        header, *rows = answer.read_text(encoding="utf-8").splitlines()
        expected = {
            k: v for k, v in truth(ws, registry).items() if any(r.startswith(k) for r in rows)
        }

        @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
        @given(st.permutations(rows), st.lists(st.integers(0, len(rows) - 1), max_size=8))
        def check(order: list[str], repeated: list[int]) -> None:
            shuffled = list(order) + [order[i] for i in repeated]
            f = work / "shuffled.csv"
            f.write_text("\n".join([header, *shuffled]) + "\n", encoding="utf-8")
            done = api.registry_response(ws, [f])
            assert [p for _, _, p, _ in done.problems] == ["duplicate"] * len(repeated)
            now = recorded(ws)
            assert {k: now[k] for k in expected} == expected

        check()
    finally:
        ws.close()


def test_a_response_as_an_office_saves_it_is_read(copy: Workspace, tmp_path: Path) -> None:
    """Headers in capitals with spaces and a byte-order mark, semicolons, words typed
    with decomposed diacritics, the registry's sex in its own word: read alike."""
    api.registry_request(copy, tmp_path / "req", batch_size=10_000)
    keys = [
        k for (k,) in q(copy.con, "SELECT request_key FROM registry_request ORDER BY 1 LIMIT 3")
    ]
    nfd = lambda t: unicodedata.normalize("NFD", t)  # noqa: E731
    text = "\n".join(
        [
            "\ufeff MA_YEU_CAU ;Tim Thay;KHOP_HO_TEN;khop_ngay_sinh;gioi_tinh_csdl",
            f"{keys[0]};{nfd('Có')};{nfd('Không')};Đúng;{nfd('Nữ')}",
            f"{keys[1]};SAI;;;",
            f"{keys[2]};x;1;0;Nam",
        ]
    )
    f = tmp_path / "saved.csv"
    f.write_text(text + "\n", encoding="utf-8")
    done = api.registry_response(copy, [f])
    assert done.problems == [] and done.applied == 3
    assert recorded(copy) == {
        keys[0]: (True, False, True, None),
        keys[1]: (False, None, None, None),
        keys[2]: (True, True, False, None),
    }
    assert q(copy.con, "SELECT registry_sex FROM registry_verdict ORDER BY request_key") == [
        ("F",), (None,), ("M",),
    ]  # fmt: skip


def test_a_json_response_as_a_bare_list_is_read(copy: Workspace, tmp_path: Path) -> None:
    api.registry_request(copy, tmp_path / "req", batch_size=10_000)
    keys = [
        k for (k,) in q(copy.con, "SELECT request_key FROM registry_request ORDER BY 1 LIMIT 2")
    ]
    f = tmp_path / "answer.json"
    f.write_text(
        json.dumps(
            [
                {"ma_yeu_cau": keys[0], "tim_thay": True, "khop_ho_ten": False},
                {"ma_yeu_cau": keys[1], "tim_thay": "không"},
                {"ma_yeu_cau": "never-sent", "tim_thay": 1},
            ],
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    done = api.registry_response(copy, [f])
    assert done.applied == 2 and [(k, p) for _, k, p, _ in done.problems] == [
        ("never-sent", "unknown_key")
    ]
    assert recorded(copy) == {
        keys[0]: (True, False, None, None),
        keys[1]: (False, None, None, None),
    }


def _answer_csv(path: Path, rows: list[str]) -> Path:
    path.write_text(
        "ma_yeu_cau,tim_thay,khop_ho_ten,khop_ngay_sinh,khop_gioi_tinh,so_dinh_danh_csdl,ma_loi\n"
        + "\n".join(rows)
        + "\n",
        encoding="utf-8",
    )
    return path


def test_answers_to_one_key_count_by_batch_and_an_error_never_unseats_a_verdict(
    copy: Workspace, tmp_path: Path
) -> None:
    """A user asked in batch A, then again in batch B (same values, same key): B's answer
    counts; A's file read again, or an error for B, changes nothing."""
    p = load_protocol()
    a = plan(copy, p, by="x", channel="file", selection="all", batch_size=100_000).batches[0]
    key, party = q(copy.con, f"SELECT request_key, party_id FROM registry_request "
                   f"WHERE batch_id = '{a}' ORDER BY 1 LIMIT 1")[0]  # fmt: skip
    file_a = _answer_csv(tmp_path / f"{a}.csv", [f"{key},0,,,,,"])
    assert api.registry_response(copy, [file_a]).applied == 1
    assert q(copy.con, f"SELECT status, answered FROM registry_batch WHERE batch_id = '{a}'") == [
        ("answered", 1)
    ]
    b = plan(copy, p, by="x", channel="file", selection="all", batch_size=100_000).batches[0]
    file_b = _answer_csv(tmp_path / f"{b}.csv", [f"{key},1,1,1,1,,"])
    assert api.registry_response(copy, [file_b]).applied == 1
    assert recorded(copy)[key] == (True, True, True, True)
    again = api.registry_response(copy, [file_a])  # the older answer, read again
    assert again.applied == 0 and again.unchanged == 1
    assert recorded(copy)[key] == (True, True, True, True)
    # the same answer read from a file named otherwise: the key's latest batch, unchanged
    other = _answer_csv(tmp_path / "reply.csv", [f"{key},1,1,1,1,,"])
    assert api.registry_response(copy, [other]).unchanged == 1
    error = _answer_csv(tmp_path / f"{b}.csv", [f"{key},,,,,,E_BUSY"])
    assert api.registry_response(copy, [error]).errors == 1
    assert recorded(copy)[key] == (True, True, True, True)  # still counts
    run_pipeline(copy)
    assert q(copy.con, "SELECT method FROM auth_result WHERE party_id = ?", [party]) == [
        ("service",)
    ]
    # a key of batch A in batch B's file is not B's: unknown there
    c = _answer_csv(tmp_path / f"{b}.csv", ["ffffffffffffffffffff,1,1,1,1,,"])
    assert [p for _, _, p, _ in api.registry_response(copy, [c]).problems] == ["unknown_key"]


def test_hostile_answers_are_refused_with_a_reason(copy: Workspace, tmp_path: Path) -> None:
    from landclean.registry_service.protocol import RegistryServiceError

    api.registry_request(copy, tmp_path / "req", batch_size=100_000)
    key = q(copy.con, "SELECT request_key FROM registry_request ORDER BY 1 LIMIT 1")[0][0]
    twice = tmp_path / "twice.csv"
    twice.write_text(f"ma_yeu_cau,tim_thay,Tim Thay\n{key},1,0\n", encoding="utf-8")
    with pytest.raises(
        RegistryServiceError, match=r"twice\.csv.*(tim_thay.*Tim Thay|Tim Thay.*tim_thay)"
    ):
        api.registry_response(copy, [twice])
    excel = _answer_csv(tmp_path / "excel.csv", [f"{key},1,1,1,1,54073896153,"])  # 0 lost
    done = api.registry_response(copy, [excel])
    assert [(p, d) for _, _, p, d in done.problems] == [("malformed", "registry_id")]
    with pytest.raises(RegistryServiceError, match="csv or json"):
        api.registry_request(copy, tmp_path / "other", fmt="xlsx")
    assert q(copy.con, "SELECT count(*) FROM registry_batch WHERE status = 'prepared'") == [(0,)]


def test_refused_and_conflicting_answers_online(
    copy: Workspace, province: Province, registry: dict
) -> None:
    """A batch the service refuses (422) is set aside and the others go on; 409 (the key
    still being worked on) is retried; an answer in another protocol stops at once."""
    from landclean.registry_service.protocol import RegistryServiceError

    service = Service(province.root / "registry" / "population.parquet")
    refused: set[str] = set()
    original = service.answer

    def answer(key: str, body: bytes) -> bytes:
        if not refused:
            refused.add(key)
            raise ValueError("refused")  # the simulator answers 400 to a body it rejects
        return original(key, body)

    service.answer = answer  # type: ignore[method-assign]
    with Simulator(service) as sim:
        done = verify(copy, load_protocol(), sim.url, by="c", batch_size=500, rate=0)
    assert done.refused == 1 and done.planned is not None
    assert q(copy.con, "SELECT count(*) FROM registry_batch WHERE status = 'refused'") == [(1,)]
    again = plan(copy, load_protocol(), by="c", channel="online")  # refused: asked again
    assert again.requests == 500 and again.waiting == 0
    with pytest.raises(RegistryServiceError, match="http"):
        verify(copy, load_protocol(), "localhost:8000", by="c")


def test_the_pacer_never_exceeds_its_rate_and_catches_up() -> None:
    """Property, on a clock of its own: whatever the work between requests, no window
    holds more starts than the rate allows, and the pacer waits no more than needed."""
    from unittest import mock

    from hypothesis import given, settings
    from hypothesis import strategies as st

    from landclean.registry_service import connector

    @settings(max_examples=60, deadline=None)
    @given(
        st.sampled_from([0.5, 1.0, 3.0, 10.0]),
        st.lists(st.floats(0.0, 0.6, allow_nan=False), min_size=1, max_size=80),
    )
    def check(rate: float, work: list[float]) -> None:
        clock = [0.0]

        def sleep(seconds: float) -> None:
            clock[0] += seconds

        with (
            mock.patch.object(connector.time, "monotonic", lambda: clock[0]),
            mock.patch.object(connector.time, "sleep", sleep),
        ):
            pacer = connector.Pacer(rate)
            starts = []
            for w in work:
                pacer.wait()
                starts.append(clock[0])
                clock[0] += w
        window = max(1.0, 1.0 / rate)
        allowed = max(1, int(rate * window))
        for t in starts:
            assert sum(1 for u in starts if t <= u < t + window - 1e-9) <= allowed
        # no needless wait: done by the work alone, or by the rate, plus one window
        assert clock[0] <= max(sum(work), len(work) / rate) + window + 1e-6

    check()


def test_answers_held_are_kept_when_the_run_stops_and_a_rerun_only_resumes(
    copy: Workspace, province: Province, registry: dict
) -> None:
    """The token expires at the fourth request: the three answers received (held to be
    applied ten at a time) are applied anyway; the rerun (``--only all`` as the first)
    sends the unanswered batches alone, planning nobody anew: each user once."""
    from landclean.registry_service.protocol import RegistryServiceError

    p = load_protocol()
    extract = province.root / "registry" / "population.parquet"
    expiring = Service(extract, faults=Faults(unauthorized_after=4))
    with Simulator(expiring) as sim, pytest.raises(RegistryServiceError, match="401"):
        verify(copy, p, sim.url, by="c", selection="all", batch_size=400, rate=0)
    assert q(copy.con, "SELECT count(*) FROM registry_batch WHERE status = 'answered'") == [(3,)]
    assert q(copy.con, "SELECT count(DISTINCT request_key) FROM registry_verdict") == [(1200,)]
    fresh = Service(extract)
    with Simulator(fresh) as sim:
        again = verify(copy, p, sim.url, by="c", selection="all", batch_size=400, rate=0)
    assert again.resumed > 0 and again.planned is not None and again.planned.requests == 0
    asked = q(copy.con, "SELECT count(*), count(DISTINCT party_id) FROM registry_request")[0]
    assert asked[0] == asked[1]  # nobody asked twice
    assert set(fresh.work.values()) == {1} and len(fresh.work) == asked[0] - 1200
    assert recorded(copy) == truth(copy, registry)


def test_a_batch_answered_without_its_records_is_set_aside(
    copy: Workspace, province: Province
) -> None:
    service = Service(province.root / "registry" / "population.parquet")
    original = service.answer
    emptied: list[str] = []

    def empty_first(key: str, body: bytes) -> bytes:
        if not emptied or emptied[0] == key:
            emptied[:1] = [key]
            return json.dumps({"ma_lo": key, "ket_qua": []}).encode()
        return original(key, body)

    service.answer = empty_first  # type: ignore[method-assign]
    with Simulator(service) as sim:
        done = verify(copy, load_protocol(), sim.url, by="c", batch_size=500, rate=0,
                      backoff=0.01)  # fmt: skip
    assert done.refused == 1 and done.retries.get("malformed") == 2
    assert q(copy.con, "SELECT batch_id FROM registry_batch WHERE status = 'refused'") == [
        (emptied[0],)
    ]
