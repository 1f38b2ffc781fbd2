"""Build the canonical tables from the raw tables (set-based SQL, rebuilt as a whole).

Raw rows stay untouched.  Where a record came in several imports, the latest batch wins.
Values are parsed here (numbers, dates, codes); cleaning the text (names, encodings)
is the standardize stage's job.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import duckdb

from landclean.corrections import apply_corrections, find_conflicts
from landclean.ingest.profiles import TARGET_TABLES
from landclean.vn.citizen_id import cccd_province_codes

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

# Parse helpers as SQL macros (no user values are pasted into SQL).
MACROS = """
CREATE OR REPLACE TEMP MACRO lc_text(x) AS NULLIF(trim(x), '');
CREATE OR REPLACE TEMP MACRO lc_int(x) AS TRY_CAST(TRY_CAST(trim(x) AS DOUBLE) AS INTEGER);
-- Areas as typed: "1.234,5" and "1,234.5" and "1234,5" and "1.234" (thousands) and "250 m2".
CREATE OR REPLACE TEMP MACRO lc_num_clean(x) AS
    regexp_replace(lower(trim(x)), '\\s*(m2|m²|m\\^2)$|\\s', '', 'g');
CREATE OR REPLACE TEMP MACRO lc_num(x) AS TRY_CAST(CASE
    WHEN regexp_full_match(lc_num_clean(x), '[0-9]{1,3}(\\.[0-9]{3})+(,[0-9]+)?')
        THEN replace(replace(lc_num_clean(x), '.', ''), ',', '.')
    WHEN regexp_full_match(lc_num_clean(x), '[0-9]{1,3}(,[0-9]{3})+(\\.[0-9]+)?')
        THEN replace(lc_num_clean(x), ',', '')
    ELSE replace(lc_num_clean(x), ',', '.') END AS DOUBLE);
-- Shares as typed: 95, 95 %, 95,5 %, 0,95, 0.95 -> 0.95 (a fraction when at most 1).
CREATE OR REPLACE TEMP MACRO lc_share_num(x) AS lc_num(replace(x, '%', ''));
CREATE OR REPLACE TEMP MACRO lc_share(x) AS CASE
    WHEN lc_share_num(x) > 0 AND lc_share_num(x) <= 1 THEN lc_share_num(x)
    WHEN lc_share_num(x) > 1 AND lc_share_num(x) <= 100 THEN lc_share_num(x) / 100 END;
-- Dates as typed: 12/03/1965, 12-3-65, 1965-03-12, 12/03/1965 00:00:00, Excel serials.
CREATE OR REPLACE TEMP MACRO lc_date_any(x) AS CASE
    WHEN regexp_full_match(x, '[0-9]{2}/[0-9]{2}/[0-9]{4}')
        THEN try_strptime(x, '%d/%m/%Y')::DATE
    WHEN regexp_full_match(trim(x), '[0-9]{1,2}[/.-][0-9]{1,2}[/.-][0-9]{2}') THEN
        try(make_date(
            CAST(regexp_extract(trim(x), '([0-9]{2})$', 1) AS INTEGER)
              + CASE WHEN CAST(regexp_extract(trim(x), '([0-9]{2})$', 1) AS INTEGER)
                          > year(current_date) % 100 THEN 1900 ELSE 2000 END,
            CAST(regexp_extract(trim(x), '^[0-9]{1,2}[/.-]([0-9]{1,2})', 1) AS INTEGER),
            CAST(regexp_extract(trim(x), '^([0-9]{1,2})', 1) AS INTEGER)))
    WHEN regexp_full_match(trim(x), '[0-9]{3,5}(\\.0+)?')
         AND NOT CAST(trim(x) AS DOUBLE) BETWEEN 1850 AND 2100 THEN  -- Excel serial number
        DATE '1899-12-30' + CAST(CAST(trim(x) AS DOUBLE) AS INTEGER)
    ELSE try_strptime(trim(x), ['%d/%m/%Y %H:%M:%S', '%d/%m/%Y', '%d-%m-%Y', '%d.%m.%Y',
                                '%Y-%m-%d %H:%M:%S', '%Y-%m-%d', '%Y/%m/%d'])::DATE END;
CREATE OR REPLACE TEMP MACRO lc_date(x) AS CASE
    WHEN year(lc_date_any(x)) BETWEEN 1850 AND 2100 THEN lc_date_any(x) END;
