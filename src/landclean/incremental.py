"""What changed since a stage last succeeded: the pipeline recomputes only that.

Everything a person changes outside the pipeline is journalled in ``change_log``
(corrections, accepted exceptions, the days certificates were collected, scanned and
entered, the land users ID cards were linked to); everything imported reaches the
canonical tables through a build (``canonical_build``).  When a stage succeeds, the
pipeline records its watermark in ``stage_state``: the last journalled change, the
build, a hash of the settings its results depend on (and of the files they name), the
language and the day.  Before the
stage runs again, ``changes_for`` compares that watermark with the workspace now:

- nothing new → the stage has nothing to do (a run with nothing changed takes seconds);
- only people's changes, or newer builds that kept their delta (``ingest.delta``: the
  records an import added, changed or removed) and a stage that takes imports in
  (``Stage.takes_imports``) → the stage recomputes the records they name and what
  depends on them (each stage's own closure: docs/incremental.md);
- anything else (no watermark yet, a build without a delta, other settings,
  ``run --full``) → the stage recomputes everything, as a first run does.

The shortcut gives the same result as a full recomputation: tests/test_incremental.py
runs random sequences of edits and imports and compares the two.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, replace
from pathlib import Path

import duckdb

from landclean.settings import Settings

# the change_log stages of people's changes (corrections, exceptions, worklists' dates)
JOURNAL = ("correction", "exception", "worklist", "evidence")  # evidence: ID cards linked
# what ``Changes.journal`` calls the records a build added, changed or removed
IMPORT = "import"
# the column of a record a build's delta gives the value before of (``key_before``)
DELTA_KEYS = {"parcel": "old_unit_code", "party": "id_number", "certificate": "serial"}
# settings that shape no result (who acts, limits, where profiles are): not in the hash
NEUTRAL_SETTINGS = frozenset(
    {
        "lang",
        "map_base_url",
        "actor",
        "memory_limit",
        "profile_dirs",
        "max_rows",
        "max_unzip_ratio",
        "lock_wait",
        "exchange_catalogue",
    }
)


@dataclass(frozen=True)
class Mark:
    """The workspace's state as far as results depend on it (a stage's watermark)."""

    change_id: int
    build_id: int
    settings: str
    lang: str
    day: dt.date


@dataclass(frozen=True)
class Changes:
    """What a stage has to take into account since its watermark."""

    mark: Mark  # the workspace now: recorded as the stage's watermark when it succeeds
    full: bool  # recompute everything
    reason: str  # why everything: first, build, settings, asked ('' when not full)
    since_change: int  # people's changes after this change_id (and up to mark.change_id)
    since_run: int  # the run the stage last succeeded in (0: never)
    corrected: frozenset[tuple[str, str]]  # (table, column) corrected since
    exceptions: int  # findings accepted as exceptions since
    steps: int  # certificates' collection/scanning/entry days recorded since
    evidence: int  # land users ID cards were linked to since (``evidence.add``)
    new_day: bool  # the run counts for another day (--as-of) than the stage's last one
    new_today: bool  # the calendar day is another than the stage's last run's (rules
    # comparing with today's date must look again)
    new_lang: bool  # the words are wanted in another language
    since_build: int = 0  # builds after this one (and up to mark.build_id) kept deltas
    # tables of the records builds since changed (parcel, party, certificate) and the
    # whole tables they changed (registry_person …): empty unless the stage takes imports
    imported: frozenset[str] = frozenset()

    @property
    def none(self) -> bool:
        """Nothing a stage's results could depend on changed."""
        return not (
            self.full
            or self.corrected
            or self.exceptions
            or self.steps
            or self.evidence
            or self.imported
        )

    def touches(self, table: str, *columns: str) -> bool:
        """Whether a correction since names ``table`` (one of ``columns``, if given), or
        an import since changed records of it."""
        return table in self.imported or any(
            t == table and (not columns or c in columns) for t, c in self.corrected
        )

    def journal(self, *stages: str) -> str:
        """SQL selecting the journalled changes since the watermark (of ``stages``, or
        all three of people's): table_name, record_id, column_name, before, after,
        rule_id, stage.  With ``IMPORT`` among ``stages``, the records builds since
        added, changed or removed come too, each as one row naming the column of
        ``DELTA_KEYS`` with the value it held before (after: NULL)."""
        chosen = ", ".join(f"'{s}'" for s in (stages or JOURNAL) if s in JOURNAL) or "NULL"
        people = (
            "SELECT table_name, record_id, column_name, before, after, rule_id, stage "
            f"FROM change_log WHERE change_id > {int(self.since_change)} "
            f"AND change_id <= {int(self.mark.change_id)} AND stage IN ({chosen})"
        )
        if IMPORT not in stages or self.since_build >= self.mark.build_id:
            return people
        column = " ".join(f"WHEN '{t}' THEN '{c}'" for t, c in DELTA_KEYS.items())
        return (
            f"{people} UNION ALL SELECT table_name, record_id, CASE table_name {column} END, "
            f"key_before, NULL, NULL, '{IMPORT}' FROM build_delta "
            f"WHERE build_id > {int(self.since_build)} AND build_id <= {int(self.mark.build_id)} "
            "AND record_id IS NOT NULL"
        )


