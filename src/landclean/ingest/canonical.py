"""The SQL that derives the canonical tables from the raw imports (set-based).

Raw rows stay untouched.  Where a record came in several imports, the latest batch wins
(the next rows of a batch break ties by row number, so a rebuild is deterministic).
Values are parsed here with the ``lc_*`` macros of ``landclean.vn`` (numbers, dates,
ID numbers, yes/no, serials); cleaning the text (names, encodings) is the standardize
stage's job and placing parcels in their new communes the renumber stage's.  Every
INSERT names its columns.  The stage that runs these statements is ``ingest.build``.
The module is the build's SQL, one statement after another in the order they run: that
is why it is over 400 lines.
"""

from __future__ import annotations

CANONICAL_TABLES = (
    "parcel",
    "parcel_land_use",
    "party",
    "land_right",
    "certificate",
    "certificate_parcel",
    "asset",
    "map_sheet",
    "registry_person",
    "commune_status",
    "commune_progress",
    "commune_target",
    "parcel_source_conflict",
    "parcel_filled_value",
)

# The parcel-level cells of a parcel record (owners' cells are read row by row).
PARCEL_CELLS = (
    "stt", "commune_code", "commune_name", "cert_serial", "cert_issue_date", "cert_book_no",
    "cert_issuer", "cert_digital", "owner_type", "user_name", "user_id", "user_address",
    "change_reason", "parcel_code", "cert_sheet", "cert_parcel", "map_sheet", "map_parcel",
    "map_scale", "parcel_address", "village", "legal_area", "lu1_code", "lu1_area",
    "lu1_origin", "lu1_term", "lu2_code", "lu2_area", "lu2_origin", "lu2_term", "lu3_code",
    "lu3_area", "asset_type", "asset_area", "asset_floors", "vbdlis", "key_commune",
)  # fmt: skip
# Cells whose different values on the rows of one parcel are a finding (stt, owners'
# own cells and free text are not).
COMPARED_CELLS = (
    "commune_code", "commune_name", "cert_serial", "cert_issue_date", "cert_book_no",
    "map_sheet", "map_parcel", "map_scale", "legal_area", "lu1_code", "lu1_area", "lu2_code",
    "lu2_area", "lu3_code", "asset_type", "vbdlis", "cert_digital",
)  # fmt: skip
# (a cell of spaces is no value: the next row's is taken; rows in file order, then row)
_ORDER = "batch_id::BIGINT * 10000000000 + row_no"
_FIRST_VALUES = ",\n    ".join(f"arg_min(lc_text({c}), {_ORDER}) AS {c}" for c in PARCEL_CELLS)
# Values are compared as what they mean: "300,5" = "300.5", "1:2000" = "2000",
# "Xã Hòa Xuân" = "Hòa Xuân", "12/3/2005" = "12/03/2005"; the values are shown as written.
_MEANING = {
    "commune_name": "lc_unit_bare_key({c})",
    "map_scale": "CAST(lc_scale({c}) AS VARCHAR)",
    "cert_issue_date": "COALESCE(CAST(lc_date({c}) AS VARCHAR), lower(lc_text({c})))",
    "cert_serial": "COALESCE(lc_serial({c}), lower(lc_text({c})))",
}
_NUMERIC = ("commune_code", "map_sheet", "map_parcel", "legal_area", "lu1_area", "lu2_area")
_COMPARED = ", ".join(f"'{c}'" for c in COMPARED_CELLS)
_COMPARED_VALUES = ", ".join(f"lc_text({c})" for c in COMPARED_CELLS)
_COMPARED_MEANINGS = ", ".join(
    _MEANING.get(
        c,
        "COALESCE(CAST(lc_num({c}) AS VARCHAR), lower(lc_text({c})))"
        if c in _NUMERIC
        else "lower(lc_text({c}))",
    ).format(c=c)
    for c in COMPARED_CELLS
)

