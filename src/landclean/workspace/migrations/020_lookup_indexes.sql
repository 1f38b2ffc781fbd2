-- Version 20: a record page's lookups by a column the table is not stored in the order
-- of (issue 18).  At 3.4 M parcels each was a scan of millions of rows (30-60 ms, one
-- thread) for a few rows; with an index, under a millisecond:
-- * a record's history: change_log is appended to and never rewritten, so its index
--   costs only its inserts (5.6 M rows: 5 s to make);
-- * a land user's parcels (land_right, stored by parcel) and a certificate's parcels
--   (certificate_parcel, stored by parcel); land users and certificates by a list of
--   their ids (the commune page's records to fix: certificate ids are hashes, so the
--   certificates of one commune's findings lie in every row group): the build's
--   rewrite of every row keeps each index up to date (about 8 s more per table at
--   3.4 M parcels).
CREATE INDEX change_log_record ON change_log (record_id);
CREATE INDEX land_right_party ON land_right (party_id);
CREATE INDEX certificate_parcel_certificate ON certificate_parcel (certificate_id);
CREATE INDEX party_id ON party (party_id);
CREATE INDEX certificate_id ON certificate (certificate_id);
