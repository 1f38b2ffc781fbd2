"""A commune's worklist: the records to fix, filled in by the commune and applied back.

``export_worklist`` writes one Excel form (``excel_form``) for one new commune:

* *Hướng dẫn* — how to fill it in;
* *Lỗi cần sửa* — open findings (not the informational ones), each row telling its
  record apart (old commune, scale, old sheet/parcel, new sheet, certificate serial,
  land user), what to do, the field to correct in words (chosen from a list when the
  rule points at none) and its current value; the commune writes the right value, or
  accepts the finding as an exception with the reason;
* *Chủ sử dụng* — land users in review, matched after correction or unmatched, with the
  registry's proposals (the ID shows the digits that differ); *Đồng ý đề xuất* = x
  accepts them, or the right values are typed;
* *GCN cần thu thập* — certificates issued without digital data and not yet entered; the
  commune writes the day each was collected, scanned and entered (or x for today);
* *Danh mục* — the lists the dropdowns offer (land-use codes with their names).

``campaign.apply`` reads a filled-in workbook back.  ID numbers are masked.  The field
to correct for each finding is its rule's (``Rule.fix``); the paper-only certificates'
finding is worked on the certificates sheet, not repeated on the findings sheet.

Over 400 lines: the three sheets' queries and columns are the contract ``campaign.apply``
reads back, kept in one place.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pyarrow as pa

from landclean.corrections import CORRECTABLE, DECISIONS, LAND_USE, column_type, value_text
from landclean.errors import ReportError
from landclean.excel_form import Choices, Column, FormSheet, write_form
from landclean.labels import label, labels
from landclean.person_values import INTEGER_KINDS
from landclean.reviews import OPEN_CASE
from landclean.rules.catalogue import CATALOGUE, rules_table
from landclean.vn.land_use import land_use_codes
from landclean.workspace.lookups import keys_in

RULE_FIX = {r.rule_id: r.fix for r in CATALOGUE if r.fix}
# findings worked on another sheet of the worklist (one row per piece of work)
ELSEWHERE = ("CERT_NO_DIGITAL_DATA",)

KEYS = {"parcel": "parcel_id", "party": "party_id", "certificate": "certificate_id"}

# The form is Vietnamese (labels "worklist_*", "vi"): apply reads it back by these headers.
_SHEETS = labels("worklist_sheets", "vi")
FINDINGS, USERS, CERTS, GUIDE = (_SHEETS[k] for k in ("findings", "users", "certificates", "guide"))
FIND = labels("worklist_findings", "vi")  # column key -> header
USER = labels("worklist_users", "vi")
CERT = labels("worklist_certificates", "vi")
_F = ("key", "rule", "old_commune", "scale", "sheet_parcel", "new_sheet", "serial", "holder",
      "todo", "field", "current", "value", "exception", "by", "note")  # fmt: skip
_U = ("party_id", "name", "birth_year", "id", "birth", "parcels", "status", "reasons",
      "proposed_name", "proposed_id", "proposed_birth", "accept", "right_name", "right_id",
      "right_birth", "by", "note")  # fmt: skip
_C = ("certificate_id", "serial", "old_commune", "scale", "sheet_parcel", "new_sheet",
      "holders", "todo", "collected", "scanned", "entered", "by", "note")  # fmt: skip
F_HEAD = [FIND[k] for k in _F]
U_HEAD = [USER[k] for k in _U]
C_HEAD = [CERT[k] for k in _C]
# worklist column -> certificate_step.step
STEPS = {CERT[k]: k for k in ("collected", "scanned", "entered")}
GUIDE_TEXT = list(labels("worklist_guide", "vi").values())
HEADER_ROW = 2  # each sheet: its title, then its header row (as spreadsheets number rows)


def field_names(lang: str) -> dict[tuple[str, str], str]:
    """(table, column) -> the field's name for people (a decision of the province's, a
    parcel's new commune, is no field of a worklist)."""
    names = {tuple(key.split(".", 1)): text for key, text in labels("fields", lang).items()}
    return {k: v for k, v in names.items() if k not in DECISIONS}  # type: ignore[misc]


