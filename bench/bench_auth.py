"""Authentication on a synthetic province: the cascade against (a) a plain exact-ID join
and (b) Splink alone with a standard configuration — time, peak memory, precision and
recall against truth.

Usage: python -m bench.bench_auth WORKSPACE TRUTH_DIR [--skip-splink]
WORKSPACE holds the imported province with names standardized (a 'landclean run
--stages standardize' did it) and no authentication yet.  Each contender runs in its own
process (peak RSS is its own); (a) and (b) write their links to Parquet beside the
workspace, the cascade writes auth_result.  Then the cascade runs twice more:
with nothing changed, and after 10 000 users' records changed (incremental runs).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import duckdb

from bench.run_bench import landclean, measure
from landclean.synth.auth_scoring import AuthScore, confusion_markdown, score_authentication

USERS_SQL = """
SELECT p.party_id, p.full_name, p.id_number,
       CASE WHEN p.birth_precision = 'day' THEN p.birth_date END AS birth_date,
       uc.commune
FROM party p LEFT JOIN (
    SELECT r.party_id, min(q.unit_code) AS commune
    FROM land_right r JOIN parcel q USING (parcel_id) GROUP BY r.party_id
) uc USING (party_id)
WHERE p.party_type IN ('individual', 'household')
"""


def exact_join(ws: Path, out: Path) -> None:
    """(a) The recorded ID found in the registry: linked; nothing else is compared."""
    con = duckdb.connect(str(ws), read_only=True)
    con.execute(
        f"""
        COPY (
            SELECT u.party_id,
                   CASE WHEN r.cccd IS NULL THEN 'unmatched' ELSE 'matched' END AS status,
                   r.cccd AS registry_cccd, []::VARCHAR[] AS reasons
            FROM ({USERS_SQL}) u
            LEFT JOIN (SELECT DISTINCT cccd FROM registry_person) r ON r.cccd = u.id_number
        ) TO '{out}' (FORMAT parquet)
        """
    )


def splink_alone(ws: Path, out: Path) -> None:
    """(b) Splink 5 with a standard configuration on the same inputs: exact/Levenshtein
    ID, name (with term frequencies), date of birth, commune; three blocking rules; u by
    random sampling, m by EM; one-to-one by single best links at 0.999."""
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    src = duckdb.connect(str(ws), read_only=True)
    users = src.execute(USERS_SQL).fetch_arrow_table()
    registry = src.execute(
        """
        SELECT cccd AS party_id, full_name, cccd AS id_number, birth_date, a.code AS commune
        FROM registry_person r LEFT JOIN admin_unit a
          ON a.name = trim(split_part(r.address, ',', 1))
        """
    ).fetch_arrow_table()
    src.close()
    con = duckdb.connect()
    db_api = DuckDBAPI(connection=con)
    dfs = [
        db_api.register(users, table_name="land"),
        db_api.register(registry, table_name="registry"),
    ]
    settings = SettingsCreator(
        link_type="link_only",
        unique_id_column_name="party_id",
        probability_two_random_records_match=1 / registry.num_rows,
        comparisons=[
            cl.LevenshteinAtThresholds("id_number", [1, 2]),
            cl.NameComparison("full_name").configure(term_frequency_adjustments=True),
            cl.DateOfBirthComparison("birth_date", input_is_string=False),
            cl.ExactMatch("commune"),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("id_number"),
            block_on("full_name", "birth_date"),
            block_on("birth_date", "commune"),
        ],
    )
    linker = Linker(dfs, settings)
    linker.training.estimate_u_using_random_sampling(max_pairs=1e7, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("id_number"))
    linker.training.estimate_parameters_using_expectation_maximisation(
        block_on("full_name", "birth_date")
    )
    pred = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_using_single_best_links(
        pred, duplicate_free_datasets=["registry"], threshold_match_probability=0.999
    )
    con.execute(
        f"""
        COPY (
            WITH c AS (SELECT * FROM {clusters.physical_name}),
            reg AS (SELECT cluster_id, any_value(party_id) AS cccd FROM c
                    WHERE source_dataset = 'registry' GROUP BY cluster_id)
            SELECT c.party_id,
                   CASE WHEN reg.cccd IS NULL THEN 'unmatched' ELSE 'matched' END AS status,
                   reg.cccd AS registry_cccd, []::VARCHAR[] AS reasons
            FROM c LEFT JOIN reg USING (cluster_id) WHERE c.source_dataset = 'land'
        ) TO '{out}' (FORMAT parquet)
        """
    )


def _score(ws: Path, truth: Path, results: Path | None) -> AuthScore:
    con = duckdb.connect(str(ws), read_only=True)
    if results is not None:
        con.execute(f"CREATE TEMP VIEW bench_result AS SELECT * FROM '{results}'")
    return score_authentication(con, truth, "bench_result" if results else "auth_result")


def _row(name: str, m: dict[str, float], s: AuthScore) -> str:
    return (
        f"| {name} | {m['seconds']:.1f} | {m['peak_mib']:,.0f} | {s.accepted:,} | "
        f"{s.accepted - s.accepted_correct:,} | {s.precision:.4%} | {s.recall:.4%} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("truth", type=Path)
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument("--only", choices=["exact", "splink"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    ws, truth = args.workspace, args.truth
    if args.only == "exact":
        exact_join(ws, ws.with_suffix(".exact.parquet"))
        return
    if args.only == "splink":
        splink_alone(ws, ws.with_suffix(".splink.parquet"))
        return
    me = [sys.executable, "-m", "bench.bench_auth", str(ws), str(truth), "--only"]
    rows = [
        "| method | wall time (s) | peak RSS (MiB) | linked | wrong links | precision | recall |"
    ]
    rows.append("|---|---:|---:|---:|---:|---:|---:|")
    m = measure(*me, "exact")
    rows.append(_row("(a) exact-ID join", m, _score(ws, truth, ws.with_suffix(".exact.parquet"))))
    if not args.skip_splink:
        m = measure(*me, "splink")
        s = _score(ws, truth, ws.with_suffix(".splink.parquet"))
        rows.append(_row("(b) Splink alone, standard configuration", m, s))
    m = measure(*landclean("run", str(ws), "--stages", "authenticate"))
    cascade = _score(ws, truth, None)
    rows.append(_row("cascade (landclean authenticate; first run, trains the model)", m, cascade))
    print("\n".join(rows), flush=True)
    print(
        f"\nCascade: {cascade.by_status}; reason agrees for {cascade.reason_agreement:.2%} of "
        f"{cascade.users:,} users; review: {cascade.review:,} "
        f"({cascade.review_with_truth_first:,} with the right person first).\n"
    )
    print(confusion_markdown(cascade))
    con = duckdb.connect(str(ws), read_only=True)
    print("\nStage timings of the first run (s): " + str(_seconds(con)))
    con.close()
    again = measure(*landclean("run", str(ws), "--stages", "authenticate"))
    con = duckdb.connect(str(ws))
    t = time.perf_counter()
    con.execute(
        "UPDATE party SET full_name = full_name || ' ' WHERE party_id IN "
        "(SELECT party_id FROM auth_result ORDER BY hash(party_id) LIMIT 10000)"
    )
    con.close()
    changed = measure(*landclean("run", str(ws), "--stages", "authenticate"))
    print(
        f"\nIncremental: nothing changed {again['seconds']:.1f} s ({again['peak_mib']:,.0f} MiB); "
        f"10,000 users changed {changed['seconds']:.1f} s ({changed['peak_mib']:,.0f} MiB) "
        f"[update {time.perf_counter() - t:.1f} s]"
    )
    # a stricter operating point: auto-accept only from match probability 0.99999
    os.environ["LANDCLEAN_AUTH_ACCEPT"] = os.environ["LANDCLEAN_AUTH_ACCEPT_SOLE"] = "0.99999"
    strict = measure(*landclean("run", str(ws), "--stages", "authenticate"))
    print("\nStricter bands (accept at 0.99999; every user recomputed, model reused):")
    print(rows[0] + "\n" + rows[1])
    print(_row("cascade, accept ≥ 0.99999", strict, _score(ws, truth, None)))


def _seconds(con: duckdb.DuckDBPyConnection) -> str:
    row = con.execute(
        "SELECT stage_seconds FROM pipeline_run ORDER BY run_id DESC LIMIT 1"
    ).fetchone()
    return str(row[0]) if row else "?"


if __name__ == "__main__":
    main()
