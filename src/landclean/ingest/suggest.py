"""Draft a profile for a file no profile reads: ``landclean profiles suggest FILE``.

Each column is judged by its header (compared with the synonym table ``data/
synonyms.json`` and every built-in profile's headers and aliases, ignoring case, accents,
spacing and punctuation) and by its values (12- and 9-digit ID numbers, dates, birth
years, certificate serials, land-use codes, areas, sheet and parcel numbers, scales,
old or new commune codes and names, sexes, people's names), measured in SQL over a
sample of the file's rows.  A field is given to the column with the most evidence; the
draft says what it found, how sure it is, and what is still missing.  Where the file
has no parcel code, the draft composes the key from commune, scale, sheet and parcel
(``parcel_key``), saying whether the commune column gives old or new codes or names.
"""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from landclean.errors import ImportError_
from landclean.ingest.profiles import Profile, all_profiles, known_headers, synonyms
from landclean.ingest.reading import read_source
from landclean.ingest.sources import temp_workdir
from landclean.vn import admin_units as au
from landclean.vn import sql as vn_sql
from landclean.vn.land_use import land_use_codes
from landclean.vn.text import ascii_key, compact_key

SAMPLE_ROWS = 5000
SUGGESTED_TARGETS = ("parcel_record", "registry")
# value measures (share of a column's non-blank sample cells), as SQL over cell ``v``
MEASURES: dict[str, str] = {
    "id12": "length(lc_id_number(v)) = 12",
    "id9": "length(lc_id_number(v)) = 9",
    "date": "lc_date(v) IS NOT NULL AND NOT regexp_full_match(trim(v), '[0-9.]+')",
    "year": "regexp_full_match(trim(v), '(18|19|20)[0-9]{2}(\\.0+)?')",
    "serial": "lc_serial_form(v) IN ('pre2024', '2024')",
    "land_use": "list_contains($codes, upper(regexp_extract(trim(v), '^([A-Za-z]{2,4})', 1)))",
    "decimal": "lc_num(v) IS NOT NULL AND lc_num(v) > 0 AND lc_num(v) <> round(lc_num(v))",
    "number": "lc_num(v) IS NOT NULL",
    "small_int": "lc_int(v) BETWEEN 1 AND 999 AND regexp_full_match(trim(v), '[0-9]+(\\.0+)?')",
    "int": "lc_int(v) BETWEEN 1 AND 99999 AND regexp_full_match(trim(v), '[0-9]+(\\.0+)?')",
    "scale": "regexp_full_match(replace(trim(v), ' ', ''), "
    "'(1[:/])?(200|500|1000|2000|5000|10000|25000)(\\.0+)?')",
    "old_code": "list_contains($old_codes, lc_unit_code(v))",
    "new_code": "list_contains($new_codes, lc_unit_code(v))",
    # a name has letters ("4" is no commune name, though "Phường 4" is one)
    "old_name": "regexp_matches(v, '[[:alpha:]]') AND list_contains($old_names, "
    "lc_unit_bare_key(v))",
    "new_name": "regexp_matches(v, '[[:alpha:]]') AND list_contains($new_names, "
    "lc_unit_bare_key(v))",
    "sex": "lower(trim(v)) IN ('nam', 'nữ', 'nu', 'male', 'female', 'm', 'f')",
    "person": "regexp_full_match(trim(v), '([[:upper:]][[:lower:]]*\\.? ?){2,6}') "
    "AND NOT regexp_matches(v, '[0-9]')",
    "yes_no": "lc_yes(v) IS NOT NULL",
    "long_text": "length(trim(v)) > 15 AND regexp_matches(v, ',')",
}
# what values say about a field: (measure, threshold, confidence when met), the best met
VALUE_EVIDENCE: dict[str, dict[str, list[tuple[str, float, float]]]] = {
    "parcel_record": {
        "owner_id": [("id12", 0.5, 0.7), ("id9", 0.5, 0.5)],
        "owner_birth": [("year", 0.6, 0.5), ("date", 0.8, 0.3)],
        "cert_issue_date": [("date", 0.7, 0.4)],
        "cert_serial": [("serial", 0.6, 0.8)],
        "lu1_code": [("land_use", 0.7, 0.7)],
        "legal_area": [("decimal", 0.3, 0.5)],
        "map_scale": [("scale", 0.9, 0.6)],
        "commune_code": [("old_code", 0.8, 0.7), ("new_code", 0.8, 0.6)],
        "commune_name": [("old_name", 0.6, 0.7), ("new_name", 0.6, 0.6)],
        "owner_sex": [("sex", 0.8, 0.8)],
        "owner_name": [("person", 0.7, 0.5)],
        "parcel_address": [("long_text", 0.6, 0.3)],
        # sheet and parcel numbers look alike: the first such column is taken for the
        # sheet (files list the sheet before the parcel), weakly
        "map_sheet": [("small_int", 0.9, 0.35)],
        "map_parcel": [("int", 0.9, 0.3)],
    },
    "registry": {
        "so_dinh_danh": [("id12", 0.8, 0.8)],
        "so_cmnd": [("id9", 0.6, 0.7)],
        "ngay_sinh": [("date", 0.6, 0.6), ("year", 0.8, 0.4)],
        "ho_ten": [("person", 0.7, 0.6)],
        "gioi_tinh": [("sex", 0.8, 0.8)],
        "noi_thuong_tru": [("long_text", 0.6, 0.3)],
    },
}
# a header match and values that contradict it: the header is kept, less sure
CONTRADICTIONS: dict[str, tuple[str, float]] = {
    "owner_id": ("number", 0.2),
    "so_dinh_danh": ("number", 0.2),
    "map_sheet": ("number", 0.2),
    "map_parcel": ("number", 0.2),
    "legal_area": ("number", 0.5),
}


