-- Version 26: land users verified through the national population service (issue 22):
-- the batches sent (files or HTTP), exactly what each request held, the verdicts read
-- back (kept, never overwritten), what could not be
-- applied and every exchange with the service (docs/registry-service.md).  The verdict
-- that counts for a key is the one answering its latest batch, errors left out.
CREATE TABLE registry_batch (
    batch_id    VARCHAR PRIMARY KEY,   -- also the idempotency key the service is given
    created_at  TIMESTAMP NOT NULL,
    created_by  VARCHAR NOT NULL,
    channel     VARCHAR NOT NULL,      -- file, online
    selection   VARCHAR NOT NULL,      -- unverified, changed, all
    commune     VARCHAR,               -- the new commune asked for (NULL: every one)
    requests    INTEGER NOT NULL,
    status      VARCHAR NOT NULL,      -- prepared, sent, answered
    attempts    INTEGER NOT NULL DEFAULT 0,
    sent_at     TIMESTAMP,             -- first sent (a file written, or the first POST)
    answered_at TIMESTAMP,
    answered    INTEGER NOT NULL DEFAULT 0   -- requests with a verdict applied
);
CREATE TABLE registry_request (        -- exactly what was sent for one land user
    batch_id        VARCHAR NOT NULL,
    request_key     VARCHAR NOT NULL,  -- opaque: md5 of the user and what was sent
    party_id        VARCHAR NOT NULL,
    sent_hash       UBIGINT NOT NULL,  -- the sent values' hash: a verdict counts while equal
    id_number       VARCHAR,           -- 12-digit personal identification number
    old_id          VARCHAR,           -- 9-digit CMND, when that is all the record has
    full_name       VARCHAR,
    birth_date      DATE,              -- when known to the day
    birth_year      INTEGER,           -- when known to the year (or the day)
    birth_precision VARCHAR,           -- day, year, none (NULL: not sent)
    sex             VARCHAR            -- M, F
);
CREATE SEQUENCE registry_verdict_seq START 1;
CREATE TABLE registry_verdict (        -- what the service answered, per request key
    verdict_id     BIGINT PRIMARY KEY DEFAULT nextval('registry_verdict_seq'),
    request_key    VARCHAR NOT NULL,
    key_hash       UBIGINT NOT NULL,   -- hash(request_key): a key's verdicts found by a number
    batch_id       VARCHAR NOT NULL,
    party_id       VARCHAR NOT NULL,
    sent_hash      UBIGINT NOT NULL,
    verdict_hash   UBIGINT NOT NULL,   -- hash of the verdict's values below (up to source)
    found          BOOLEAN,
    name_match     BOOLEAN,
    birth_match    BOOLEAN,
    sex_match      BOOLEAN,
    registry_id    VARCHAR,            -- the registry's values, where the service gives them
    registry_name  VARCHAR,
    registry_birth DATE,
    registry_sex   VARCHAR,
    error_code     VARCHAR,            -- the service could not verify this request
    received_at    TIMESTAMP NOT NULL,
    received_by    VARCHAR NOT NULL,
    source         VARCHAR NOT NULL    -- the response file, or the service's URL
);
CREATE TABLE registry_problem (        -- response rows not applied, and why
    received_at TIMESTAMP NOT NULL,
    source      VARCHAR NOT NULL,
    row_number  BIGINT,                -- in the file (1 = first data row), or in the body
    request_key VARCHAR,
    problem     VARCHAR NOT NULL,      -- unknown_key, duplicate, conflicting, malformed
    detail      VARCHAR
);
CREATE TABLE registry_exchange (       -- every exchange with the service, who and when
    logged_at  TIMESTAMP NOT NULL,
    actor      VARCHAR NOT NULL,
    batch_id   VARCHAR,
    direction  VARCHAR NOT NULL,       -- request, response
    channel    VARCHAR NOT NULL,       -- file, online
    target     VARCHAR NOT NULL,       -- the file, or the URL
    outcome    VARCHAR NOT NULL,       -- written, read, 200, 429, timeout …
    records    INTEGER,
    sha256     VARCHAR                 -- of the body or file
);
