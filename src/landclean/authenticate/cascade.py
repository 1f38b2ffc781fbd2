"""Authenticate land users against the population registry: matched, or why not.

The cascade, set-based in DuckDB (docs/authentication.md):

1. **Exact** — the recorded number is a registry CCCD and the tone-insensitive name
   key and the birth date agree: matched (a name that differs only by tone placement
   or encoding gets the registry spelling proposed).  When the ID and the name agree
   but the recorded birth date lies in the future (a mistyped century), the registry's
   date is proposed.  Any other ID conflict goes on to the candidates: a namesake's
   number copied by mistake agrees on the ID and the name too.
2. **Candidates** for every other user, from SQL joins: the ID itself (an ID conflict),
   the ID with one digit wrong, two adjacent digits swapped or one digit too many or
   too few, the old 9-digit CMND, name + birth date (also day/month swapped), family
   + last given syllable + birth date, name + birth year + commune, the ID's serial +
   birth year (the first six digits are birth data), name + commune when there is
   neither ID nor birth.
3. **Scoring** of those candidates with a Splink 5 model (``model``), trained by EM
   on the workspace's own data and kept until the registry changes.
4. **Best link** per user, in three bands (settings ``auth_accept``/``auth_review``;
   ``auth_accept_sole`` for a candidate that is the only plausible one the searches
   found): auto-accept → matched or matched_after_correction (the corrections the registry
   suggests are recorded in ``proposed_*``, never applied), review, or unmatched.

Reason codes say what differs from the linked (or best) registry person.  Where the
population service has given its verdict on a user's values (``registry_service``), its
word decides (``authenticate.verdicts``): method ``service``.  Only users
whose inputs changed since the last run are recomputed, unless the registry changed.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field

import duckdb

from landclean.authenticate import model
from landclean.authenticate.queries import (
    CANDIDATES_SQL,
    CARD_SQL,
    EXACT_SQL,
    REGISTRY_SQL,
    RESULT_SQL,
    SPLINK_LEFT_SQL,
    SPLINK_RIGHT_SQL,
    TF_SQL,
    TRAIN_LEFT_SQL,
    TRAIN_RIGHT_SQL,
    TRAIN_SAMPLE_SQL,
    USER_INPUT_SQL,
    USER_KEYS_SQL,
)
from landclean.authenticate.verdicts import overlay, verdicts_sql
from landclean.evidence.cards import CONFIRMED_SQL
from landclean.registry_service.protocol import load_protocol
from landclean.settings import Settings
from landclean.vn.names import name_keys_sql

REASONS = (
    "id_card_qr",
    "wrong_id_digit",
    "swapped_digits",
    "old_id_card",
    "missing_id",
    "id_differs",
    "name_differs",
    "tone_encoding_variant",
    "birth_date_differs",
    "day_month_swapped",
    "birth_date_missing",
    "not_in_registry",
    "several_candidates",
    "sex_differs",
)
STATUSES = ("matched", "matched_after_correction", "review", "unmatched")


@dataclass
class AuthReport:
    """What one authentication run did."""

    counts: dict[str, int] = field(default_factory=dict)
    recomputed: int = 0
    exact: int = 0
    candidate_pairs: int = 0
    trained: bool = False
    seconds: dict[str, float] = field(default_factory=dict)


def _registry_version(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(
        "SELECT count(*), coalesce(max(source_batch), 0), "
        "coalesce(sum(hash(cccd, full_name, birth_date, cmnd, address)) % 1000000007, 0) "
        "FROM registry_person"
    ).fetchone()
    assert row is not None
    return f"{row[0]}:{row[1]}:{row[2]}"


def _current_model(con: duckdb.DuckDBPyConnection, version: str) -> dict | None:
    row = con.execute(
        "SELECT settings FROM auth_model WHERE registry_version = ? ORDER BY model_id DESC LIMIT 1",
        [version],
    ).fetchone()
    return json.loads(row[0]) if row else None


def _train(con: duckdb.DuckDBPyConnection, version: str) -> dict:
    started = time.perf_counter()
    con.execute(TRAIN_SAMPLE_SQL.format(n=model.TRAINING_USERS))
    left = con.execute(TRAIN_LEFT_SQL + " ORDER BY unique_id").fetch_arrow_table()
    right = con.execute(
        TRAIN_RIGHT_SQL.format(extra=model.TRAINING_REGISTRY_EXTRA) + " ORDER BY unique_id"
    ).fetch_arrow_table()
    n_registry = int(con.execute("SELECT count(*) FROM auth_registry").fetchone()[0])  # type: ignore[index]
    trained = model.train(left, right, n_registry)
    con.execute(
        "INSERT INTO auth_model VALUES ("
        "(SELECT coalesce(max(model_id), 0) + 1 FROM auth_model), ?, ?, ?, ?, ?)",
        [
            dt.datetime.now(),
            version,
            trained.users,
            time.perf_counter() - started,
            json.dumps(trained.settings),
        ],
    )
    con.execute("DROP TABLE au_train_user")
    return trained.settings


def authenticate(
    con: duckdb.DuckDBPyConnection,
    run_id: int,
    settings: Settings,
    full: bool = False,
    only: str | None = None,
) -> AuthReport:
    """Authenticate the land users whose inputs changed (all of them when the registry
    changed or ``full``; ``only``: SQL selecting the party_id of the only users that can
    have changed, the registry being the same); call inside a transaction."""
    report = AuthReport()
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        report.seconds[name] = round(now - clock, 3)
        clock = now

    if only is not None:  # the registry is the one of the last run: its newest model
        row = con.execute("SELECT settings FROM auth_model ORDER BY model_id DESC LIMIT 1")
        latest = row.fetchone()
        trained = json.loads(latest[0]) if latest else None
        if trained is None:
            only = None
    if only is None:
        version = _registry_version(con)
        trained = _current_model(con, version)
    if trained is None:  # a new registry: its keys, then every user again
        con.execute(
            REGISTRY_SQL.format(keys=name_keys_sql("SELECT full_name AS name FROM registry_person"))
        )
        full = True
    lap("registry")
    bands = f"{settings.auth_accept}/{settings.auth_accept_sole}/{settings.auth_review}/"
    bands += f"{settings.auth_margin}"  # other bands: every result is recomputed
    con.execute(
        USER_INPUT_SQL.format(
            only_rights=f"WHERE r.party_id IN ({only})" if only else "",
            only_parties=f"AND p.party_id IN ({only})" if only else "",
            cards=CONFIRMED_SQL,
            verdicts=verdicts_sql(con, load_protocol(settings.registry_protocol), only),
        ),
        {"bands": bands},
    )
    if full:
        con.execute("CREATE OR REPLACE TEMP TABLE au_todo AS SELECT party_id FROM au_input")
    else:
        con.execute(
            "CREATE OR REPLACE TEMP TABLE au_todo AS SELECT party_id FROM au_input i "
            "WHERE NOT EXISTS (SELECT 1 FROM auth_result a "
            "WHERE a.party_id = i.party_id AND a.input_hash = i.input_hash)"
        )
    con.execute(
        USER_KEYS_SQL.format(
            keys=name_keys_sql(
                "SELECT full_name AS name FROM au_input JOIN au_todo USING (party_id)"
            )
        )
    )
    report.recomputed = _count(con, "au_user")
    lap("users")
    if trained is None:
        trained = _train(con, version)
        report.trained = True
        lap("train")
    con.execute(CARD_SQL.format(cards=CONFIRMED_SQL))
    con.execute(EXACT_SQL)
    report.exact = _count(con, "au_exact")
    con.execute(CANDIDATES_SQL)
    report.candidate_pairs = _count(con, "au_pair")
    lap("candidates")
    if report.candidate_pairs:
        tf = {
            col: con.execute(TF_SQL.format(col=col)).fetch_arrow_table()
            for col in ("family", "given_tone")
        }
        scores = model.score(
            trained,
            con.execute(SPLINK_LEFT_SQL).fetch_arrow_table(),
            con.execute(SPLINK_RIGHT_SQL).fetch_arrow_table(),
            tf,
        )
    else:
        scores = None
    con.execute(
        "CREATE OR REPLACE TEMP TABLE au_score (unique_id_l VARCHAR, unique_id_r VARCHAR, "
        "match_weight DOUBLE, match_probability DOUBLE)"
    )
    if scores is not None:
        con.register("au_score_arrow", scores)
        con.execute("INSERT INTO au_score SELECT * FROM au_score_arrow")
        con.unregister("au_score_arrow")
    lap("score")
    everyone = only is None and (full or report.recomputed == _count(con, "au_input"))
    for table in ("auth_result", "auth_candidate"):
        if everyone:
            con.execute(f"DELETE FROM {table}")
            continue
        # two plain semi/anti joins (an OR of the two is not planned as joins)
        con.execute(f"DELETE FROM {table} WHERE party_id IN (SELECT party_id FROM au_todo)")
        gone = f"party_id IN ({only}) AND " if only else ""  # no longer an individual…
        con.execute(
            f"DELETE FROM {table} WHERE {gone}party_id NOT IN (SELECT party_id FROM au_input)"
        )
    con.execute(
        RESULT_SQL,
        {
            "accept": settings.auth_accept,
            "accept_sole": settings.auth_accept_sole,
            "review": settings.auth_review,
            "margin": settings.auth_margin,
            "run_id": run_id,
        },
    )
    overlay(con)  # the population service's word, where it has given one
    con.execute(
        """
        INSERT INTO auth_candidate
        SELECT party_id, cccd, rank, via, match_weight, match_probability, $run_id FROM (
            SELECT p.party_id, p.cccd, p.via, s.match_weight, s.match_probability,
                   row_number() OVER (PARTITION BY p.party_id
                                      ORDER BY s.match_weight DESC, p.cccd) AS rank
            FROM au_pair p JOIN au_score s ON s.unique_id_l = p.party_id || '|' || p.cccd
        ) WHERE rank <= 3
        """,
        {"run_id": run_id},
    )
    for t in ("au_input", "au_todo", "au_user", "au_card", "au_exact", "au_pair", "au_score"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    lap("decide")
    rows = con.execute("SELECT status, count(*) FROM auth_result GROUP BY status").fetchall()
    report.counts = {str(s): int(n) for s, n in rows}
    return report


def _count(con: duckdb.DuckDBPyConnection, table: str) -> int:
    row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
    return int(row[0]) if row else 0
