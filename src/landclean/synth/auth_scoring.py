"""Score authentication against a synthetic province's truth.

The true registry person of a land user is the CCCD of the person behind the party
(truth/parties → truth/persons), unless that person was left out of the registry
(defect ``registry_absent``).  A link is correct when it names that CCCD.

* precision of auto-accepted links: correct among users matched (with or without
  correction);
* recall over users truly in the registry: users matched to the right person among all
  users whose person is in the registry;
* reason agreement: a user agrees when every code expected from their injected defects
  is among their reasons and no unexpected code is (``EXPECTED_REASONS``; a defect
  without an entry expects nothing).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

# injected defect -> reason codes that name it (any one of them)
EXPECTED_REASONS: dict[str, tuple[str, ...]] = {
    "id_wrong_digit": ("wrong_id_digit",),
    "id_swapped_digits": ("swapped_digits",),
    "id_old_cmnd": ("old_id_card",),
    "id_missing": ("missing_id",),
    "id_birth_mismatch": ("wrong_id_digit", "id_differs"),
    "id_wrong_length": ("id_differs",),
    "id_unknown_province": ("wrong_id_digit", "id_differs"),
    "id_shared": ("id_differs",),
    "name_nfd": ("tone_encoding_variant",),
    "name_tone_placement": ("tone_encoding_variant",),
    "name_tcvn3_mojibake": ("tone_encoding_variant",),
    "name_vni_mojibake": ("tone_encoding_variant",),
    "name_middle_missing": ("name_differs",),
    # half of the generator's misspellings only drop or add a tone (Thị → Thi)
    "name_middle_misspelled": ("name_differs", "tone_encoding_variant"),
    "name_ede_reversed": ("name_differs",),
    "name_missing": ("name_differs",),
    "birth_day_month_swapped": ("day_month_swapped",),
    "birth_missing": ("birth_date_missing",),
    "birth_impossible": ("birth_date_differs",),
    "registry_absent": ("not_in_registry",),
}

TRUTH_SQL = """
CREATE OR REPLACE TEMP TABLE auth_truth AS
WITH absent AS (
    SELECT record_id AS person_id FROM read_parquet('{truth}/defects.parquet')
    WHERE defect = 'registry_absent'
),
tagged AS (     -- each party's defects: its own and its person's
    SELECT p.party_id, p.person_id, p.id_number, d.defect
    FROM read_parquet('{truth}/parties.parquet') p
    JOIN read_parquet('{truth}/defects.parquet') d
      ON d.record_type = 'party' AND d.record_id = p.party_id
    UNION ALL
    SELECT p.party_id, p.person_id, p.id_number, d.defect
    FROM read_parquet('{truth}/parties.parquet') p
    JOIN read_parquet('{truth}/defects.parquet') d
      ON d.record_type = 'person' AND d.record_id = p.person_id
),
defects AS (   -- a person absent from the registry can only be "not in registry";
               -- of the parties sharing an ID, its owner has no ID defect
    SELECT t.party_id,
           CASE WHEN bool_or(t.defect = 'registry_absent') THEN ['registry_absent']
                ELSE list(DISTINCT t.defect) FILTER (
                    t.defect <> 'id_shared'
                    OR regexp_replace(t.id_number, '[^0-9]', '', 'g') <> s.cccd) END
               AS defects
    FROM tagged t JOIN read_parquet('{truth}/persons.parquet') s USING (person_id)
    GROUP BY t.party_id
)
SELECT p.party_id,
       CASE WHEN a.person_id IS NULL THEN s.cccd END AS true_cccd,
       coalesce(d.defects, []) AS defects