def _file_digest(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return "missing"


def settings_hash(settings: Settings) -> str:
    """A hash of the settings results depend on, and of the content of the files they
    name (a classification CSV edited in place counts as other settings)."""
    shaping = {
        k: v for k, v in settings.model_dump(mode="json").items() if k not in NEUTRAL_SETTINGS
    }
    files = {
        name: _file_digest(Path(value))
        for name, value in shaping.items()
        if isinstance(value, str)
        and name in ("classification", "renumber_order", "commune_boundaries", "registry_protocol")
    }
    text = json.dumps([shaping, files], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def current_mark(con: duckdb.DuckDBPyConnection, settings: Settings, day: dt.date) -> Mark:
    """The workspace's state now."""
    stages = ", ".join(f"'{s}'" for s in JOURNAL)
    row = con.execute(
        f"SELECT (SELECT COALESCE(max(change_id), 0) FROM change_log WHERE stage IN ({stages})),"
        " (SELECT COALESCE(max(build_id), 0) FROM canonical_build)"
    ).fetchone()
    assert row is not None
    return Mark(int(row[0]), int(row[1]), settings_hash(settings), settings.lang, day)


def _deltas_since(con: duckdb.DuckDBPyConnection, build_id: int, mark: Mark) -> bool:
    """Every build after ``build_id`` (up to the mark's) kept its delta."""
    row = con.execute(
        "SELECT count(*) FILTER (WHERE NOT COALESCE(delta, false)) FROM canonical_build "
        "WHERE build_id > ? AND build_id <= ?",
        [build_id, mark.build_id],
    ).fetchone()
    return build_id > 0 and row is not None and int(row[0]) == 0


def changes_for(
    con: duckdb.DuckDBPyConnection,
    stage: str,
    mark: Mark,
    full: bool = False,
    imports: bool = False,
) -> Changes:
    """What ``stage`` has to take into account now (``full``: everything, as asked;
    ``imports``: the stage takes builds' deltas in, instead of recomputing all)."""
    row = con.execute(
        "SELECT run_id, change_id, build_id, settings, lang, day, "
        "recorded_at::DATE <> current_date FROM stage_state WHERE stage = ?",
        [stage],
    ).fetchone()
    since_build = mark.build_id
    if row is None:
        reason = "first"
    elif full:
        reason = "asked"
    elif int(row[2]) != mark.build_id and not (imports and _deltas_since(con, int(row[2]), mark)):
        reason = "build"
    elif row[3] != mark.settings:
        reason = "settings"
    else:
        reason = ""
        since_build = int(row[2])
    since_change = 0 if row is None else int(row[1])
    changes = Changes(
        mark=mark,
        full=bool(reason),
        reason=reason,
        since_change=since_change,
        since_run=0 if row is None else int(row[0]),
        corrected=frozenset(),
        exceptions=0,
        steps=0,
        evidence=0,
        new_day=row is None or row[5] != mark.day,
        new_today=row is None or bool(row[6]),
        new_lang=row is None or row[4] != mark.lang,
        since_build=since_build,
    )
    if not changes.full and since_build < mark.build_id:
        imported = con.execute(
            "SELECT DISTINCT table_name FROM build_delta WHERE build_id > ? AND build_id <= ?",
            [since_build, mark.build_id],
        ).fetchall()
        changes = replace(changes, imported=frozenset(str(r[0]) for r in imported))
    if changes.full or since_change >= mark.change_id:
        return changes
    rows = con.execute(
        f"SELECT stage, table_name, column_name, count(*) FROM ({changes.journal()}) GROUP BY ALL"
    ).fetchall()
    corrected = frozenset((str(t), str(c)) for s, t, c, _ in rows if s == "correction")
    exceptions = sum(int(n) for s, _, _, n in rows if s == "exception")
    steps = sum(int(n) for s, _, _, n in rows if s == "worklist")
    evidence = sum(int(n) for s, _, _, n in rows if s == "evidence")
    return replace(
        changes, corrected=corrected, exceptions=exceptions, steps=steps, evidence=evidence
    )


def record_mark(con: duckdb.DuckDBPyConnection, stage: str, run_id: int, mark: Mark) -> None:
    """Record ``mark`` as ``stage``'s watermark: it has taken everything up to it in."""
    con.execute(
        "INSERT OR REPLACE INTO stage_state VALUES (?, ?, ?, ?, ?, ?, ?, now()::TIMESTAMP)",
        [stage, run_id, mark.change_id, mark.build_id, mark.settings, mark.lang, mark.day],
    )


IN_SCOPE = re.compile(r"/\*in (\w+):([\w.]+)\*/")
# A scope of at most this many ids is written into the SQL as a list of constants: DuckDB
# then filters the table's scan itself (reading the other columns of matching rows only)
# instead of joining the whole table with the scope (a rule on 250 parcels' geometries
# of a 3.4 M-parcel province: 0.17 s instead of 1.8 s).
INLINE_MAX = 5000


def scope_values(con: duckdb.DuckDBPyConnection, table: str, column: str = "code") -> str:
    """What ``x IN …`` reads for the scope in temp table ``table``: its ids as SQL string
    constants when there are few (at most ``INLINE_MAX``), else a subquery."""
    subquery = f"(SELECT {column} FROM {table})"
    ids = con.execute(
        f"SELECT DISTINCT {column}::VARCHAR FROM {table} WHERE {column} IS NOT NULL "
        f"LIMIT {INLINE_MAX + 1}"
    ).fetchall()
    if not ids or len(ids) > INLINE_MAX:
        return subquery
    return "(" + ", ".join("'" + str(v).replace("'", "''") + "'" for (v,) in ids) + ")"


def narrowed(sql: str, scoped: bool, con: duckdb.DuckDBPyConnection) -> str:
    """``sql`` over everything, or (``scoped``) narrowed where its ``/*in TABLE:column*/``
    marks say: ``AND column IN …``, TABLE a temp table of the codes (or ids) in scope on
    ``con`` (``scope_values``: a small scope's codes written in as constants)."""
    if not scoped:
        return IN_SCOPE.sub("", sql)
    values: dict[str, str] = {}

    def within(m: re.Match[str]) -> str:
        table = m.group(1)
        if table not in values:
            values[table] = scope_values(con, table)
        return f"AND {m.group(2)} IN {values[table]}"

    return IN_SCOPE.sub(within, sql)