def _field_key(text: str) -> str:
    """A field's name compared as typed: any case, spacing or Unicode form ("m2" = "m²")."""
    return " ".join(unicodedata.normalize("NFKC", text).split()).casefold()


def field_column(record_type: str, text: str) -> str | None:
    """The column a field named on a worklist means for ``record_type`` (its Vietnamese
    or English name, with or without what its brackets say, or the column's own name),
    or None."""
    wanted = _field_key(text)
    for lang in ("vi", "en"):
        for (table, column), name in field_names(lang).items():
            short = re.sub(r"\s*\([^)]*\)$", "", name)  # "Diện tích pháp lý (m²)"
            names = {_field_key(name), _field_key(short), column, f"{table}.{column}"}
            if table == record_type and wanted in names:
                return column
    return None


# (the sheet's own parcels: for a map sheet's findings, the new communes it went to)
FOUND_SQL = """
CREATE OR REPLACE TEMP TABLE wl_f AS
WITH found AS (
    SELECT f.rule_id, f.record_type, f.record_id, f.parcel_id, f.details, p.old_unit_code,
           f.source_file, f.source_sheet, f.source_row
    FROM finding f JOIN parcel p USING (parcel_id)
    WHERE f.state = 'open' AND f.severity <> 'info' AND p.unit_code = $commune
      AND NOT list_contains($elsewhere, f.rule_id) AND ($rule IS NULL OR f.rule_id = $rule)
    UNION ALL
    SELECT f.rule_id, f.record_type, f.record_id, NULL, f.details, NULL,
           f.source_file, f.source_sheet, f.source_row
    FROM finding f JOIN (SELECT DISTINCT old_unit_code, sheet_no, scale FROM parcel
                         WHERE unit_code = $commune) s
      ON s.old_unit_code = json_extract_string(f.details, '$.commune')
     AND s.sheet_no = TRY_CAST(json_extract(f.details, '$.sheet') AS INTEGER)
     AND s.scale = TRY_CAST(json_extract(f.details, '$.scale') AS INTEGER)
    WHERE f.state = 'open' AND f.severity <> 'info' AND f.record_type = 'sheet'
      AND ($rule IS NULL OR f.rule_id = $rule)
),
f AS (   -- ($limit: the server's page shows the first rows only; a worklist has all)
    SELECT *, coalesce(old_unit_code, json_extract_string(details, '$.commune')) AS old_code,
           CASE WHEN record_type = 'certificate' THEN record_id END AS certificate_id,
           CASE WHEN record_type = 'party' THEN record_id END AS party_id
    FROM found ORDER BY old_code NULLS LAST, record_id LIMIT $limit
)
SELECT * FROM f
"""
# (the findings listed, in a table of their own first; then the records they name,
# looked up by lists of their keys as literals (``_look_up``: filtered in the scan by
# zone maps), instead of building hash tables of whole tables)
LOOKUP_SQL = (
    "CREATE OR REPLACE TEMP TABLE wl_rel AS "  # the other land users a finding names
    "SELECT rule_id, record_id, other FROM ("
    "    SELECT rule_id, record_id,"
    "           unnest(CAST(json_extract(details, '$.parties') AS VARCHAR[])) AS other"
    "    FROM wl_f WHERE json_extract(details, '$.parties') IS NOT NULL"
    ") WHERE other <> record_id",
    "CREATE OR REPLACE TEMP TABLE wl_parcel AS SELECT parcel_id, scale, sheet_no, parcel_no, "
    "new_sheet_no FROM parcel WHERE {parcels}",
    "CREATE OR REPLACE TEMP TABLE wl_right AS SELECT parcel_id, party_id FROM land_right "
    "WHERE {parcels}",
    "CREATE OR REPLACE TEMP TABLE wl_cp AS SELECT parcel_id, certificate_id "
    "FROM certificate_parcel WHERE {parcels}",
)
# (land users and certificates with every field a person corrects: their values on
# record are read from these too, ``_fill_fields``)
LOOKUP_KEYED_SQL = (
    "CREATE OR REPLACE TEMP TABLE wl_party AS "
    f"SELECT party_id, {', '.join(CORRECTABLE['party'][1])} FROM party WHERE {{parties}}",
    "CREATE OR REPLACE TEMP TABLE wl_pc AS SELECT party_id, unit_code FROM party_commune "
    "WHERE {others}",
    "CREATE OR REPLACE TEMP TABLE wl_certificate AS SELECT certificate_id, "
    f"{', '.join(CORRECTABLE['certificate'][1])} FROM certificate WHERE {{certificates}}",
)
# the tables ``_look_up`` fills that hold every record of a kind the listed findings name
LOOKED_UP = {"party": "wl_party", "certificate": "wl_certificate"}
LOOKUP_TABLES = ("wl_rel", "wl_parcel", "wl_right", "wl_cp", "wl_party", "wl_pc", "wl_certificate")
FINDINGS_SQL = """
CREATE OR REPLACE TEMP TABLE wl_finding AS
WITH others AS (
    SELECT rel.rule_id, rel.record_id,
           string_agg(rel.other || ' (' || coalesce(u.name, '?') || ')', ', '
                      ORDER BY rel.other) AS txt
    FROM wl_rel rel
    LEFT JOIN wl_pc pc ON pc.party_id = rel.other
    LEFT JOIN admin_unit u ON u.code = pc.unit_code
    GROUP BY 1, 2
),
serials AS (
    SELECT cp.parcel_id, string_agg(DISTINCT c.serial, '; ' ORDER BY c.serial) AS serials
    FROM wl_cp cp JOIN wl_certificate c USING (certificate_id)
    GROUP BY 1
),
holders AS (   -- a parcel's land users, for the parcel's rows
    SELECT r.parcel_id,
           string_agg(y.full_name, '; ' ORDER BY y.full_name) AS names
    FROM wl_right r JOIN wl_party y USING (party_id)
    GROUP BY 1
)
SELECT f.rule_id || '|' || f.record_type || '|' || f.record_id AS key, t.title AS rule,
       coalesce(o.name, json_extract_string(f.details, '$.commune')) AS old_commune,
       coalesce(p.scale, TRY_CAST(json_extract(f.details, '$.scale') AS INTEGER)) AS scale,
       CASE WHEN p.parcel_id IS NOT NULL
            THEN coalesce(p.sheet_no::VARCHAR, '?') || '/' || coalesce(p.parcel_no::VARCHAR, '?')
            ELSE json_extract_string(f.details, '$.sheet') END AS sheet_parcel,
       p.new_sheet_no AS new_sheet,
       CASE WHEN f.record_type = 'certificate' THEN c.serial ELSE s.serials END AS serial,
       CASE WHEN f.record_type = 'party'
            THEN y.full_name || ' (' || coalesce(y.birth_year::VARCHAR, '?') || ', '
                 || coalesce(lc_mask_id(y.id_number), '?') || ')'
            ELSE h.names END AS holder,
       t.message || coalesce(replace($related, '{records}', x.txt), '')
           || coalesce(' ' || cl.closing, '') AS todo,
       CAST(NULL AS VARCHAR) AS field, 'field_' || f.record_type AS field_kind,
       CAST(NULL AS VARCHAR) AS current, CAST(NULL AS DOUBLE) AS current_num,
       CAST(NULL AS VARCHAR) AS value, 'text' AS value_kind,
       CAST(NULL AS VARCHAR) AS exception, CAST(NULL AS VARCHAR) AS by,
       CAST(NULL AS VARCHAR) AS note,
       f.rule_id, f.record_type, f.record_id,
       -- the server's: where the record came from, the version of the value on record
       f.source_file, f.source_sheet, f.source_row, CAST(NULL AS VARCHAR) AS based_on
FROM wl_f f JOIN rule_text t USING (rule_id)
LEFT JOIN closing cl USING (rule_id)
LEFT JOIN others x USING (rule_id, record_id)
LEFT JOIN wl_parcel p ON p.parcel_id = f.parcel_id
LEFT JOIN admin_unit_old o ON o.code = f.old_code
LEFT JOIN serials s ON s.parcel_id = f.parcel_id
LEFT JOIN holders h ON h.parcel_id = f.parcel_id
-- (equality alone: a join condition on the record type makes DuckDB loop over the pairs)
LEFT JOIN wl_certificate c ON c.certificate_id = f.certificate_id
LEFT JOIN wl_party y ON y.party_id = f.party_id
ORDER BY f.rule_id, o.name, p.scale, p.sheet_no, p.parcel_no, f.record_id
"""
USERS_SQL = """
WITH todo AS (   -- the commune's users first: a few thousand of the province's millions
    SELECT a.* FROM auth_result a
    WHERE a.party_id IN (SELECT party_id FROM party_commune WHERE unit_code = $commune)
      AND a.status <> 'matched'
      AND {open_case}   -- (a case a reviewer decided is not listed again)
    ORDER BY a.status, a.party_id LIMIT $limit   -- (NULL: all of them)
),
parcels AS (
    SELECT r.party_id,
           string_agg(DISTINCT coalesce(o.name, p.old_unit_code) || ': ' || p.sheet_no || '/'
                      || p.parcel_no, '; ') AS parcels
    FROM land_right r JOIN parcel p USING (parcel_id)
    LEFT JOIN admin_unit_old o ON o.code = p.old_unit_code
    WHERE r.party_id IN (SELECT party_id FROM todo) AND p.unit_code = $commune GROUP BY 1
)
SELECT a.party_id, p.full_name AS name, p.birth_year,
       lc_mask_id_pair(p.id_number, a.proposed_id) AS id, p.birth_raw AS birth, x.parcels,
       a.status, a.reasons, a.proposed_name,
       lc_mask_id_pair(a.proposed_id, p.id_number) AS proposed_id,
       strftime(a.proposed_birth, '%d/%m/%Y') AS proposed_birth
FROM todo a JOIN party p USING (party_id)
LEFT JOIN parcels x USING (party_id)
ORDER BY a.status, a.party_id
""".replace("{open_case}", OPEN_CASE.format(a="a"))
CERTS_SQL = """
WITH steps AS (   -- the newest date recorded for each step
    SELECT certificate_id,
           max(done_on) FILTER (WHERE step = 'collected') AS collected,
           max(done_on) FILTER (WHERE step = 'scanned') AS scanned,
           max(done_on) FILTER (WHERE step = 'entered') AS entered
    FROM certificate_step GROUP BY certificate_id
)
SELECT c.certificate_id, c.serial,
       string_agg(DISTINCT coalesce(o.name, p.old_unit_code), '; ') AS old_commune,
       min(p.scale) AS scale,
       string_agg(DISTINCT p.sheet_no || '/' || p.parcel_no, '; '
                  ORDER BY p.sheet_no || '/' || p.parcel_no) AS sheet_parcel,
       string_agg(DISTINCT p.new_sheet_no::VARCHAR, '; ') AS new_sheet,
       string_agg(DISTINCT y.full_name, '; ' ORDER BY y.full_name) AS holders,
       $todo AS todo,
       any_value(s.collected) AS collected, any_value(s.scanned) AS scanned,
       CAST(NULL AS DATE) AS entered, CAST(NULL AS VARCHAR) AS by,
       CAST(NULL AS VARCHAR) AS note
FROM certificate c JOIN certificate_commune cc USING (certificate_id)
JOIN certificate_parcel cp USING (certificate_id)
JOIN parcel p USING (parcel_id)
LEFT JOIN admin_unit_old o ON o.code = p.old_unit_code
LEFT JOIN land_right r ON r.parcel_id = p.parcel_id LEFT JOIN party y USING (party_id)
LEFT JOIN steps s USING (certificate_id)
WHERE cc.unit_code = $commune AND c.digital_status <> 'digital' AND s.entered IS NULL
GROUP BY c.certificate_id, c.serial
ORDER BY old_commune, scale, sheet_parcel, c.certificate_id
"""