# Every row of the newest version of each record (one parcel may come on several rows,
# one per owner, in one or several files of one import), unless a later full export no
# longer had it; then one row per parcel:
# the first value each cell has on its rows, and where the rows disagree, a conflict.
LATEST_FORM = f"""
CREATE OR REPLACE TEMP TABLE form_rows AS
-- the rows of the newest import (all its files and sheets) that has the record: the
-- newest import per record first (keys only), then the rows (a window over the rows
-- themselves would sort every cell of every row: 30 s at 3.4 M parcels)
WITH newest AS (
    SELECT r.record_key, max(b.imported_at) AS imported_at
    FROM raw_parcel_record r JOIN import_batch b USING (batch_id)
    WHERE r.record_key IS NOT NULL GROUP BY r.record_key
)
SELECT r.* FROM raw_parcel_record r JOIN import_batch b USING (batch_id)
JOIN newest n ON n.record_key = r.record_key AND n.imported_at = b.imported_at
WHERE NOT EXISTS (SELECT 1 FROM import_change c
                  WHERE c.record_type = 'parcel_record' AND c.change = 'removed'
                    AND c.record_key = r.record_key AND c.batch_id > r.batch_id);
CREATE OR REPLACE TEMP TABLE form_multi AS
SELECT record_key FROM form_rows GROUP BY 1 HAVING count(*) > 1;
CREATE OR REPLACE TEMP TABLE form AS
SELECT * FROM form_rows WHERE record_key NOT IN (SELECT record_key FROM form_multi)
UNION ALL BY NAME
SELECT record_key, arg_min(batch_id, {_ORDER}) AS batch_id,
       arg_min(source_file, {_ORDER}) AS source_file,
       arg_min(source_sheet, {_ORDER}) AS source_sheet, arg_min(row_no, {_ORDER}) AS row_no,
    {_FIRST_VALUES}
FROM form_rows WHERE record_key IN (SELECT record_key FROM form_multi) GROUP BY record_key;
INSERT INTO parcel_source_conflict (parcel_id, field, origin, source_values)
SELECT record_key, field, 'rows', list(DISTINCT v ORDER BY v)
FROM (SELECT record_key, unnest([{_COMPARED}]) AS field, unnest([{_COMPARED_VALUES}]) AS v,
             unnest([{_COMPARED_MEANINGS}]) AS meaning
      FROM form_rows WHERE record_key IN (SELECT record_key FROM form_multi))
WHERE v IS NOT NULL
GROUP BY record_key, field HAVING count(DISTINCT meaning) > 1;
CREATE OR REPLACE TEMP TABLE feature AS
SELECT * FROM (
    SELECT * FROM raw_map_feature
    WHERE geom_wkb IS NOT NULL AND record_key IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY record_key ORDER BY batch_id DESC, row_no) = 1
) m WHERE NOT EXISTS (SELECT 1 FROM import_change c
                      WHERE c.record_type = 'map_feature' AND c.change = 'removed'
                        AND c.record_key = m.record_key AND c.batch_id > m.batch_id);
"""

# A map feature and an attribute row of one parcel may be keyed differently (a system
# code on one side, a composed key on the other): those left unmatched by key are
# matched by old commune + sheet + parcel number (and scale where both have one),
# where exactly one of each side fits.
MATCH_FEATURES = """
CREATE OR REPLACE TEMP TABLE feature_match AS
WITH lone_m AS (
    SELECT record_key AS m_key,
           concat_ws('-', COALESCE(key_commune, lc_unit_code(commune_code)),
                     lc_key_part(sheet), lc_key_part(parcel)) AS nat, lc_scale(scale) AS sc
    FROM feature WHERE record_key NOT IN (SELECT record_key FROM form)
      AND lc_key_part(sheet) IS NOT NULL AND lc_key_part(parcel) IS NOT NULL
), lone_f AS (
    SELECT record_key AS f_key,
           concat_ws('-', COALESCE(key_commune, lc_unit_code(commune_code)),
                     lc_key_part(map_sheet), lc_key_part(map_parcel)) AS nat,
           lc_scale(map_scale) AS sc
    FROM form WHERE record_key NOT IN (SELECT record_key FROM feature)
      AND lc_key_part(map_sheet) IS NOT NULL AND lc_key_part(map_parcel) IS NOT NULL
)
SELECT m_key, f_key FROM lone_m JOIN lone_f USING (nat)
WHERE lone_m.sc IS NULL OR lone_f.sc IS NULL OR lone_m.sc = lone_f.sc
QUALIFY count(*) OVER (PARTITION BY m_key) = 1 AND count(*) OVER (PARTITION BY f_key) = 1;
UPDATE feature SET record_key = x.f_key FROM feature_match x WHERE feature.record_key = x.m_key;
"""

