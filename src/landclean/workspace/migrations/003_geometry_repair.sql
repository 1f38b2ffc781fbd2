-- Version 3: geometries repaired by the standardize stage keep a flag, so that the
-- repair is still reported as a finding (and a newer, valid export clears it).
ALTER TABLE parcel ADD COLUMN geom_repaired BOOLEAN;
