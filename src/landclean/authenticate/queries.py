"""The SQL of the authentication cascade (``authenticate.cascade`` runs it).

Temp tables ``au_*`` live for one run: the users to (re)compute with their keys, the
exact matches, the candidate pairs, Splink's scores; then ``auth_result`` and
``auth_candidate`` are written.  Name keys come from ``vn.names``, ID helpers from
``vn.citizen_id`` (macros registered on every connection).
"""

from __future__ import annotations

USER_INPUT_SQL = """
CREATE OR REPLACE TEMP TABLE au_input AS
WITH uc AS (   -- a place to look for a land user: the lowest new commune of their parcels
    SELECT r.party_id, min(p.unit_code) AS commune
    FROM land_right r JOIN parcel p USING (parcel_id) {only_rights} GROUP BY r.party_id
)
SELECT p.party_id, p.full_name, p.full_name_raw,
       CASE WHEN p.birth_precision = 'day' THEN p.birth_date END AS birth_date,
       CASE WHEN p.birth_precision IN ('day', 'year') THEN p.birth_year END AS birth_year,
       nullif(regexp_replace(coalesce(p.id_number, ''), '[^0-9]', '', 'g'), '') AS id_number,
       uc.commune,
       v.verdict_id, v.found AS v_found, v.name_match AS v_name_match,
       v.birth_match AS v_birth_match, v.sex_match AS v_sex_match,
       v.registry_id AS v_registry_id, v.registry_name AS v_registry_name,
       v.registry_birth AS v_registry_birth, v.sent_id AS v_sent_id,
       CASE WHEN v.verdict_id IS NULL   -- (results computed before verdicts keep theirs)
            THEN hash(p.full_name, p.full_name_raw, p.birth_date, p.birth_year,
                      p.birth_precision, p.id_number, uc.commune, $bands, k.cccd)
            ELSE hash(p.full_name, p.full_name_raw, p.birth_date, p.birth_year,
                      p.birth_precision, p.id_number, uc.commune, $bands, k.cccd,
                      v.verdict_id) END AS input_hash
FROM party p LEFT JOIN uc USING (party_id)
LEFT JOIN ({cards}) k USING (party_id)   -- an ID card that confirms the user (evidence)
LEFT JOIN ({verdicts}) v USING (party_id)   -- the population service's verdict, if any
WHERE p.party_type IN ('individual', 'household') {only_parties}
"""

REGISTRY_SQL = """
CREATE OR REPLACE TEMP TABLE au_reg_commune AS
SELECT cccd, any_value(a.code) AS commune
FROM (SELECT cccd, trim(unnest(string_split(address, ','))) AS part
      FROM registry_person WHERE cccd IS NOT NULL) s
JOIN admin_unit a ON a.name = s.part
GROUP BY cccd;
DELETE FROM auth_registry;
INSERT INTO auth_registry
WITH r AS (
    SELECT * FROM registry_person WHERE cccd IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY cccd ORDER BY source_batch DESC, source_row) = 1
),
k AS ({keys})
SELECT r.cccd, nullif(r.cmnd, ''), r.full_name, k.nfc, k.tone, k.ascii, k.tokens,
       k.family, k.given, k.given_tone, string_split(k.given, ' ')[-1],
       r.birth_date, year(r.birth_date), right(r.cccd, 6), c.commune
FROM r LEFT JOIN k ON k.name = r.full_name LEFT JOIN au_reg_commune c USING (cccd);
DROP TABLE au_reg_commune;
"""

USER_KEYS_SQL = """
CREATE OR REPLACE TEMP TABLE au_user AS
WITH k AS ({keys})
SELECT i.*, k.nfc, k.tone, k.ascii, k.tokens, k.family, k.given, k.given_tone,
       string_split(k.given, ' ')[-1] AS given_last,
       try(make_date(year(i.birth_date), day(i.birth_date), month(i.birth_date)))
           AS birth_swapped,
       regexp_replace(trim(coalesce(i.full_name_raw, '')), '\\s+', ' ', 'g')
           IS DISTINCT FROM coalesce(i.full_name, '') AS name_repaired
FROM au_todo t JOIN au_input i USING (party_id) LEFT JOIN k ON k.name = i.full_name
"""

