"""The probabilistic part of the cascade: a Splink 5 model (DuckDB backend).

Splink is given pre-computed Vietnamese keys (see ``keys``) on both sides:

==========  =================================================================
comparison  levels (best first)
==========  =================================================================
id          exact · recorded number is the registry's old 9-digit CMND · one
            digit wrong, missing or extra (Levenshtein 1) · two digits swapped
            (same sorted digits ``id_digits``, Levenshtein 2) · the last digits
            lost · same last six digits (serial) · other
family      exact (term-frequency adjusted: *Nguyễn* weighs less than *Ksor*)
            · Jaro-Winkler ≥ 0.9 · other
given       exact with tones (term-frequency adjusted) · exact without tones
            · one side's syllables all in the other's (a missing middle name)
            · Jaro-Winkler ≥ 0.88 · other
birth       exact date · day and month swapped · same year · other
commune     same new commune · other
==========  =================================================================

m probabilities are trained by expectation maximisation on two blockings (same ID
number; same family name and birth date, or birth year where the sources give no day),
u probabilities by random sampling, on a
sample of the land users against the registry.  The trained model is stored in the
workspace (``auth_model``) and reused until the registry changes.

Scoring runs Splink's own ``predict_between`` on the candidate pairs the cascade
computed in SQL: each candidate pair is a left record carrying the candidate's CCCD in
``cand``, blocked on ``cand`` against the registry.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import duckdb
import pyarrow as pa

# Columns Splink compares; both sides carry all of them (NULL where a side has none).
COLUMNS = (
    "unique_id",
    "cand",
    "id_number",
    "cmnd",
    "id_digits",
    "family",
    "given",
    "given_tone",
    "birth_date",
    "birth_year",
    "commune",
)
TRAINING_USERS = 200_000  # land users sampled for training (all when fewer)
TRAINING_REGISTRY_EXTRA = 200_000  # registry people added at random to the sample
U_SAMPLE_PAIRS = 2_000_000  # random pairs for u (at most; fewer for small workspaces)
U_PAIRS_PER_USER = 100


def settings(n_registry: int) -> dict[str, Any]:
    """The Splink settings dictionary (untrained)."""
    import splink.comparison_level_library as cll
    from splink import SettingsCreator, block_on

    def comparison(name: str, levels: list[Any]) -> dict[str, Any]:
        return {
            "output_column_name": name,
            "comparison_levels": [lv.get_comparison_level("duckdb").as_dict() for lv in levels],
        }

    id_levels = [
        cll.NullLevel("id_number"),
        cll.ExactMatchLevel("id_number"),
        cll.CustomLevel("id_number_l = cmnd_r", "recorded number = old CMND"),
        cll.CustomLevel("levenshtein(id_number_l, id_number_r) <= 1", "one digit wrong"),
        cll.CustomLevel(
            "id_digits_l = id_digits_r AND levenshtein(id_number_l, id_number_r) = 2",
            "two digits swapped",
        ),
        cll.CustomLevel(
            "length(id_number_l) BETWEEN 10 AND 11 AND starts_with(id_number_r, id_number_l)",
            "last digits lost",
        ),
        cll.CustomLevel("right(id_number_l, 6) = right(id_number_r, 6)", "same serial"),
        cll.ElseLevel(),
    ]
    family_levels = [
        cll.NullLevel("family"),
        cll.ExactMatchLevel("family", term_frequency_adjustments=True),
        cll.JaroWinklerLevel("family", 0.9),
        cll.ElseLevel(),
    ]
    given_levels = [
        cll.NullLevel("given"),
        cll.ExactMatchLevel("given_tone", term_frequency_adjustments=True),
        cll.ExactMatchLevel("given"),
        cll.CustomLevel(
            "list_has_all(string_split(given_l, ' '), string_split(given_r, ' ')) OR "
            "list_has_all(string_split(given_r, ' '), string_split(given_l, ' '))",
            "syllables of one within the other",
        ),
        cll.JaroWinklerLevel("given", 0.88),
        cll.ElseLevel(),
    ]
    birth_levels = [
        cll.CustomLevel("birth_year_l IS NULL OR birth_year_r IS NULL", "null").configure(
            is_null_level=True
        ),
        cll.ExactMatchLevel("birth_date"),
        cll.CustomLevel(
            "birth_date_l = try(make_date(year(birth_date_r), day(birth_date_r), "
            "month(birth_date_r)))",
            "day and month swapped",
        ),
        cll.ExactMatchLevel("birth_year"),
        cll.ElseLevel(),
    ]
    commune_levels = [
        cll.NullLevel("commune"),
        cll.ExactMatchLevel("commune"),
        cll.ElseLevel(),
    ]
    creator = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="unique_id",
        probability_two_random_records_match=1.0 / max(n_registry, 1),
        comparisons=[
            comparison("id", id_levels),
            comparison("family", family_levels),
            comparison("given", given_levels),
            comparison("birth", birth_levels),
            comparison("commune", commune_levels),
        ],
        blocking_rules_to_generate_predictions=[block_on("cand")],
        retain_matching_columns=False,
        retain_intermediate_calculation_columns=False,
        max_iterations=20,
        em_convergence=0.001,
    )
    return creator.get_settings("duckdb").as_dict()


@dataclass
class Training:
    settings: dict[str, Any]
    users: int


def _linker(
    con: duckdb.DuckDBPyConnection,
    left: pa.Table,
    right: pa.Table,
    model: dict[str, Any],
    tf: dict[str, pa.Table] | None = None,
) -> Any:
    from splink import DuckDBAPI, Linker

    db_api = DuckDBAPI(connection=con)
    dfs = [
        db_api.register(left, table_name="lc_land"),
        db_api.register(right, table_name="lc_registry"),
    ]
    linker = Linker(dfs, model, log_level=logging.ERROR)  # its EM notes are not ours to show
    for column, table in (tf or {}).items():
        linker.table_management.register_term_frequency_lookup(
            db_api.register(table, table_name=f"lc_tf_{column}"), column
        )
    return linker, dfs


def train(left: pa.Table, right: pa.Table, n_registry: int, seed: int = 1) -> Training:
    """EM-train m, sample u, on ``left`` land users against ``right`` registry people."""
    from splink import block_on
    from splink.internals.exceptions import EMTrainingException  # not re-exported

    con = duckdb.connect()
    try:
        con.execute("SET threads = 2")
        linker, _ = _linker(con, left, right, settings(n_registry))
        pairs = min(U_SAMPLE_PAIRS, max(300_000, U_PAIRS_PER_USER * left.num_rows))
        linker.training.estimate_u_using_random_sampling(
            max_pairs=float(pairs),
            seed=seed,
            num_chunks=1,
            min_count_per_level=None,
        )
        # each session on the first blocking that yields pairs: a list that gives only
        # birth years (no day) trains on the year, one without ID numbers skips the ID
        for blockings in (
            [("id_number",)],
            [("family", "birth_date"), ("family", "birth_year")],
        ):
            for columns in blockings:
                try:
                    linker.training.estimate_parameters_using_expectation_maximisation(
                        block_on(*columns), fix_u_probabilities=True
                    )
                except EMTrainingException:
                    continue  # no pair: the next blocking (levels left get bounds)
                break
        model = linker.misc.save_model_to_json()
    finally:
        con.close()
    return Training(_bounded(json.loads(json.dumps(model, default=str)), pairs), left.num_rows)


def _bounded(model: dict[str, Any], pairs: int) -> dict[str, Any]:
    """Levels never seen while training get bounds instead of no value.

    A level no random pair reached (one ID digit wrong, the old CMND: about one pair in
    ten million) has u below one in ``pairs``: it gets half of that.  A level no match
    reached in EM (m = 0 or absent) gets m = 1e-4, so that it weighs strongly against
    a link without making it impossible.  Probabilities keep 12 significant digits: the
    last ones of a sum over threads depend on the order the threads finished in, and the
    same data must give the same model.
    """
    for comparison in model["comparisons"]:
        for level in comparison["comparison_levels"]:
            if level.get("is_null_level"):
                continue
            for name in ("m_probability", "u_probability"):  # parallel sums' last digits
                if level.get(name):
                    level[name] = float(f"{level[name]:.12g}")
            if not level.get("u_probability"):
                level["u_probability"] = 0.5 / pairs
            if not level.get("m_probability"):
                level["m_probability"] = 1e-4
    return model


def score(
    model: dict[str, Any], left: pa.Table, right: pa.Table, tf: dict[str, pa.Table]
) -> pa.Table:
    """Splink's match weight and probability for each candidate pair.

    ``left`` has one row per candidate pair (``cand`` = the candidate's CCCD),
    ``right`` one row per candidate registry person (``cand`` = CCCD).  Returns
    ``unique_id_l, unique_id_r, match_weight, match_probability``.
    """
    con = duckdb.connect()
    try:
        con.execute("SET threads = 2")
        linker, dfs = _linker(con, left, right, model, tf)
        # left and right are already the two sides: no source filter (its self-join on
        # concatenated ids is planned as a nested loop by DuckDB 1.4)
        pred = linker.inference.predict_between(
            dfs[0], dfs[1], link_type="link_and_dedupe", warning_mode="never"
        )
        return con.execute(
            f"SELECT unique_id_l, unique_id_r, match_weight, match_probability "
            f"FROM {pred.physical_name}"
        ).fetch_arrow_table()
    finally:
        con.close()
