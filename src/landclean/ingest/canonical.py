"""The SQL that derives the canonical tables from the raw imports (set-based).

Raw rows stay untouched.  Where a record came in several imports, the latest batch wins
(the next rows of a batch break ties by row number, so a rebuild is deterministic).
Values are parsed here with the ``lc_*`` macros of ``landclean.vn`` (numbers, dates,
ID numbers, yes/no, serials); cleaning the text (names, encodings) is the standardize
stage's job and placing parcels in their new communes the renumber stage's.  Every
INSERT names its columns.  The stage that runs these statements is ``ingest.build``.
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
)

# The newest version of each record, unless a later full export no longer had it.
LATEST_FORM = """
CREATE OR REPLACE TEMP TABLE form AS
SELECT * FROM (
    SELECT * FROM raw_parcel_record
    WHERE lc_text(parcel_code) IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY trim(parcel_code) ORDER BY batch_id DESC, row_no) = 1
) f WHERE NOT EXISTS (SELECT 1 FROM import_change c
                      WHERE c.record_type = 'parcel_record' AND c.change = 'removed'
                        AND c.record_key = trim(f.parcel_code) AND c.batch_id > f.batch_id);
CREATE OR REPLACE TEMP TABLE feature AS
SELECT * FROM (
    SELECT * FROM raw_map_feature
    WHERE geom_wkb IS NOT NULL AND lc_text(parcel_code) IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY trim(parcel_code) ORDER BY batch_id DESC, row_no) = 1
) m WHERE NOT EXISTS (SELECT 1 FROM import_change c
                      WHERE c.record_type = 'map_feature' AND c.change = 'removed'
                        AND c.record_key = trim(m.parcel_code) AND c.batch_id > m.batch_id);
"""

# Placement in a new commune (unit_code), new sheet numbers and UIDs are the renumber
# stage's: they are carried onto these rows by its restore, not guessed here.
PARCEL = """
INSERT INTO parcel (parcel_id, old_unit_code, sheet_no, parcel_no, scale, cert_sheet_no,
                    cert_parcel_no, legal_area, legal_area_raw, geom, address, village,
                    vbdlis_synced, source_batch, source_file, source_sheet, source_row)
SELECT
    trim(COALESCE(f.parcel_code, m.parcel_code)),
    trim(COALESCE(f.commune_code, m.commune_code)),
    lc_int(f.map_sheet),
    COALESCE(lc_int(f.map_parcel), lc_int(m.parcel)),
    COALESCE(lc_scale(f.map_scale), lc_int(m.scale)),
    lc_int(f.cert_sheet), lc_int(f.cert_parcel),
    lc_num(f.legal_area), f.legal_area,
    TRY(ST_GeomFromWKB(m.geom_wkb)),  -- unreadable: no geometry (a finding)
    lc_text(f.parcel_address), lc_text(f.village),
    CASE WHEN f.vbdlis IS NOT NULL THEN COALESCE(lc_yes(f.vbdlis), true) END,  -- "chưa …": no
    COALESCE(f.batch_id, m.batch_id), COALESCE(f.source_file, m.source_file),
    COALESCE(f.source_sheet, m.source_layer), COALESCE(f.row_no, m.row_no)
