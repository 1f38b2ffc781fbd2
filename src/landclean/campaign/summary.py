"""summary.json: the contract every report, the snapshots and the coming dashboard read.

The document is a pydantic model (``Summary``): ``docs/summary.schema.json`` is its JSON
Schema and ``docs/summary.md`` describes every field (``schema_markdown``).  It is built
by ``campaign.rollup``.  A block is absent until its stage has produced results (a
stage that found nothing to record reads as not run), never zeros (DESIGN.md).

Unknown is not no: a status the sources do not give (a certificate's digital data, a
parcel's or a commune's VBDLIS synchronization, a commune's land database) is counted in
a field of its own, beside the yes and the no, which together add up to the whole.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Region = Literal["west", "east"]
Count = int


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParcelCounts(_Block):
    """Parcels, and their groups once the classify stage has run."""

    total: Count = Field(description="Parcels in the canonical tables (counted in a commune).")
    with_uid: Count = Field(description="Parcels with a unique identifier (GeoHash-12).")
    group1: Count | None = Field(None, description="Parcels in group 1: usable now.")
    group2: Count | None = Field(
        None, description="Parcels in group 2: need correction, supplement or authentication."
    )
    group3: Count | None = Field(None, description="Parcels in group 3: unusable, rebuild.")


class FindingCounts(_Block):
    """Open findings of a commune or region (by the commune of their parcel)."""

    open: Count = Field(description="Open findings on the parcels of the commune or region.")


class ProvinceFindings(FindingCounts):
    """The province's findings, of every record (map sheets too), by state, severity and
    rule."""

    fixed: Count = Field(description="Findings a later run no longer found.")
    exception: Count = Field(description="Findings a person accepted as exceptions.")
    by_severity: dict[str, Count] = Field(description="Open findings by severity.")
    by_rule: dict[str, Count] = Field(description="Open findings by rule id (docs/rules.md).")


class AuthenticationCounts(_Block):
    """Land users against the population registry (a user counts in the commune of their
    first parcel), and parcels authenticated."""

    users: Count = Field(description="Land users (individuals, household members) authenticated.")
    matched: Count = Field(description="Matched with the population registry as recorded.")
    matched_after_correction: Count = Field(
        description="Identified, with a correction proposed by the registry."
    )
    review: Count = Field(description="Plausible registry candidates: a person must decide.")
    unmatched: Count = Field(description="No plausible registry person.")
    parcels_matched: Count = Field(description="Parcels whose land users are all matched.")
    parcels_unmatched: Count = Field(description="Parcels with a land user not matched.")
    by_reason: dict[str, Count] = Field(
        description="Land users by reason code (docs/authentication.md); a user may have several."
    )
    parcels_unmatched_by_reason: dict[str, Count] = Field(
        description="Parcels not authenticated, by reason of any of their users in review or "
        "unmatched."
    )


class DigitizationCounts(_Block):
    """Certificates: in the data, with, without or of unknown digital data, and their
    collection as the progress reports give it and as recorded one by one on worklists."""

    certificates: Count = Field(description="Certificates in the canonical tables.")
    with_digital_data: Count = Field(description="Certificates the sources say have digital data.")
    without_digital_data: Count = Field(
        description="Certificates the sources say were issued without digital data."
    )
    certificates_digital_unknown: Count = Field(
        description="Certificates whose sources do not say whether they have digital data "
        "(not counted as without)."
    )
    to_collect: Count = Field(description="Certificates to collect (progress reports).")
    collected: Count = Field(description="Certificates collected (progress reports).")
    scanned: Count = Field(description="Certificates scanned (progress reports).")
    entered: Count = Field(description="Certificates entered (progress reports).")
    id_cards_collected: Count = Field(description="ID-card copies collected (progress reports).")
    collected_itemized: Count = Field(description="Certificates recorded one by one as collected.")
    scanned_itemized: Count = Field(description="Certificates recorded one by one as scanned.")
    entered_itemized: Count = Field(description="Certificates recorded one by one as entered.")
    scans_registered: Count = Field(
        description="Certificates whose scan was registered as evidence (its serial read and "
        "linked): to set beside the scanned count the communes report."
    )
    scans_not_registered: Count = Field(
        description="Certificates the communes report scanned beyond those whose scan was "
        "registered (scanned - scans_registered, per commune, at least 0): scans still to "
        "bring in as evidence."
    )
    id_cards_registered: Count = Field(
        description="Land users an ID card brought as evidence confirms (or proposes "
        "corrections for): to set beside the ID-card copies the communes report collected."
    )
    users_answered: Count = Field(
        description="Land users who answered their notice on the confirmation page."
    )
    users_confirmed: Count = Field(
        description="Land users whose latest answer says the information on record is right."
    )


class CampaignCounts(_Block):
    """Flags counted as 0/1 per commune, so that regions and the province add them up."""

    clean_target_met: Count = Field(
        description="Communes whose share of parcels in group 1 reached their target."
    )
    own_clean_target: Count = Field(description="Communes given a target of their own.")
    communes: Count = Field(description="Communes counted.")
    committee: Count = Field(description="Communes with a steering committee.")
    committee_on_time: Count = Field(
        description="Communes whose committee was set up by the deadline (settings)."
    )
    working_group: Count = Field(description="Communes with a working group.")
    has_land_db: Count = Field(description="Communes with a land database.")
    no_land_db: Count = Field(description="Communes without a land database.")
    land_db_unknown: Count = Field(
        description="Communes no progress report or status sheet says have a land database "
        "or not (not counted as without)."
    )
    vbdlis_synced: Count = Field(description="Communes synchronized from VBDLIS.")
    vbdlis_not_synced: Count = Field(description="Communes not synchronized from VBDLIS.")
    vbdlis_unknown: Count = Field(
        description="Communes no progress report or status sheet says are synchronized from "
        "VBDLIS or not (not counted as not synchronized)."
    )
    renumbered: Count = Field(description="Communes whose map sheets are re-arranged.")
    parcels_in_vbdlis: Count = Field(description="Parcels integrated into VBDLIS.")
    parcels_not_in_vbdlis: Count = Field(description="Parcels not integrated into VBDLIS.")
    parcels_vbdlis_unknown: Count = Field(
        description="Parcels whose sources do not say whether they are in VBDLIS (not counted "
        "as not integrated)."
    )


class TaskCounts(_Block):
    """The campaign's tasks (the campaign stage brings them up to date)."""

    open: Count = Field(description="Tasks with work left.")
    done: Count = Field(description="Tasks done.")


