"""The authenticate stage: every land user against the population registry (see
``authenticate.cascade`` and docs/authentication.md)."""

from __future__ import annotations

from landclean.authenticate.cascade import authenticate
from landclean.incremental import IMPORT
from landclean.stage import Stage, StageContext, StageReport


def run(ctx: StageContext) -> StageReport:
    """After a build without a delta, a new registry or with other settings, every user
    whose inputs changed (all of them on ``run --full`` or a new registry); after
    corrections, ID cards or an import, the users corrected, linked to a card or
    imported and the holders of the parcels imported or decided into a new commune (a
    user's input names the commune of their parcels); nothing when no land user or
    parcel was."""
    changes = ctx.changes
    parcels = changes is not None and not changes.full and "parcel" in changes.imported
    cards = changes is not None and not changes.full and changes.evidence > 0
    if ctx.untouched("party", "parcel.unit_code") and not parcels and not cards:
        return StageReport("authenticate", ran=False)
    only = None
    if changes is not None and not changes.full and "registry_person" not in changes.imported:
        imported = changes.journal(IMPORT)
        only = (
            f"SELECT record_id FROM ({changes.journal('correction', 'evidence', IMPORT)}) "
            "WHERE table_name = 'party' UNION SELECT party_id FROM land_right WHERE parcel_id IN "
            f"(SELECT record_id FROM ({imported}) WHERE table_name = 'parcel' "
            f"AND stage = '{IMPORT}') OR parcel_id IN (SELECT record_id FROM "
            f"({changes.journal('correction')}) WHERE table_name = 'parcel' "
            "AND column_name = 'unit_code')"
        )
    full = changes is not None and changes.reason == "asked"
    result = authenticate(ctx.con, ctx.run_id, ctx.settings, full=full, only=only)
    return StageReport(
        "authenticate",
        counts={
            **result.counts,
            "recomputed": result.recomputed,
            "exact": result.exact,
            "candidate_pairs": result.candidate_pairs,
            "trained": int(result.trained),
        },
        steps=result.seconds,
    )


STAGE = Stage(
    name="authenticate",
    summary="each land user matched with the population registry, or why not",
    reads=(
        "party",
        "land_right",
        "parcel",
        "registry_person",
        "admin_unit",
        "evidence_link",
        "evidence_card",
        "registry_verdict",
    ),
    owns=("auth_result", "auth_candidate", "auth_model", "auth_registry"),
    run=run,
    takes_imports=True,
)
