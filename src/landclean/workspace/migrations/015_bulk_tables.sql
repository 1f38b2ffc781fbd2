-- Version 15: the canonical tables without primary-key indexes (issue 17).  The build
-- rebuilds them in bulk (delete everything, insert everything); DuckDB keeps a primary
-- key in an index it updates row by row, on one thread: deleting 200,000 parcels' rows
-- took 32 s, and a province's rebuild after a new import did not fit in memory.  The
-- build's SQL gives each key once (the newest batch, then the row number, wins), and a
-- test checks it after every build; the key columns stay NOT NULL.
CREATE TABLE parcel_new (parcel_id VARCHAR NOT NULL, unit_code VARCHAR, old_unit_code VARCHAR,
    sheet_no INTEGER, parcel_no INTEGER, scale INTEGER, cert_sheet_no INTEGER,
    cert_parcel_no INTEGER, legal_area DOUBLE, geom GEOMETRY, address VARCHAR,
    village VARCHAR, vbdlis_synced BOOLEAN, uid VARCHAR, source_batch INTEGER,
    source_file VARCHAR, source_sheet VARCHAR, source_row BIGINT, legal_area_raw VARCHAR,
    geom_repaired BOOLEAN, new_sheet_no INTEGER, placement VARCHAR);
INSERT INTO parcel_new SELECT * FROM parcel;
DROP TABLE parcel;
ALTER TABLE parcel_new RENAME TO parcel;

CREATE TABLE parcel_land_use_new (parcel_id VARCHAR NOT NULL, seq INTEGER NOT NULL,
    code_raw VARCHAR, code VARCHAR, area DOUBLE, origin VARCHAR, term VARCHAR,
    area_raw VARCHAR);
INSERT INTO parcel_land_use_new SELECT * FROM parcel_land_use;
DROP TABLE parcel_land_use;
ALTER TABLE parcel_land_use_new RENAME TO parcel_land_use;

CREATE TABLE party_new (party_id VARCHAR NOT NULL, party_type VARCHAR NOT NULL,
    full_name VARCHAR, full_name_raw VARCHAR, birth_date DATE, birth_year INTEGER,
    birth_precision VARCHAR, birth_raw VARCHAR, sex VARCHAR, id_number VARCHAR,
    id_number_raw VARCHAR, id_type VARCHAR, address VARCHAR, source_batch INTEGER,
    source_file VARCHAR, source_sheet VARCHAR, source_row BIGINT, id_problem VARCHAR);
INSERT INTO party_new SELECT * FROM party;
DROP TABLE party;
ALTER TABLE party_new RENAME TO party;

CREATE TABLE land_right_new (parcel_id VARCHAR NOT NULL, party_id VARCHAR NOT NULL,
    "role" VARCHAR NOT NULL, "share" DOUBLE, certificate_id VARCHAR);
INSERT INTO land_right_new SELECT * FROM land_right;
DROP TABLE land_right;
ALTER TABLE land_right_new RENAME TO land_right;

CREATE TABLE certificate_new (certificate_id VARCHAR NOT NULL, serial VARCHAR,
    serial_raw VARCHAR, form_version VARCHAR, book_entry_no VARCHAR, issue_date DATE,
    issuer VARCHAR, digital_status VARCHAR, source_batch INTEGER, source_file VARCHAR,
    source_sheet VARCHAR, source_row BIGINT, issue_date_raw VARCHAR);
INSERT INTO certificate_new SELECT * FROM certificate;
DROP TABLE certificate;
ALTER TABLE certificate_new RENAME TO certificate;

CREATE TABLE certificate_parcel_new (certificate_id VARCHAR NOT NULL,
    parcel_id VARCHAR NOT NULL);
INSERT INTO certificate_parcel_new SELECT * FROM certificate_parcel;
DROP TABLE certificate_parcel;
ALTER TABLE certificate_parcel_new RENAME TO certificate_parcel;

CREATE TABLE asset_new (asset_id VARCHAR NOT NULL, parcel_id VARCHAR NOT NULL,
    asset_type VARCHAR, floor_area DOUBLE, floors INTEGER);
INSERT INTO asset_new SELECT * FROM asset;
DROP TABLE asset;
ALTER TABLE asset_new RENAME TO asset;

CREATE TABLE map_sheet_new (old_unit_code VARCHAR NOT NULL, sheet_no INTEGER NOT NULL,
    scale INTEGER NOT NULL);
INSERT INTO map_sheet_new SELECT * FROM map_sheet;
DROP TABLE map_sheet;
ALTER TABLE map_sheet_new RENAME TO map_sheet;
