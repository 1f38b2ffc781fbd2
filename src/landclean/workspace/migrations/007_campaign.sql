-- Campaign progress (issue 7): the communes' progress reports, as read and typed, and
-- daily snapshots of every metric per commune.
CREATE TABLE raw_commune_progress (       -- a commune's progress report, as read
    batch_id INTEGER NOT NULL, source_file VARCHAR NOT NULL, row_no BIGINT NOT NULL,
    unit_code VARCHAR, name VARCHAR, report_date VARCHAR, committee_date VARCHAR,
    working_group_date VARCHAR, leader VARCHAR, members VARCHAR, has_land_db VARCHAR,
    vbdlis_synced VARCHAR, certificates_to_collect VARCHAR, certificates_collected VARCHAR,
    certificates_scanned VARCHAR, certificates_entered VARCHAR, id_cards_collected VARCHAR,
    profile VARCHAR, extra JSON            -- the profile used; unmapped columns verbatim
);
CREATE TABLE commune_progress (           -- every report, typed; the newest per commune
    unit_code          VARCHAR NOT NULL,  -- and date wins
    report_date        DATE NOT NULL,
    committee_date     DATE,
    working_group_date DATE,
    leader             VARCHAR,
    members            INTEGER,
    has_land_db        BOOLEAN,
    vbdlis_synced      BOOLEAN,
    certificates_to_collect INTEGER,
    certificates_collected  INTEGER,
    certificates_scanned    INTEGER,
    certificates_entered    INTEGER,
    id_cards_collected      INTEGER,
    source_batch INTEGER, source_file VARCHAR, source_row BIGINT,
    PRIMARY KEY (unit_code, report_date)
);
CREATE TABLE metric_snapshot (            -- progress over time, one value per day
    snapshot_date DATE NOT NULL,
    unit_code     VARCHAR NOT NULL,
    metric        VARCHAR NOT NULL,
    value         DOUBLE,
    taken_at      TIMESTAMP NOT NULL,
    PRIMARY KEY (snapshot_date, unit_code, metric)
);