EXACT_SQL = """
CREATE OR REPLACE TEMP TABLE au_exact AS
SELECT u.party_id,
       arg_min(r.cccd, r.cccd) AS cccd,
       bool_or(u.tone = r.tone AND (u.birth_date = r.birth_date
            OR (u.birth_date IS NULL AND (u.birth_year IS NULL
                                          OR u.birth_year = r.birth_year)))) AS agrees
FROM au_user u JOIN auth_registry r ON r.cccd = u.id_number
WHERE (u.tone = r.tone OR u.ascii = r.ascii)   -- the ID and the name agree, and the
  AND (u.birth_year IS NULL                     -- birth too, or the recorded date
       OR u.birth_date = r.birth_date           -- cannot be (born in the future)
       OR (u.birth_date IS NULL AND u.birth_year = r.birth_year)
       OR u.birth_year > year(current_date))
GROUP BY u.party_id
"""

CANDIDATES_SQL = """
CREATE OR REPLACE TEMP TABLE au_pair AS
WITH u AS (SELECT * FROM au_user WHERE party_id NOT IN (SELECT party_id FROM au_exact)),
ids AS (SELECT party_id, id_number AS id FROM u WHERE id_number IS NOT NULL),
variants AS (
    SELECT party_id, substr(id, 1, i - 1) || d || substr(id, i + 1) AS v, 'id_digit' AS via
    FROM ids, range(1, 13) t(i), (SELECT range::VARCHAR AS d FROM range(10)) s
    WHERE length(id) = 12 AND substr(id, i, 1) <> d
    UNION ALL
    SELECT party_id, substr(id, 1, i - 1) || substr(id, i + 1, 1) || substr(id, i, 1)
                     || substr(id, i + 2), 'id_swap'
    FROM ids, range(1, 12) t(i)
    WHERE length(id) = 12 AND substr(id, i, 1) <> substr(id, i + 1, 1)
    UNION ALL
    SELECT party_id, substr(id, 1, i - 1) || substr(id, i + 1), 'id_length'
    FROM ids, range(1, 14) t(i) WHERE length(id) = 13
    UNION ALL
    SELECT party_id, substr(id, 1, i - 1) || d || substr(id, i), 'id_length'
    FROM ids, range(1, 13) t(i), (SELECT range::VARCHAR AS d FROM range(10)) s
    WHERE length(id) = 11
),
c AS (
    SELECT u.party_id, r.cccd, 'id' AS via
    FROM u JOIN auth_registry r ON r.cccd = u.id_number
    UNION ALL
    SELECT v.party_id, r.cccd, v.via FROM variants v JOIN auth_registry r ON r.cccd = v.v
    UNION ALL
    SELECT u.party_id, r.cccd, 'cmnd' FROM u JOIN auth_registry r ON r.cmnd = u.id_number
    UNION ALL
    SELECT u.party_id, r.cccd, 'name_birth'
    FROM u JOIN auth_registry r ON r.tokens = u.tokens AND r.birth_date = u.birth_date
    UNION ALL
    SELECT u.party_id, r.cccd, 'name_birth_swapped'
    FROM u JOIN auth_registry r ON r.tokens = u.tokens AND r.birth_date = u.birth_swapped
    UNION ALL
    SELECT u.party_id, r.cccd, 'family_given_birth'
    FROM u JOIN auth_registry r
      ON r.family = u.family AND r.given_last = u.given_last AND r.birth_date = u.birth_date
    UNION ALL
    SELECT u.party_id, r.cccd, 'name_year_commune'
    FROM u JOIN auth_registry r
      ON r.tokens = u.tokens AND r.birth_year = u.birth_year AND r.commune = u.commune
    UNION ALL
    SELECT u.party_id, r.cccd, 'serial_birth_year'
    FROM u JOIN auth_registry r
      ON r.serial = right(u.id_number, 6) AND r.birth_year = u.birth_year
    WHERE length(u.id_number) >= 9
    UNION ALL
    SELECT u.party_id, r.cccd, 'name_commune'
    FROM u JOIN auth_registry r ON r.tokens = u.tokens AND r.commune = u.commune
    WHERE u.birth_year IS NULL AND u.id_number IS NULL
)
SELECT party_id, cccd, list(DISTINCT via ORDER BY via) AS via FROM c GROUP BY party_id, cccd
"""

