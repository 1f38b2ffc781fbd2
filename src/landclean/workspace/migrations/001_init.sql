-- landclean workspace schema, version 1.
-- Raw rows are immutable; canonical tables hold clean values; history is append-only.

-- ---------------------------------------------------------------- administrative units
CREATE TABLE admin_unit (                 -- new 2-level units (after 1 Jul 2025)
    code        VARCHAR PRIMARY KEY,      -- official 5-digit code (vietnam-provinces)
    name        VARCHAR NOT NULL,         -- cleaned name (NFC, single spaces)
    name_source VARCHAR NOT NULL,         -- name as the package has it
    unit_type   VARCHAR NOT NULL,         -- Xã / Phường / Đặc khu
    region      VARCHAR NOT NULL,         -- west = old Đắk Lắk, east = old Phú Yên
    lat DOUBLE, lon DOUBLE, area_km2 DOUBLE
);
CREATE TABLE admin_unit_old (             -- old 3-level communes (before 1 Jul 2025)
    code          VARCHAR PRIMARY KEY,
    name          VARCHAR NOT NULL,
    unit_type     VARCHAR NOT NULL,
    district_code VARCHAR NOT NULL,
    district_name VARCHAR NOT NULL,
    old_province_code VARCHAR NOT NULL,
    region        VARCHAR NOT NULL,
    lat DOUBLE, lon DOUBLE,
    min_lat DOUBLE, min_lon DOUBLE, max_lat DOUBLE, max_lon DOUBLE
);
CREATE TABLE admin_crosswalk (            -- old → new, many-to-many
    old_code   VARCHAR NOT NULL,
    new_code   VARCHAR NOT NULL,
    is_default BOOLEAN NOT NULL,          -- the default new commune of a split old commune
    is_split   BOOLEAN NOT NULL,
    PRIMARY KEY (old_code, new_code)
);

