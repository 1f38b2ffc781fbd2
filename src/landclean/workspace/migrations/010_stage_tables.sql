-- Version 10: one stage contract (issue 13).  Every stage's results live in tables it
-- owns; the columns that carry them onto canonical rows are copies, put back after a
-- rebuild (docs/architecture.md).

-- The renumber stage's decisions, one row per parcel (carried onto parcel.unit_code,
-- placement, new_sheet_no, uid).
CREATE TABLE parcel_place (
    parcel_id    VARCHAR NOT NULL,
    unit_code    VARCHAR,               -- the new commune the parcel counts in
    placement    VARCHAR NOT NULL,      -- not_split, location, boundary | ambiguous,
                                        -- no_location, unknown_commune (not placed)
    new_sheet_no INTEGER,               -- placed parcels with a sheet only
    uid          VARCHAR,               -- 12-character GeoHash
    basis        UBIGINT                -- hash of what it was decided from (old commune,
                                        -- sheet, scale, geometry): restored only if equal
);
INSERT INTO parcel_place
SELECT parcel_id, unit_code, placement, new_sheet_no, uid,
       hash(old_unit_code, sheet_no, scale, ST_AsWKB(geom))
FROM parcel WHERE placement IS NOT NULL;

-- The standardize stage's fixes in force: a record's column, the value it fixed and the
-- fixed value (carried onto the canonical rows where they still hold that value).
CREATE TABLE standardized_value (
    table_name  VARCHAR NOT NULL,
    record_id   VARCHAR NOT NULL,
    column_name VARCHAR NOT NULL,
    before      VARCHAR,
    after       VARCHAR,
    rule_id     VARCHAR NOT NULL,
    basis       VARCHAR               -- a parcel address: the new commune it was written for
);
INSERT INTO standardized_value
SELECT table_name, record_id, column_name, before, after, rule_id, NULL FROM change_log
WHERE stage = 'standardize'
QUALIFY row_number() OVER (PARTITION BY table_name, record_id, column_name
                           ORDER BY change_id DESC) = 1;
UPDATE standardized_value SET basis = p.unit_code FROM parcel p
WHERE standardized_value.table_name = 'parcel' AND standardized_value.column_name = 'address'
  AND standardized_value.record_id = p.parcel_id;

-- The renumber stage's sheets live in sheet_crosswalk only.
ALTER TABLE map_sheet DROP COLUMN unit_code;
ALTER TABLE map_sheet DROP COLUMN new_sheet_no;

-- A run is recorded when it starts; a stage that fails leaves its tables as they were
-- and the run keeps why; what each stage counted and warned of is kept with it (JSON).
ALTER TABLE pipeline_run ADD COLUMN error VARCHAR;
ALTER TABLE pipeline_run ADD COLUMN stage_counts JSON;
ALTER TABLE pipeline_run ADD COLUMN stage_warnings JSON;

-- The commune a land user counts in and the one a certificate counts in: that of their
-- first placed parcel by id, the parcel their findings are attached to (rules.validate),
-- so a record and its findings count in the same commune.  One definition for every
-- report.
CREATE VIEW party_commune AS
SELECT r.party_id, arg_min(p.unit_code, p.parcel_id) AS unit_code
FROM land_right r JOIN parcel p USING (parcel_id) GROUP BY r.party_id;
CREATE VIEW certificate_commune AS
SELECT cp.certificate_id, arg_min(p.unit_code, p.parcel_id) AS unit_code
FROM certificate_parcel cp JOIN parcel p USING (parcel_id) GROUP BY cp.certificate_id;

-- parcel_group is replaced in bulk by every run: without an index (as auth_result), a
-- re-run at 1 M parcels classifies in under a second instead of 20 s (DuckDB checks a
-- primary key row by row when the same keys are deleted and inserted again).
ALTER TABLE parcel_group RENAME TO parcel_group_indexed;
CREATE TABLE parcel_group (
    parcel_id VARCHAR NOT NULL,
    grp       INTEGER NOT NULL,           -- 1 usable, 2 needs work, 3 unusable
    run_id    INTEGER NOT NULL
);
INSERT INTO parcel_group SELECT parcel_id, grp, run_id FROM parcel_group_indexed;
DROP TABLE parcel_group_indexed;
