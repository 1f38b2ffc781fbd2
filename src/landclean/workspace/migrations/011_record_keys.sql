-- Version 11: the exports provinces really hold (issue 14).  A record's key may be
-- composed from several columns (old commune + scale + sheet + parcel); one parcel may
-- come on several rows (one per owner); every source row is accounted for.

-- The key each raw row was read under (the parcel code, or one composed by the
-- profile), and why a row has none (then it is quarantined).  Owners without a code
-- get a key from their ID, name and birth date, or from their position on the parcel.
ALTER TABLE raw_parcel_record ADD COLUMN record_key VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN key_problem VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN owner_key VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN spouse_key VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN key_commune VARCHAR;  -- old commune the key names
ALTER TABLE raw_map_feature ADD COLUMN record_key VARCHAR;
ALTER TABLE raw_map_feature ADD COLUMN key_commune VARCHAR;
ALTER TABLE raw_map_feature ADD COLUMN key_problem VARCHAR;
-- Wide layouts: a third and a fourth owner side by side (owner 1 and 2 are the owner_*
-- and spouse_* columns).
ALTER TABLE raw_parcel_record ADD COLUMN owner3_code VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN owner3_name VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN owner3_birth VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN owner3_sex VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN owner3_id VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN owner3_share VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN owner3_key VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN owner4_code VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN owner4_name VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN owner4_birth VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN owner4_sex VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN owner4_id VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN owner4_share VARCHAR;
ALTER TABLE raw_parcel_record ADD COLUMN owner4_key VARCHAR;
UPDATE raw_parcel_record SET record_key = NULLIF(trim(parcel_code), ''),
                             owner_key = NULLIF(trim(owner_code), ''),
                             spouse_key = NULLIF(trim(spouse_code), '');
UPDATE raw_map_feature SET record_key = NULLIF(trim(parcel_code), '');

-- Registry variants: the household book number and the current address.
ALTER TABLE raw_registry ADD COLUMN so_ho_khau VARCHAR;
ALTER TABLE raw_registry ADD COLUMN noi_o_hien_tai VARCHAR;
ALTER TABLE registry_person ADD COLUMN household_book VARCHAR;
ALTER TABLE registry_person ADD COLUMN current_address VARCHAR;

-- Row conservation: what became of every row of a batch.
ALTER TABLE import_batch ADD COLUMN rows_blank BIGINT DEFAULT 0;    -- skipped: no cell at all
ALTER TABLE import_batch ADD COLUMN records BIGINT;                 -- distinct records read
ALTER TABLE import_batch ADD COLUMN rows_merged BIGINT;             -- rows merged into a record
ALTER TABLE import_batch ADD COLUMN warnings JSON;                  -- [{key, values}]

-- A parcel's value that its sources disagree on: the rows of one parcel in an export
-- (one row per owner) or the attribute table and the map layer (built with the parcel).
CREATE TABLE parcel_source_conflict (
    parcel_id   VARCHAR NOT NULL,
    field       VARCHAR NOT NULL,         -- canonical column
    origin      VARCHAR NOT NULL,         -- 'rows' (rows of one export) | 'map' (map vs table)
    source_values VARCHAR[] NOT NULL      -- the distinct values as written
);
-- A value missing in the attribute table and taken from the map layer (or back).
CREATE TABLE parcel_filled_value (
    parcel_id   VARCHAR NOT NULL,
    field       VARCHAR NOT NULL,
    value       VARCHAR,
    taken_from  VARCHAR NOT NULL          -- 'map' | 'attributes'
);

-- Unknown is not no: a commune's flags that no source gives stay unknown (NULL).
ALTER TABLE commune_status ALTER COLUMN has_land_db DROP NOT NULL;
ALTER TABLE commune_status ALTER COLUMN vbdlis_synced DROP NOT NULL;