# Splink's inputs: both sides carry every compared column.
SPLINK_LEFT_SQL = """
SELECT u.party_id || '|' || p.cccd AS unique_id, p.cccd AS cand, u.id_number,
       NULL::VARCHAR AS cmnd, lc_sorted_digits(u.id_number) AS id_digits, u.family, u.given,
       u.given_tone, u.birth_date, u.birth_year::BIGINT AS birth_year, u.commune
FROM au_pair p JOIN au_user u USING (party_id)
"""
SPLINK_RIGHT_SQL = """
SELECT r.cccd AS unique_id, r.cccd AS cand, r.cccd AS id_number, r.cmnd,
       lc_sorted_digits(r.cccd) AS id_digits, r.family, r.given,
       r.given_tone, r.birth_date, r.birth_year::BIGINT AS birth_year, r.commune
FROM auth_registry r WHERE r.cccd IN (SELECT DISTINCT cccd FROM au_pair)
"""
# The land users the model is trained on: chosen by a hash of the key, so that the same
# users give the same sample (and model) whatever order a parallel build left au_user in.
TRAIN_SAMPLE_SQL = """
CREATE OR REPLACE TEMP TABLE au_train_user AS
SELECT * FROM au_user ORDER BY hash(party_id, 7), party_id LIMIT {n}
"""
# The ID cards that confirm this run's users, their person still in the registry.
CARD_SQL = """
CREATE OR REPLACE TEMP TABLE au_card AS
SELECT k.party_id, k.cccd
FROM ({cards}) k JOIN au_user USING (party_id)
WHERE k.cccd IN (SELECT cccd FROM auth_registry)
"""
TRAIN_LEFT_SQL = """
SELECT party_id AS unique_id, NULL::VARCHAR AS cand, id_number, NULL::VARCHAR AS cmnd,
       lc_sorted_digits(id_number) AS id_digits, family, given, given_tone, birth_date,
       birth_year::BIGINT AS birth_year, commune
FROM au_train_user
"""
TRAIN_RIGHT_SQL = """
SELECT cccd AS unique_id, NULL::VARCHAR AS cand, cccd AS id_number, cmnd,
       lc_sorted_digits(cccd) AS id_digits, family, given,
       given_tone, birth_date, birth_year::BIGINT AS birth_year, commune
FROM auth_registry
WHERE cccd IN (SELECT id_number FROM au_train_user)
   OR cccd IN (SELECT cccd FROM auth_registry           -- chosen by the key's hash alone,
               ORDER BY hash(cccd, 7), cccd LIMIT {extra})  -- whatever the tables' order
   OR cccd IN (SELECT r.cccd FROM auth_registry r JOIN au_train_user u   -- the true person
               ON r.tokens = u.tokens AND r.birth_date = u.birth_date)   -- of a wrong ID
   OR cccd IN (SELECT r.cccd FROM auth_registry r JOIN au_train_user u
               ON r.family = u.family AND r.given_last = u.given_last
                  AND r.birth_date = u.birth_date)
"""
TF_SQL = """
SELECT {col}, count(*) / sum(count(*)) OVER () AS tf_{col}
FROM auth_registry WHERE {col} IS NOT NULL GROUP BY {col}
"""

# What differs between a land user u and a registry person r: the reason codes.
REASONS_SQL = """
list_filter([
    CASE WHEN u.id_number IS NULL THEN 'missing_id'
         WHEN u.id_number = r.cccd THEN NULL
         WHEN u.id_number = r.cmnd THEN 'old_id_card'
         WHEN length(u.id_number) = 12 AND levenshtein(u.id_number, r.cccd) = 1
              THEN 'wrong_id_digit'
         WHEN length(u.id_number) = 12 AND damerau_levenshtein(u.id_number, r.cccd) = 1
              THEN 'swapped_digits'
         ELSE 'id_differs' END,
    CASE WHEN u.nfc IS NULL THEN 'name_differs'
         WHEN u.nfc = r.nfc THEN CASE WHEN u.name_repaired THEN 'tone_encoding_variant' END
         WHEN u.tone = r.tone OR u.ascii = r.ascii THEN 'tone_encoding_variant'
         ELSE 'name_differs' END,
    CASE WHEN u.birth_year IS NULL THEN 'birth_date_missing'
         WHEN u.birth_date = r.birth_date THEN NULL
         WHEN u.birth_date IS NULL AND u.birth_year = r.birth_year THEN NULL
         WHEN u.birth_date = try(make_date(year(r.birth_date), day(r.birth_date),
                                           month(r.birth_date))) THEN 'day_month_swapped'
         ELSE 'birth_date_differs' END
], x -> x IS NOT NULL)
"""