FROM read_parquet('{truth}/parties.parquet') p
JOIN read_parquet('{truth}/persons.parquet') s USING (person_id)
LEFT JOIN absent a USING (person_id)
LEFT JOIN defects d USING (party_id)
WHERE p.party_type IN ('individual', 'household')
"""


@dataclass
class AuthScore:
    users: int
    in_registry: int
    accepted: int
    accepted_correct: int
    recall_hits: int
    review: int
    review_with_truth_first: int
    reason_agree: int
    by_status: dict[str, int]
    by_defect: list[tuple[str, int, int, int]]  # defect, users, agreeing, matched right

    @property
    def precision(self) -> float:
        return self.accepted_correct / self.accepted if self.accepted else 1.0

    @property
    def recall(self) -> float:
        return self.recall_hits / self.in_registry if self.in_registry else 1.0

    @property
    def reason_agreement(self) -> float:
        return self.reason_agree / self.users if self.users else 1.0


def _expected_sql() -> str:
    rows = ", ".join(
        f"('{d}', [{', '.join(repr(c) for c in codes)}])" for d, codes in EXPECTED_REASONS.items()
    )
    return f"SELECT * FROM (VALUES {rows}) t(defect, codes)"


def score_authentication(
    con: duckdb.DuckDBPyConnection, truth: Path, results: str = "auth_result"
) -> AuthScore:
    """Compare ``results`` (party_id, status, registry_cccd, reasons) with the truth."""
    con.execute(TRUTH_SQL.format(truth=truth))
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE auth_scored AS
        WITH e AS ({_expected_sql()}),
        per_user AS (   -- the codes each defect of the user allows, and those it needs
            SELECT t.party_id, list(e.codes) AS needs
            FROM auth_truth t, unnest(t.defects) AS d(defect) JOIN e USING (defect)
            GROUP BY t.party_id
        )
        SELECT t.party_id, t.true_cccd, t.defects, a.status, a.registry_cccd,
               coalesce(a.reasons, []) AS reasons,
               a.status IN ('matched', 'matched_after_correction') AS accepted,
               coalesce(list_bool_and(list_transform(coalesce(n.needs, []),
                   c -> len(list_intersect(c, coalesce(a.reasons, []))) > 0)), true)
               AND coalesce(list_bool_and(list_transform(coalesce(a.reasons, []),
                   r -> r = 'several_candidates'
                        OR list_contains(flatten(coalesce(n.needs, [])), r))), true)
               AS agrees
        FROM auth_truth t LEFT JOIN {results} a USING (party_id)
        LEFT JOIN per_user n USING (party_id)
        """
    )
    row = con.execute(
        """
        SELECT count(*), count(true_cccd),
               count(*) FILTER (accepted),
               count(*) FILTER (accepted AND registry_cccd = true_cccd),
               count(*) FILTER (accepted AND registry_cccd = true_cccd
                                AND true_cccd IS NOT NULL),
               count(*) FILTER (status = 'review'),
               count(*) FILTER (status = 'review' AND registry_cccd = true_cccd),
               count(*) FILTER (agrees)
        FROM auth_scored
        """
    ).fetchone()
    assert row is not None
    by_status = dict(
        con.execute(
            "SELECT coalesce(status, 'missing'), count(*) FROM auth_scored GROUP BY 1"
        ).fetchall()
    )
    by_defect = con.execute(
        """
        SELECT d, count(*), count(*) FILTER (agrees),
               count(*) FILTER (accepted AND registry_cccd = true_cccd)
        FROM auth_scored, unnest(defects) AS u(d) GROUP BY d ORDER BY d
        """
    ).fetchall()
    return AuthScore(
        users=int(row[0]),
        in_registry=int(row[1]),
        accepted=int(row[2]),
        accepted_correct=int(row[3]),
        recall_hits=int(row[4]),
        review=int(row[5]),
        review_with_truth_first=int(row[6]),
        reason_agree=int(row[7]),
        by_status={str(k): int(v) for k, v in by_status.items()},
        by_defect=[(str(d), int(n), int(a), int(m)) for d, n, a, m in by_defect],
    )


def confusion_markdown(score: AuthScore) -> str:
    """The per-defect table for bench/RESULTS.md."""
    lines = [
        "| injected defect | users | reason agrees | matched to the right person |",
        "|---|---:|---:|---:|",
    ]
    for d, n, agree, right in score.by_defect:
        lines.append(f"| {d} | {n:,} | {agree / n:.1%} | {right / n:.1%} |")
    return "\n".join(lines)
