"""How land systems recorded people: names, IDs and birth dates, with injected defects."""

from __future__ import annotations

import unicodedata

import numpy as np
import numpy.typing as npt

from landclean.vn.legacy_encodings import tcvn3_mojibake, vni_mojibake
from landclean.vn.text import to_old_tone_placement

# Three-digit codes that are no province's (CCCD codes are 001-096 with gaps).
UNUSED_PROVINCE_CODES = ("003", "005", "009", "013", "016", "018", "021", "023", "028")

MIDDLE_MISSPELLINGS = {
    "Văn": "Vân",
    "Thị": "Thi",
    "Đức": "Đưc",
    "Minh": "Mình",
    "Quang": "Quan",
    "Hữu": "Hưu",
    "Công": "Côn",
    "Xuân": "Xuan",
    "Thanh": "Thang",
    "Ngọc": "Ngoc",
    "Thu": "Thư",
    "Kim": "Kym",
    "Mỹ": "My",
    "Hồng": "Hông",
}


def recorded_name(
    name: str, surname: str, middle: str, given: str, highland: bool, defect: str | None
) -> tuple[str, str | None]:
    """The name as the land system holds it, and the defect actually applied (or None)."""
    out = name
    if defect == "name_nfd":
        out = unicodedata.normalize("NFD", name)
    elif defect == "name_tone_placement":
        out = to_old_tone_placement(name)
    elif defect == "name_tcvn3_mojibake":
        out = tcvn3_mojibake(name)
    elif defect == "name_vni_mojibake":
        out = vni_mojibake(name)
    elif defect == "name_middle_missing" and middle:
        out = f"{surname} {given}"
    elif defect == "name_middle_misspelled" and middle in MIDDLE_MISSPELLINGS:
        out = f"{surname} {MIDDLE_MISSPELLINGS[middle]} {given}"
    elif defect == "name_ede_reversed" and highland:
        out = f"{surname} {given}"
    elif defect == "name_missing":
        out = ""
    return out, (defect if out != name else None)


def recorded_id(
    rng: np.random.Generator, cccd: str, cmnd: str | None, defect: str | None
) -> tuple[str, str | None]:
    """The ID number as recorded, and the defect actually applied."""
    digits = list(cccd)
    if defect == "id_wrong_digit":
        pos = int(rng.integers(6, 12))
        digits[pos] = str((int(digits[pos]) + int(rng.integers(1, 10))) % 10)
    elif defect == "id_swapped_digits":
        candidates = [i for i in range(6, 11) if digits[i] != digits[i + 1]]
        if not candidates:
            return cccd, None
        i = candidates[int(rng.integers(len(candidates)))]
        digits[i], digits[i + 1] = digits[i + 1], digits[i]
    elif defect == "id_old_cmnd":
        return (cmnd, defect) if cmnd else (cccd, None)
    elif defect == "id_missing":
        return "", defect
    elif defect == "id_wrong_length":  # a digit typed twice, or two digits lost
        if rng.random() < 0.5:
            pos = int(rng.integers(6, 12))
            digits.insert(pos, digits[pos])
        else:
            del digits[10:12]
    elif defect == "id_unknown_province":  # the province code mistyped: no such province
        digits[0:3] = list(str(rng.choice(UNUSED_PROVINCE_CODES)))
    elif defect == "id_birth_mismatch":
        if rng.random() < 0.5:  # sex digit flipped
            d = int(digits[3])
            digits[3] = str(d + 1 if d % 2 == 0 else d - 1)
        else:  # birth-year digits off by 1-3 years
            yy = (int(cccd[4:6]) + int(rng.choice([-3, -2, -1, 1, 2, 3]))) % 100
            digits[4:6] = list(f"{yy:02d}")
    else:
        return cccd, None
    return "".join(digits), defect


def format_id(rng: np.random.Generator, number: str) -> str:
    """Typing noise that keeps the digits (spaces or dots), as in real exports."""
    if len(number) == 12 and rng.random() < 0.04:
        sep = " " if rng.random() < 0.6 else "."
        return sep.join((number[:3], number[3:6], number[6:9], number[9:]))
    return number


def recorded_birth(birth: np.datetime64, defect: str | None) -> tuple[str, str | None]:
    """Birth date text (DD/MM/YYYY), with a swapped or year-only defect."""
    y, m, d = str(birth).split("-")
    if defect == "birth_day_month_swapped" and int(d) <= 12 and d != m:
        return f"{m}/{d}/{y}", defect
    if defect == "birth_year_only":
        return y, defect
    if defect == "birth_missing":
        return "", defect
    if defect == "birth_impossible":  # the century mistyped: born in the future
        return f"{d}/{m}/{int(y) + 100}", defect
    return f"{d}/{m}/{y}", None


def apply_party_defects(
    rng: np.random.Generator,
    names: npt.NDArray[np.object_],
    parts: tuple[npt.NDArray[np.object_], ...],
    highland: npt.NDArray[np.bool_],
    cccd: npt.NDArray[np.object_],
    cmnd: npt.NDArray[np.object_],
    birth: npt.NDArray[np.datetime64],
    name_defect: npt.NDArray[np.object_],
    id_defect: npt.NDArray[np.object_],
    birth_defect: npt.NDArray[np.object_],
) -> dict[str, list[object]]:
    """Recorded name, ID and birth text per party (a Python loop only over party rows
    that are not organisations; defects are rare and cheap, the rest is copied)."""
    surname, middle, given = parts
    n = len(names)
    rec_name = list(names)
    rec_id = list(cccd)
    rec_birth: list[object] = [None] * n
    applied: dict[str, list[object]] = {"name": [None] * n, "id": [None] * n, "birth": [None] * n}
    for i in np.flatnonzero(name_defect != None):  # noqa: E711
        rec_name[i], applied["name"][i] = recorded_name(
            names[i], surname[i], middle[i], given[i], bool(highland[i]), name_defect[i]
        )
    for i in np.flatnonzero(id_defect != None):  # noqa: E711
        rec_id[i], applied["id"][i] = recorded_id(rng, cccd[i], cmnd[i], id_defect[i])
    noise = rng.random(n) < 0.04
    for i in np.flatnonzero(noise):
        rec_id[i] = format_id(rng, rec_id[i])
    y = birth.astype("datetime64[Y]").astype(int) + 1970
    m = birth.astype("datetime64[M]").astype(int) % 12 + 1
    d = (birth - birth.astype("datetime64[M]")).astype(int) + 1
    default = np.char.add(
        np.char.add(
            np.char.add(np.char.zfill(d.astype(str), 2), "/"),
            np.char.add(np.char.zfill(m.astype(str), 2), "/"),
        ),
        y.astype(str),
    )
    rec_birth = list(default)
    for i in np.flatnonzero(birth_defect != None):  # noqa: E711
        rec_birth[i], applied["birth"][i] = recorded_birth(birth[i], birth_defect[i])
    return {
        "name": rec_name,
        "id": rec_id,
        "birth": rec_birth,
        **{f"defect_{k}": v for k, v in applied.items()},
    }
