"""Weighted sampling of labels, shared by the generator's parts."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def sample(rng: np.random.Generator, table: dict[str, float], n: int) -> npt.NDArray[np.str_]:
    """n labels drawn from ``table`` (label -> weight; weights need not sum to 1)."""
    labels = list(table)
    p = np.array([table[k] for k in labels], dtype=float)
    return np.array(labels)[rng.choice(len(labels), size=n, p=p / p.sum())]
