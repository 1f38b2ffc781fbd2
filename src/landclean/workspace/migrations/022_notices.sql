-- Version 22: citizens confirm their records (issue 20).  A notice is a printed page sent
-- to one land user, with a one-time link; only the SHA-256 of the link's secret is kept
-- (the secret itself is on paper alone), so the database cannot be used to answer for
-- anyone.  A notice is live until it is answered, expires, or a newer notice for the
-- same land user replaces it.  An answer is evidence: the words, what was shown to the
-- person and their ID card's photo are kept as documents (evidence_document, via
-- 'confirmation'); it is a task for the commune until someone there has handled it.
CREATE TABLE citizen_notice (
    notice_id    VARCHAR NOT NULL,        -- printed on the notice (a reference, not the secret)
    token_hash   VARCHAR NOT NULL,        -- SHA-256 of the link's secret
    party_id     VARCHAR NOT NULL,
    unit_code    VARCHAR NOT NULL,        -- the new commune it was issued for
    issued_at    TIMESTAMP NOT NULL,
    issued_by    VARCHAR NOT NULL,
    expires_at   TIMESTAMP NOT NULL,
    replaced_at  TIMESTAMP,               -- a newer notice for the same land user was issued
    answered_at  TIMESTAMP
);
CREATE TABLE citizen_answer (
    notice_id    VARCHAR NOT NULL,
    party_id     VARCHAR NOT NULL,
    unit_code    VARCHAR NOT NULL,
    answered_at  TIMESTAMP NOT NULL,
    answer       VARCHAR NOT NULL,        -- confirmed, wrong
    message      VARCHAR,                 -- what the person wrote, verbatim
    sha256       VARCHAR NOT NULL,        -- the answer kept as a document (with what was shown)
    photo_sha256 VARCHAR,                 -- the ID card's photo they sent, if any
    handled_at   TIMESTAMP,               -- by the commune
    handled_by   VARCHAR,
    handled_note VARCHAR
);