CREATE OR REPLACE TEMP MACRO lc_year(x) AS CASE
    WHEN regexp_full_match(trim(x), '(18|19|20)[0-9]{2}(\\.0+)?')
        THEN CAST(CAST(trim(x) AS DOUBLE) AS INTEGER)
    ELSE year(lc_date(x)) END;
CREATE OR REPLACE TEMP MACRO lc_precision(x) AS CASE
    WHEN lc_date(x) IS NOT NULL AND NOT regexp_full_match(trim(x), '(18|19|20)[0-9]{2}(\\.0+)?')
        THEN 'day'
    WHEN lc_year(x) IS NOT NULL THEN 'year' ELSE 'none' END;
-- ID numbers: digits only; scientific notation expanded when it kept every digit;
-- a leading zero lost by Excel restored when the length proves it (11 -> 12, 8 -> 9).
CREATE OR REPLACE TEMP MACRO lc_id_sci(x) AS
    regexp_full_match(upper(trim(x)), '[0-9]+(\\.[0-9]+)?E\\+?[0-9]+');
CREATE OR REPLACE TEMP MACRO lc_id_digits(x) AS CASE
    WHEN regexp_full_match(x, '[0-9]+') THEN x
    WHEN lc_id_sci(x) THEN CASE
        WHEN length(regexp_extract(upper(trim(x)), '\\.([0-9]+)E', 1))
             >= CAST(regexp_extract(upper(trim(x)), 'E\\+?([0-9]+)', 1) AS INTEGER)
        THEN CAST(CAST(CAST(trim(x) AS DOUBLE) AS HUGEINT) AS VARCHAR) END
    ELSE NULLIF(regexp_replace(x, '[^0-9]', '', 'g'), '') END;
CREATE OR REPLACE TEMP MACRO lc_digits(x) AS CASE
    WHEN length(lc_id_digits(x)) = 11
         AND list_contains(__PROVINCE_CODES__, substr('0' || lc_id_digits(x), 1, 3))
        THEN '0' || lc_id_digits(x)
    WHEN length(lc_id_digits(x)) = 8 THEN '0' || lc_id_digits(x)
    ELSE lc_id_digits(x) END;
CREATE OR REPLACE TEMP MACRO lc_id_problem(x) AS CASE
    WHEN lc_id_sci(x) AND lc_id_digits(x) IS NULL
        THEN 'digits lost: the number was stored in scientific notation'
    WHEN length(lc_id_digits(x)) IN (8, 11) THEN 'leading zero restored' END;
CREATE OR REPLACE TEMP MACRO lc_scale(x) AS lc_int(regexp_extract(x, '([0-9]+)\\s*$', 1));
-- Book-entry numbers: upper case, single spaces, a space after the letter prefix
-- ("ch00123" -> "CH 00123", "CS  5/2010" -> "CS 5/2010"); anything else kept as typed.
CREATE OR REPLACE TEMP MACRO lc_book_entry(x) AS
    NULLIF(regexp_replace(upper(regexp_replace(trim(x), '\\s+', ' ', 'g')),
                          '^([A-Z]{1,3})\\s*([0-9])', '\\1 \\2'), '');
CREATE OR REPLACE TEMP MACRO lc_serial(x) AS
    NULLIF(upper(regexp_replace(regexp_replace(trim(x), '\\s+', ' ', 'g'),
                                '^([A-Za-z]{2})\\s*([0-9]+)$', '\\1 \\2')), '');
