-- Version 2: any layout mapped by a profile; unmapped columns kept verbatim; change sets;
-- human corrections that survive re-imports.

ALTER TABLE raw_parcel_record RENAME TO raw_parcel_record;
ALTER TABLE raw_parcel_record ADD COLUMN profile VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN extra JSON;          -- unmapped columns: {header: text}
ALTER TABLE raw_map_feature ADD COLUMN profile VARCHAR;
ALTER TABLE raw_map_feature ADD COLUMN extra JSON;
ALTER TABLE raw_registry ADD COLUMN profile VARCHAR;
ALTER TABLE raw_registry ADD COLUMN extra JSON;
ALTER TABLE raw_commune_status ADD COLUMN profile VARCHAR;
ALTER TABLE raw_commune_status ADD COLUMN extra JSON;
ALTER TABLE import_batch ADD COLUMN encoding VARCHAR;

-- Raw text kept beside parsed values where the raw tables are not enough to read it.
ALTER TABLE parcel ADD COLUMN legal_area_raw VARCHAR;
ALTER TABLE parcel_land_use ADD COLUMN area_raw VARCHAR;
ALTER TABLE certificate ADD COLUMN issue_date_raw VARCHAR;
ALTER TABLE party ADD COLUMN id_problem VARCHAR;             -- e.g. 'precision lost (scientific notation)'

-- What a newer export of the same records changed (added, changed, removed).
CREATE TABLE import_change (
    batch_id    INTEGER NOT NULL,
    record_type VARCHAR NOT NULL,          -- parcel_record, registry ...
    record_key  VARCHAR NOT NULL,
    change      VARCHAR NOT NULL,          -- added, changed, removed
    fields      VARCHAR[],                 -- changed fields
    previous_batch INTEGER
);

-- Corrections made by people; applied after every canonical rebuild, never overwritten
-- by an import (a newer export that disagrees is listed as a conflict).
CREATE SEQUENCE correction_seq START 1;
CREATE TABLE correction (
    correction_id BIGINT PRIMARY KEY DEFAULT nextval('correction_seq'),
    table_name  VARCHAR NOT NULL,
    record_id   VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,
    before      VARCHAR,                   -- value the correction replaced
    value       VARCHAR,
    actor       VARCHAR NOT NULL,
    made_at     TIMESTAMP NOT NULL,
    note        VARCHAR
);
CREATE TABLE import_conflict (
    batch_id      INTEGER NOT NULL,
    correction_id BIGINT NOT NULL,
    table_name    VARCHAR NOT NULL,
    record_id     VARCHAR NOT NULL,
    column_name   VARCHAR NOT NULL,
    corrected     VARCHAR,
    imported      VARCHAR
);

-- A parcel whose source names no commune is kept (a rule flags it), not rejected.
ALTER TABLE parcel ALTER COLUMN old_unit_code DROP NOT NULL;
