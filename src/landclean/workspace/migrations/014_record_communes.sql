-- Version 14: the commune a land user and a certificate count in, kept as tables
-- (issue 17).  As views they were aggregated over the whole province every time a
-- commune's counters or tasks were brought up to date; the renumber stage, which
-- places the parcels they are decided from, now writes them when it places parcels.
-- Same definition: the commune of their first placed parcel by id, the parcel their
-- findings are attached to (rules.validate).
CREATE TABLE party_commune_kept AS SELECT * FROM party_commune;
DROP VIEW party_commune;
ALTER TABLE party_commune_kept RENAME TO party_commune;
CREATE TABLE certificate_commune_kept AS SELECT * FROM certificate_commune;
DROP VIEW certificate_commune;
ALTER TABLE certificate_commune_kept RENAME TO certificate_commune;
-- Whether all of a parcel's land users are matched with the registry (as recorded or
-- after a correction; NULL: none has a result), decided with its group by
-- classification, which re-groups exactly the parcels whose users' results changed.
ALTER TABLE parcel_group ADD COLUMN users_matched BOOLEAN;
UPDATE parcel_group SET users_matched = m.all_matched
FROM (SELECT r.parcel_id,
             bool_and(a.status IN ('matched', 'matched_after_correction')) AS all_matched
      FROM land_right r JOIN auth_result a USING (party_id) GROUP BY r.parcel_id) m
WHERE parcel_group.parcel_id = m.parcel_id;