"""

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

PARCEL = """
INSERT INTO parcel
WITH base AS (
    SELECT
        trim(COALESCE(f.parcel_code, m.parcel_code)) AS parcel_id,
        trim(COALESCE(f.commune_code, m.commune_code)) AS old_unit_code,
        lc_int(f.map_sheet) AS sheet_no,
        COALESCE(lc_int(f.map_parcel), lc_int(m.parcel)) AS parcel_no,
        COALESCE(lc_scale(f.map_scale), lc_int(m.scale)) AS scale,
        lc_int(f.cert_sheet) AS cert_sheet_no, lc_int(f.cert_parcel) AS cert_parcel_no,
        lc_num(f.legal_area) AS legal_area,
        TRY(ST_GeomFromWKB(m.geom_wkb)) AS geom,  -- unreadable: no geometry (a finding)
        lc_text(f.parcel_address) AS address, lc_text(f.village) AS village,
        CASE WHEN f.vbdlis IS NULL THEN NULL
             ELSE lower(strip_accents(f.vbdlis)) NOT LIKE 'chua%' END AS vbdlis_synced,
        COALESCE(f.batch_id, m.batch_id) AS source_batch,
        COALESCE(f.source_file, m.source_file) AS source_file,
        COALESCE(f.source_sheet, m.source_layer) AS source_sheet,
        COALESCE(f.row_no, m.row_no) AS source_row,
        f.legal_area AS legal_area_raw
    FROM form f FULL OUTER JOIN feature m ON trim(f.parcel_code) = trim(m.parcel_code)
),
candidates AS (   -- new communes an old commune went to (those with a land database)
    SELECT x.old_code, x.new_code, x.is_default,
           ST_Transform(ST_Point(u.lat, u.lon), 'EPSG:4326', 'EPSG:9218') AS centre
    FROM admin_crosswalk x JOIN admin_unit u ON u.code = x.new_code
    LEFT JOIN commune_status_src s ON s.unit_code = x.new_code
    WHERE COALESCE(s.has_land_db, true)
),
located AS (
    SELECT b.parcel_id, c.new_code
    FROM base b JOIN candidates c ON c.old_code = b.old_unit_code
    QUALIFY row_number() OVER (
        PARTITION BY b.parcel_id
        ORDER BY CASE WHEN b.geom IS NULL THEN (NOT c.is_default)::INT::DOUBLE
                      ELSE ST_Distance(ST_Centroid(b.geom), c.centre) END, c.new_code) = 1
)
SELECT b.parcel_id, l.new_code, b.old_unit_code, b.sheet_no, b.parcel_no, b.scale,
       b.cert_sheet_no, b.cert_parcel_no, b.legal_area, b.geom, b.address, b.village,
       b.vbdlis_synced, NULL AS uid, b.source_batch, b.source_file, b.source_sheet, b.source_row,
       b.legal_area_raw, NULL AS geom_repaired, NULL AS new_sheet_no, NULL AS placement
FROM base b LEFT JOIN located l USING (parcel_id);
"""

# Land-use cells may hold one code or several: "ONT+CLN", "ONT 100m2; CLN 250m2".
LAND_USE = """
INSERT INTO parcel_land_use
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
SELECT batch_id, source_file, source_sheet, row_no, parcel_code, owner_type AS kind,
       'owner' AS block, owner_code AS code, owner_name AS name, owner_birth AS birth,
       owner_sex AS sex, owner_id AS id_raw, owner_address AS address, owner_share AS share
FROM form WHERE lc_text(owner_code) IS NOT NULL
UNION ALL
SELECT batch_id, source_file, source_sheet, row_no, parcel_code, owner_type, 'spouse',
       spouse_code, spouse_name, spouse_birth, spouse_sex, spouse_id, owner_address, spouse_share
FROM form WHERE lc_text(spouse_code) IS NOT NULL;

INSERT INTO party
WITH latest AS (   -- one row per party first, then parse each value once
    SELECT * FROM party_rows
    QUALIFY row_number() OVER (PARTITION BY trim(code) ORDER BY batch_id DESC, row_no) = 1
),
parsed AS (
    SELECT *, lc_precision(birth) AS precision, lc_year(birth) AS byear,
           lc_digits(id_raw) AS digits, lower(strip_accents(kind)) AS kind_key
    FROM latest
)
SELECT trim(code),
       CASE WHEN kind_key LIKE 'ho gia dinh%' AND block = 'owner' THEN 'household'
            WHEN kind_key LIKE 'to chuc%' THEN 'organization'
            ELSE 'individual' END,
       lc_text(name), name,
       CASE WHEN precision = 'day' THEN lc_date(birth) END, byear, precision, birth,
       CASE lower(strip_accents(trim(sex))) WHEN 'nam' THEN 'M' WHEN 'nu' THEN 'F' END,
       digits, id_raw,
       CASE length(digits) WHEN 12 THEN 'CCCD' WHEN 9 THEN 'CMND'
            ELSE CASE WHEN digits IS NULL THEN 'none' ELSE 'other' END END,
       lc_text(address), batch_id, source_file, source_sheet, row_no,
       CASE WHEN digits IS NULL OR length(digits) IN (8, 11) THEN lc_id_problem(id_raw) END
FROM parsed;

INSERT INTO land_right
SELECT trim(r.parcel_code), trim(r.code),
       CASE WHEN r.block = 'spouse' OR lower(strip_accents(r.kind)) LIKE 'vo chong%'
                THEN 'co-owner'
            WHEN lower(strip_accents(r.kind)) LIKE 'ho gia dinh%' THEN 'household'
            WHEN lower(strip_accents(r.kind)) LIKE 'to chuc%' THEN 'organization'
            ELSE 'owner' END,
       lc_num(r.share), c.certificate_id
