"""Choosing which records get which injected defect (at most one per family)."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from landclean.synth.config import GeneratorConfig


def pick_family(
    rng: np.random.Generator, config: GeneratorConfig, n: int, defects: list[str]
) -> npt.NDArray[np.object_]:
    """For n records, the one defect of this family each gets (None for most)."""
    rates = np.array([config.rate(d) for d in defects])
    if rates.sum() > 1:
        rates = rates / rates.sum()
    cum = np.cumsum(rates)
    u = rng.random(n)
    idx = np.searchsorted(cum, u, side="right")
    labels = np.array([*defects, None], dtype=object)
    return labels[idx]


def pick(
    rng: np.random.Generator, config: GeneratorConfig, n: int, defect: str
) -> npt.NDArray[np.bool_]:
    """Which of n records get this single defect."""
    return rng.random(n) < config.rate(defect)