# Placement in a new commune (unit_code), new sheet numbers and UIDs are the renumber
# stage's: they are carried onto these rows by its restore, not guessed here.  A key
# value one side lacks is taken from the other (parcel_filled_value, with a change-log
# entry); one the sides disagree on is a conflict (a finding).
PARCEL = """
CREATE OR REPLACE TEMP TABLE parcel_sides AS
SELECT COALESCE(f.record_key, m.record_key) AS parcel_id, f.record_key IS NOT NULL AS has_f,
       m.record_key IS NOT NULL AS has_m,
       COALESCE(f.key_commune, lc_unit_code(f.commune_code), trim(f.commune_code)) AS f_commune,
       COALESCE(m.key_commune, lc_unit_code(m.commune_code), trim(m.commune_code)) AS m_commune,
       lc_int(f.map_sheet) AS f_sheet, lc_int(m.sheet) AS m_sheet,
       lc_int(f.map_parcel) AS f_parcel, lc_int(m.parcel) AS m_parcel,
       lc_scale(f.map_scale) AS f_scale, lc_scale(m.scale) AS m_scale,
       f.map_sheet AS f_sheet_raw, m.sheet AS m_sheet_raw,
       f.map_parcel AS f_parcel_raw, m.parcel AS m_parcel_raw,
       f.map_scale AS f_scale_raw, m.scale AS m_scale_raw,
       f.cert_sheet, f.cert_parcel, f.legal_area, f.parcel_address, f.village, f.vbdlis,
       m.land_use AS m_land_use, m.geom_wkb, f.batch_id AS f_batch, m.batch_id AS m_batch,
       f.source_file AS f_file, m.source_file AS m_file, f.source_sheet, m.source_layer,
       f.row_no AS f_row, m.row_no AS m_row
FROM form f FULL OUTER JOIN feature m ON f.record_key = m.record_key;

INSERT INTO parcel (parcel_id, old_unit_code, sheet_no, parcel_no, scale, cert_sheet_no,
                    cert_parcel_no, legal_area, legal_area_raw, geom, address, village,
                    vbdlis_synced, source_batch, source_file, source_sheet, source_row)
SELECT
    parcel_id, COALESCE(f_commune, m_commune), COALESCE(f_sheet, m_sheet),
    COALESCE(f_parcel, m_parcel), COALESCE(f_scale, m_scale),
    lc_int(cert_sheet), lc_int(cert_parcel),
    lc_num(legal_area), legal_area,
    TRY(ST_GeomFromWKB(geom_wkb)),  -- unreadable: no geometry (a finding)
    lc_text(parcel_address), lc_text(village),
    s.synced, COALESCE(f_batch, m_batch), COALESCE(f_file, m_file),
    COALESCE(source_sheet, source_layer), COALESCE(f_row, m_row)
FROM parcel_sides
-- "đã đồng bộ": yes, "chưa …": no, a date of synchronization: yes; else unknown (read
-- once per distinct value: a province writes a handful)
LEFT JOIN (SELECT v, CASE WHEN lc_date(v) IS NOT NULL THEN true ELSE lc_yes(v) END AS synced
           FROM (SELECT DISTINCT vbdlis AS v FROM parcel_sides)) s ON s.v = vbdlis
ORDER BY parcel_id;   -- stored in key order: a page's lookup of one reads one row group

INSERT INTO parcel_filled_value (parcel_id, field, value, taken_from)
SELECT parcel_id, field, value, 'map' FROM (
    SELECT parcel_id, unnest(['old_unit_code', 'sheet_no', 'parcel_no', 'scale']) AS field,
           unnest([CASE WHEN f_commune IS NULL THEN m_commune END,
                   CASE WHEN f_sheet IS NULL THEN CAST(m_sheet AS VARCHAR) END,
                   CASE WHEN f_parcel IS NULL THEN CAST(m_parcel AS VARCHAR) END,
                   CASE WHEN f_scale IS NULL THEN CAST(m_scale AS VARCHAR) END]) AS value
    FROM parcel_sides WHERE has_f AND has_m)
WHERE value IS NOT NULL;

INSERT INTO parcel_source_conflict (parcel_id, field, origin, source_values)
SELECT parcel_id, field, 'map', [a, b] FROM (
    SELECT parcel_id,
           unnest(['old_unit_code', 'sheet_no', 'parcel_no', 'scale']) AS field,
           unnest([f_commune, f_sheet_raw, f_parcel_raw, f_scale_raw]) AS a,
           unnest([m_commune, m_sheet_raw, m_parcel_raw, m_scale_raw]) AS b,
           unnest([f_commune IS DISTINCT FROM m_commune, f_sheet IS DISTINCT FROM m_sheet,
                   f_parcel IS DISTINCT FROM m_parcel, f_scale IS DISTINCT FROM m_scale]) AS differ
    FROM parcel_sides WHERE has_f AND has_m)
WHERE differ AND a IS NOT NULL AND b IS NOT NULL;

"""

