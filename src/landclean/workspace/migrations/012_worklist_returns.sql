-- Version 12: a worklist taken back is remembered by its content (issue 15), so the
-- same file taken back twice (an operator unsure whether a killed `apply` committed)
-- records nothing the second time and says when, and by whom, it was applied before.
CREATE TABLE worklist_return (
    file_sha256  VARCHAR NOT NULL,     -- the workbook's bytes, hashed
    file_name    VARCHAR NOT NULL,
    applied_at   TIMESTAMP NOT NULL,
    actor        VARCHAR NOT NULL,
    applied      INTEGER NOT NULL,     -- corrections recorded
    unchanged    INTEGER NOT NULL,     -- values equal to the record's: not recorded
    steps        INTEGER NOT NULL,     -- certificate collection/scanning/entry dates
    rejected     INTEGER NOT NULL
);
