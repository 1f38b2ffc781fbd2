-- Version 16: incremental imports (issue 17).  A build compares every record of the
-- canonical tables before and after (a hash of its rows) and keeps the records it
-- added, changed or removed; the stages after it recompute those records and what
-- depends on them instead of everything.  A build that changed too much, or the tables
-- everything depends on, keeps no delta (``delta`` false): every stage recomputes all.
ALTER TABLE canonical_build ADD COLUMN delta BOOLEAN DEFAULT false;
CREATE TABLE build_delta (
    build_id    INTEGER NOT NULL,
    table_name  VARCHAR NOT NULL,  -- parcel, party, certificate; or a whole table
    record_id   VARCHAR,           -- NULL: the whole table changed (registry_person …)
    change      VARCHAR NOT NULL,  -- added, changed, removed, table
    key_before  VARCHAR            -- what the record held before: a parcel's old commune,
                                   -- a land user's ID number, a certificate's serial
);
-- Pairs of parcels whose interiors overlap, kept between runs (validation's): after an
-- import only the pairs of parcels whose geometry changed are computed again.
CREATE TABLE overlap_pair (a VARCHAR NOT NULL, b VARCHAR NOT NULL, area DOUBLE, g GEOMETRY);
-- it is filled by validation's next full run: until then, validation recomputes all
DELETE FROM stage_state WHERE stage = 'validate';