# Land-use cells may hold one code or several: "ONT+CLN", "ONT 100m2; CLN 250m2".
LAND_USE = """
INSERT INTO parcel_land_use (parcel_id, seq, code_raw, code, area, origin, term, area_raw)
WITH blocks AS (
    SELECT record_key AS parcel_id, 1 AS block, lu1_code AS cell,
           -- a parcel with one land use and no area for it: the use covers the parcel
           CASE WHEN lc_text(lu1_area) IS NULL AND lc_text(lu2_code) IS NULL
                     AND NOT regexp_matches(COALESCE(lu1_code, ''), '[+;,]')
                THEN legal_area ELSE lu1_area END AS area_cell,
           lc_text(lu1_origin) AS origin, lc_text(lu1_term) AS term FROM form
    UNION ALL
    SELECT record_key, 2, lu2_code, lu2_area, lc_text(lu2_origin), lc_text(lu2_term)
    FROM form
    UNION ALL
    SELECT record_key, 3, lu3_code, lu3_area, NULL, NULL FROM form
),
tokens AS (
    SELECT b.*, t.token, t.pos, count(*) OVER (PARTITION BY b.parcel_id, b.block) AS n_tokens
    FROM blocks b,
         LATERAL (SELECT unnest(string_split_regex(trim(b.cell), '\\s*[+;,]\\s*')) AS token,
                         generate_subscripts(string_split_regex(trim(b.cell),
                                                                '\\s*[+;,]\\s*'), 1) AS pos) t
    WHERE lc_text(b.cell) IS NOT NULL AND lc_text(t.token) IS NOT NULL
)
SELECT parcel_id,
       row_number() OVER (PARTITION BY parcel_id ORDER BY block, pos),
       token,
       upper(COALESCE(NULLIF(regexp_extract(token, '^\\s*([A-Za-z0-9.]{2,6})', 1), ''), token)),
       CASE WHEN n_tokens = 1 AND lc_num(area_cell) IS NOT NULL THEN lc_num(area_cell)
            ELSE lc_num(NULLIF(regexp_extract(token,
                '([0-9][0-9.,]*)\\s*(m2|m²)?\\s*\\)?\\s*$', 1), '')) END,
       origin, term,
       CASE WHEN n_tokens = 1 THEN area_cell ELSE token END
FROM tokens
ORDER BY 1, 2;

-- a parcel the attribute table gives no land use for: the map layer's, if it has one
CREATE OR REPLACE TEMP TABLE map_land_use AS
SELECT s.parcel_id, trim(s.m_land_use) AS cell, p.legal_area
FROM parcel_sides s JOIN parcel p USING (parcel_id)
WHERE s.has_f AND lc_text(s.m_land_use) IS NOT NULL
  AND s.parcel_id NOT IN (SELECT parcel_id FROM parcel_land_use);
INSERT INTO parcel_land_use (parcel_id, seq, code_raw, code, area, origin, term, area_raw)
SELECT parcel_id, 1, cell,
       upper(COALESCE(NULLIF(regexp_extract(cell, '^\\s*([A-Za-z0-9.]{2,6})', 1), ''), cell)),
       CASE WHEN NOT regexp_matches(cell, '[+;,]') THEN legal_area END, NULL, NULL, NULL
FROM map_land_use;
INSERT INTO parcel_filled_value (parcel_id, field, value, taken_from)
SELECT parcel_id, 'land_use', cell, 'map' FROM map_land_use;
"""

