-- Version 13: incremental runs (issue 17).  Each stage's watermark: what it had seen
-- when it last succeeded (the last change people made, the last build, the settings
-- that shape results, the day); the next run recomputes only what changed since.
CREATE TABLE stage_state (
    stage        VARCHAR PRIMARY KEY,
    run_id       INTEGER NOT NULL,     -- the run it last succeeded in
    change_id    BIGINT NOT NULL,      -- the last change_log row of people's changes it saw
    build_id     INTEGER NOT NULL,     -- the canonical build it worked on
    settings     VARCHAR NOT NULL,     -- hash of the settings (and files) results depend on
    lang         VARCHAR NOT NULL,     -- the language of the words it wrote (task titles)
    day          DATE NOT NULL,        -- the day the run counted for
    recorded_at  TIMESTAMP NOT NULL
);
-- the run in which a finding's state, details or parcel last changed (classification
-- re-groups only the parcels of findings that changed)
ALTER TABLE finding ADD COLUMN changed_run INTEGER;
UPDATE finding SET changed_run = last_seen_run;
-- what a parcel's UID was computed from (its geometry): computed again only when it changes
ALTER TABLE parcel_place ADD COLUMN uid_basis UBIGINT;
