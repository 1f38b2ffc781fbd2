"""What the map page asks of the workspace besides tiles: where to look, and the list of
problems beside the map (in the user's communes)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import duckdb

from landclean.browse.records import version_token
from landclean.labels import label
from landclean.maps.stage import PARCEL_SHAPED
from landclean.maps.tiles import lon_lat
from landclean.renumber.placement import COMMUNE_CHOICES
from landclean.workspace.lookups import keys_in

Bounds = tuple[float, float, float, float]  # west, south, east, north (degrees)


@dataclass(frozen=True)
class Problem:
    rule_id: str
    record_id: str
    unit_code: str | None

    @property
    def resolvable(self) -> bool:
        """Whether a person may mark it resolved on the map (a parcel whose new commune
        is undecided is not: a person decides its commune instead)."""
        return self.rule_id not in PARCEL_SHAPED


def map_problem(con: duckdb.DuckDBPyConnection, rule_id: str, record_id: str) -> Problem | None:
    """The problem on the map of that rule and record (None: there is none)."""
    row = con.execute(
        "SELECT unit_code FROM map_problem WHERE rule_id = ? AND record_id = ? LIMIT 1",
        [rule_id, record_id],
    ).fetchone()
    return None if row is None else Problem(rule_id, record_id, row[0])


def _scope(communes: Sequence[str] | None) -> str:
    return "true" if communes is None else keys_in("unit_code", list(communes))


def _degrees(row: Sequence[Any] | None) -> Bounds | None:
    if not row or row[0] is None:
        return None
    west, south = lon_lat(float(row[0]), float(row[1]))
    east, north = lon_lat(float(row[2]), float(row[3]))
    return west, south, east, north


def extent(
    con: duckdb.DuckDBPyConnection,
    communes: Sequence[str] | None,
    parcel_id: str | None = None,
    commune: str | None = None,
) -> Bounds | None:
    """Where the map opens: one parcel (or a problem's parcel), one commune, or every
    commune the user may see; None when there is nothing to show (or nothing in scope)."""
    scope = _scope(communes)
    if parcel_id is not None:
        row = con.execute(
            f"SELECT minx, miny, maxx, maxy FROM map_parcel WHERE parcel_id = ? AND {scope} "
            f"UNION ALL SELECT minx, miny, maxx, maxy FROM map_problem "
            f"WHERE parcel_id = ? AND {scope} LIMIT 1",
            [parcel_id, parcel_id],
        ).fetchone()
        return _degrees(row)
    chosen = "true" if commune is None else "unit_code = ?"
    row = con.execute(
        f"SELECT min(minx), min(miny), max(maxx), max(maxy) FROM map_commune "
        f"WHERE {scope} AND {chosen}",
        [] if commune is None else [commune],
    ).fetchone()
    return _degrees(row)


def problems(
    con: duckdb.DuckDBPyConnection,
    communes: Sequence[str] | None,
    lang: str,
    rule: str | None = None,
    limit: int = 200,
) -> tuple[int, list[dict[str, Any]]]:
    """The problems on the map in the user's communes (of one rule, when given): how
    many, and the first ``limit`` by rule and record."""
    where = f"{_scope(communes)} AND ($rule IS NULL OR rule_id = $rule)"
    row = con.execute(f"SELECT count(*) FROM map_problem WHERE {where}", {"rule": rule}).fetchone()
    rows = con.execute(
        f"SELECT rule_id, record_type, record_id, parcel_id, unit_code, severity, "
        f"(minx + maxx) / 2, (miny + maxy) / 2 FROM map_problem WHERE {where} "
        f"ORDER BY rule_id, record_id LIMIT {int(limit)}",
        {"rule": rule},
    ).fetchall()
    found = []
    for rule_id, record_type, record_id, parcel_id, unit_code, severity, mx, my in rows:
        lon, lat = lon_lat(float(mx), float(my))
        found.append(
            {
                "rule_id": rule_id,
                "title": label("rule_titles", rule_id, lang),
                "record_type": record_type,
                "record_id": record_id,
                "parcel_id": parcel_id,
                "unit_code": unit_code,
                "severity": severity,
                "resolvable": rule_id not in PARCEL_SHAPED,
                "lon": round(lon, 7),
                "lat": round(lat, 7),
            }
        )
    choices = commune_choices(con, [p["parcel_id"] for p in found if not p["resolvable"]])
    for problem in found:
        problem["choices"], counted = choices.get(problem["parcel_id"], ([], None))
        problem["based_on"] = version_token(counted)
    return (int(row[0]) if row else 0), found


CHOICES_SQL = f"""
SELECT p.parcel_id, p.unit_code, c.code, u.name
FROM parcel p, unnest({COMMUNE_CHOICES.format(old="p.old_unit_code")}) AS c(code)
JOIN admin_unit u ON u.code = c.code
WHERE list_contains($ids, p.parcel_id)
ORDER BY p.parcel_id, u.name
"""


def commune_choices(
    con: duckdb.DuckDBPyConnection, parcel_ids: Sequence[str]
) -> dict[str, tuple[list[tuple[str, str]], str | None]]:
    """For each parcel, the new communes a person may decide it into (code, name) and the
    one it is counted in now."""
    if not parcel_ids:
        return {}
    out: dict[str, tuple[list[tuple[str, str]], str | None]] = {}
    for parcel_id, counted, code, name in con.execute(
        CHOICES_SQL, {"ids": list(parcel_ids)}
    ).fetchall():
        out.setdefault(parcel_id, ([], counted))[0].append((code, name))
    return out


def problem_rules(con: duckdb.DuckDBPyConnection, communes: Sequence[str] | None) -> list[str]:
    """The rules with problems on the map in the user's communes."""
    rows = con.execute(
        f"SELECT DISTINCT rule_id FROM map_problem WHERE {_scope(communes)} ORDER BY 1"
    ).fetchall()
    return [r[0] for r in rows]