PARTY = """
CREATE OR REPLACE TEMP TABLE party_rows AS
-- every named person of every row, in one pass: owner, spouse, owners 3 and 4; the kind
-- of owner read once per distinct word
SELECT r.*, k.kind_word FROM (
    SELECT batch_id, source_file, source_sheet, row_no, record_key, kind, address,
           p.block, p.code, p.name, p.birth, p.sex, p.id_raw, p.share
    FROM (SELECT batch_id, source_file, source_sheet, row_no, record_key, owner_type AS kind,
                 owner_address AS address, unnest([
        {'block': 'owner', 'code': owner_key, 'name': owner_name, 'birth': owner_birth,
         'sex': owner_sex, 'id_raw': owner_id, 'share': owner_share},
        {'block': 'spouse', 'code': spouse_key, 'name': spouse_name, 'birth': spouse_birth,
         'sex': spouse_sex, 'id_raw': spouse_id, 'share': spouse_share},
        {'block': 'owner3', 'code': owner3_key, 'name': owner3_name, 'birth': owner3_birth,
         'sex': owner3_sex, 'id_raw': owner3_id, 'share': owner3_share},
        {'block': 'owner4', 'code': owner4_key, 'name': owner4_name, 'birth': owner4_birth,
         'sex': owner4_sex, 'id_raw': owner4_id, 'share': owner4_share}
    ]) AS p FROM form_rows)
    WHERE p.code IS NOT NULL
) r LEFT JOIN (SELECT v, lc_party_kind(v) AS kind_word
               FROM (SELECT DISTINCT owner_type AS v FROM form_rows)) k ON k.v = r.kind;

INSERT INTO party (party_id, party_type, full_name, full_name_raw, birth_date, birth_year,
                   birth_precision, birth_raw, sex, id_number, id_number_raw, id_type, address,
                   source_batch, source_file, source_sheet, source_row, id_problem)
WITH latest AS (   -- one row per party first, then parse each value once
    SELECT * FROM party_rows
    QUALIFY row_number() OVER (PARTITION BY code ORDER BY batch_id DESC, row_no, block) = 1
),
parsed AS (
    SELECT *, lc_precision(birth) AS precision, lc_year(birth) AS byear,
           lc_id_number(id_raw) AS digits
    FROM latest
)
SELECT code,
       CASE WHEN kind_word = 'household' AND block = 'owner' THEN 'household'
            WHEN kind_word = 'organization' THEN 'organization'
            ELSE 'individual' END,
       lc_text(name), name,
       CASE WHEN precision = 'day' THEN lc_date(birth) END, byear, precision, birth,
       s.sex_code, digits, id_raw, lc_id_type(digits),
       lc_text(address), batch_id, source_file, source_sheet, row_no,
       CASE WHEN digits IS NULL OR length(digits) IN (8, 11) THEN lc_id_problem(id_raw) END
FROM parsed   -- the sex read once per distinct word
LEFT JOIN (SELECT v, lc_sex(v) AS sex_code FROM (SELECT DISTINCT sex AS v FROM party_rows)) s
       ON s.v = parsed.sex
ORDER BY code;

INSERT INTO land_right (parcel_id, party_id, role, share, certificate_id)
SELECT r.record_key, r.code,
       CASE WHEN r.block <> 'owner' OR r.kind_word = 'couple' THEN 'co-owner'
            WHEN r.kind_word = 'household' THEN 'household'
            WHEN r.kind_word = 'organization' THEN 'organization'
            -- one row per owner: each of several owners holds the parcel jointly
            WHEN count(*) OVER (PARTITION BY r.record_key) > 1 THEN 'co-owner'
            ELSE 'owner' END,
       lc_num(r.share), c.certificate_id
FROM party_rows r LEFT JOIN cert_rows c ON c.record_key = r.record_key
QUALIFY row_number() OVER (PARTITION BY r.record_key, r.code
                           ORDER BY r.batch_id DESC, r.row_no, r.block) = 1
ORDER BY r.record_key, r.code;
"""

