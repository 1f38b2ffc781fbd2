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

-- Targets given to each commune by the province (phụ lục giao chỉ tiêu): the share of
-- parcels to bring to group 1, and by when.  A commune without one has the province's
-- (LANDCLEAN_CLEAN_TARGET, LANDCLEAN_CAMPAIGN_END).
CREATE TABLE raw_commune_target (         -- the targets sheet, as read
    batch_id INTEGER NOT NULL, source_file VARCHAR NOT NULL, row_no BIGINT NOT NULL,
    unit_code VARCHAR, name VARCHAR, clean_target VARCHAR, due_date VARCHAR,
    profile VARCHAR, extra JSON
);
CREATE TABLE commune_target (
    unit_code    VARCHAR PRIMARY KEY,
    clean_target DOUBLE,                  -- share of parcels in group 1, 0..1
    due_date     DATE,
    source_batch INTEGER, source_file VARCHAR, source_row BIGINT
);
