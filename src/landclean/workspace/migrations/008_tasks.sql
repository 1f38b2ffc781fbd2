-- Tasks of the campaign (issue 7): generated from findings, the review queue and the
-- certificates to collect; assigned to the commune's working-group leader.
CREATE TABLE task (
    task_id    VARCHAR PRIMARY KEY,     -- kind:commune[:rule]
    unit_code  VARCHAR NOT NULL,
    kind       VARCHAR NOT NULL,        -- fix_findings, verify_users, confirm_corrections,
                                        -- verify_unmatched, collect_certificates
    subject    VARCHAR,                 -- the rule, for fix_findings
    title      VARCHAR NOT NULL,        -- what to do, in Vietnamese
    quantity   INTEGER NOT NULL,        -- records still to handle
    assignee   VARCHAR NOT NULL,
    due        DATE NOT NULL,
    status     VARCHAR NOT NULL,        -- open, done
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
