-- Version 18: what a reviewer decided about a land user of the review queue other than
-- correcting the record (issue 18): a registry candidate rejected as another person, or
-- the case explained (deceased, an organization, a foreigner, no chip ID card yet …).
-- People's records, never rebuilt.  A decision holds for the authentication result it
-- was made on (input_hash): when the land user's record changes and authentication
-- computes another result, the case comes back to the queue.  No primary key (written
-- while a job's transaction may be open).
CREATE TABLE review_decision (
    decided_at  TIMESTAMP NOT NULL,
    actor       VARCHAR NOT NULL,
    party_id    VARCHAR NOT NULL,
    decision    VARCHAR NOT NULL,       -- reject, explain
    cccd        VARCHAR,                -- the registry candidate rejected (reject)
    reason      VARCHAR NOT NULL,       -- a code of reviews.REASONS
    note        VARCHAR,
    status      VARCHAR NOT NULL,       -- the authentication status decided on
    input_hash  UBIGINT NOT NULL        -- the authentication result decided on
);