CERT_KEYS = """
CREATE OR REPLACE TEMP TABLE cert_rows AS
SELECT 'GCN-' || substr(md5(COALESCE(cert_serial, '') || '|' || COALESCE(cert_book_no, '') || '|'
                        || COALESCE(cert_issue_date, '')), 1, 16) AS certificate_id,
       record_key, cert_serial, cert_book_no, cert_issue_date, cert_issuer, cert_digital,
       batch_id, source_file, source_sheet, row_no
FROM form WHERE lc_text(cert_serial) IS NOT NULL OR lc_text(cert_book_no) IS NOT NULL;
"""

CERTIFICATE = """
INSERT INTO certificate (certificate_id, serial, serial_raw, form_version, book_entry_no,
                         issue_date, issue_date_raw, issuer, digital_status, source_batch,
                         source_file, source_sheet, source_row)
SELECT certificate_id, lc_serial(cert_serial), cert_serial, lc_serial_form(cert_serial),
       lc_book_entry(cert_book_no), lc_date(cert_issue_date), cert_issue_date,
       lc_text(cert_issuer),
       CASE WHEN cert_digital IS NULL THEN 'unknown'
            WHEN lc_yes(cert_digital) = false THEN 'paper_only'  -- "chưa có dữ liệu số"
            ELSE 'digital' END,
       batch_id, source_file, source_sheet, row_no
FROM cert_rows
QUALIFY row_number() OVER (PARTITION BY certificate_id ORDER BY batch_id DESC, row_no) = 1
ORDER BY certificate_id;

INSERT INTO certificate_parcel (certificate_id, parcel_id)
SELECT DISTINCT certificate_id, record_key FROM cert_rows ORDER BY record_key, certificate_id;
"""

# The values taken from the map layer, logged once (a rebuild logs only new fills).
LOG_FILLED = """
INSERT INTO change_log (changed_at, actor, stage, table_name, record_id, column_name, before,
                        after, rule_id, note)
SELECT now()::TIMESTAMP, 'landclean:build', 'build', 'parcel', v.parcel_id, v.field, NULL,
       v.value, NULL, 'taken from the map layer: the attribute table has no value'
FROM parcel_filled_value v
WHERE NOT EXISTS (SELECT 1 FROM change_log c
                  WHERE c.stage = 'build' AND c.table_name = 'parcel'
                    AND c.record_id = v.parcel_id AND c.column_name = v.field
                    AND c.after IS NOT DISTINCT FROM v.value);
"""

