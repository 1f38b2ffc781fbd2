-- Version 24: the scope of exchange packages keeps the content hash of the version each
-- commune's receiver holds (issue 21), so that a package of changes compares what the
-- receivers hold with the workspace from the scope alone, without reading the versions.
ALTER TABLE exchange_scope ADD COLUMN content_hash UBIGINT;
UPDATE exchange_scope s SET content_hash = v.content_hash FROM exchange_version v
WHERE v.class = s.class AND v.object_key = s.object_key AND v.version = s.version;
-- The rows packages are made from as they were at the last export (exchange/
-- fingerprint.py): a package of changes starts from the rows that differ since.
CREATE TABLE exchange_fingerprint (
    src        VARCHAR NOT NULL,  -- the table (parcel, land_right, party …)
    kh         UBIGINT NOT NULL,  -- the hash of the row's key in it
    h          UBIGINT NOT NULL,  -- the hash of the whole row
    parcel_ref VARCHAR,           -- the parcel, land user and certificate it refers to
    party_ref  VARCHAR,
    cert_ref   VARCHAR
);
-- the communes whose receivers hold what the fingerprint describes: their latest
-- package, and the groups it sent
CREATE TABLE exchange_fingerprint_mark (
    unit_code VARCHAR NOT NULL PRIMARY KEY,
    seq       INTEGER NOT NULL,
    groups    INTEGER[] NOT NULL
);
