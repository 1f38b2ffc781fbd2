"""Which certificate a scanned page is of: the serial read, set against the record.

A page is ``linked`` to a certificate when its serial was read with confidence (every
word of it at least ``CONFIDENT``, no OCR slip undone), exactly one certificate on record
has that serial, and the sheet and parcel numbers read (where read) are those of one of
its parcels (old numbering, as the certificate prints them).  Anything less is for a
person: ``review`` (a doubtful read, several certificates, other numbers),
``parcel_match`` (no certificate has the serial, or none was read, but the sheet and
parcel numbers read are those of exactly one certificate's parcels in the commune the
scan was brought for, or in the province when brought by command: the certificate it is
likely of, whose serial on record may be wrong; a person decides), ``no_certificate``
(nothing found either way), ``no_serial`` (none read, or two, and no parcel found).  A
linked scan counts as the certificate scanned (``scans_registered`` in the campaign's
figures); a ``parcel_match`` does not.
"""

from __future__ import annotations

CONFIDENT = 80.0  # Tesseract's word confidence a serial needs to be linked unseen

LINK_SQL = f"""
INSERT INTO evidence_certificate
WITH found AS (
    SELECT s.sha256, s.page, c.certificate_id,
        EXISTS (SELECT 1 FROM certificate_parcel cp JOIN parcel p USING (parcel_id)
                WHERE cp.certificate_id = c.certificate_id
                  AND (s.sheet_no IS NULL OR CAST(p.sheet_no AS VARCHAR) = s.sheet_no)
                  AND (s.parcel_no IS NULL OR CAST(p.parcel_no AS VARCHAR) = s.parcel_no))
            AS parcel_agrees
    FROM ev_scans s JOIN certificate c ON c.serial = s.serial
),
by_parcel AS (   -- the certificates of the parcels with the sheet and parcel numbers read
    SELECT s.sha256, s.page, count(DISTINCT cp.certificate_id) AS n,
           any_value(cp.certificate_id) AS one
    FROM ev_scans s
    JOIN parcel p ON CAST(p.sheet_no AS VARCHAR) = s.sheet_no
                 AND CAST(p.parcel_no AS VARCHAR) = s.parcel_no
    JOIN certificate_parcel cp USING (parcel_id)
    WHERE $unit IS NULL OR p.unit_code = $unit
    GROUP BY s.sha256, s.page
),
judged AS (
    SELECT s.sha256, s.page, count(f.certificate_id) AS candidates,
        CASE WHEN count(f.certificate_id) = 1 THEN any_value(f.certificate_id) END AS one,
        coalesce(bool_and(f.parcel_agrees), false) AS agrees
    FROM ev_scans s LEFT JOIN found f USING (sha256, page)
    GROUP BY s.sha256, s.page
)
SELECT s.sha256, s.page, s.serial, s.confidence, s.repaired, s.sheet_no, s.parcel_no,
       s.book_entry_no, s.page_text,
       CASE WHEN j.candidates = 1 THEN j.one WHEN j.candidates = 0 AND b.n = 1 THEN b.one END,
       CASE WHEN j.candidates = 0 AND b.n = 1 THEN 'parcel_match'
            WHEN s.serial IS NULL THEN 'no_serial'
            WHEN j.candidates = 0 THEN 'no_certificate'
            WHEN j.candidates = 1 AND j.agrees AND NOT s.repaired
                 AND coalesce(s.confidence, 0) >= {CONFIDENT} THEN 'linked'
            ELSE 'review' END,
       j.candidates
FROM ev_scans s JOIN judged j USING (sha256, page)
LEFT JOIN by_parcel b USING (sha256, page)
"""

# Each scan linked journalled (stage ``evidence``): the campaign's figures follow.
JOURNAL_SQL = """
INSERT INTO change_log (changed_at, actor, stage, table_name, record_id, column_name,
                        before, after, note)
SELECT now()::TIMESTAMP, $by, 'evidence', 'certificate', certificate_id, 'scan', NULL,
       status, 'GCN ' || left(sha256, 12) || ' p' || page
FROM evidence_certificate
WHERE sha256 IN (SELECT sha256 FROM ev_new) AND certificate_id IS NOT NULL
"""