@dataclass
class ColumnGuess:
    """What a column of the file was taken for, how sure, and why."""

    header: str
    field: str | None = None
    confidence: float = 0.0
    # why: (key of the labels' "suggest_evidence" section, its values)
    evidence: list[tuple[str, dict[str, object]]] = dataclasses.field(default_factory=list)


@dataclass
class Suggestion:
    """A drafted profile: the mapping, its evidence and what is still missing."""

    path: Path
    sheet: str | None
    target: str
    columns: list[ColumnGuess]
    parcel_key: dict[str, object] | None
    missing: list[str]
    profile: dict[str, object]
    matched_profile: str | None  # an existing profile that already reads the file


def header_table(target: str) -> dict[str, str]:
    """Compact key of every known header of ``target`` -> field."""
    return known_headers(target, all_profiles())


def _words(text: str) -> set[str]:
    spaced = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)  # camelCase
    return {w for w in re.split(r"[^0-9a-z]+", compact_key_words(spaced)) if w}


def compact_key_words(text: str) -> str:
    """Lower-case, accent-free text with its word breaks kept."""
    return ascii_key(text)


Evidence = tuple[str, dict[str, object]]


def _header_guess(
    header: str, table: dict[str, str], words: dict[str, set[str]]
) -> tuple[str, float, Evidence] | None:
    """(field, confidence, evidence) from the header alone."""
    key = compact_key(header)
    if key in table:
        return table[key], 0.9, ("header_known", {"header": header})
    mine = _words(header)
    best: tuple[str, float, Evidence] | None = None
    for fname, theirs in words.items():
        if not mine or not theirs:
            continue
        overlap = len(mine & theirs) / len(mine | theirs)
        if overlap >= 0.5 and (best is None or overlap * 0.6 > best[1]):
            best = (fname, overlap * 0.6, ("header_like", {"header": header}))
    return best


def _field_words(target: str) -> dict[str, set[str]]:
    """Per field, the words of its known headers (each header's own word set)."""
    out: dict[str, set[str]] = {}
    for fname, words in synonyms().get(target, {}).items():
        for w in words:
            out.setdefault(fname, set()).update(_words(w))
    return out


