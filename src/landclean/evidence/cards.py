"""What an ID card's QR code proves about land users: links, statuses and proposals.

A card is read (``vn.cccd_qr``) and, when every check of its payload holds, looked for
among the land users with the authentication keys: the recorded ID number is the card's
(``id``) or its old CMND (``cmnd``), or the name (tone-insensitive key) and the birth
date are the card's (``name_birth``; the birth year where the record has only a year).

The card is first set against the population registry: the registry person of its
number has the card's name and birth date (``agrees``), other ones (``differs``), or is
not in the extract (``absent``).  Only a card the registry agrees with is trusted to say
anything about a land record; each land user found then gets a status:

* ``confirmed``: the record's ID (or old CMND) and name are the card's.  Authentication
  takes the card's person as this land user's (status matched, reason ``id_card_qr``);
* ``proposed``: one of ID and name is not the card's and the other two keys are, the
  birth date to the day (or the ID is and the name lacks a middle name, the birth year
  agreeing): the card's values are proposed;
* ``review``: anything weaker, a card the registry does not agree with, or a record
  whose own ID is a registry person's (a namesake born the same day, not a mistake):
  listed for a person to look at, nothing proposed.

For ``confirmed`` and ``proposed`` links, every field of the record the card says
otherwise (the ID, the name's spelling, the birth date; a full date where the record has
a year) becomes a correction proposal a province user approves (``edits``): evidence
proposes, people decide.
"""

from __future__ import annotations

LINK_SQL = """
CREATE OR REPLACE TEMP TABLE ev_link AS
WITH card AS (
    SELECT c.sha256, c.page, c.id_number, c.cmnd, c.full_name, c.birth_date,
           lc_tone_key(c.full_name) AS name_key
    FROM evidence_card c JOIN ev_new n USING (sha256)
    WHERE len(c.problems) = 0
),
found AS (
    SELECT c.sha256, c.page, p.party_id, 'id' AS via
    FROM card c JOIN party p ON p.id_number = c.id_number
    UNION ALL
    SELECT c.sha256, c.page, p.party_id, 'cmnd'
    FROM card c JOIN party p ON p.id_number = c.cmnd
    UNION ALL
    SELECT c.sha256, c.page, p.party_id, 'name_birth'
    FROM card c JOIN party p
      ON (p.birth_date = c.birth_date
          OR (p.birth_precision = 'year' AND p.birth_year = year(c.birth_date)))
     AND lc_tone_key(p.full_name) = c.name_key
),
candidate AS (
    SELECT sha256, page, party_id, list(DISTINCT via ORDER BY via) AS via
    FROM found GROUP BY ALL
),
registry AS (
    SELECT cccd, any_value(full_name ORDER BY source_batch DESC, source_row) AS full_name,
           any_value(birth_date ORDER BY source_batch DESC, source_row) AS birth_date
    FROM registry_person WHERE cccd IN (SELECT id_number FROM card) GROUP BY cccd
),
checked AS (
    SELECT k.sha256, k.page, k.party_id, k.via,
        CASE WHEN r.cccd IS NULL THEN 'absent'
             WHEN lc_tone_key(r.full_name) = c.name_key AND r.birth_date = c.birth_date
             THEN 'agrees' ELSE 'differs' END AS registry,
        CASE WHEN p.id_number = c.id_number THEN 'same'
             WHEN p.id_number = c.cmnd THEN 'older'
             WHEN p.id_number IS NULL THEN 'missing'
             WHEN EXISTS (SELECT 1 FROM registry_person o WHERE o.cccd = p.id_number)
             THEN 'someone' ELSE 'other' END AS id_state,
        CASE WHEN p.full_name = c.full_name THEN 'same'
             WHEN lc_tone_key(p.full_name) = c.name_key THEN 'spelling'
             WHEN list_has_all(string_split(c.name_key, ' '),
                               string_split(lc_tone_key(p.full_name), ' '))
              AND split_part(c.name_key, ' ', 1) = split_part(lc_tone_key(p.full_name), ' ', 1)
             THEN 'partial'   -- a middle name left out: "Trần Linh" for "Trần Thu Linh"
             ELSE 'other' END AS name_state,
        CASE WHEN p.birth_date = c.birth_date THEN 'same'
             WHEN p.birth_year IS NULL THEN 'missing'
             WHEN p.birth_precision = 'year' AND p.birth_year = year(c.birth_date) THEN 'year'
             ELSE 'other' END AS birth_state,
        c.id_number AS card_id, c.full_name AS card_name, c.birth_date AS card_birth
    FROM candidate k JOIN card c USING (sha256, page) JOIN party p USING (party_id)
    LEFT JOIN registry r ON r.cccd = c.id_number
),
judged AS (
    SELECT *,
        id_state IN ('same', 'older') AS id_ok,
        name_state IN ('same', 'spelling') AS name_ok,
        birth_state IN ('same', 'year') AS birth_ok
    FROM checked
)
SELECT sha256, page, party_id, via, registry,
    CASE WHEN registry <> 'agrees' THEN 'review'
         WHEN id_ok AND name_ok THEN 'confirmed'
         WHEN id_state IN ('missing', 'other') AND name_ok AND birth_state = 'same'
         THEN 'proposed'   -- (a name and a birth year alone: namesakes are many)
         WHEN id_state = 'same' AND name_state = 'partial' AND birth_ok THEN 'proposed'
         WHEN id_ok AND name_state = 'other' AND birth_state = 'same' THEN 'proposed'
         ELSE 'review' END AS status,
    list_filter([CASE WHEN id_state <> 'same' THEN 'id_number' END,
                 CASE WHEN name_state <> 'same' THEN 'full_name' END,
                 CASE WHEN birth_state <> 'same' THEN 'birth_date' END],
                x -> x IS NOT NULL) AS differs,
    card_id, card_name, card_birth
FROM judged
"""