-- ---------------------------------------------------------------- imports and history
CREATE SEQUENCE batch_seq START 1;
CREATE TABLE import_batch (
    batch_id    INTEGER PRIMARY KEY,
    source_path VARCHAR NOT NULL,
    layout      VARCHAR NOT NULL,         -- profile / layout name
    sha256      VARCHAR NOT NULL,
    rows_read   BIGINT NOT NULL,
    rows_quarantined BIGINT NOT NULL,
    imported_at TIMESTAMP NOT NULL,
    imported_by VARCHAR NOT NULL
);
CREATE TABLE raw_map_feature (            -- map layer features, attributes as read
    batch_id INTEGER NOT NULL, source_file VARCHAR NOT NULL, source_layer VARCHAR,
    row_no BIGINT NOT NULL,                -- feature number in the layer (1-based)
    parcel_code VARCHAR, commune_code VARCHAR, sheet VARCHAR, parcel VARCHAR,
    scale VARCHAR, area VARCHAR, land_use VARCHAR,
    geom_wkb BLOB
);
CREATE TABLE raw_parcel_record (             -- 49-column field form, every cell as its text
    batch_id INTEGER NOT NULL, source_file VARCHAR NOT NULL, source_sheet VARCHAR,
    row_no BIGINT NOT NULL,                -- spreadsheet row number as the user sees it
    stt              VARCHAR,
    commune_code     VARCHAR,
    commune_name     VARCHAR,
    cert_serial      VARCHAR,
    cert_issue_date  VARCHAR,
    cert_book_no     VARCHAR,
    cert_issuer      VARCHAR,
    cert_digital     VARCHAR,
    owner_code       VARCHAR,
    owner_type       VARCHAR,
    owner_name       VARCHAR,
    owner_birth      VARCHAR,
    owner_sex        VARCHAR,
    owner_id         VARCHAR,
    owner_address    VARCHAR,
    owner_share      VARCHAR,
    spouse_code      VARCHAR,
    spouse_name      VARCHAR,
    spouse_birth     VARCHAR,
    spouse_sex       VARCHAR,
    spouse_id        VARCHAR,
    spouse_share     VARCHAR,
    user_name        VARCHAR,
    user_id          VARCHAR,
    user_address     VARCHAR,
    change_reason    VARCHAR,
    parcel_code      VARCHAR,
    cert_sheet       VARCHAR,
    cert_parcel      VARCHAR,
    map_sheet        VARCHAR,
    map_parcel       VARCHAR,
    map_scale        VARCHAR,
    parcel_address   VARCHAR,
    village          VARCHAR,
    legal_area       VARCHAR,
    lu1_code         VARCHAR,
    lu1_area         VARCHAR,
    lu1_origin       VARCHAR,
    lu1_term         VARCHAR,
    lu2_code         VARCHAR,
    lu2_area         VARCHAR,
    lu2_origin       VARCHAR,
    lu2_term         VARCHAR,
    lu3_code         VARCHAR,
    lu3_area         VARCHAR,
    asset_type       VARCHAR,
    asset_area       VARCHAR,
    asset_floors     VARCHAR,
    vbdlis           VARCHAR
);
CREATE TABLE raw_registry (               -- population registry extract, as read
    batch_id INTEGER NOT NULL, source_file VARCHAR NOT NULL, row_no BIGINT NOT NULL,
    so_dinh_danh VARCHAR, so_cmnd VARCHAR, ho_ten VARCHAR, ngay_sinh VARCHAR,
    gioi_tinh VARCHAR, noi_thuong_tru VARCHAR
);
CREATE TABLE raw_commune_status (         -- campaign progress sheet, as read
    batch_id INTEGER NOT NULL, source_file VARCHAR NOT NULL, row_no BIGINT NOT NULL,
    unit_code VARCHAR, name VARCHAR, has_land_db VARCHAR, vbdlis_synced VARCHAR,
    committee_date VARCHAR
);
CREATE TABLE quarantine (
    batch_id INTEGER NOT NULL, source_file VARCHAR NOT NULL, source_sheet VARCHAR,
    row_no BIGINT, column_name VARCHAR, value VARCHAR, reason VARCHAR NOT NULL
);
CREATE SEQUENCE change_seq START 1;
CREATE TABLE change_log (
    change_id   BIGINT PRIMARY KEY DEFAULT nextval('change_seq'),
    changed_at  TIMESTAMP NOT NULL,
    actor       VARCHAR NOT NULL,         -- user name or 'landclean:<stage>'
    stage       VARCHAR NOT NULL,
    table_name  VARCHAR NOT NULL,
    record_id   VARCHAR NOT NULL,
    column_name VARCHAR,
    before      VARCHAR,
    after       VARCHAR,
    rule_id     VARCHAR,
    note        VARCHAR
);