@dataclass
class WorklistFile:
    path: Path
    findings: int
    users: int
    certificates: int


def _value_kind(con: duckdb.DuckDBPyConnection, table: str, column: str) -> str:
    """The kind of cell a person types a value of ``column`` in (excel_form KINDS, or
    a list: land_use, yes_no)."""
    if (table, column) == LAND_USE:
        return "land_use"
    kind = column_type(con, table, column)
    if kind == "DATE":
        return "date"
    if kind == "BOOLEAN":
        return "yes_no"
    if kind in INTEGER_KINDS:
        return "int"
    if kind == "DOUBLE" or kind.startswith("DECIMAL"):
        return "number"
    return "text"


def _fill_fields(con: duckdb.DuckDBPyConnection, lang: str = "vi") -> None:
    """Each finding's field to correct (in words), its current value and the kind of
    value expected, ID numbers masked, and the version of the value on record an edit is
    based on (``browse.records.version_token``, computed here): the records of a table
    looked up once, then one update per (table, column) a rule points at."""
    names = field_names(lang)
    present = {r[0] for r in con.execute("SELECT DISTINCT rule_id FROM wl_finding").fetchall()}
    fixes: dict[str, list[tuple[str, list[str]]]] = {}
    for table, column in sorted(set(RULE_FIX.values())):
        rules = [r for r, tc in RULE_FIX.items() if tc == (table, column) and r in present]
        if rules:  # (each lookup reads the table: only those with findings)
            fixes.setdefault(table, []).append((column, rules))
    for table, wanted in fixes.items():
        key = KEYS[table]
        columns = [key, *(c for c, _ in wanted if (table, c) != LAND_USE)]
        if table in LOOKED_UP:
            source = f"SELECT {', '.join(columns)} FROM {LOOKED_UP[table]}"
        else:
            listed = _column(con, "SELECT record_id FROM wl_finding WHERE record_type = ?", [table])
            source = f"SELECT {', '.join(columns)} FROM {table} WHERE {keys_in(key, listed)}"
        con.execute(f"CREATE OR REPLACE TEMP TABLE wl_values AS {source}")
        for column, rules in wanted:
            kind = _value_kind(con, table, column)
            raw = value_text(table, column)
            now = f"lc_mask_id({raw})" if column == "id_number" else raw
            if kind == "date":
                now = f"strftime(t.{column}, '%d/%m/%Y')"
            number = f"TRY_CAST(t.{column} AS DOUBLE)" if kind in ("int", "number") else "NULL"
            con.execute(
                f"UPDATE wl_finding SET field = $name, value_kind = $kind, current = {now}, "
                f"current_num = {number}, "
                f"based_on = 'v:' || left(sha256(coalesce({raw}, chr(0))), 16) "
                f"FROM wl_values t WHERE wl_finding.record_type = $table "
                f"AND t.{key} = wl_finding.record_id AND list_contains($rules, wl_finding.rule_id)",
                {"name": names[table, column], "kind": kind, "table": table, "rules": rules},
            )
        con.execute("DROP TABLE wl_values")


