-- Version 5: map sheets renumbered for the 2-level communes, crosswalks, parcel UID.
-- parcel.unit_code stays the commune used for reporting; placement says how the renumber
-- stage decided it (not_split, location, boundary) or why it could not (ambiguous,
-- no_location, unknown_commune): only placed parcels get a new sheet number.
ALTER TABLE parcel ADD COLUMN new_sheet_no INTEGER;
ALTER TABLE parcel ADD COLUMN placement VARCHAR;
CREATE TABLE sheet_crosswalk (            -- old sheet -> new sheet, per scale
    old_unit_code VARCHAR NOT NULL,
    scale         INTEGER NOT NULL,
    old_sheet_no  INTEGER NOT NULL,
    unit_code     VARCHAR NOT NULL,       -- new commune
    new_sheet_no  INTEGER NOT NULL,
    position      INTEGER NOT NULL,       -- the old commune's place in the new commune's order
    sheet_offset  INTEGER NOT NULL,       -- new = old + offset
    parcels       INTEGER NOT NULL,
    PRIMARY KEY (old_unit_code, scale, old_sheet_no, unit_code)
);
CREATE TABLE renumber_check (             -- conservation per old commune (as SOLA checks)
    old_unit_code  VARCHAR PRIMARY KEY,
    parcels        INTEGER NOT NULL,      -- in the old commune
    mapped         INTEGER NOT NULL,      -- reached through the crosswalk, exactly once
    mapped_twice   INTEGER NOT NULL,
    unplaced       INTEGER NOT NULL,      -- split commune, location unknown or ambiguous
    without_sheet  INTEGER NOT NULL,      -- no sheet number or scale to renumber by
    area           DOUBLE,                -- geometry area of the old commune's parcels, m²
    area_mapped    DOUBLE,                -- the same through the crosswalk (+ unmapped parcels)
    conserved      BOOLEAN NOT NULL
);
CREATE TABLE uid_collision (              -- parcels whose points share a 12-character cell
    uid        VARCHAR NOT NULL,
    parcel_id  VARCHAR NOT NULL,
    PRIMARY KEY (uid, parcel_id)
);
-- Crosswalks in both directions: what a certificate prints (old commune, old sheet,
-- scale, parcel) <-> what the new commune's map shows (new commune, new sheet, parcel).
CREATE VIEW crosswalk_old_to_new AS
SELECT old_unit_code, scale, sheet_no AS old_sheet_no, parcel_no,
       unit_code, new_sheet_no, parcel_id, uid
FROM parcel WHERE new_sheet_no IS NOT NULL;
CREATE VIEW crosswalk_new_to_old AS
SELECT unit_code, scale, new_sheet_no, parcel_no,
       old_unit_code, sheet_no AS old_sheet_no, parcel_id, uid
FROM parcel WHERE new_sheet_no IS NOT NULL;
