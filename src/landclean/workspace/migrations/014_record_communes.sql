-- Version 14: the commune a land user and a certificate count in, kept as tables
-- (issue 17).  As views they were aggregated over the whole province every time a
-- commune's counters or tasks were brought up to date; the renumber stage, which
-- places the parcels they are decided from, now writes them when it places parcels.
-- Same definition: the commune of their first placed parcel by id, the parcel their
-- findings are attached to (rules.validate).
DROP VIEW party_commune;
DROP VIEW certificate_commune;
CREATE TABLE party_commune AS
SELECT r.party_id, arg_min(p.unit_code, p.parcel_id) AS unit_code
FROM land_right r JOIN parcel p USING (parcel_id) GROUP BY r.party_id;
CREATE TABLE certificate_commune AS
SELECT cp.certificate_id, arg_min(p.unit_code, p.parcel_id) AS unit_code
FROM certificate_parcel cp JOIN parcel p USING (parcel_id) GROUP BY cp.certificate_id;
