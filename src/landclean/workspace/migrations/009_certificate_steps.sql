-- Certificates issued without digital data, followed one by one (issue 7): the commune
-- records on its worklist when each was collected, scanned and entered.  People's
-- records, never rebuilt from imports; the newest record of a step wins.
CREATE TABLE certificate_step (
    certificate_id VARCHAR NOT NULL,
    step           VARCHAR NOT NULL,    -- collected, scanned, entered
    done_on        DATE NOT NULL,
    actor          VARCHAR NOT NULL,
    recorded_at    TIMESTAMP NOT NULL,
    source         VARCHAR              -- worklist file and row
);

-- A task given to someone by hand keeps its person and due date when tasks are
-- regenerated.
ALTER TABLE task ADD COLUMN assigned_by VARCHAR;
ALTER TABLE task ADD COLUMN assigned_at TIMESTAMP;