PARCELS = "Parcels: total, with a UID, by group."
FINDINGS = "Open findings (absent until the validate stage has produced results)."
AUTHENTICATION = (
    "Land users matched with the registry (absent until authenticate has produced results)."
)
DIGITIZATION = "Certificates and their collection, scanning and entry."
CAMPAIGN = "The campaign's flags and counts (0/1 per commune)."
TASKS = "The campaign's tasks (absent until the campaign stage has produced tasks)."


class Blocks(_Block):
    """The counters of a commune, a region or the province."""

    parcels: ParcelCounts = Field(description=PARCELS)
    findings: FindingCounts | None = Field(None, description=FINDINGS)
    authentication: AuthenticationCounts | None = Field(None, description=AUTHENTICATION)
    digitization: DigitizationCounts = Field(description=DIGITIZATION)
    campaign: CampaignCounts = Field(description=CAMPAIGN)
    tasks: TaskCounts | None = Field(None, description=TASKS)


class Target(_Block):
    """The share of clean parcels a commune must reach, and by when."""

    clean_share: float = Field(description="Share of parcels to bring to group 1 (0 to 1).")
    due: str = Field(description="Due date, DD/MM/YYYY.")
    own: bool = Field(description="True: the province gave this commune its own target.")


class CommuneSummary(Blocks):
    """One new commune: who it is, its target, its counters."""

    code: str = Field(description="Official 5-digit code of the new commune.")
    name: str = Field(description="Name of the new commune (NFC).")
    region: Region = Field(description="west = old Đắk Lắk, east = old Phú Yên.")
    target: Target = Field(description="Its target of clean parcels.")