FROM party_rows r LEFT JOIN cert_rows c ON c.parcel_code = r.parcel_code
QUALIFY row_number() OVER (PARTITION BY trim(r.parcel_code), trim(r.code)
                           ORDER BY r.batch_id DESC) = 1;
"""

CERT_KEYS = """
CREATE OR REPLACE TEMP TABLE cert_rows AS
SELECT 'GCN-' || substr(md5(COALESCE(cert_serial, '') || '|' || COALESCE(cert_book_no, '') || '|'
                        || COALESCE(cert_issue_date, '')), 1, 16) AS certificate_id, *
FROM form WHERE lc_text(cert_serial) IS NOT NULL OR lc_text(cert_book_no) IS NOT NULL;
"""

CERTIFICATE = """
INSERT INTO certificate
SELECT certificate_id,
       lc_serial(cert_serial),
       cert_serial,
       CASE WHEN regexp_full_match(upper(trim(cert_serial)), '[A-Z]{2} ?[0-9]{8}') THEN '2024'
            WHEN regexp_full_match(upper(trim(cert_serial)), '[A-Z]{2} ?[0-9]{6}') THEN 'pre2024'
            ELSE 'unknown' END,
       lc_book_entry(cert_book_no), lc_date(cert_issue_date), lc_text(cert_issuer),
       CASE WHEN cert_digital IS NULL THEN 'unknown'
            WHEN lower(strip_accents(cert_digital)) LIKE 'chua%' THEN 'paper_only'
            ELSE 'digital' END,
       batch_id, source_file, source_sheet, row_no, cert_issue_date
FROM cert_rows
QUALIFY row_number() OVER (PARTITION BY certificate_id ORDER BY batch_id DESC, row_no) = 1;

INSERT INTO certificate_parcel
SELECT DISTINCT certificate_id, trim(parcel_code) FROM cert_rows;

"""

ASSET = """
INSERT INTO asset
SELECT 'TS-' || trim(parcel_code), trim(parcel_code), lc_text(asset_type), lc_num(asset_area),
       lc_int(asset_floors)
FROM form WHERE lc_text(asset_type) IS NOT NULL;
"""

MAP_SHEET = """
INSERT INTO map_sheet
SELECT DISTINCT old_unit_code, sheet_no, scale, NULL, NULL FROM parcel
WHERE sheet_no IS NOT NULL AND scale IS NOT NULL;
"""

REGISTRY = """
INSERT INTO registry_person
SELECT cccd, cmnd, trim(ho_ten), lc_date(ngay_sinh),
       CASE lower(strip_accents(trim(gioi_tinh))) WHEN 'nam' THEN 'M' WHEN 'nu' THEN 'F' END,
       lc_text(noi_thuong_tru), batch_id, row_no
FROM (SELECT *, lc_digits(so_dinh_danh) AS cccd, lc_digits(so_cmnd) AS cmnd FROM raw_registry
      WHERE lc_text(ho_ten) IS NOT NULL)
QUALIFY row_number() OVER (PARTITION BY COALESCE(cccd, ho_ten || row_no)
                           ORDER BY batch_id DESC, row_no) = 1;
"""

COMMUNE_STATUS_SRC = """
CREATE OR REPLACE TEMP TABLE commune_status_src AS
SELECT trim(unit_code) AS unit_code,
       lower(trim(has_land_db)) IN ('true', '1', 'có', 'co', 'x') AS has_land_db,
       lower(trim(vbdlis_synced)) IN ('true', '1', 'có', 'co', 'x') AS vbdlis_synced,
       lc_date(committee_date) AS committee_date
