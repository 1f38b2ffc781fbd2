"""The population service's verdicts as authentication results (docs/registry-service.md).

A land user whose values as they are now were sent to the service and answered
(``registry_service``) gets the service's word, with the same statuses and reason codes
as the local cascade; the cascade, run first, supplies the candidates and the proposed
corrections the verdict alone cannot:

- **found, everything agrees** → matched;
- **found, something differs** → ``name_differs`` (``tone_encoding_variant`` when the
  cascade linked the same person for that reason), ``birth_date_differs``
  (``day_month_swapped`` likewise), ``sex_differs``, ``old_id_card`` when only the
  9-digit CMND was sent.  The registry's value is proposed: the service's when it
  returns it, else the local extract's for the same person.  Every difference with a
  proposal → matched_after_correction; otherwise review;
- **not found** → ``not_in_registry`` with the cascade's ID reasons (a digit wrong, two
  swapped …); review when the cascade found another registry person to propose, else
  unmatched.

The result's method is ``service``.  A verdict given for other values (the record was
corrected since) no longer counts: the user is authenticated by the cascade alone and
"changed" for the next request.
"""

from __future__ import annotations

import duckdb

from landclean.registry_service.batches import CURRENT_VERDICTS_SQL, current_sql
from landclean.registry_service.protocol import Protocol

# The columns au_input carries from the applicable verdict (NULL: none).
NO_VERDICTS_SQL = """
SELECT NULL::VARCHAR AS party_id, NULL::BIGINT AS verdict_id, NULL::BOOLEAN AS found,
       NULL::BOOLEAN AS name_match, NULL::BOOLEAN AS birth_match, NULL::BOOLEAN AS sex_match,
       NULL::VARCHAR AS registry_id, NULL::VARCHAR AS registry_name,
       NULL::DATE AS registry_birth, NULL::VARCHAR AS sent_id
WHERE false
"""

ID_REASONS = "['wrong_id_digit', 'swapped_digits', 'old_id_card']"

OVERLAY_SQL = f"""
CREATE OR REPLACE TEMP TABLE au_verdict AS
WITH x AS (
    SELECT a.*, i.v_found, i.v_name_match, i.v_birth_match, i.v_sex_match,
           i.v_registry_name, i.v_registry_birth, i.v_sent_id,
           coalesce(i.v_registry_id, i.v_sent_id) AS person
    FROM auth_result a JOIN au_input i USING (party_id) JOIN au_todo USING (party_id)
    WHERE i.verdict_id IS NOT NULL
),
y AS (
    SELECT x.*, coalesce(x.person, x.registry_cccd) AS cccd,
           x.registry_cccd IS NOT NULL
               AND x.registry_cccd = coalesce(x.person, x.registry_cccd) AS same
    FROM x
),
found AS (
    SELECT y.party_id, y.cccd,
        list_filter([
            CASE WHEN y.v_sent_id IS NULL THEN 'old_id_card' END,
            CASE WHEN NOT y.v_name_match THEN
                CASE WHEN y.same AND list_contains(y.reasons, 'tone_encoding_variant')
                     THEN 'tone_encoding_variant' ELSE 'name_differs' END END,
            CASE WHEN NOT y.v_birth_match THEN
                CASE WHEN y.same AND list_contains(y.reasons, 'day_month_swapped')
                     THEN 'day_month_swapped' ELSE 'birth_date_differs' END END,
            CASE WHEN NOT y.v_sex_match THEN 'sex_differs' END
        ], r -> r IS NOT NULL) AS reasons,
        CASE WHEN y.v_sent_id IS NULL THEN y.cccd END AS proposed_id,
        CASE WHEN NOT y.v_name_match THEN coalesce(y.v_registry_name, r.full_name) END
            AS proposed_name,
        CASE WHEN NOT y.v_birth_match THEN coalesce(y.v_registry_birth, r.birth_date) END
            AS proposed_birth,
        y.v_sex_match
    FROM y LEFT JOIN auth_registry r ON r.cccd = y.cccd
    WHERE y.v_found
)
SELECT party_id,
    CASE WHEN len(reasons) = 0 THEN 'matched'
         WHEN (NOT list_contains(reasons, 'old_id_card') OR proposed_id IS NOT NULL)
              AND (NOT list_has_any(reasons, ['name_differs', 'tone_encoding_variant'])
                   OR proposed_name IS NOT NULL)
              AND (NOT list_has_any(reasons, ['birth_date_differs', 'day_month_swapped'])
                   OR proposed_birth IS NOT NULL)
              AND v_sex_match IS NOT FALSE
         THEN 'matched_after_correction' ELSE 'review' END AS status,
    reasons, cccd, proposed_id, proposed_name, proposed_birth
FROM found
UNION ALL
SELECT party_id, CASE WHEN other THEN 'review' ELSE 'unmatched' END,
    ['not_in_registry'] || list_filter(reasons, r -> list_contains({ID_REASONS}, r)),
    CASE WHEN other THEN registry_cccd END,
    CASE WHEN other THEN coalesce(proposed_id, registry_cccd) END,
    CASE WHEN other THEN proposed_name END,
    CASE WHEN other THEN proposed_birth END
FROM (SELECT y.*, y.status <> 'unmatched' AND y.registry_cccd IS NOT NULL
              AND y.registry_cccd IS DISTINCT FROM y.v_sent_id AS other
      FROM y WHERE NOT y.v_found) n;
UPDATE auth_result SET status = o.status, reason = o.reasons[1], reasons = o.reasons,
       registry_cccd = o.cccd, method = 'service', proposed_id = o.proposed_id,
       proposed_name = o.proposed_name, proposed_birth = o.proposed_birth
FROM au_verdict o WHERE auth_result.party_id = o.party_id;
DROP TABLE au_verdict;
"""


def has_verdicts(con: duckdb.DuckDBPyConnection) -> bool:
    return con.execute("SELECT 1 FROM registry_verdict LIMIT 1").fetchone() is not None


def verdicts_sql(con: duckdb.DuckDBPyConnection, protocol: Protocol, only: str | None) -> str:
    """SQL of the verdict that counts for each land user (``only``: SQL of the party_id of
    the users looked at): the newest for the values the service would be sent now."""
    if not has_verdicts(con):
        return NO_VERDICTS_SQL
    where = f"AND party_id IN ({only})" if only else ""
    return (
        "SELECT c.party_id, v.verdict_id, v.found, v.name_match, v.birth_match, v.sex_match, "
        "v.registry_id, v.registry_name, v.registry_birth, c.id_number AS sent_id "
        f"FROM ({current_sql(protocol, where)}) c JOIN ({CURRENT_VERDICTS_SQL}) v "
        "ON v.party_id = c.party_id AND v.sent_hash = c.sent_hash WHERE v.error_code IS NULL"
    )


def overlay(con: duckdb.DuckDBPyConnection) -> None:
    """The recomputed users' results (``au_todo``) given the service's word where a
    verdict counts for them (``au_input``'s ``v_*`` columns)."""
    con.execute(OVERLAY_SQL)