def _measure(con: duckdb.DuckDBPyConnection, table: str, width: int) -> list[dict[str, float]]:
    """Per column: share of its non-blank sample cells meeting each measure."""
    olds, news = au.old_units(), au.new_units()
    params = {
        "codes": sorted(land_use_codes()),
        "old_codes": [u.code for u in olds],
        "new_codes": [u.code for u in news],
        "old_names": sorted({u.name for u in olds}),
        "new_names": sorted({u.name for u in news}),
    }
    con.execute(
        "CREATE OR REPLACE TEMP TABLE suggest_names AS SELECT DISTINCT lc_unit_bare_key(n) AS k, "
        "o AS old FROM (SELECT unnest($old_names) AS n, true AS o UNION ALL "
        "SELECT unnest($new_names), false)",
        {"old_names": params["old_names"], "new_names": params["new_names"]},
    )
    rows = con.execute(
        "SELECT list(k) FILTER (WHERE old), list(k) FILTER (WHERE NOT old) FROM suggest_names"
    ).fetchone()
    assert rows is not None
    params["old_names"], params["new_names"] = rows[0] or [], rows[1] or []
    out = []
    for i in range(width):
        cells = (
            f"(SELECT c{i} AS v FROM {table} WHERE lc_text(c{i}) IS NOT NULL LIMIT {SAMPLE_ROWS})"
        )
        aggregates = ", ".join(
            f"avg(CASE WHEN {sql} THEN 1.0 ELSE 0.0 END) AS {name}"
            for name, sql in MEASURES.items()
        )
        query = f"SELECT count(*), {aggregates} FROM {cells}"
        used = {k: v for k, v in params.items() if f"${k}" in query}
        row = con.execute(query, used).fetchone()
        assert row is not None
        n = int(row[0])
        out.append(
            {"_n": float(n), **{k: float(v or 0.0) for k, v in zip(MEASURES, row[1:], strict=True)}}
        )
    return out


def _guess_columns(
    headers: list[str], measures: list[dict[str, float]], target: str
) -> list[ColumnGuess]:
    table, words = header_table(target), _field_words(target)
    candidates: list[tuple[float, int, str, list[Evidence]]] = []
    for i, header in enumerate(headers):
        m = measures[i]
        by_header = _header_guess(header, table, words)
        scores: dict[str, tuple[float, list[Evidence]]] = {}
        if by_header:
            fname, conf, why = by_header
            contra = CONTRADICTIONS.get(fname)
            reasons = [why]
            if contra and m["_n"] and m[contra[0]] < contra[1]:
                conf = conf * 0.5
                reasons.append(("values_disagree", {"share": round(m[contra[0]] * 100)}))
            scores[fname] = (conf, reasons)
        for fname, options in VALUE_EVIDENCE.get(target, {}).items():
            met = [(conf * m[ms], ms, conf) for ms, threshold, conf in options
                   if m["_n"] and m[ms] >= threshold]  # fmt: skip
            if not met:
                continue
            _, measure, conf = max(met)
            share = m[measure]
            if share:
                why = ("values_" + measure, {"share": round(share * 100)})
                if fname in scores:
                    old_conf, old_why = scores[fname]
                    scores[fname] = (min(1.0, old_conf + 0.1 + conf * 0.2), [*old_why, why])
                else:
                    scores[fname] = (conf * share, [why])
        for fname, (conf, reasons) in scores.items():
            candidates.append((conf, i, fname, reasons))
    guesses = [ColumnGuess(h) for h in headers]
    taken: set[str] = set()
    for conf, i, fname, reasons in sorted(candidates, key=lambda c: (-c[0], c[1])):
        if guesses[i].field is None and fname not in taken and conf >= 0.25:
            guesses[i] = ColumnGuess(headers[i], fname, round(conf, 2), reasons)
            taken.add(fname)
    # commune columns: old or new codes, or names
    for i, g in enumerate(guesses):
        if g.field in ("commune_code", "commune_name"):
            m = measures[i]
            g.evidence.append(
                (
                    "commune_lists",
                    {
                        k: round(m[k] * 100)
                        for k in ("old_code", "new_code", "old_name", "new_name")
                    },
                )
            )
    return guesses


def _commune_kind(guess: ColumnGuess, m: dict[str, float]) -> str:
    if guess.field == "commune_name":
        return "new_name" if m["new_name"] > m["old_name"] else "old_name"
    only_new = m["new_code"] > 0.8 and m["old_code"] < 0.5
    return "new_code" if only_new else "old_code"


