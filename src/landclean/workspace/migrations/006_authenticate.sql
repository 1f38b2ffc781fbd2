-- Authentication cascade (issue 6): statuses with several reasons, the link's score,
-- proposed corrections (never applied here), review candidates and the trained model.
DROP TABLE auth_result;
CREATE TABLE auth_result (
    party_id       VARCHAR NOT NULL,   -- one row per land user (no index: replaced in bulk)
    status         VARCHAR NOT NULL,   -- matched, matched_after_correction, review, unmatched
    reason         VARCHAR,            -- the first of reasons (kept for counting)
    reasons        VARCHAR[],          -- every reason code (docs/authentication.md)
    registry_cccd  VARCHAR,            -- the linked (or best) registry person
    method         VARCHAR NOT NULL,   -- exact, id_name (ID and name agree), scored, none
    match_weight   DOUBLE,
    match_probability DOUBLE,
    candidates     INTEGER NOT NULL,   -- registry candidates considered
    proposed_id    VARCHAR,            -- corrections the registry suggests
    proposed_name  VARCHAR,
    proposed_birth DATE,
    input_hash     UBIGINT NOT NULL,   -- what the result was computed from (incremental runs)
    run_id         INTEGER NOT NULL
);
CREATE TABLE auth_candidate (          -- the best candidates of users not matched exactly
    party_id  VARCHAR NOT NULL,
    cccd      VARCHAR NOT NULL,
    rank      INTEGER NOT NULL,        -- 1 = best
    via       VARCHAR[] NOT NULL,      -- which candidate searches found it
    match_weight DOUBLE NOT NULL,
    match_probability DOUBLE NOT NULL,
    run_id    INTEGER NOT NULL
);
CREATE TABLE auth_model (              -- the Splink model (m/u trained by EM), one per registry
    model_id    INTEGER PRIMARY KEY,
    trained_at  TIMESTAMP NOT NULL,
    registry_version VARCHAR NOT NULL,
    training_users INTEGER NOT NULL,
    seconds     DOUBLE NOT NULL,
    settings    JSON NOT NULL
);
CREATE TABLE auth_registry (           -- registry people with comparison keys (derived:
    cccd       VARCHAR NOT NULL,       -- rebuilt with the model when the registry changes)
    cmnd       VARCHAR,
    full_name  VARCHAR,
    nfc        VARCHAR, tone VARCHAR, ascii VARCHAR, tokens VARCHAR,
    family     VARCHAR, given VARCHAR, given_tone VARCHAR, given_last VARCHAR,
    birth_date DATE,
    birth_year INTEGER,
    serial     VARCHAR,                -- last six digits of the CCCD
    commune    VARCHAR                 -- new commune code of the registered address
);
