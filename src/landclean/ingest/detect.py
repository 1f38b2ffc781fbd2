"""Which profile reads a sheet or layer: the one forced, or the one matching most of its
headers, checked against the kind of record the headers are plainly of."""

from __future__ import annotations

from landclean.errors import ImportError_
from landclean.ingest.profiles import TARGET_TABLES, Profile, known_headers
from landclean.ingest.sources import Source
from landclean.vn.text import compact_key


def shown_headers(headers: list[str], n: int, longest: int = 60) -> str:
    """The first ``n`` headers as a message shows them: each cut to ``longest``
    characters (a header cell may hold a whole page of text)."""
    cut = [h if len(h) <= longest else h[: longest - 1] + "…" for h in headers[:n]]
    return ", ".join(cut) + (f", … (+{len(headers) - n})" if len(headers) > n else "")


def detect_profile(source: Source, profiles: list[Profile], forced: Profile | None) -> Profile:
    """The profile that matches most of the source's headers, or a clear error."""
    where = f"{source.path}" + (f", sheet {source.part}" if source.part else "")
    if forced is not None and (forced.target == "map_feature") != source.is_map:
        if source.is_map:
            raise ImportError_("profile_not_for_maps", where=where, profile=forced.name)
        raise ImportError_("profile_only_for_maps", where=where, profile=forced.name)
    if source.is_map:
        return forced or next(p for p in profiles if p.target == "map_feature")
    if forced:
        if not forced.accepts(source.headers):
            missing = forced.missing_required(source.headers)
            found = shown_headers(source.headers, 6)
            if missing:
                raise ImportError_(
                    "layout_missing_columns",
                    where=where,
                    profile=forced.name,
                    missing=", ".join(missing),
                    headers=found,
                )
            raise ImportError_(
                "layout_few_columns",
                where=where,
                profile=forced.name,
                n=len(forced.match(source.headers)),
                headers=found,
            )
        return forced
    candidates = [p for p in profiles if p.target != "map_feature" and p.accepts(source.headers)]
    if not candidates:
        raise ImportError_("no_layout", where=where, headers=shown_headers(source.headers, 8))
    chosen = max(
        candidates, key=lambda p: (len(p.match(source.headers)), p.coverage(source.headers), p.name)
    )
    # a profile of another kind of record may accept a few columns of a file that is
    # plainly of a kind it does not read (a land users' list taken for the registry)
    known = {t: _known(source.headers, t, profiles) for t in TARGET_TABLES if t != "map_feature"}
    likely = max(known, key=lambda t: known[t])
    if likely != chosen.target and known[likely] > known[chosen.target] + 1:
        raise ImportError_(
            "layout_unclear",
            where=where,
            profile=chosen.name,
            target=chosen.target,
            likely=likely,
            n=known[likely],
            total=len(source.headers),
            path=source.path,
        )
    return chosen


def _known(headers: list[str], target: str, profiles: list[Profile]) -> int:
    """How many of the headers are known names of ``target``'s fields."""
    table = known_headers(target, profiles)
    return sum(1 for h in headers if compact_key(str(h)) in table)
