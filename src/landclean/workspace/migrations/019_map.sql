-- Version 19: the map (issue 19).  The `map` stage keeps every geometry the map shows in
-- Web Mercator (EPSG:3857) beside the VN-2000 one, with its box, stored in the order of a
-- Hilbert curve over the province (a tile reads the few row groups whose boxes meet
-- it), and with only what a tile shows: never a name, an ID number or a birth date.
CREATE TABLE map_parcel (
    parcel_id     VARCHAR NOT NULL,
    unit_code     VARCHAR,              -- new commune (NULL: not placed)
    old_unit_code VARCHAR,
    sheet_no      INTEGER,
    new_sheet_no  INTEGER,
    parcel_no     INTEGER,
    scale         INTEGER,
    uid           VARCHAR,
    placement     VARCHAR,
    grp           INTEGER,              -- 1 usable, 2 needs work, 3 unusable
    open_findings INTEGER NOT NULL,
    authenticated BOOLEAN,              -- every land user matched (NULL: none)
    minx DOUBLE, miny DOUBLE, maxx DOUBLE, maxy DOUBLE,
    geom          GEOMETRY              -- EPSG:3857
);
-- the geometries of spatial findings, and parcels whose new commune is undecided
CREATE TABLE map_problem (
    rule_id     VARCHAR NOT NULL,
    record_type VARCHAR NOT NULL,
    record_id   VARCHAR NOT NULL,
    parcel_id   VARCHAR,
    unit_code   VARCHAR,
    severity    VARCHAR,
    minx DOUBLE, miny DOUBLE, maxx DOUBLE, maxy DOUBLE,
    geom        GEOMETRY                -- EPSG:3857
);
-- map sheets: the hull of their parcels, old and new numbers
CREATE TABLE map_sheet_outline (
    old_unit_code VARCHAR NOT NULL,
    sheet_no      INTEGER NOT NULL,
    scale         INTEGER NOT NULL,
    unit_code     VARCHAR,
    new_sheet_no  INTEGER,
    parcels       INTEGER NOT NULL,
    minx DOUBLE, miny DOUBLE, maxx DOUBLE, maxy DOUBLE,
    geom          GEOMETRY              -- EPSG:3857
);
-- new communes: the outline of their sheets and their figures (what low zooms show)
CREATE TABLE map_commune (
    unit_code     VARCHAR NOT NULL,
    name          VARCHAR,
    parcels       INTEGER NOT NULL,
    usable        INTEGER NOT NULL,
    open_findings INTEGER NOT NULL,
    share_usable  DOUBLE,
    minx DOUBLE, miny DOUBLE, maxx DOUBLE, maxy DOUBLE,
    geom          GEOMETRY              -- EPSG:3857
);
-- the boxes each run of the stage changed (NULL box: everything), for the server's cache
CREATE TABLE map_change (
    run_id INTEGER NOT NULL,
    layer  VARCHAR NOT NULL,
    minx DOUBLE, miny DOUBLE, maxx DOUBLE, maxy DOUBLE
);