def _column(
    con: duckdb.DuckDBPyConnection, sql: str, params: list[object] | None = None
) -> list[str]:
    """The first column of a query's rows, NULLs left out."""
    return [str(r[0]) for r in con.execute(sql, params).fetchall() if r[0] is not None]


def _look_up(con: duckdb.DuckDBPyConnection) -> None:
    """The records the listed findings (``wl_f``) name, their rights, certificates and
    the other land users they name, into tables of their own (``LOOKUP_TABLES``)."""
    parcels = keys_in("parcel_id", _column(con, "SELECT DISTINCT parcel_id FROM wl_f"))
    for sql in LOOKUP_SQL:
        con.execute(sql.format(parcels=parcels))
    parties = _column(con, "SELECT party_id FROM wl_f UNION SELECT party_id FROM wl_right")
    others = _column(con, "SELECT DISTINCT other FROM wl_rel")
    certificates = _column(
        con, "SELECT certificate_id FROM wl_f UNION SELECT certificate_id FROM wl_cp"
    )
    for sql in LOOKUP_KEYED_SQL:
        con.execute(
            sql.format(
                parties=keys_in("party_id", parties), others=keys_in("party_id", others),
                certificates=keys_in("certificate_id", certificates),
            )
        )  # fmt: skip


def finding_rows(
    con: duckdb.DuckDBPyConnection,
    commune: str,
    lang: str = "vi",
    rule: str | None = None,
    limit: int | None = None,
) -> pa.Table:
    """The open findings of new commune ``commune`` (of one ``rule``, or all) as its
    worklist lists them: the rule and what to do, where the record is, the field to
    correct and its value on record (ID numbers masked), the record's type and id; the
    worklist's own and the server's."""
    rules_table(con, lang, {})
    closing = labels("rule_closing", lang)
    con.execute("CREATE OR REPLACE TEMP TABLE closing (rule_id VARCHAR, closing VARCHAR)")
    con.executemany("INSERT INTO closing VALUES (?, ?)", [[k, v] for k, v in closing.items()])
    related = label("worklist_findings", "related", lang)
    con.execute(
        FOUND_SQL,
        {"commune": commune, "elsewhere": list(ELSEWHERE), "rule": rule, "limit": limit},
    )
    _look_up(con)
    con.execute(FINDINGS_SQL, {"related": related})
    _fill_fields(con, lang)
    for table in ("wl_f", *LOOKUP_TABLES):
        con.execute(f"DROP TABLE {table}")
    findings = con.execute("SELECT * FROM wl_finding").fetch_arrow_table()
    con.execute("DROP TABLE wl_finding")
    return findings