ASSET = """
INSERT INTO asset (asset_id, parcel_id, asset_type, floor_area, floors)
SELECT 'TS-' || record_key, record_key, lc_text(asset_type), lc_num(asset_area),
       lc_int(asset_floors)
FROM form WHERE lc_text(asset_type) IS NOT NULL;
"""

MAP_SHEET = """
INSERT INTO map_sheet (old_unit_code, sheet_no, scale)
SELECT DISTINCT old_unit_code, sheet_no, scale FROM parcel
WHERE sheet_no IS NOT NULL AND scale IS NOT NULL;
"""

REGISTRY = """
INSERT INTO registry_person (cccd, cmnd, full_name, birth_date, sex, address, source_batch,
                             source_row, household_book, current_address)
SELECT cccd, cmnd, trim(ho_ten), lc_date(ngay_sinh), lc_sex(gioi_tinh), lc_text(noi_thuong_tru),
       batch_id, row_no, lc_text(so_ho_khau), lc_text(noi_o_hien_tai)
FROM (SELECT *, lc_id_number(so_dinh_danh) AS cccd, lc_id_number(so_cmnd) AS cmnd
      FROM raw_registry r WHERE lc_text(ho_ten) IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM quarantine q  -- implausible rows stay out
                        WHERE q.batch_id = r.batch_id AND q.row_no = r.row_no))
QUALIFY row_number() OVER (PARTITION BY COALESCE(cccd, ho_ten || row_no)
                           ORDER BY batch_id DESC, row_no) = 1;
"""

# A commune's baseline situation; a blank or unreadable flag is unknown (NULL), not "no".
COMMUNE_STATUS = """
INSERT INTO commune_status (unit_code, has_land_db, vbdlis_synced, committee_date)
SELECT trim(unit_code), lc_yes(has_land_db), lc_yes(vbdlis_synced), lc_date(committee_date)
FROM raw_commune_status WHERE regexp_full_match(trim(unit_code), '[0-9]{5}')
QUALIFY row_number() OVER (PARTITION BY trim(unit_code) ORDER BY batch_id DESC, row_no) = 1;
"""

# Progress reports: every (commune, report date) once, the newest import winning.
COMMUNE_PROGRESS = """
INSERT INTO commune_progress (unit_code, report_date, committee_date, working_group_date,
                              leader, members, has_land_db, vbdlis_synced,
                              certificates_to_collect, certificates_collected,
                              certificates_scanned, certificates_entered, id_cards_collected,
                              source_batch, source_file, source_row)
SELECT trim(unit_code), lc_date(report_date), lc_date(committee_date),
       lc_date(working_group_date), lc_text(leader), lc_int(members),
       CASE WHEN lc_text(has_land_db) IS NOT NULL THEN COALESCE(lc_yes(has_land_db), false) END,
       CASE WHEN lc_text(vbdlis_synced) IS NOT NULL
            THEN COALESCE(lc_yes(vbdlis_synced), false) END,
       lc_int(certificates_to_collect), lc_int(certificates_collected),
       lc_int(certificates_scanned), lc_int(certificates_entered), lc_int(id_cards_collected),
       batch_id, source_file, row_no
FROM raw_commune_progress
WHERE regexp_full_match(trim(unit_code), '[0-9]{5}') AND lc_date(report_date) IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY trim(unit_code), lc_date(report_date)
                           ORDER BY batch_id DESC, row_no DESC) = 1
"""
# Targets per commune: the newest import of a commune wins.
COMMUNE_TARGET = """
INSERT INTO commune_target (unit_code, clean_target, due_date, source_batch, source_file,
                            source_row)
SELECT trim(unit_code), lc_share(clean_target), lc_date(due_date), batch_id, source_file, row_no
FROM raw_commune_target
WHERE regexp_full_match(trim(unit_code), '[0-9]{5}') AND lc_share(clean_target) IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY trim(unit_code) ORDER BY batch_id DESC, row_no DESC) = 1
"""
