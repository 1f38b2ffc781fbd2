-- Version 25: the exchange fingerprint summed by bucket (issue 21), so that a package
-- of changes compares row by row only the buckets whose sums moved: a bucket is the
-- top 16 bits of a row's key hash, its sum that of hash(key hash, row hash) over its rows
-- (exchange/fingerprint.py). Always the sums of exchange_fingerprint's rows.
CREATE TABLE exchange_fingerprint_bucket (
    src VARCHAR  NOT NULL,  -- the table, as in exchange_fingerprint
    b   USMALLINT NOT NULL, -- the bucket: kh >> 48
    s   HUGEINT  NOT NULL,  -- sum of hash(kh, h) over the bucket's rows
    n   BIGINT   NOT NULL   -- its rows
);
INSERT INTO exchange_fingerprint_bucket
SELECT src, (kh >> 48)::USMALLINT, sum(hash(kh, h)::HUGEINT), count(*)
FROM exchange_fingerprint GROUP BY ALL;
