"""The fuzz corpus: malformed inputs for ``landclean import``, deterministic from a seed.

Case ``number`` of seed ``seed`` is always the same file(s): its random generator is
seeded with ``"{seed}:{number}"`` and the valid files it starts from are built
byte-identically (``seeds``).  The kind of a case is ``KINDS[number % len(KINDS)]``, so
every run of at least ``len(KINDS)`` cases tries every kind; within a kind the seed picks
the variant (which format, where to cut, what to break).

A kind is a probe: a function ``(rng, seeds, out) -> Made`` that writes its files into
the empty folder ``out`` and says what to import (``target``), what it did (``detail``)
and the environment and extra arguments of the command (profile folders).  The probes
live by theme in ``probes_bytes``, ``probes_tables``, ``probes_xlsx``, ``probes_maps``
and ``probes_profiles``.
"""

from __future__ import annotations

import random
import warnings
from dataclasses import dataclass
from pathlib import Path

from tests.hardening.mutate import Probe
from tests.hardening.seeds import Seeds


@dataclass(frozen=True)
class Case:
    seed: int
    number: int
    kind: str
    detail: str
    target: Path
    env: dict[str, str]
    args: tuple[str, ...]
    lang: str  # vi or en: the language of messages (LANDCLEAN_LANG)

    @property
    def label(self) -> str:
        return f"case {self.number} of seed {self.seed} [{self.kind}] {self.detail}"

    def argv(self, workspace: Path) -> list[str]:
        """The command's arguments after ``landclean``."""
        return ["import", str(workspace), str(self.target), *self.args]


def _kinds() -> dict[str, Probe]:
    from tests.hardening import (
        probes_bytes,
        probes_maps,
        probes_profiles,
        probes_tables,
        probes_xlsx,
    )

    return {
        **probes_bytes.PROBES,
        **probes_tables.PROBES,
        **probes_xlsx.PROBES,
        **probes_maps.PROBES,
        **probes_profiles.PROBES,
    }


KINDS: dict[str, Probe] = _kinds()
KIND_NAMES: list[str] = list(KINDS)


def rng_of(seed: int, number: int) -> random.Random:
    return random.Random(f"{seed}:{number}")


def kind_of(number: int) -> str:
    return KIND_NAMES[number % len(KIND_NAMES)]


def make_case(seed: int, number: int, seeds: Seeds, out: Path) -> Case:
    """Write case ``number`` of ``seed`` into ``out`` (created; must be empty)."""
    out.mkdir(parents=True, exist_ok=True)
    rng = rng_of(seed, number)
    kind = kind_of(number)
    lang = rng.choice(("vi", "en"))
    with warnings.catch_warnings():  # NaN coordinates and the like are what we want
        warnings.simplefilter("ignore")
        made = KINDS[kind](rng, seeds, out)
    return Case(
        seed=seed,
        number=number,
        kind=kind,
        detail=made.detail,
        target=made.target,
        env=dict(made.env),
        args=tuple(made.args),
        lang=lang,
    )
