"""Validation rules as data: id, target, severity, the group a finding implies, SQL,
and the field that fixes it; titles and advice in Vietnamese and English are in the
labels file (sections ``rule_titles`` and ``rule_advice``).

Each rule's SQL selects the offending records as (record_id, parcel_id, details) where
``details`` is a JSON-able struct.  Rules are registered in ``CATALOGUE`` below, the one
place the validate stage, the worklists and the docs read.  The module is one long
table of rules (data, not logic); that is why it is over 400 lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import duckdb

from landclean.labels import labels

# the source cells two sources disagree on -> the parcel column a correction decides
SOURCE_FIELDS = " ".join(
    f"WHEN '{cell}' THEN '{column}'"
    for cell, column in (
        ("map_sheet", "sheet_no"), ("map_parcel", "parcel_no"), ("map_scale", "scale"),
        ("lu1_code", "land_use"), ("lu2_code", "land_use"), ("lu3_code", "land_use"),
        ("lu1_area", "land_use"), ("lu2_area", "land_use"), ("vbdlis", "vbdlis_synced"),
    )
)  # fmt: skip


SCOPE_MARK = re.compile(r"\$scope\(([\w.]+)\)")


@dataclass(frozen=True)
class Rule:
    rule_id: str
    target: str  # parcel, party, certificate, right
    severity: str  # error, warning, info
    group_impact: int  # the parcel group an open finding implies (2 or 3)
    sql: str
    # a spatial rule's SQL returns a 4th column, the geometry the finding is about
    spatial: bool = False
    # the record's field a person corrects to clear the finding (table, column of
    # corrections.CORRECTABLE), when one field does
    fix: tuple[str, str] | None = None
    # what an incremental run re-evaluates (docs/incremental.md): "record", the records
    # changed; "old_commune", every parcel of an old commune where a parcel's sheet, scale
    # or number changed; "id_number"/"serial", every record sharing a changed record's
    # ID number or serial; "sheet", the sheets of those old communes; "geometry", only
    # when geometries or placements may have changed (a build: the whole catalogue).
    # ``$scope(column)`` in the SQL marks where the evaluation is narrowed; it is the
    # first condition of its WHERE (DuckDB evaluates conditions in the order written, and
    # a scoped run must not compute the others for every record of the province).
    scope: str = "record"
    # compares with today's date: evaluated again, whole, when the day changes
    dated: bool = False
    # a rule of geometries after an import that changed parcels: "record", narrowed to
    # the parcels changed and those of their old communes; "whole", evaluated whole (it
    # reads a table kept up to date record by record: overlaps, placements, UIDs)
    after_import: str = "record"

    def evaluated_sql(self, within: str | None) -> str:
        """The rule's SQL over the records ``within`` gives (what ``IN`` reads for its
        scope: ``incremental.scope_values``), or over everything (None)."""
        if within is None:
            return SCOPE_MARK.sub("true", self.sql)
        return SCOPE_MARK.sub(lambda m: f"{m.group(1)} IN {within}", self.sql)

    def title(self, lang: str) -> str:
        """What the rule finds, for people."""
        return labels("rule_titles", lang).get(self.rule_id, self.rule_id)

    def advice(self, lang: str) -> str:
        """What to do about a finding of the rule."""
        return labels("rule_advice", lang).get(self.rule_id, "")


CATALOGUE: tuple[Rule, ...] = (
    Rule(
        "PARCEL_SOURCES_DISAGREE",
        "parcel",
        "warning",
        2,
        # a field a person corrected is decided: its disagreement is over
        "SELECT parcel_id, parcel_id, {'values': string_agg(field || ': ' || "
        "array_to_string(source_values, ' / '), '; ' ORDER BY field), "
        "'sources': string_agg(DISTINCT origin, ', ' ORDER BY origin)} "
        "FROM parcel_source_conflict s WHERE $scope(s.parcel_id) "
        "AND NOT EXISTS (SELECT 1 FROM correction c "
        "WHERE c.table_name = 'parcel' AND c.record_id = s.parcel_id "
        f"AND c.column_name = CASE s.field {SOURCE_FIELDS} ELSE s.field END) "
        "GROUP BY parcel_id",
    ),
    Rule(
        "PARCEL_MISSING_SHEET",
        "parcel",
        "error",
        2,
        "SELECT parcel_id AS record_id, parcel_id, {'parcel_no': parcel_no} AS details "
        "FROM parcel WHERE $scope(parcel_id) AND sheet_no IS NULL",
        fix=("parcel", "sheet_no"),
    ),
    Rule(
        "PARCEL_MISSING_NUMBER",
        "parcel",
        "error",
        2,
        "SELECT parcel_id, parcel_id, {'sheet_no': sheet_no} FROM parcel "
        "WHERE $scope(parcel_id) AND parcel_no IS NULL",
        fix=("parcel", "parcel_no"),
    ),
    Rule(
        "PARCEL_MISSING_GEOMETRY",
        "parcel",
        "error",
        3,
        "SELECT parcel_id, parcel_id, {'sheet_no': sheet_no, 'parcel_no': parcel_no} "
        "FROM parcel WHERE $scope(parcel_id) AND geom IS NULL",
    ),
    Rule(
        "PARCEL_INVALID_GEOMETRY",
        "parcel",
        "error",
        2,
        "SELECT parcel_id, parcel_id, {'vertices': ST_NPoints(geom), "
        "'repaired': COALESCE(geom_repaired, false)}, geom FROM parcel "
        "WHERE $scope(parcel_id) AND geom IS NOT NULL AND (NOT ST_IsValid(geom) OR geom_repaired)",
        spatial=True,
        scope="geometry",
    ),
    Rule(
        "PARCEL_OVERLAP",
        "parcel",
        "error",
        2,
        # Neighbours of a clean map share edges: ST_Overlaps (interiors cross) is false for
        # them.  Of two overlapping parcels, the one overlapping more neighbours is
        # reported (a shifted parcel overlaps several; each neighbour overlaps only it).
        # overlap_pair: the pairs, kept between runs by validation (computed with a spatial
        # join; after an import, again for the parcels it changed).
        "WITH big AS (SELECT * FROM overlap_pair WHERE area > 0.5), "
        "degree AS (SELECT a AS parcel_id, count(*) AS n FROM big GROUP BY a) "
        "SELECT p.a, p.a, {'overlaps': list(p.b ORDER BY p.b), "
        "'area': round(sum(p.area), 2)}, ST_Union_Agg(p.g ORDER BY p.b) FROM big p "
        "JOIN degree da ON da.parcel_id = p.a JOIN degree db ON db.parcel_id = p.b "
        "GROUP BY p.a HAVING bool_or(da.n >= db.n)",
        spatial=True,
        scope="geometry",
        after_import="whole",
    ),
    Rule(
        "PARCEL_NO_OWNER",
        "parcel",
        "error",
        2,
        "SELECT p.parcel_id, p.parcel_id, {'sheet_no': p.sheet_no, 'parcel_no': p.parcel_no} "
        "FROM parcel p WHERE $scope(p.parcel_id) AND NOT EXISTS (SELECT 1 FROM land_right r "
        "WHERE r.parcel_id = p.parcel_id)",
    ),
    Rule(
        "PARCEL_DUPLICATE_NUMBER",
        "parcel",
        "error",
        2,
        "SELECT parcel_id, parcel_id, {'old_unit_code': old_unit_code, 'sheet_no': sheet_no, "
        "'scale': scale, 'parcel_no': parcel_no} FROM parcel "
        "WHERE $scope(old_unit_code) AND sheet_no IS NOT NULL AND parcel_no IS NOT NULL "
        "QUALIFY count(*) OVER (PARTITION BY old_unit_code, sheet_no, scale, parcel_no) > 1",
        fix=("parcel", "parcel_no"),
        scope="old_commune",
    ),
    Rule(
        "LAND_USE_INVALID_CODE",
        "parcel",
        "error",
        2,
        "SELECT parcel_id, parcel_id, {'code': code_raw, 'seq': seq} FROM parcel_land_use "
        "WHERE $scope(parcel_id) AND code NOT IN (SELECT code FROM land_use_code) "
        "QUALIFY row_number() OVER (PARTITION BY parcel_id ORDER BY seq) = 1",
        fix=("parcel", "land_use"),
    ),
    Rule(
        "AREA_MISMATCH",
        "parcel",
        "warning",
        2,
        "SELECT p.parcel_id, p.parcel_id, {'legal_area': p.legal_area, "
        "'geometry_area': round(ST_Area(p.geom), 1), 'tolerance': t.tolerance} "
        "FROM parcel p JOIN area_tolerance t ON t.scale = p.scale "
        "WHERE $scope(p.parcel_id) AND p.geom IS NOT NULL AND ST_IsValid(p.geom) "
        "AND NOT COALESCE(p.geom_repaired, false) "
        "AND p.legal_area > 0 AND p.legal_area <= 20 * ST_Area(p.geom) "
        "AND p.legal_area * 20 >= ST_Area(p.geom) "
        "AND p.parcel_id NOT IN (SELECT parcel_id FROM parcel_shape WHERE sliver) "
        "AND abs(p.legal_area - ST_Area(p.geom)) > t.tolerance * p.legal_area",
        fix=("parcel", "legal_area"),
    ),
    Rule(
        "RIGHT_SHARES_NOT_ONE",
        "parcel",
        "error",
        2,
        "SELECT parcel_id, parcel_id, {'total_share': round(sum(share), 4)} FROM land_right "
        "WHERE $scope(parcel_id) GROUP BY parcel_id HAVING abs(sum(share) - 1) > 0.0001",
    ),
    Rule(
        "CERT_SERIAL_FORMAT",
        "certificate",
        "error",
        2,
        "SELECT c.certificate_id, cp.parcel_id, {'serial': c.serial_raw} FROM certificate c "
        "JOIN certificate_parcel cp USING (certificate_id) "
        "WHERE $scope(c.certificate_id) AND c.serial IS NOT NULL AND c.form_version = 'unknown'",
        fix=("certificate", "serial"),
    ),
    Rule(
        "CERT_NO_DIGITAL_DATA",
        "certificate",
        "warning",
        2,
        "SELECT c.certificate_id, cp.parcel_id, {'serial': c.serial} FROM certificate c "
        # closed once the commune records the day its data was entered (worklist)
        "JOIN certificate_parcel cp USING (certificate_id) WHERE $scope(c.certificate_id) "
        "AND c.digital_status = 'paper_only' "
        "AND NOT EXISTS (SELECT 1 FROM certificate_step s "
        "WHERE s.certificate_id = c.certificate_id AND s.step = 'entered')",
    ),
    Rule(
        "PARTY_MISSING_ID",
        "party",
        "error",
        2,
        "SELECT p.party_id, r.parcel_id, {'name': p.full_name} FROM party p "
        "JOIN land_right r USING (party_id) "
        "WHERE $scope(p.party_id) "
        "AND p.party_type IN ('individual', 'household') AND p.id_number IS NULL",
        fix=("party", "id_number"),
    ),
    Rule(
        "PARTY_ID_BIRTH_MISMATCH",
        "party",
        "error",
        2,
        "SELECT p.party_id, r.parcel_id, {'id_number': p.id_number, 'birth_year': p.birth_year, "
        "'sex': p.sex} FROM party p JOIN land_right r USING (party_id) "
        "WHERE $scope(p.party_id) "
        "AND p.id_type = 'CCCD' AND p.birth_year IS NOT NULL AND p.sex IS NOT NULL "
        "AND p.birth_year BETWEEN 1900 AND year(current_date) "
        "AND (CAST(substr(p.id_number, 4, 1) AS INTEGER) "
        "<> lc_cccd_century_sex(p.birth_year, p.sex) "
        "OR substr(p.id_number, 5, 2) <> lpad(CAST(p.birth_year % 100 AS VARCHAR), 2, '0'))",
        fix=("party", "id_number"),
        dated=True,
    ),
    Rule(
        "PARTY_ID_UNKNOWN_PROVINCE",
        "party",
        "error",
        2,
        "SELECT p.party_id, r.parcel_id, {'id_number': p.id_number} FROM party p "
        "JOIN land_right r USING (party_id) WHERE $scope(p.party_id) AND p.id_type = 'CCCD' "
        "AND NOT lc_cccd_province_known(p.id_number)",
        fix=("party", "id_number"),
    ),
    Rule(
        "CERT_BOOK_ENTRY_FORMAT",
        "certificate",
        "warning",
        2,
        "SELECT c.certificate_id, cp.parcel_id, {'book_entry_no': c.book_entry_no} "
        "FROM certificate c JOIN certificate_parcel cp USING (certificate_id) "
        "WHERE $scope(c.certificate_id) "
        "AND c.book_entry_no IS NOT NULL AND NOT lc_book_entry_valid(c.book_entry_no)",
        fix=("certificate", "book_entry_no"),
    ),
    Rule(
        "PARCEL_MISSING_AREA",
        "parcel",
        "error",
        2,
        "SELECT parcel_id, parcel_id, {'legal_area': legal_area_raw} FROM parcel "
        "WHERE $scope(parcel_id) AND legal_area IS NULL",
        fix=("parcel", "legal_area"),
    ),
    Rule(
        "PARCEL_MISSING_LAND_USE",
        "parcel",
        "error",
        2,
        "SELECT p.parcel_id, p.parcel_id, {'sheet_no': p.sheet_no} FROM parcel p "
        "WHERE $scope(p.parcel_id) "
        "AND NOT EXISTS (SELECT 1 FROM parcel_land_use u WHERE u.parcel_id = p.parcel_id)",
        fix=("parcel", "land_use"),
    ),
    Rule(
        "PARTY_MISSING_NAME",
        "party",
        "error",
        2,
        "SELECT p.party_id, r.parcel_id, {'id_number': p.id_number} FROM party p "
        "JOIN land_right r USING (party_id) WHERE $scope(p.party_id) AND p.full_name IS NULL",
        fix=("party", "full_name"),
    ),
    Rule(
        "CERT_MISSING_SERIAL",
        "certificate",
        "error",
        2,
        "SELECT c.certificate_id, cp.parcel_id, {'book_entry_no': c.book_entry_no} "
        "FROM certificate c JOIN certificate_parcel cp USING (certificate_id) "
        "WHERE $scope(c.certificate_id) AND c.serial IS NULL",
        fix=("certificate", "serial"),
    ),
    Rule(
        "CERT_DUPLICATE_SERIAL",
        "certificate",
        "error",
        2,
        "SELECT c.certificate_id, cp.parcel_id, {'serial': c.serial} FROM certificate c "
        "JOIN certificate_parcel cp USING (certificate_id) WHERE $scope(c.serial) "
        "AND c.serial IS NOT NULL "
        "QUALIFY count(DISTINCT c.certificate_id) OVER (PARTITION BY c.serial) > 1",
        fix=("certificate", "serial"),
        scope="serial",
    ),
    Rule(
        "ASSET_ON_NON_RESIDENTIAL",
        "parcel",
        "warning",
        2,
        "SELECT a.parcel_id, a.parcel_id, {'asset_type': a.asset_type} FROM asset a "
        "WHERE $scope(a.parcel_id) "
        "AND EXISTS (SELECT 1 FROM parcel_land_use u WHERE u.parcel_id = a.parcel_id) "
        "AND NOT EXISTS (SELECT 1 FROM parcel_land_use u WHERE u.parcel_id = a.parcel_id "
        "AND u.code IN ('ONT', 'ODT')) "
        "AND NOT EXISTS (SELECT 1 FROM parcel_land_use u WHERE u.parcel_id = a.parcel_id "
        "AND u.code NOT IN (SELECT code FROM land_use_code))",
        fix=("parcel", "land_use"),
    ),
    Rule(
        "PARCEL_NOT_SYNCED",
        "parcel",
        "info",
        1,
        "SELECT parcel_id, parcel_id, {'unit_code': unit_code} FROM parcel "
        "WHERE $scope(parcel_id) AND vbdlis_synced = false",
        fix=("parcel", "vbdlis_synced"),
    ),
    Rule(
        "PARTY_ID_WRONG_LENGTH",
        "party",
        "error",
        2,
        "SELECT p.party_id, r.parcel_id, {'id_number': p.id_number, "
        "'digits': length(p.id_number)} FROM party p JOIN land_right r USING (party_id) "
        "WHERE $scope(p.party_id) "
        "AND p.party_type IN ('individual', 'household') AND p.id_type = 'other'",
        fix=("party", "id_number"),
    ),
    Rule(
        "PARTY_MISSING_BIRTH",
        "party",
        "error",
        2,
        "SELECT p.party_id, r.parcel_id, {'name': p.full_name, 'birth': p.birth_raw} "
        "FROM party p JOIN land_right r USING (party_id) "
        "WHERE $scope(p.party_id) "
        "AND p.party_type IN ('individual', 'household') AND p.birth_year IS NULL "
        "AND NULLIF(trim(p.birth_raw), '') IS NULL",
        fix=("party", "birth_date"),
    ),
    Rule(
        "PARTY_IMPOSSIBLE_BIRTH_DATE",
        "party",
        "error",
        2,
        "SELECT p.party_id, r.parcel_id, {'birth': p.birth_raw} "
        "FROM party p JOIN land_right r USING (party_id) "
        "WHERE $scope(p.party_id) AND (p.birth_date > current_date "
        "OR p.birth_year > year(current_date) "
        "OR p.birth_year < 1900 OR (p.party_type IN ('individual', 'household') "
        "AND p.birth_year IS NULL AND NULLIF(trim(p.birth_raw), '') IS NOT NULL))",
        fix=("party", "birth_date"),
        dated=True,
    ),
    Rule(
        "PARTY_SAME_ID_DIFFERENT_PEOPLE",
        "party",
        "error",
        2,
        "WITH g AS (SELECT id_number, list(DISTINCT party_id ORDER BY party_id) AS parties "
        "FROM party_identity GROUP BY id_number "
        "HAVING count(DISTINCT name_key || '|' || birth_key) > 1) "
        "SELECT p.party_id, r.parcel_id, {'id_number': p.id_number, 'parties': g.parties} "
        "FROM party_identity p JOIN g USING (id_number) JOIN land_right r USING (party_id)",
        fix=("party", "id_number"),
        scope="id_number",
    ),
    Rule(
        "PARTY_DUPLICATE",
        "party",
        "warning",
        2,
        "WITH g AS (SELECT id_number, name_key, birth_key, "
        "list(party_id ORDER BY party_id) AS parties FROM party_identity "
        "GROUP BY ALL HAVING count(*) > 1) "
        "SELECT p.party_id, r.parcel_id, {'id_number': p.id_number, 'parties': g.parties} "
        "FROM party_identity p JOIN g USING (id_number, name_key, birth_key) "
        "JOIN land_right r USING (party_id)",
        scope="id_number",
    ),
    Rule(
        "PARCEL_AREA_IMPLAUSIBLE",
        "parcel",
        "error",
        2,
        "SELECT p.parcel_id, p.parcel_id, {'legal_area': p.legal_area, "
        "'geometry_area': round(s.area, 1)} FROM parcel p "
        "LEFT JOIN parcel_shape s USING (parcel_id) WHERE $scope(p.parcel_id) AND ("
        "p.legal_area <= 0 OR p.legal_area > 10000000 OR (s.area > 0 AND NOT s.sliver "
        "AND (p.legal_area > 20 * s.area OR p.legal_area * 20 < s.area)))",
        fix=("parcel", "legal_area"),
    ),
    Rule(
        "PARCEL_SLIVER",
        "parcel",
        "error",
        2,
        "SELECT s.parcel_id, s.parcel_id, {'area': round(s.area, 2), "
        "'compactness': round(s.compactness, 3)}, p.geom FROM parcel_shape s "
        "JOIN parcel p USING (parcel_id) WHERE $scope(s.parcel_id) AND s.sliver",
        spatial=True,
        scope="geometry",
    ),
    Rule(
        "PARCEL_OUTSIDE_COMMUNE",
        "parcel",
        "error",
        2,
        "SELECT s.parcel_id, s.parcel_id, {'x': round(s.cx), 'y': round(s.cy), "
        "'commune': p.old_unit_code}, p.geom FROM parcel_shape s JOIN parcel p USING (parcel_id) "
        "JOIN commune_extent e USING (old_unit_code) "
        "WHERE $scope(s.parcel_id) "
        "AND NOT (s.cx BETWEEN e.x0 AND e.x1 AND s.cy BETWEEN e.y0 AND e.y1) "
        "AND (e.px0 IS NULL OR NOT (s.cx BETWEEN e.px0 AND e.px1 "
        "AND s.cy BETWEEN e.py0 AND e.py1))",
        spatial=True,
        scope="geometry",
    ),
    Rule(
        "SHEET_GAP",
        "sheet",
        "warning",
        2,
        # holes of the sheet's union: rings inside the parcels' outer boundary
        "SELECT sheet_key, NULL, {'commune': any_value(old_unit_code), "
        "'sheet': any_value(sheet_no), 'scale': any_value(scale), 'gaps': count(*), "
        "'area': round(sum(ST_Area(hole)), 1)}, ST_Collect(list(hole)) "
        "FROM sheet_hole GROUP BY sheet_key",
        spatial=True,
        scope="sheet",
    ),
    Rule(
        "CERT_RIGHTS_MISMATCH",
        "certificate",
        "error",
        2,
        "WITH holders AS (SELECT cp.certificate_id, cp.parcel_id, "
        "COALESCE(string_agg(r.party_id, ',' ORDER BY r.party_id), '') AS parties "
        "FROM certificate_parcel cp LEFT JOIN land_right r USING (parcel_id) "
        "WHERE $scope(cp.certificate_id) GROUP BY cp.certificate_id, cp.parcel_id) "
        "SELECT certificate_id, min(parcel_id), {'parcels': list(parcel_id ORDER BY parcel_id), "
        "'land_users': list(DISTINCT parties ORDER BY parties)} FROM holders "
        "GROUP BY certificate_id HAVING count(DISTINCT parties) > 1",
    ),
    Rule(
        "PARCEL_COMMUNE_UNCERTAIN",
        "parcel",
        "warning",
        2,
        # (a placement changes only for the parcels an import changed or a person decided)
        "SELECT parcel_id, parcel_id, {'placement': placement, 'old_commune': old_unit_code} "
        "FROM parcel WHERE $scope(parcel_id) "
        "AND placement IN ('ambiguous', 'no_location', 'unknown_commune')",
    ),
    Rule(
        "PARCEL_UID_COLLISION",
        "parcel",
        "error",
        2,
        "SELECT c.parcel_id, c.parcel_id, {'uid': c.uid, 'parcels': (SELECT list(o.parcel_id "
        "ORDER BY o.parcel_id) FROM uid_collision o WHERE o.uid = c.uid)} FROM uid_collision c",
        scope="geometry",
        after_import="whole",
    ),
)


def rule_by_id(rule_id: str) -> Rule:
    for rule in CATALOGUE:
        if rule.rule_id == rule_id:
            return rule
    raise KeyError(rule_id)


def rules_table(con: duckdb.DuckDBPyConnection, lang: str, groups: dict[str, int]) -> None:
    """The temp table ``rule_text`` (rule_id, title, message, grp) in ``lang``, for the
    queries that show findings; ``groups``: the classification mapping in force.  Made
    once per connection and language (the server's cursors show findings on every page)."""
    import pyarrow as pa

    rows = [
        (r.rule_id, r.title(lang), r.advice(lang), groups.get(r.rule_id, r.group_impact))
        for r in CATALOGUE
    ]
    mark = f"{lang}:{sorted(groups.items())}"
    try:
        kept = con.execute("SELECT mark FROM rule_text_mark").fetchone()
    except duckdb.CatalogException:
        kept = None
    if kept is not None and kept[0] == mark:
        return
    table = pa.table(
        {
            "rule_id": [r[0] for r in rows],
            "title": [r[1] for r in rows],
            "message": [r[2] for r in rows],
            "grp": pa.array([r[3] for r in rows], pa.int32()),
        }
    )
    con.register("rule_text_arrow", table)
    con.execute("CREATE OR REPLACE TEMP TABLE rule_text AS SELECT * FROM rule_text_arrow")
    con.unregister("rule_text_arrow")
    con.execute("CREATE OR REPLACE TEMP TABLE rule_text_mark AS SELECT ? AS mark", [mark])
