-- Version 21: evidence from people and paper (issue 20).  A document is known by the
-- SHA-256 of its bytes; the bytes themselves are kept unchanged in the workspace's
-- evidence folder (``<workspace>.evidence/<2 hex>/<sha256>``), never in the database.
-- Every time someone brings a document is an arrival (who, from where, when), even when
-- the same bytes came before.  What a document says is a reading (an ID card's QR code
-- per page, a certificate's serial per scanned page); what a reading proves about land
-- users is a link, with why.
CREATE TABLE evidence_document (
    sha256         VARCHAR NOT NULL,        -- of the bytes: the document's identity
    media_type     VARCHAR NOT NULL,        -- read from the first bytes, not the name
    size_bytes     BIGINT NOT NULL,
    pages          INTEGER,                 -- NULL: could not be opened
    kind           VARCHAR NOT NULL,        -- cccd_qr, certificate, unknown
    problem        VARCHAR,                 -- why nothing was read (no_code, damaged …)
    first_added_at TIMESTAMP NOT NULL,
    first_added_by VARCHAR NOT NULL
);
CREATE TABLE evidence_arrival (
    sha256         VARCHAR NOT NULL,
    file_name      VARCHAR NOT NULL,        -- as brought (path or upload name)
    added_by       VARCHAR NOT NULL,
    added_at       TIMESTAMP NOT NULL,
    via            VARCHAR NOT NULL,        -- command, web, confirmation
    unit_code      VARCHAR                  -- the commune page it was brought on (web)
);
CREATE TABLE evidence_card (                -- an ID card's QR code read on a page
    sha256         VARCHAR NOT NULL,
    page           INTEGER NOT NULL,
    payload        VARCHAR NOT NULL,        -- the code's text, verbatim
    id_number      VARCHAR,
    cmnd           VARCHAR,
    full_name      VARCHAR,
    birth_date     DATE,
    female         BOOLEAN,
    address        VARCHAR,
    issue_date     DATE,
    problems       VARCHAR[] NOT NULL       -- checks that fail: then never linked
);
CREATE TABLE evidence_link (                -- what a card proves about one land user
    sha256         VARCHAR NOT NULL,
    page           INTEGER NOT NULL,
    party_id       VARCHAR NOT NULL,
    via            VARCHAR[] NOT NULL,      -- id, cmnd, name_birth: how the card found it
    registry       VARCHAR NOT NULL,        -- agrees, differs, absent: the card vs the registry
    status         VARCHAR NOT NULL,        -- confirmed, proposed, review
    differs        VARCHAR[] NOT NULL,      -- fields of the land record the card contradicts
    linked_at      TIMESTAMP NOT NULL,
    linked_by      VARCHAR NOT NULL
);
CREATE TABLE evidence_certificate (         -- a certificate's scanned page, read with Tesseract
    sha256         VARCHAR NOT NULL,
    page           INTEGER NOT NULL,
    serial         VARCHAR,                 -- as read (slips undone); NULL: none, or two
    confidence     DOUBLE,                  -- the serial's lowest word confidence (0-100)
    repaired       BOOLEAN NOT NULL,        -- an OCR slip was undone in the serial
    sheet_no       VARCHAR,                 -- "Tờ bản đồ số" as read
    parcel_no      VARCHAR,                 -- "Thửa đất số" as read
    book_entry_no  VARCHAR,
    page_text      VARCHAR NOT NULL,        -- Tesseract's text, verbatim
    certificate_id VARCHAR,                 -- the certificate it is the scan of (linked)
    status         VARCHAR NOT NULL,        -- linked, review, no_certificate, no_serial
    candidates     INTEGER NOT NULL         -- certificates on record with the serial
);
