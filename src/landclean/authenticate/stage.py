"""The authenticate stage: every land user against the population registry (see
``authenticate.cascade`` and docs/authentication.md)."""

from __future__ import annotations

from landclean.authenticate.cascade import authenticate
from landclean.stage import Stage, StageContext, StageReport


def run(ctx: StageContext) -> StageReport:
    """After a build or with other settings, every user whose inputs changed (all of
    them on ``run --full`` or a new registry); after corrections, the users corrected;
    nothing when no land user was."""
    if ctx.untouched("party"):
        return StageReport("authenticate", ran=False)
    changes = ctx.changes
    only = None
    if changes is not None and not changes.full:
        only = f"SELECT record_id FROM ({changes.journal('correction')}) WHERE table_name = 'party'"
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
    reads=("party", "land_right", "parcel", "registry_person", "admin_unit"),
    owns=("auth_result", "auth_candidate", "auth_model", "auth_registry"),
    run=run,
)
