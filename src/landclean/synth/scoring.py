"""Score the rule catalogue against a synthetic province's truth: a confusion table.

Each rule is paired with the defect type it must find.  A finding on a record that
carries that defect is a true positive, a finding on any other record a false positive,
a defective record without a finding a false negative.  Certificate identities differ
between the generator and the workspace (the workspace keys a certificate by what is
printed on it), so certificate rules are compared through the parcels they cover.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb

# rule -> the injected defect it must find (truth/defects.parquet)
RULE_DEFECT: dict[str, str] = {
    "PARCEL_MISSING_SHEET": "parcel_missing_sheet",
    "PARCEL_MISSING_GEOMETRY": "parcel_missing_geometry",
    "PARCEL_INVALID_GEOMETRY": "parcel_self_intersection",
    "PARCEL_OVERLAP": "parcel_overlap",
    "PARCEL_SLIVER": "parcel_sliver",
    "PARCEL_OUTSIDE_COMMUNE": "parcel_outside_commune",
    "PARCEL_NO_OWNER": "parcel_no_owner",
    "PARCEL_DUPLICATE_NUMBER": "parcel_duplicate_number",
    "PARCEL_MISSING_AREA": "parcel_missing_area",
    "PARCEL_AREA_IMPLAUSIBLE": "parcel_area_implausible",
    "PARCEL_MISSING_LAND_USE": "parcel_missing_land_use",
    "LAND_USE_INVALID_CODE": "parcel_invalid_land_use",
    "AREA_MISMATCH": "parcel_area_mismatch",
    "ASSET_ON_NON_RESIDENTIAL": "asset_on_non_residential",
    "RIGHT_SHARES_NOT_ONE": "right_shares_not_one",
    "CERT_SERIAL_FORMAT": "certificate_malformed_serial",
    "CERT_MISSING_SERIAL": "certificate_missing_serial",
    "CERT_DUPLICATE_SERIAL": "certificate_duplicate_serial",
    "CERT_BOOK_ENTRY_FORMAT": "certificate_bad_book_entry",
    "CERT_NO_DIGITAL_DATA": "certificate_no_digital_data",
    "CERT_RIGHTS_MISMATCH": "certificate_rights_mismatch",
    "PARTY_MISSING_NAME": "name_missing",
    "PARTY_MISSING_ID": "id_missing",
    "PARTY_MISSING_BIRTH": "birth_missing",
    "PARTY_ID_WRONG_LENGTH": "id_wrong_length",
    "PARTY_ID_UNKNOWN_PROVINCE": "id_unknown_province",
    "PARTY_ID_BIRTH_MISMATCH": "id_birth_mismatch",
    "PARTY_IMPOSSIBLE_BIRTH_DATE": "birth_impossible",
    "PARTY_SAME_ID_DIFFERENT_PEOPLE": "id_shared",
    "PARTY_DUPLICATE": "party_duplicate",
    "SHEET_GAP": "sheet_gap",
}


@dataclass(frozen=True)
class RuleScore:
    rule_id: str
    defect: str
    true_positive: int
    false_positive: int
    false_negative: int

    @property
    def recall(self) -> float:
        found = self.true_positive + self.false_negative
        return self.true_positive / found if found else 1.0

    @property
    def precision(self) -> float:
        flagged = self.true_positive + self.false_positive
        return self.true_positive / flagged if flagged else 1.0


# The truth's parcel behind each workspace parcel: the same id, or (files keyed by old
# commune + scale + sheet + parcel number, without the land system's code) the truth
# parcel with that old commune, scale, sheet and number.
TRUTH_PARCEL_SQL = """
CREATE OR REPLACE TEMP TABLE truth_parcel_id AS
SELECT p.parcel_id AS ws_id, t.parcel_id AS truth_id
FROM parcel p JOIN '{parcels}' t ON t.parcel_id = p.parcel_id
UNION ALL
SELECT p.parcel_id, t.parcel_id
FROM parcel p JOIN '{parcels}' t
  ON t.old_unit_code = p.old_unit_code AND t.scale = p.scale AND t.sheet_no = p.sheet_no
 AND t.parcel_no = p.parcel_no
WHERE p.parcel_id NOT IN (SELECT parcel_id FROM '{parcels}')
"""


def _sets(con: duckdb.DuckDBPyConnection, rule_id: str, defect: str, truth: Path) -> str:
    defects = f"'{truth / 'defects.parquet'}'"
    if defect.startswith("certificate_"):
        return f"""
        found AS (SELECT DISTINCT COALESCE(x.truth_id, cp.parcel_id) AS id FROM finding f
                  JOIN certificate_parcel cp ON cp.certificate_id = f.record_id
                  LEFT JOIN truth_parcel_id x ON x.ws_id = cp.parcel_id
                  WHERE f.rule_id = '{rule_id}' AND f.state = 'open'),
        truth AS (SELECT DISTINCT c.parcel_id AS id FROM {defects} d
                  JOIN '{truth / "certificates.parquet"}' c ON c.certificate_id = d.record_id
                  WHERE d.defect = '{defect}')"""
    return f"""
        found AS (SELECT DISTINCT COALESCE(x.truth_id, f.record_id) AS id FROM finding f
                  LEFT JOIN truth_parcel_id x ON x.ws_id = f.record_id
                  WHERE f.rule_id = '{rule_id}' AND f.state = 'open'),
        truth AS (SELECT DISTINCT record_id AS id FROM {defects} WHERE defect = '{defect}')"""


def score_rules(con: duckdb.DuckDBPyConnection, truth: Path) -> list[RuleScore]:
    """The confusion counts of every paired rule, from the workspace's open findings."""
    con.execute(TRUTH_PARCEL_SQL.format(parcels=truth / "parcels.parquet"))
    scores = []
    for rule_id, defect in RULE_DEFECT.items():
        row = con.execute(
            f"""WITH {_sets(con, rule_id, defect, truth)}
            SELECT (SELECT count(*) FROM found WHERE id IN (SELECT id FROM truth)),
                   (SELECT count(*) FROM found WHERE id NOT IN (SELECT id FROM truth)),
                   (SELECT count(*) FROM truth WHERE id NOT IN (SELECT id FROM found))"""
        ).fetchone()
        assert row is not None
        scores.append(RuleScore(rule_id, defect, int(row[0]), int(row[1]), int(row[2])))
    return scores


def confusion_markdown(scores: list[RuleScore]) -> str:
    """The confusion table as Markdown, for bench/RESULTS.md."""
    lines = [
        "| rule | injected defect | true pos. | false pos. | false neg. | recall | precision |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for s in scores:
        lines.append(
            f"| {s.rule_id} | {s.defect} | {s.true_positive:,} | {s.false_positive:,} | "
            f"{s.false_negative:,} | {s.recall:.2%} | {s.precision:.2%} |"
        )
    return "\n".join(lines)
