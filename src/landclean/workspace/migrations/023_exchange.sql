-- Version 23: exchange packages for the land information system (issue 21,
-- docs/exchange.md).  Every package sent is recorded; every object sent has versions
-- (a new one when its content changes, the old one ended), and each commune's packages
-- have a scope: which version of which object the commune's receiver holds after each
-- package, so that a package "since" an earlier one sends only what changed.
CREATE SEQUENCE exchange_seq START 1;
CREATE TABLE exchange_package (
    package_id      VARCHAR NOT NULL PRIMARY KEY,  -- a UUID, in the manifest
    seq             INTEGER NOT NULL,              -- order of packages, all communes
    unit_code       VARCHAR NOT NULL,              -- the new commune
    kind            VARCHAR NOT NULL,              -- full, delta
    since_id        VARCHAR,                       -- a delta: the package it is since
    follows_id      VARCHAR,                       -- the commune's package before it
    created_at      TIMESTAMP NOT NULL,
    created_by      VARCHAR NOT NULL,
    groups          INTEGER[] NOT NULL,            -- the data groups sent
    folder          VARCHAR NOT NULL,              -- where it was written
    manifest_sha256 VARCHAR NOT NULL,
    objects         BIGINT NOT NULL,               -- objects the package holds
    added           BIGINT NOT NULL,
    changed         BIGINT NOT NULL,
    retired         BIGINT NOT NULL,
    not_sent        BIGINT NOT NULL                -- the commune's parcels left out
);
CREATE TABLE exchange_version (
    class        VARCHAR NOT NULL,   -- parcel, party, land_right … (exchange/catalogue.json)
    object_key   VARCHAR NOT NULL,   -- its natural key (the UUID is derived from it)
    version      INTEGER NOT NULL,
    content_hash UBIGINT NOT NULL,
    begin_at     TIMESTAMP NOT NULL, -- first sent
    end_at       TIMESTAMP           -- replaced by a newer version, or no longer sent
);
CREATE TABLE exchange_scope (
    unit_code  VARCHAR NOT NULL,
    class      VARCHAR NOT NULL,
    object_key VARCHAR NOT NULL,
    version    INTEGER NOT NULL,
    from_seq   INTEGER NOT NULL,     -- the package that sent this version to the commune
    until_seq  INTEGER               -- the package after which the commune no longer has it
);
