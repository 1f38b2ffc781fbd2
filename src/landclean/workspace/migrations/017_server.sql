-- Version 17: the campaign server (issue 18).  Accounts with a role and the communes they
-- may see, sessions and API tokens (only their SHA-256 is kept), every login, lockout and
-- account change (account_event), every reveal of personal data (access_log), corrections
-- of sensitive fields waiting for a province user's approval, and the jobs started from
-- the web.  The key that signs session cookies is kept in server_secret.  Rows the server
-- updates while a job's transaction is open (jobs, proposals) have no primary key:
-- DuckDB reports a conflict on an indexed row another live transaction still sees.
CREATE TABLE account (
    login          VARCHAR PRIMARY KEY,
    role           VARCHAR NOT NULL,       -- admin, province, commune, leader
    communes       VARCHAR[] NOT NULL,     -- new communes' codes (role commune only)
    password_hash  VARCHAR NOT NULL,       -- Argon2id
    disabled       BOOLEAN NOT NULL DEFAULT false,
    created_at     TIMESTAMP NOT NULL,
    created_by     VARCHAR NOT NULL
);
CREATE TABLE account_login (                -- failures in a row, and the lockout they set
    login          VARCHAR NOT NULL,
    failed         INTEGER NOT NULL,
    locked_until   TIMESTAMP,
    failed_at      TIMESTAMP NOT NULL
);
CREATE TABLE account_session (
    session_hash   VARCHAR NOT NULL,        -- SHA-256 of the cookie's session id
    login          VARCHAR NOT NULL,
    csrf           VARCHAR NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    expires_at     TIMESTAMP NOT NULL,
    ended_at       TIMESTAMP                -- logout, disable, password reset
);
CREATE TABLE account_token (
    token_hash     VARCHAR NOT NULL,        -- SHA-256 of the bearer token
    login          VARCHAR NOT NULL,
    created_at     TIMESTAMP NOT NULL,
    created_by     VARCHAR NOT NULL,
    expires_at     TIMESTAMP NOT NULL,
    revoked_at     TIMESTAMP
);
CREATE TABLE account_event (
    event_at       TIMESTAMP NOT NULL,
    login          VARCHAR NOT NULL,
    event          VARCHAR NOT NULL,        -- login, login_failed, locked, logout, added, ...
    actor          VARCHAR NOT NULL,
    address        VARCHAR                  -- the client's address, for a login
);
CREATE TABLE access_log (
    revealed_at    TIMESTAMP NOT NULL,
    login          VARCHAR NOT NULL,
    record_type    VARCHAR NOT NULL,
    record_id      VARCHAR NOT NULL,
    field          VARCHAR NOT NULL,
    unit_code      VARCHAR
);
CREATE SEQUENCE proposal_seq START 1;
CREATE TABLE correction_proposal (
    proposal_id    BIGINT DEFAULT nextval('proposal_seq') NOT NULL,
    table_name     VARCHAR NOT NULL,
    record_id      VARCHAR NOT NULL,
    column_name    VARCHAR NOT NULL,
    before         VARCHAR,                 -- the value on record when it was proposed
    value          VARCHAR,                 -- as the column will hold it
    unit_code      VARCHAR,
    proposed_by    VARCHAR NOT NULL,
    proposed_at    TIMESTAMP NOT NULL,
    note           VARCHAR,
    state          VARCHAR NOT NULL,        -- pending, approved, rejected
    decided_by     VARCHAR,
    decided_at     TIMESTAMP,
    decision_note  VARCHAR
);
CREATE SEQUENCE job_seq START 1;
CREATE TABLE job (
    job_id         BIGINT DEFAULT nextval('job_seq') NOT NULL,
    kind           VARCHAR NOT NULL,        -- run, report, import, recheck
    params         VARCHAR NOT NULL,        -- JSON
    state          VARCHAR NOT NULL,        -- queued, running, done, failed, cancelled
    requested_by   VARCHAR NOT NULL,
    requested_at   TIMESTAMP NOT NULL,
    started_at     TIMESTAMP,
    finished_at    TIMESTAMP,
    progress       VARCHAR,
    message        VARCHAR,
    cancel_by      VARCHAR                  -- who asked a running job to stop
);
CREATE TABLE server_secret (name VARCHAR NOT NULL, value VARCHAR NOT NULL);
