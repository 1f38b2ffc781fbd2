"""Synthetic people: realistic Vietnamese names, birth data and citizen IDs (vectorized)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from landclean.synth.sampling import sample
from landclean.vn.citizen_id import century_sex_digit

# Birth provinces of land users living in the two regions (3-digit CCCD codes, shares).
BIRTH_PROVINCES = {
    "west": {
        "066": 0.72,
        "067": 0.03,
        "064": 0.03,
        "040": 0.04,
        "038": 0.03,
        "042": 0.03,
        "034": 0.03,
        "036": 0.02,
        "052": 0.02,
        "049": 0.02,
        "051": 0.02,
        "001": 0.01,
    },
    "east": {"054": 0.86, "052": 0.04, "056": 0.03, "066": 0.03, "049": 0.02, "051": 0.02},
}
HIGHLAND_SHARE = {"west": 0.22, "east": 0.03}


@cache
def names_data() -> dict[str, Any]:
    text = resources.files("landclean.synth").joinpath("data/names.json").read_text("utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


def _weighted(rng: np.random.Generator, table: dict[str, float], n: int) -> pa.Array:
    return pa.array(sample(rng, table, n), pa.string())


def _uniform(rng: np.random.Generator, values: list[str], n: int) -> pa.Array:
    return pa.array(np.array(values, dtype=object)[rng.integers(len(values), size=n)], pa.string())


@dataclass
class People:
    """Parallel columns, one row per true person."""

    full_name: pa.Array
    surname: pa.Array
    middle: pa.Array  # empty for highland names
    given: pa.Array
    highland: npt.NDArray[np.bool_]
    female: npt.NDArray[np.bool_]
    birth: npt.NDArray[np.datetime64]
    birth_province: npt.NDArray[np.str_]
    cccd: npt.NDArray[np.str_]
    cmnd: npt.NDArray[np.object_]  # None where the person never had a 9-digit card


def make_names(
    rng: np.random.Generator, female: npt.NDArray[np.bool_], highland: npt.NDArray[np.bool_]
) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """Full name, surname/clan, middle and given names."""
    d = names_data()
    n = len(female)
    kinh_sur = _weighted(rng, d["kinh_surnames"], n)
    mid_m = _weighted(rng, d["kinh_middle_male"], n)
    mid_f = _weighted(rng, d["kinh_middle_female"], n)
    giv_m = _uniform(rng, d["kinh_given_male"], n)
    giv_f = _uniform(rng, d["kinh_given_female"], n)
    clan = _weighted(rng, d["highland_clans"], n)
    hg_m = _uniform(rng, d["highland_given_male"], n)
    hg_f = _uniform(rng, d["highland_given_female"], n)
    fem = pa.array(female)
    hl = pa.array(highland)
    kinh_middle = pc.if_else(fem, mid_f, mid_m)
    kinh_given = pc.if_else(fem, giv_f, giv_m)
    # Highland names: "Y Bih Niê" for men, "H'Hen Ksor" for women.
    hl_given = pc.if_else(
        fem,
        pc.binary_join_element_wise("H'", hg_f, ""),
        pc.binary_join_element_wise("Y ", hg_m, ""),
    )
    surname = pc.if_else(hl, clan, kinh_sur)
    middle = pc.if_else(hl, pa.scalar(""), kinh_middle)
    given = pc.if_else(hl, hl_given, kinh_given)
    kinh_full = pc.binary_join_element_wise(kinh_sur, kinh_middle, kinh_given, " ")
    hl_full = pc.binary_join_element_wise(hl_given, clan, " ")
    full = pc.if_else(hl, hl_full, kinh_full)
    return full, surname, middle, given


def make_people(
    rng: np.random.Generator, regions: npt.NDArray[np.str_], female: npt.NDArray[np.bool_]
) -> People:
    """People living in ``regions`` (one entry per person)."""
    n = len(regions)
    west = regions == "west"
    highland = rng.random(n) < np.where(west, HIGHLAND_SHARE["west"], HIGHLAND_SHARE["east"])
    full, surname, middle, given = make_names(rng, female, highland)
    year = rng.integers(1935, 2004, size=n)
    day_of_year = rng.integers(0, 365, size=n)
    first_day = (year - 1970).astype("datetime64[Y]").astype("datetime64[D]")
    birth = np.asarray(first_day + day_of_year, dtype="datetime64[D]")
    province = np.empty(n, dtype="<U3")
    for region, table in BIRTH_PROVINCES.items():
        mask = regions == region
        province[mask] = sample(rng, table, int(mask.sum()))
    cccd = _unique_cccd(rng, province, year, female)
    has_cmnd = rng.random(n) < 0.35
    cmnd = np.full(n, None, dtype=object)
    cmnd[has_cmnd] = _unique_digits(rng, int(has_cmnd.sum()), 9, prefixes=("24", "22", "23"))
    return People(full, surname, middle, given, highland, female, birth, province, cccd, cmnd)


def _unique_cccd(
    rng: np.random.Generator,
    province: npt.NDArray[np.str_],
    year: npt.NDArray[np.int64],
    female: npt.NDArray[np.bool_],
) -> npt.NDArray[np.str_]:
    century_sex = century_sex_digit(year, female)
    prefix = np.char.add(
        np.char.add(province, century_sex.astype(str)), np.char.zfill((year % 100).astype(str), 2)
    )
    serial = rng.integers(0, 1_000_000, size=len(year))
    ids = np.char.add(prefix, np.char.zfill(serial.astype(str), 6))
    while True:
        _, first = np.unique(ids, return_index=True)
        dup = np.ones(len(ids), dtype=bool)
        dup[first] = False
        if not dup.any():
            return ids
        serial = rng.integers(0, 1_000_000, size=int(dup.sum()))
        ids[dup] = np.char.add(prefix[dup], np.char.zfill(serial.astype(str), 6))


def _unique_digits(
    rng: np.random.Generator, n: int, width: int, prefixes: tuple[str, ...]
) -> npt.NDArray[np.str_]:
    rest = width - len(prefixes[0])
    pool = (
        rng.choice(10**rest, size=n, replace=False)
        if n < 10**rest // 4
        else rng.permutation(10**rest)[:n]
    )
    pre = np.array(prefixes)[rng.integers(len(prefixes), size=n)]
    return np.char.add(pre, np.char.zfill(pool.astype(str), rest))
