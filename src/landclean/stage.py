"""The stage contract: what every pipeline stage is, and what it returns.

A stage has a name, the tables it reads, the tables it owns (no other stage writes
them), and ``run(context) -> StageReport``.  The pipeline (``landclean.pipeline``) is an
ordered tuple of stages; adding a stage is one module defining a ``STAGE`` and one line
in that tuple.

A stage recomputes only what changed since it last succeeded (``context.changes``,
``landclean.incremental``): nothing, the records people changed and what depends on them,
or everything.

Some stages also *carry* their results onto the canonical rows, so that everything that
reads a parcel sees them (``parcel.unit_code`` from renumbering, a standardized name on
``party.full_name``).  Those columns are copies of the stage's own tables: after the build
stage rebuilds the canonical tables from the raw imports it calls each such stage's
``restore``, so a rebuild never wipes another stage's work (docs/architecture.md).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import duckdb

from landclean.incremental import Changes
from landclean.labels import fmt_int, label
from landclean.settings import Settings
from landclean.workspace import Workspace


@dataclass(frozen=True)
class StageWarning:
    """Something a person should look at after a stage, worded from the labels'
    ``stage_warnings`` section (``str()`` is the English text)."""

    key: str
    values: tuple[tuple[str, object], ...] = ()

    @classmethod
    def of(cls, key: str, **values: object) -> StageWarning:
        return cls(key, tuple(values.items()))

    def text(self, lang: str) -> str:
        shown = {k: fmt_int(v, lang) if isinstance(v, int) else v for k, v in self.values}
        return label("stage_warnings", self.key, lang, **shown)

    def __str__(self) -> str:
        return self.text("en")


def count_label(stage: str, key: str, lang: str) -> str:
    """What a stage's count is, in ``lang``: its own label, a placement, an
    authentication status or a table's name (``placement.location`` → "theo vị trí")."""
    if key.startswith("placement."):
        return label("placements", key.split(".", 1)[1], lang)
    sections = ("statuses", "counts") if stage == "authenticate" else ("counts", "tables")
    for section in sections:
        try:
            return label(section, key, lang)
        except KeyError:
            continue
    return key


@dataclass
class StageReport:
    """What one stage did: counts (what it decided), seconds, warnings."""

    stage: str
    counts: dict[str, int] = field(default_factory=dict)
    warnings: list[StageWarning] = field(default_factory=list)
    steps: dict[str, float] = field(default_factory=dict)  # seconds of its own steps
    seconds: float = 0.0
    ran: bool = True  # False: there was nothing to do (the build with no new import)
    # False: the stage could not take in everything (a rule failed): its watermark stays
    # where it was, so that the next run tries those changes again
    caught_up: bool = True
    _clock: float = field(default_factory=time.perf_counter, repr=False, compare=False)

    def lap(self, step: str) -> None:
        """Record the seconds since the previous lap (or since the report was made)."""
        now = time.perf_counter()
        self.steps[step] = round(now - self._clock, 3)
        self._clock = now


@dataclass
class StageContext:
    """Everything a stage may use: the workspace, the run, the settings, who acts."""

    ws: Workspace
    run_id: int
    settings: Settings
    actor: str
    day: dt.date  # the day the run counts for (the campaign's snapshot)
    stages: tuple[Stage, ...] = ()  # the whole pipeline (the build restores carried results)
    progress: Callable[[str], None] | None = None
    # what changed since the running stage last succeeded (set by the pipeline before
    # each stage; None: everything, as in a first run)
    changes: Changes | None = None

    @property
    def full(self) -> bool:
        """The running stage recomputes everything."""
        return self.changes is None or self.changes.full

    def untouched(self, *fields: str) -> bool:
        """The running stage has nothing to do: not a full run, and no correction since
        it last succeeded names one of ``fields`` ("table.column", or "table": any)."""
        if self.changes is None or self.changes.full:
            return False
        return not any(self.changes.touches(*f.split(".")) for f in fields)

    @property
    def con(self) -> duckdb.DuckDBPyConnection:
        return self.ws.con

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        with self.ws.transaction() as con:
            yield con

    def tell(self, label: str) -> None:
        """Say what is being done now (a progress display, when there is one)."""
        if self.progress:
            self.progress(label)


@dataclass(frozen=True)
class Stage:
    """One step of the pipeline: see the module's docstring."""

    name: str
    summary: str  # one line: what the stage decides
    # the tables it reads: documentation (docs/architecture.md), not enforced
    reads: tuple[str, ...]
    # the tables it writes; no other stage writes them (a test checks every table has
    # one owner)
    owns: tuple[str, ...]
    run: Callable[[StageContext], StageReport]
    # columns of other stages' tables that carry this stage's results (copies of its
    # own tables), and the function that puts them back after a rebuild
    carries: tuple[str, ...] = ()
    restore: Callable[[duckdb.DuckDBPyConnection], None] | None = None
    # True: the pipeline runs the stage inside one transaction (all or nothing);
    # False: the stage opens its own (validation evaluates rules outside any).
    atomic: bool = True
    # True: after a build that kept its delta (the records an import changed), the stage
    # recomputes those records and what depends on them; False: everything
    takes_imports: bool = False