-- ---------------------------------------------------------------- canonical tables
CREATE TABLE map_sheet (
    old_unit_code VARCHAR NOT NULL,
    sheet_no      INTEGER NOT NULL,
    scale         INTEGER NOT NULL,       -- 500, 1000, 2000, 5000, 10000
    unit_code     VARCHAR,                -- new commune (after renumbering)
    new_sheet_no  INTEGER,
    PRIMARY KEY (old_unit_code, sheet_no, scale)
);
CREATE TABLE parcel (
    parcel_id     VARCHAR PRIMARY KEY,    -- land-system id of the parcel (Mã thửa)
    unit_code     VARCHAR,                -- new commune
    old_unit_code VARCHAR NOT NULL,
    sheet_no      INTEGER,                -- current map sheet (old commune numbering)
    parcel_no     INTEGER,
    scale         INTEGER,
    cert_sheet_no INTEGER,                -- as printed on the certificate
    cert_parcel_no INTEGER,
    legal_area    DOUBLE,                 -- m², dienTichPhapLy
    geom          GEOMETRY,               -- EPSG:9218 VN-2000 / TM-3 108°30'
    address       VARCHAR,
    village       VARCHAR,
    vbdlis_synced BOOLEAN,
    uid           VARCHAR,                -- 12-char GeoHash (renumbering stage)
    source_batch  INTEGER, source_file VARCHAR, source_sheet VARCHAR, source_row BIGINT
);
CREATE TABLE parcel_land_use (
    parcel_id VARCHAR NOT NULL,
    seq       INTEGER NOT NULL,
    code_raw  VARCHAR,
    code      VARCHAR,
    area      DOUBLE,
    origin    VARCHAR,
    term      VARCHAR,
    PRIMARY KEY (parcel_id, seq)
);
CREATE TABLE party (
    party_id     VARCHAR PRIMARY KEY,
    party_type   VARCHAR NOT NULL,        -- individual, household, organization
    full_name    VARCHAR,
    full_name_raw VARCHAR,
    birth_date   DATE,
    birth_year   INTEGER,
    birth_precision VARCHAR,              -- day, year, none
    birth_raw    VARCHAR,
    sex          VARCHAR,                 -- M, F
    id_number    VARCHAR,
    id_number_raw VARCHAR,
    id_type      VARCHAR,                 -- CCCD, CMND, other, none
    address      VARCHAR,
    source_batch INTEGER, source_file VARCHAR, source_sheet VARCHAR, source_row BIGINT
);
CREATE TABLE land_right (
    parcel_id VARCHAR NOT NULL,
    party_id  VARCHAR NOT NULL,
    role      VARCHAR NOT NULL,           -- owner, co-owner, household, organization
    share     DOUBLE,
    certificate_id VARCHAR,
    PRIMARY KEY (parcel_id, party_id)
);
CREATE TABLE certificate (
    certificate_id VARCHAR PRIMARY KEY,
    serial         VARCHAR,
    serial_raw     VARCHAR,
    form_version   VARCHAR,               -- pre2024 (2 letters + 6 digits), 2024 (+ 8 digits)
    book_entry_no  VARCHAR,
    issue_date     DATE,
    issuer         VARCHAR,
    digital_status VARCHAR,               -- digital, paper_only
    source_batch INTEGER, source_file VARCHAR, source_sheet VARCHAR, source_row BIGINT
);
CREATE TABLE certificate_parcel (
    certificate_id VARCHAR NOT NULL,
    parcel_id      VARCHAR NOT NULL,
    PRIMARY KEY (certificate_id, parcel_id)
);
CREATE TABLE asset (
    asset_id   VARCHAR PRIMARY KEY,
    parcel_id  VARCHAR NOT NULL,
    asset_type VARCHAR,
    floor_area DOUBLE,
    floors     INTEGER
);
CREATE TABLE registry_person (            -- national population registry extract (external)
    cccd       VARCHAR,
    cmnd       VARCHAR,
    full_name  VARCHAR NOT NULL,
    birth_date DATE,
    sex        VARCHAR,
    address    VARCHAR,
    source_batch INTEGER, source_row BIGINT
);
CREATE TABLE commune_status (             -- campaign situation per new commune
    unit_code      VARCHAR PRIMARY KEY,
    has_land_db    BOOLEAN NOT NULL,
    vbdlis_synced  BOOLEAN NOT NULL,
    committee_date DATE
);

-- ---------------------------------------------------------------- pipeline results
CREATE SEQUENCE run_seq START 1;
CREATE TABLE pipeline_run (
    run_id      INTEGER PRIMARY KEY,
    started_at  TIMESTAMP NOT NULL,
    finished_at TIMESTAMP,
    actor       VARCHAR NOT NULL,
    stages      VARCHAR NOT NULL,
    settings    JSON NOT NULL
);
CREATE TABLE finding (
    rule_id      VARCHAR NOT NULL,
    record_type  VARCHAR NOT NULL,        -- parcel, party, certificate, right, asset
    record_id    VARCHAR NOT NULL,
    parcel_id    VARCHAR,
    severity     VARCHAR NOT NULL,        -- error, warning, info
    details      JSON,
    state        VARCHAR NOT NULL,        -- open, fixed, exception
    first_seen_run INTEGER NOT NULL,
    last_seen_run  INTEGER NOT NULL,
    source_file VARCHAR, source_sheet VARCHAR, source_row BIGINT,
    PRIMARY KEY (rule_id, record_type, record_id)
);
CREATE TABLE parcel_group (
    parcel_id VARCHAR PRIMARY KEY,
    grp       INTEGER NOT NULL,           -- 1 usable, 2 needs work, 3 unusable
    run_id    INTEGER NOT NULL
);
CREATE TABLE auth_result (
    party_id   VARCHAR PRIMARY KEY,
    status     VARCHAR NOT NULL,          -- matched, review, unmatched
    reason     VARCHAR,
    registry_cccd VARCHAR,
    run_id     INTEGER NOT NULL
);