FROM raw_commune_status WHERE regexp_full_match(trim(unit_code), '[0-9]{5}')
QUALIFY row_number() OVER (PARTITION BY trim(unit_code) ORDER BY batch_id DESC, row_no) = 1;
"""


# Progress reports: every (commune, report date) once, the newest import winning.
COMMUNE_PROGRESS = """
INSERT INTO commune_progress
SELECT trim(unit_code), lc_date(report_date), lc_date(committee_date),
       lc_date(working_group_date), lc_text(leader), lc_int(members),
       CASE WHEN lc_text(has_land_db) IS NULL THEN NULL
            ELSE lower(trim(has_land_db)) IN ('true', '1', 'có', 'co', 'x') END,
       CASE WHEN lc_text(vbdlis_synced) IS NULL THEN NULL
            ELSE lower(trim(vbdlis_synced)) IN ('true', '1', 'có', 'co', 'x') END,
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
INSERT INTO commune_target
SELECT trim(unit_code), lc_share(clean_target), lc_date(due_date), batch_id, source_file, row_no
FROM raw_commune_target
WHERE regexp_full_match(trim(unit_code), '[0-9]{5}') AND lc_share(clean_target) IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY trim(unit_code) ORDER BY batch_id DESC, row_no DESC) = 1
"""
# Layouts whose tables nothing else is built from: importing them rebuilds only those.
LIGHT_TARGETS = {
    "registry": ("registry_person",),
    "commune_progress": ("commune_progress",),
    "commune_target": ("commune_target",),
}


def macros_sql() -> str:
    """The parsing macros, with the birth-province codes written in as a list constant."""
    codes = ", ".join(f"'{c}'" for c in sorted(cccd_province_codes()))  # 3 digits each
    return MACROS.replace("__PROVINCE_CODES__", f"[{codes}]")


def build_canonical(
    con: duckdb.DuckDBPyConnection,
    new_batches: list[int] | None = None,
    targets: set[str] | None = None,
) -> tuple[dict[str, int], int]:
    """Rebuild the canonical tables from the raw tables, then re-apply people's
    corrections; returns row counts and the number of conflicts found.

    ``targets`` names the raw layouts that changed: a registry extract or progress reports
    alone rebuild only their tables; anything else rebuilds all (parcels depend on the
    commune status too).
    Runs inside the caller's transaction.
    """
    con.execute(macros_sql())
    light = targets is not None and targets <= set(LIGHT_TARGETS)
    tables = (
        tuple(t for target in sorted(targets or ()) for t in LIGHT_TARGETS[target])
        if light
        else CANONICAL_TABLES
    )
    for table in tables:
        con.execute(f"DELETE FROM {table}")
    if light:
        if "registry_person" in tables:
            con.execute(REGISTRY)
        if "commune_progress" in tables:
            con.execute(COMMUNE_PROGRESS)
        if "commune_target" in tables:
            con.execute(COMMUNE_TARGET)
    else:
        con.execute(COMMUNE_STATUS_SRC)
        con.execute("INSERT INTO commune_status SELECT * FROM commune_status_src")
        con.execute(LATEST_FORM)
        for sql in (PARCEL, LAND_USE, CERT_KEYS, PARTY, CERTIFICATE, ASSET, MAP_SHEET, REGISTRY):
            con.execute(sql)
        con.execute(COMMUNE_PROGRESS)
        con.execute(COMMUNE_TARGET)
    conflicts = find_conflicts(con, max(new_batches)) if new_batches else 0
    apply_corrections(con)
    counts = {}
    for table in tables:  # the tables rebuilt
        row = con.execute(f"SELECT count(*) FROM {table}").fetchone()
        counts[table] = int(row[0]) if row else 0
    return counts, conflicts


@dataclass
class CanonicalBuild:
    """One rebuild of the canonical tables from the batches imported since the last."""

    batches: list[int]
    targets: set[str]
    counts: dict[str, int]
    conflicts: int
    seconds: float


def pending_batches(con: duckdb.DuckDBPyConnection) -> tuple[list[int], set[str]]:
    """Batches imported since the canonical tables were last built, and their layouts."""
    row = con.execute("SELECT COALESCE(max(through_batch), 0) FROM canonical_build").fetchone()
    since = int(row[0]) if row else 0
    batches = [
        int(r[0])
        for r in con.execute(
            "SELECT batch_id FROM import_batch WHERE batch_id > ? ORDER BY 1", [since]
        ).fetchall()
    ]
    targets = set()
    if batches:
        for target, table in TARGET_TABLES.items():
            hit = con.execute(
                f"SELECT 1 FROM {table} WHERE batch_id > ? LIMIT 1", [since]
            ).fetchone()
            if hit:
                targets.add(target)
    return batches, targets


def bring_up_to_date(con: duckdb.DuckDBPyConnection) -> CanonicalBuild | None:
    """Rebuild the canonical tables if batches were imported since the last build;
    runs inside the caller's transaction.  None when they were already up to date."""
    batches, targets = pending_batches(con)
    if not batches:
        return None
    start = time.perf_counter()
    counts, conflicts = build_canonical(con, batches, targets)
    seconds = time.perf_counter() - start
    con.execute(
        "INSERT INTO canonical_build SELECT COALESCE(max(build_id), 0) + 1, now()::TIMESTAMP, "
        "?, ?, ?, ? FROM canonical_build",
        [max(batches), len(batches), seconds, conflicts],
    )
    return CanonicalBuild(batches, targets, counts, conflicts, seconds)
