"""Land use by region and scale, land-use entries, houses."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from landclean.synth.sampling import sample

# (region, scale) -> {code: share}; "RES" is replaced by ONT (rural) or ODT (urban).
LAND_USE_MIX: dict[tuple[str, int], dict[str, float]] = {
    ("west", 500): {"RES": 0.85, "TMD": 0.05, "CLN": 0.07, "DGD": 0.03},
    ("east", 500): {"RES": 0.85, "TMD": 0.06, "HNK": 0.06, "DGD": 0.03},
    ("west", 1000): {"RES": 0.55, "CLN": 0.32, "HNK": 0.10, "DGT": 0.03},
    ("east", 1000): {"RES": 0.55, "LUC": 0.20, "HNK": 0.15, "CLN": 0.07, "DGT": 0.03},
    ("west", 2000): {"CLN": 0.60, "HNK": 0.15, "LUC": 0.10, "RES": 0.10, "NTS": 0.05},
    ("east", 2000): {"LUC": 0.45, "HNK": 0.20, "CLN": 0.15, "RES": 0.10, "NTS": 0.10},
    ("west", 5000): {"CLN": 0.40, "RSX": 0.35, "HNK": 0.25},
    ("east", 5000): {"RSX": 0.50, "LUC": 0.20, "HNK": 0.30},
    ("west", 10000): {"RSX": 0.70, "RPH": 0.20, "RDD": 0.10},
    ("east", 10000): {"RSX": 0.70, "RPH": 0.25, "RDD": 0.05},
}
LEGACY_SPELLING = {"HNK": "BHK", "LUK": "LUN", "TIN": "TTN"}
INVALID_CODES = np.array(["CLN1", "ODT.", "XYZ", "LNC", "ONTT", "RSN", "DTC", "0NT"])


def main_land_use(
    rng: np.random.Generator,
    region: npt.NDArray[np.str_],
    scale: npt.NDArray[np.int64],
    urban: npt.NDArray[np.bool_],
) -> npt.NDArray[np.str_]:
    """The main land-use code of each parcel."""
    out = np.empty(len(region), dtype="<U4")
    for (reg, sc), mix in LAND_USE_MIX.items():
        mask = (region == reg) & (scale == sc)
        if not mask.any():
            continue
        out[mask] = sample(rng, mix, int(mask.sum()))
    res = out == "RES"
    out[res & urban] = "ODT"
    out[res & ~urban] = "ONT"
    return out