FROM form f FULL OUTER JOIN feature m ON trim(f.parcel_code) = trim(m.parcel_code);
"""

# Land-use cells may hold one code or several: "ONT+CLN", "ONT 100m2; CLN 250m2".
LAND_USE = """
INSERT INTO parcel_land_use (parcel_id, seq, code_raw, code, area, origin, term, area_raw)
WITH blocks AS (
    SELECT trim(parcel_code) AS parcel_id, 1 AS block, lu1_code AS cell,
           -- a parcel with one land use and no area for it: the use covers the parcel
           CASE WHEN lc_text(lu1_area) IS NULL AND lc_text(lu2_code) IS NULL
                     AND NOT regexp_matches(COALESCE(lu1_code, ''), '[+;,]')
                THEN legal_area ELSE lu1_area END AS area_cell,
           lc_text(lu1_origin) AS origin, lc_text(lu1_term) AS term FROM form
    UNION ALL
    SELECT trim(parcel_code), 2, lu2_code, lu2_area, lc_text(lu2_origin), lc_text(lu2_term)
    FROM form
    UNION ALL
    SELECT trim(parcel_code), 3, lu3_code, lu3_area, NULL, NULL FROM form
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
FROM tokens;
"""

PARTY = """
CREATE OR REPLACE TEMP TABLE party_rows AS
SELECT *, lc_party_kind(kind) AS kind_word FROM (
    SELECT batch_id, source_file, source_sheet, row_no, parcel_code, owner_type AS kind,
           'owner' AS block, owner_code AS code, owner_name AS name, owner_birth AS birth,
           owner_sex AS sex, owner_id AS id_raw, owner_address AS address, owner_share AS share
    FROM form WHERE lc_text(owner_code) IS NOT NULL
    UNION ALL
    SELECT batch_id, source_file, source_sheet, row_no, parcel_code, owner_type, 'spouse',
           spouse_code, spouse_name, spouse_birth, spouse_sex, spouse_id, owner_address,
           spouse_share
    FROM form WHERE lc_text(spouse_code) IS NOT NULL
);

INSERT INTO party (party_id, party_type, full_name, full_name_raw, birth_date, birth_year,
                   birth_precision, birth_raw, sex, id_number, id_number_raw, id_type, address,
                   source_batch, source_file, source_sheet, source_row, id_problem)
WITH latest AS (   -- one row per party first, then parse each value once
    SELECT * FROM party_rows
    QUALIFY row_number() OVER (PARTITION BY trim(code)
                               ORDER BY batch_id DESC, row_no, block) = 1
),
parsed AS (
    SELECT *, lc_precision(birth) AS precision, lc_year(birth) AS byear,
           lc_id_number(id_raw) AS digits
    FROM latest
)
SELECT trim(code),
       CASE WHEN kind_word = 'household' AND block = 'owner' THEN 'household'
            WHEN kind_word = 'organization' THEN 'organization'
            ELSE 'individual' END,
       lc_text(name), name,
       CASE WHEN precision = 'day' THEN lc_date(birth) END, byear, precision, birth,
       lc_sex(sex), digits, id_raw, lc_id_type(digits),
       lc_text(address), batch_id, source_file, source_sheet, row_no,
       CASE WHEN digits IS NULL OR length(digits) IN (8, 11) THEN lc_id_problem(id_raw) END
FROM parsed;

INSERT INTO land_right (parcel_id, party_id, role, share, certificate_id)
SELECT trim(r.parcel_code), trim(r.code),
       CASE WHEN r.block = 'spouse' OR r.kind_word = 'couple' THEN 'co-owner'
            WHEN r.kind_word = 'household' THEN 'household'
            WHEN r.kind_word = 'organization' THEN 'organization'
            ELSE 'owner' END,
       lc_num(r.share), c.certificate_id
FROM party_rows r LEFT JOIN cert_rows c ON c.parcel_code = r.parcel_code
QUALIFY row_number() OVER (PARTITION BY trim(r.parcel_code), trim(r.code)
                           ORDER BY r.batch_id DESC, r.row_no, r.block) = 1;
"""

CERT_KEYS = """
CREATE OR REPLACE TEMP TABLE cert_rows AS
SELECT 'GCN-' || substr(md5(COALESCE(cert_serial, '') || '|' || COALESCE(cert_book_no, '') || '|'
                        || COALESCE(cert_issue_date, '')), 1, 16) AS certificate_id, *
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
QUALIFY row_number() OVER (PARTITION BY certificate_id ORDER BY batch_id DESC, row_no) = 1;

INSERT INTO certificate_parcel (certificate_id, parcel_id)
SELECT DISTINCT certificate_id, trim(parcel_code) FROM cert_rows;
"""

ASSET = """
INSERT INTO asset (asset_id, parcel_id, asset_type, floor_area, floors)
SELECT 'TS-' || trim(parcel_code), trim(parcel_code), lc_text(asset_type), lc_num(asset_area),
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
                             source_row)
SELECT cccd, cmnd, trim(ho_ten), lc_date(ngay_sinh), lc_sex(gioi_tinh), lc_text(noi_thuong_tru),
       batch_id, row_no
FROM (SELECT *, lc_id_number(so_dinh_danh) AS cccd, lc_id_number(so_cmnd) AS cmnd
      FROM raw_registry WHERE lc_text(ho_ten) IS NOT NULL)
QUALIFY row_number() OVER (PARTITION BY COALESCE(cccd, ho_ten || row_no)
                           ORDER BY batch_id DESC, row_no) = 1;
"""

# A commune's baseline situation; an unreadable flag counts as "no".
COMMUNE_STATUS = """
INSERT INTO commune_status (unit_code, has_land_db, vbdlis_synced, committee_date)
SELECT trim(unit_code), COALESCE(lc_yes(has_land_db), false),
       COALESCE(lc_yes(vbdlis_synced), false), lc_date(committee_date)
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
