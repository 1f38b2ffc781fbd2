"""Classify every parcel: group 1 usable, 2 needs work, 3 unusable (rebuild).

The mapping is data: each rule carries the group an open finding implies
(``group_impact``), and a land user who is not matched with the population registry
puts the parcel in group 2 ("needs authentication").  The worst group wins.  A province
may override any of it with a CSV file (``LANDCLEAN_CLASSIFICATION``): columns
``rule_id,group``, where the rule ``AUTHENTICATION`` stands for unmatched land users.
"""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb

from landclean.errors import PipelineError
from landclean.rules.catalogue import CATALOGUE
from landclean.stage import Stage, StageContext, StageReport

AUTHENTICATION = "AUTHENTICATION"


def read_mapping(path: Path | None = None) -> tuple[dict[str, int], list[PipelineError]]:
    """The mapping (see ``group_mapping``) and every problem of the file at ``path``."""
    mapping = {r.rule_id: r.group_impact for r in CATALOGUE} | {AUTHENTICATION: 2}
    if path is None:
        return mapping, []
    try:
        with path.open(encoding="utf-8-sig", newline="") as f:
            rows = list(csv.DictReader(f))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        return mapping, [PipelineError("classification_unreadable", path=path, reason=exc)]
    if not rows or not {"rule_id", "group"} <= set(rows[0]):
        return mapping, [PipelineError("classification_columns", path=path)]
    problems: list[PipelineError] = []
    seen: dict[str, int] = {}  # rule -> the row that set it
    for line, row in enumerate(rows, start=2):
        rule_id, group = (row["rule_id"] or "").strip(), (row["group"] or "").strip()
        if rule_id not in mapping:
            problems.append(PipelineError("classification_rule", path=path, row=line, rule=rule_id))
        elif group not in ("1", "2", "3"):
            problems.append(PipelineError("classification_group", path=path, row=line, group=group))
        elif rule_id in seen:  # which one was meant is not ours to guess
            problems.append(
                PipelineError(
                    "classification_twice", path=path, row=line, rule=rule_id, first=seen[rule_id]
                )
            )
        else:
            seen[rule_id] = line
            mapping[rule_id] = int(group)
    return mapping, problems


def group_mapping(path: Path | None = None) -> dict[str, int]:
    """Rule -> group an open finding implies (and AUTHENTICATION -> group of a parcel
    with an unmatched user): the catalogue's defaults, overridden by the CSV at ``path``.
    Raises ``PipelineError`` naming the file's first problem (preflight lists them all)."""
    mapping, problems = read_mapping(path)
    if problems:
        raise problems[0]
    return mapping


CLASSIFY_SQL = """
INSERT INTO parcel_group
WITH impact AS (SELECT * FROM rule_impact),
open_findings AS (
    SELECT f.record_type, f.record_id, f.parcel_id, i.grp
    FROM finding f JOIN impact i USING (rule_id) WHERE f.state = 'open'
),
finding_parcels AS (   -- a certificate's or a party's finding concerns all their parcels
    SELECT parcel_id, grp FROM open_findings WHERE record_type = 'parcel'
    UNION ALL
    SELECT cp.parcel_id, o.grp FROM open_findings o
    JOIN certificate_parcel cp ON o.record_type = 'certificate' AND cp.certificate_id = o.record_id
    UNION ALL
    SELECT r.parcel_id, o.grp FROM open_findings o
    JOIN land_right r ON o.record_type = 'party' AND r.party_id = o.record_id
),
from_findings AS (SELECT parcel_id, max(grp) AS grp FROM finding_parcels GROUP BY parcel_id),
from_auth AS (
    SELECT DISTINCT r.parcel_id,
           (SELECT grp FROM rule_impact WHERE rule_id = 'AUTHENTICATION') AS grp
    FROM land_right r JOIN auth_result a USING (party_id)
    WHERE a.status <> 'matched'
)
SELECT p.parcel_id, greatest(1, COALESCE(ff.grp, 1), COALESCE(fa.grp, 1)), ?
FROM parcel p
LEFT JOIN from_findings ff USING (parcel_id)
LEFT JOIN from_auth fa USING (parcel_id)
"""


def classify(
    con: duckdb.DuckDBPyConnection, run_id: int, mapping: dict[str, int] | None = None
) -> dict[int, int]:
    """Recompute parcel groups (call inside a transaction); returns counts per group."""
    mapping = mapping or group_mapping()
    con.execute("CREATE OR REPLACE TEMP TABLE rule_impact (rule_id VARCHAR, grp INTEGER)")
    con.executemany("INSERT INTO rule_impact VALUES (?, ?)", [list(kv) for kv in mapping.items()])
    con.execute("DELETE FROM parcel_group")
    con.execute(CLASSIFY_SQL, [run_id])
    rows = con.execute("SELECT grp, count(*) FROM parcel_group GROUP BY grp").fetchall()
    return {int(g): int(n) for g, n in rows}


def run(ctx: StageContext) -> StageReport:
    groups = classify(ctx.con, ctx.run_id, group_mapping(ctx.settings.classification))
    return StageReport("classify", {f"group{g}": n for g, n in sorted(groups.items())})


STAGE = Stage(
    name="classify",
    summary="every parcel's group: 1 usable, 2 needs work, 3 unusable",
    reads=("parcel", "finding", "certificate_parcel", "land_right", "auth_result"),
    owns=("parcel_group",),
    run=run,
)