# The registry's values where they differ: the corrections to propose.
PROPOSALS_SQL = """
CASE WHEN u.id_number IS DISTINCT FROM r.cccd THEN r.cccd END AS p1,
CASE WHEN u.nfc IS DISTINCT FROM r.nfc THEN r.full_name END AS p2,
CASE WHEN u.birth_date IS DISTINCT FROM r.birth_date
      AND NOT (u.birth_date IS NULL AND u.birth_year = r.birth_year) THEN r.birth_date END AS p3
"""

RESULT_SQL = f"""
INSERT INTO auth_result
WITH scored AS (
    SELECT p.party_id, p.cccd, p.via, s.match_weight, s.match_probability,
           row_number() OVER (PARTITION BY p.party_id
                              ORDER BY s.match_weight DESC, p.cccd) AS rank
    FROM au_pair p JOIN au_score s ON s.unique_id_l = p.party_id || '|' || p.cccd
),
best AS (
    SELECT b.party_id, b.cccd, b.match_weight, b.match_probability,
           s.match_weight AS second_weight, s.match_probability AS second_probability,
           (SELECT count(*) FROM au_pair c WHERE c.party_id = b.party_id) AS n
    FROM scored b LEFT JOIN scored s ON s.party_id = b.party_id AND s.rank = 2
    WHERE b.rank = 1
),
conflict AS (   -- the ID is in the registry but this user was not linked to it
    SELECT party_id, any_value(cccd) AS cccd FROM au_pair WHERE list_contains(via, 'id')
    GROUP BY party_id
),
decided AS (
    SELECT u.party_id,
        CASE WHEN k.cccd IS NOT NULL THEN 'id_card'
             WHEN e.agrees THEN 'exact' WHEN e.cccd IS NOT NULL THEN 'id_name'
             WHEN b.cccd IS NOT NULL THEN 'scored' ELSE 'none' END AS method,
        CASE
          WHEN k.cccd IS NOT NULL OR e.cccd IS NOT NULL THEN 'accept'
          WHEN b.match_probability >= $accept
               AND (b.second_weight IS NULL OR b.match_weight - b.second_weight >= $margin)
               THEN 'accept'
          WHEN b.match_probability >= $accept_sole
               AND coalesce(b.second_probability, 0) < 1 - $accept
               THEN 'accept'
          WHEN b.match_probability >= $review THEN 'review'
          ELSE 'reject' END AS band,
        coalesce(k.cccd, e.cccd,
                 CASE WHEN b.match_probability >= $review THEN b.cccd END, c.cccd) AS cccd,
        b.match_weight, b.match_probability,
        b.second_probability >= $review
            AND b.match_weight - b.second_weight < $margin AS several,
        coalesce(b.n, 0) + (e.cccd IS NOT NULL)::INTEGER AS n
    FROM au_user u
    LEFT JOIN au_card k USING (party_id)
    LEFT JOIN au_exact e USING (party_id)
    LEFT JOIN best b USING (party_id)
    LEFT JOIN conflict c USING (party_id)
),
described AS (
    SELECT d.*, u.input_hash,
        CASE WHEN d.method = 'id_card' THEN ['id_card_qr'] ELSE [] END ||
        CASE WHEN r.cccd IS NULL THEN
                 list_filter(['not_in_registry',
                              CASE WHEN u.id_number IS NULL THEN 'missing_id' END],
                             x -> x IS NOT NULL)
             ELSE {REASONS_SQL} END
          || CASE WHEN d.several THEN ['several_candidates'] ELSE [] END AS reasons,
        {PROPOSALS_SQL}
    FROM decided d JOIN au_user u USING (party_id)
    LEFT JOIN auth_registry r ON r.cccd = d.cccd
)
SELECT party_id,
    CASE band
      WHEN 'accept' THEN CASE WHEN len(list_filter(reasons,
                                  x -> x NOT IN ('id_card_qr', 'tone_encoding_variant',
                                                 'birth_date_missing'))) = 0
                                   AND prop_id IS NULL AND prop_name IS NULL
                              THEN 'matched' ELSE 'matched_after_correction' END
      WHEN 'review' THEN 'review'
      ELSE 'unmatched' END AS status,
    reasons[1], reasons, cccd, method, match_weight, match_probability, n,
    CASE WHEN band <> 'reject' THEN prop_id END,
    CASE WHEN band <> 'reject' THEN prop_name END,
    CASE WHEN band <> 'reject' THEN prop_birth END,
    input_hash, $run_id
FROM (SELECT * EXCLUDE (p1, p2, p3), p1 AS prop_id, p2 AS prop_name, p3 AS prop_birth
      FROM described)
ORDER BY party_id   -- (stored in key order: one land user's result read by zone map)
"""