def _choices(lang: str) -> dict[str, Choices]:
    """The dropdowns of the findings sheet, by row kind."""
    names = field_names(lang)
    lists = label("worklist_sheets", "lists", lang)
    codes = [c for c in land_use_codes().values() if c.status == "current"]
    out = {
        f"field_{table}": Choices(
            tuple(names[table, c] for c in columns if (table, c) in names), sheet=lists
        )
        for table, (_, columns) in CORRECTABLE.items()
    }
    out["land_use"] = Choices(
        tuple(c.code for c in codes),
        tuple(c.name_vi if lang == "vi" else c.name_en for c in codes),
        sheet=lists,
        strict=False,  # several codes: ONT+CLN
    )
    out["yes_no"] = Choices(("Có", "Không") if lang == "vi" else ("Yes", "No"))
    return out


def export_worklist(
    con: duckdb.DuckDBPyConnection, commune: str, out: Path, lang: str = "vi"
) -> WorklistFile:
    """Write ``commune``'s worklist to ``out`` (.xlsx)."""
    name = con.execute("SELECT name FROM admin_unit WHERE code = ?", [commune]).fetchone()
    if name is None:
        raise ReportError("no_commune", commune=commune)
    if out.suffix.lower() != ".xlsx":
        raise ReportError("worklist_xlsx", path=out)
    if not out.parent.is_dir():
        raise ReportError("no_such_folder", path=out.parent)
    findings = finding_rows(con, commune)
    users = con.execute(USERS_SQL, {"commune": commune, "limit": None}).fetch_arrow_table()
    reasons, statuses = labels("reasons", "vi"), labels("statuses", "vi")
    users = users.set_column(
        users.schema.get_field_index("status"),
        "status",
        [[statuses.get(s, s) for s in users.column("status").to_pylist()]],
    ).set_column(
        users.schema.get_field_index("reasons"),
        "reasons",
        [["; ".join(reasons.get(r, r) for r in rs or []) for rs in users.column("reasons")
          .to_pylist()]],
    )  # fmt: skip
    for key in ("accept", "right_name", "right_id", "right_birth", "by", "note"):
        users = users.append_column(key, [[None] * users.num_rows])
    todo = label("worklist_certificates", "todo_text", "vi")
    certs = con.execute(CERTS_SQL, {"commune": commune, "todo": todo}).fetch_arrow_table()
    x = Choices(("x",))
    title = label("worklist_sheets", "title", "vi", name=name[0], code=commune)
    sheets = [
        FormSheet(
            FINDINGS,
            [
                Column("key", FIND["key"], 16),
                Column("rule", FIND["rule"], 28, wrap=True),
                Column("old_commune", FIND["old_commune"], 16),
                Column("scale", FIND["scale"], 8, "int"),
                Column("sheet_parcel", FIND["sheet_parcel"], 10),
                Column("new_sheet", FIND["new_sheet"], 8, "int"),
                Column("serial", FIND["serial"], 14),
                Column("holder", FIND["holder"], 26, wrap=True),
                Column("todo", FIND["todo"], 50, wrap=True),
                Column("field", FIND["field"], 22, input=True, kind_from="field_kind"),
                Column("current", FIND["current"], 16, number_from="current_num"),
                Column("value", FIND["value"], 18, input=True, kind_from="value_kind"),
                Column("exception", FIND["exception"], 24, input=True),
                Column("by", FIND["by"], 16, input=True),
                Column("note", FIND["note"], 20, input=True),
            ],
            findings,
            title,
            frozen_columns=2,
            row_choices=_choices("vi"),
        ),
        FormSheet(
            USERS,
            [
                Column("party_id", USER["party_id"], 14),
                Column("name", USER["name"], 22),
                Column("birth_year", USER["birth_year"], 8, "int"),
                Column("id", USER["id"], 15),
                Column("birth", USER["birth"], 12),
                Column("parcels", USER["parcels"], 24, wrap=True),
                Column("status", USER["status"], 14),
                Column("reasons", USER["reasons"], 30, wrap=True),
                Column("proposed_name", USER["proposed_name"], 22),
                Column("proposed_id", USER["proposed_id"], 15),
                Column("proposed_birth", USER["proposed_birth"], 12),
                Column("accept", USER["accept"], 10, "choice", input=True, choices=x),
                Column("right_name", USER["right_name"], 22, input=True),
                Column("right_id", USER["right_id"], 15, input=True),
                Column("right_birth", USER["right_birth"], 14, "date", input=True),
                Column("by", USER["by"], 16, input=True),
                Column("note", USER["note"], 20, input=True),
            ],
            users,
            title,
            frozen_columns=2,
        ),
        FormSheet(
            CERTS,
            [
                Column("certificate_id", CERT["certificate_id"], 22),
                Column("serial", CERT["serial"], 14),
                Column("old_commune", CERT["old_commune"], 16),
                Column("scale", CERT["scale"], 8, "int"),
                Column("sheet_parcel", CERT["sheet_parcel"], 12),
                Column("new_sheet", CERT["new_sheet"], 8),
                Column("holders", CERT["holders"], 26, wrap=True),
                Column("todo", CERT["todo"], 30, wrap=True),
                Column("collected", CERT["collected"], 14, "date_or_x", input=True),
                Column("scanned", CERT["scanned"], 14, "date_or_x", input=True),
                Column("entered", CERT["entered"], 14, "date_or_x", input=True),
                Column("by", CERT["by"], 16, input=True),
                Column("note", CERT["note"], 20, input=True),
            ],
            certs,
            title,
            frozen_columns=2,
        ),
    ]
    write_form(out, sheets, (title, GUIDE_TEXT), GUIDE)
    return WorklistFile(out, findings.num_rows, users.num_rows, certs.num_rows)