def _draft(
    path: Path,
    target: str,
    guesses: list[ColumnGuess],
    measures: list[dict[str, float]],
    header_row: int,
) -> tuple[dict[str, object], dict[str, object] | None, list[str]]:
    """The profile document, its parcel key, and what is missing."""
    found = {g.field: (i, g) for i, g in enumerate(guesses) if g.field}
    columns = [{"field": g.field, "header": g.header} for g in guesses if g.field]
    name = re.sub(r"[^0-9a-z]+", "_", compact_key_words(path.stem)).strip("_") or "draft"
    doc: dict[str, object] = {
        "name": f"suggested_{name}",
        "title": f"Drafted from {path.name}",
        "description": "Drafted by 'landclean profiles suggest'; check every column.",
        "target": target,
        "header_row": header_row,
        "required": [],
        "columns": columns,
    }
    missing: list[str] = []
    key: dict[str, object] | None = None
    if target == "parcel_record":
        communes = [
            {"field": f, "is": _commune_kind(found[f][1], measures[found[f][0]])}
            for f in ("commune_code", "commune_name")
            if f in found
        ]
        if "parcel_code" in found:
            doc["required"] = ["parcel_code"]
        if communes and "map_sheet" in found and "map_parcel" in found:
            key = {"commune": communes, "sheet": "map_sheet", "parcel": "map_parcel"}
            if "map_scale" in found:
                key["scale"] = "map_scale"
            doc["parcel_key"] = key
        elif "parcel_code" not in found:
            need = [f for f in ("commune_code", "map_sheet", "map_parcel") if f not in found]
            if "commune_name" in found and "commune_code" in need:
                need.remove("commune_code")
            missing.append("parcel_code, or " + " + ".join(need or ["?"]))
        for f in ("owner_name", "legal_area", "lu1_code"):
            if f not in found:
                missing.append(f)
    elif target == "registry":
        doc["required"] = [f for f in ("so_dinh_danh", "ho_ten") if f in found]
        missing += [f for f in ("so_dinh_danh", "ho_ten", "ngay_sinh") if f not in found]
    return doc, key, missing


def suggest_profile(path: Path, sheet: str | None = None) -> Suggestion:
    """Draft a profile for ``path`` (one sheet of a workbook: ``sheet``, default the
    first with data)."""
    con = duckdb.connect()
    vn_sql.register(con)
    known = all_profiles()
    # the synonym table also finds the header row of a spreadsheet
    guides = [_guide_profile(t) for t in SUGGESTED_TARGETS]
    with temp_workdir() as tmp:
        sources = read_source(con, path, [*known, *guides], Path(tmp))
        if sheet is not None:
            sources = [s for s in sources if s.part == sheet]
            if not sources:
                raise ImportError_("no_sheet", path=path, sheet=sheet)  # or only blank
        source = sources[0]
        if source.is_map:
            raise ImportError_("suggest_map", path=path)
        measures = _measure(con, source.table, len(source.headers))
    matched = next(
        (p.name for p in known if p.target != "map_feature" and p.accepts(source.headers)), None
    )
    best: tuple[float, str, list[ColumnGuess]] | None = None
    for target in SUGGESTED_TARGETS:
        guesses = _guess_columns(source.headers, measures, target)
        score = sum(g.confidence for g in guesses if g.field)
        if best is None or score > best[0]:
            best = (score, target, guesses)
    assert best is not None
    _, target, guesses = best
    if not any(g.field for g in guesses):
        raise ImportError_("suggest_nothing", path=path, headers=", ".join(source.headers[:8]))
    doc, key, missing = _draft(path, target, guesses, measures, 1)
    return Suggestion(path, source.part, target, guesses, key, missing, doc, matched)


def _guide_profile(target: str) -> Profile:
    table = header_table(target)
    fields = tuple(sorted(set(table.values())))
    return Profile(
        name=f"_guide_{target}",
        title="",
        description="",
        target=target,
        header_row=1,
        sheet="",
        fields=fields,
        headers=fields,
        aliases=table,
        source="synonyms",
    )


def write_profile(suggestion: Suggestion, out: Path) -> Path:
    """The drafted profile as a JSON file (a profile folder's file, see docs/profiles.md)."""
    out.write_text(json.dumps(suggestion.profile, ensure_ascii=False, indent=1) + "\n", "utf-8")
    return out