class LastRun(_Block):
    """The newest pipeline run that finished."""

    run_id: int = Field(description="The newest pipeline run.")
    started: str = Field(description="When it started, DD/MM/YYYY HH:MM (run metadata).")
    by: str = Field(description="Who ran it (run metadata).")
    stages: list[str] = Field(description="The stages it ran, in order.")
    rules: int = Field(description="Validation rules it evaluated.")


class Renumbering(_Block):
    """Map sheets re-arranged for the merged communes."""

    communes_completed: Count = Field(description="Communes whose sheets are re-arranged.")
    sheets: Count = Field(description="Old sheets in the crosswalk.")
    sheets_renumbered: Count = Field(description="Old sheets whose number changed.")
    parcels_with_uid: Count = Field(description="Parcels with a unique identifier.")


class Laggard(_Block):
    """A commune behind now, and why."""

    code: str = Field(description="Official 5-digit code of the new commune.")
    name: str = Field(description="Name of the new commune.")
    region: Region = Field(description="west = old Đắk Lắk, east = old Phú Yên.")
    reasons: list[str] = Field(description="Reason codes (campaign.laggards).")


class Province(_Block):
    """The province the workspace is about."""

    code: str = Field(description="Province code (66 = Đắk Lắk).")
    name: str = Field(description="Its name.")


class Summary(Blocks):
    """The whole document; the province's own counters are the sum of its communes',
    except ``findings``, which counts every record (map sheets and records of no commune
    too)."""

    model_config = ConfigDict(extra="forbid", title="landclean summary.json")

    province: Province = Field(description="The province.")
    findings: ProvinceFindings | None = Field(None, description=FINDINGS)
    last_run: LastRun | None = Field(None, description="The newest run that finished.")
    renumbering: Renumbering | None = Field(
        None, description="Map sheets re-arranged (absent until renumber has numbered sheets)."
    )
    regions: dict[Region, Blocks] = Field(
        description="The counters of west (old Đắk Lắk) and east (old Phú Yên)."
    )
    communes: list[CommuneSummary] = Field(description="Every new commune, by code.")
    laggards: list[Laggard] = Field(description="Communes behind now, with the reasons.")

    def document(self) -> dict[str, Any]:
        """The JSON document (blocks of stages not run are left out), the province first."""
        document = self.model_dump(mode="json", exclude_none=True)
        return {"province": document.pop("province"), **document}

    def json_text(self) -> str:
        return json.dumps(self.document(), ensure_ascii=False, indent=1)


def summary_schema() -> dict[str, Any]:
    """The JSON Schema of summary.json (docs/summary.schema.json)."""
    return Summary.model_json_schema(mode="serialization")


def schema_markdown() -> str:
    """docs/summary.md: every block and field of summary.json, from the schema."""
    schema = summary_schema()
    lines = [
        "# summary.json",
        "",
        "Written by `landclean report` (and returned by `landclean.summary()`); read by the",
        "reports, the daily snapshots and other tools.  The JSON Schema is",
        "[summary.schema.json](summary.schema.json); this page is generated from it (a test",
        "checks both are current).  All counters are integers; a block is absent until its",
        "stage has produced results, never zeros.",
        "",
    ]

    def rows(node: dict[str, Any]) -> list[str]:
        out = ["| field | type | meaning |", "|---|---|---|"]
        for name, prop in node.get("properties", {}).items():
            kind = prop.get("type") or next(
                (a.get("$ref", a.get("type", "")) for a in prop.get("anyOf", []) if a),
                prop.get("$ref", ""),
            )
            kind = str(kind).split("/")[-1]
            out.append(f"| `{name}` | {kind} | {prop.get('description', '')} |")
        return out

    lines += [f"## {schema['title']}", "", schema.get("description", ""), "", *rows(schema), ""]
    for name, definition in sorted(schema["$defs"].items()):
        lines += [f"## {name}", "", definition.get("description", ""), "", *rows(definition), ""]
    return "\n".join(lines)
