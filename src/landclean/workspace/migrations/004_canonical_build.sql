-- Version 4: the canonical tables are brought up to date when they are next needed.
-- `import` keeps the raw rows and the change set; the first command that reads the
-- canonical tables (run, correct, report) rebuilds them from the batches not yet built.
CREATE TABLE canonical_build (
    build_id      INTEGER PRIMARY KEY,
    built_at      TIMESTAMP NOT NULL,
    through_batch INTEGER NOT NULL,   -- every batch up to this one is in the canonical tables
    batches       INTEGER NOT NULL,   -- batches this build took in
    seconds       DOUBLE,
    conflicts     INTEGER NOT NULL
);
-- workspaces of versions 1-3 rebuilt at every import: they are up to date
INSERT INTO canonical_build
SELECT 1, now()::TIMESTAMP, COALESCE(max(batch_id), 0), count(*), NULL, 0 FROM import_batch;

-- Each run keeps how long its stages and each rule took, and what each rule found.
ALTER TABLE pipeline_run ADD COLUMN stage_seconds JSON;
CREATE TABLE rule_run (
    run_id   INTEGER NOT NULL,
    rule_id  VARCHAR NOT NULL,
    found    BIGINT NOT NULL,             -- records found (before states are updated)
    seconds  DOUBLE NOT NULL,
    error    VARCHAR,                     -- the rule failed: why (the others still ran)
    PRIMARY KEY (run_id, rule_id)
);

-- Spatial findings keep their geometry (an overlap, a gap in a sheet …).
ALTER TABLE finding ADD COLUMN geom GEOMETRY;
