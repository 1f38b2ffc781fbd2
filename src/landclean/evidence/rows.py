"""What was read from documents, as Arrow tables of the evidence tables' columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyarrow as pa

if TYPE_CHECKING:
    from landclean.evidence.add import Reading


def card_rows(readings: list[Reading]) -> pa.Table:
    """The ID cards read, as rows of evidence_card."""
    rows = [
        {
            "sha256": r.sha256,
            "page": page,
            "payload": card.raw,
            "id_number": card.id_number,
            "cmnd": card.cmnd,
            "full_name": card.full_name,
            "birth_date": card.birth_date,
            "female": card.female,
            "address": card.address,
            "issue_date": card.issue_date,
            "problems": list(card.problems),
        }
        for r in readings
        for page, card in r.cards
    ]
    schema = pa.schema(
        [
            ("sha256", pa.string()),
            ("page", pa.int32()),
            ("payload", pa.string()),
            ("id_number", pa.string()),
            ("cmnd", pa.string()),
            ("full_name", pa.string()),
            ("birth_date", pa.date32()),
            ("female", pa.bool_()),
            ("address", pa.string()),
            ("issue_date", pa.date32()),
            ("problems", pa.list_(pa.string())),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)


def scan_rows(readings: list[Reading]) -> pa.Table:
    """The certificate pages read, as rows of evidence_scans (before linking)."""
    rows = [
        {
            "sha256": r.sha256,
            "page": page,
            "serial": t.serial,
            "confidence": t.confidence,
            "repaired": t.repaired,
            "sheet_no": t.sheet_no,
            "parcel_no": t.parcel_no,
            "book_entry_no": t.book_entry_no,
            "page_text": text,
        }
        for r in readings
        for page, t, text in r.scans
    ]
    schema = pa.schema(
        [
            ("sha256", pa.string()),
            ("page", pa.int32()),
            ("serial", pa.string()),
            ("confidence", pa.float64()),
            ("repaired", pa.bool_()),
            ("sheet_no", pa.string()),
            ("parcel_no", pa.string()),
            ("book_entry_no", pa.string()),
            ("page_text", pa.string()),
        ]
    )
    return pa.Table.from_pylist(rows, schema=schema)