# The card's values for the fields a confirmed or proposed link's record says otherwise:
# correction proposals (one per field; none where the same one already waits).
PROPOSALS_SQL = """
INSERT INTO correction_proposal (table_name, record_id, column_name, before, value,
                                 unit_code, proposed_by, proposed_at, note, state)
WITH wanted AS (
    SELECT DISTINCT l.party_id, f.column_name,
        CASE f.column_name WHEN 'id_number' THEN l.card_id
                           WHEN 'full_name' THEN l.card_name
                           ELSE CAST(l.card_birth AS VARCHAR) END AS value,
        any_value(l.sha256) OVER (PARTITION BY l.party_id, f.column_name) AS sha256
    FROM ev_link l, unnest(l.differs) AS f(column_name)
    WHERE l.status IN ('confirmed', 'proposed')
)
SELECT 'party', w.party_id, w.column_name,
    CASE w.column_name WHEN 'id_number' THEN CAST(p.id_number AS VARCHAR)
                       WHEN 'full_name' THEN CAST(p.full_name AS VARCHAR)
                       ELSE CAST(p.birth_date AS VARCHAR) END,
    w.value, pc.unit_code, $by, now()::TIMESTAMP,
    'CCCD (mã QR) ' || left(w.sha256, 12), 'pending'
FROM wanted w JOIN party p USING (party_id)
LEFT JOIN party_commune pc USING (party_id)
WHERE NOT EXISTS (SELECT 1 FROM correction_proposal o
                  WHERE o.state = 'pending' AND o.table_name = 'party'
                    AND o.record_id = w.party_id AND o.column_name = w.column_name
                    AND o.value IS NOT DISTINCT FROM w.value)
RETURNING record_id
"""

# Each link journalled (stage ``evidence``): incremental runs re-authenticate its user.
JOURNAL_SQL = """
INSERT INTO change_log (changed_at, actor, stage, table_name, record_id, column_name,
                        before, after, note)
SELECT now()::TIMESTAMP, $by, 'evidence', 'party', party_id, 'id_card', NULL, status,
       'CCCD ' || left(sha256, 12) || ' p' || page
FROM ev_link
"""

# The land users whose identity a confirmed card settles: one card's number each (a
# user two cards with different numbers confirm is settled by neither).
CONFIRMED_SQL = """
SELECT l.party_id, any_value(c.id_number) AS cccd
FROM evidence_link l JOIN evidence_card c USING (sha256, page)
WHERE l.status = 'confirmed'
GROUP BY l.party_id HAVING count(DISTINCT c.id_number) = 1
"""
