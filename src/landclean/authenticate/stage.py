"""The authenticate stage: every land user against the population registry (see
``authenticate.cascade`` and docs/authentication.md)."""

from __future__ import annotations

from landclean.authenticate.cascade import authenticate
from landclean.stage import Stage, StageContext, StageReport


def run(ctx: StageContext) -> StageReport:
    result = authenticate(ctx.con, ctx.run_id, ctx.settings)
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
