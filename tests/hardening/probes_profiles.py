"""Probes of column-mapping profiles: a malicious profile in the folder named by
``LANDCLEAN_PROFILE_DIRS`` (or ``--profiles-dir``), and bad values of that variable, while
a valid field form is imported."""

from __future__ import annotations

import copy
import json
import random
from pathlib import Path
from typing import Any

from landclean.vn.legacy_encodings import encode_cp1258, encode_tcvn3
from tests.hardening.mutate import Made, Probe, copy_seed
from tests.hardening.seeds import Seeds

BASE: dict[str, Any] = {
    "name": "huyen_x",
    "title": "Bảng kê thửa đất của huyện X",
    "target": "parcel_record",
    "required": ["parcel_code"],
    "columns": [
        {"field": "parcel_code", "header": "Mã thửa", "aliases": ["MaThua"]},
        {"field": "commune_code", "header": "Mã xã"},
        {"field": "map_sheet", "header": "Số tờ bản đồ hiện trạng"},
        {"field": "map_parcel", "header": "Số thửa hiện trạng"},
    ],
}

# (where, value): a value of the wrong type or shape put at one place of the profile
WRONG: tuple[tuple[tuple[Any, ...], Any], ...] = (
    (("columns",), "parcel_code"),
    (("columns",), [1, 2, 3]),
    (("columns",), {"field": "parcel_code"}),
    (("columns",), []),
    (("columns", 0, "field"), 5),
    (("columns", 0, "field"), None),
    (("columns", 0, "header"), None),
    (("columns", 0, "header"), {"a": 1}),
    (("columns", 0, "aliases"), {"a": 1}),
    (("columns", 0, "aliases"), "MaThua"),
    (("columns", 0, "aliases"), [None, 1, ["x"]]),
    (("columns", 1, "field"), "no_such_column"),
    (("columns", 1, "field"), "parcel_code"),
    (("name",), 5),
    (("name",), ["huyen_x"]),
    (("name",), None),
    (("title",), {"vi": "x"}),
    (("target",), ["parcel_record"]),
    (("target",), "raw_parcel_record; DROP TABLE parcel"),
    (("required",), "parcel_code"),
    (("required",), [["parcel_code"]]),
    (("required",), [None]),
    (("header_row",), [1]),
    (("header_row",), -1),
    (("header_row",), 1e9),
    (("header_row",), "1e3"),
    (("header_row",), True),
    (("sheet",), 5),
    (("parcel_key",), "map_sheet"),
    (("parcel_key",), {"commune": None, "sheet": "map_sheet", "parcel": "map_parcel"}),
    (
        ("parcel_key",),
        {
            "commune": [{"field": "commune_code", "is": "somewhere"}],
            "sheet": 1,
            "parcel": "map_parcel",
        },
    ),
    (("owner_key",), 5),
    (("owner_key",), ["owner_id", "../x"]),
    (("description",), ["x"] * 3),
)

DOTDOT = (
    (("name",), "../../../etc/passwd"),
    (("name",), "..\\..\\windows"),
    (("name",), "field_form/../registry"),
    (("name",), "a\nb"),
    (("name",), "[bold red]x[/]"),
    (("columns", 0, "field"), "../parcel_code"),
    (("columns", 0, "field"), 'parcel_code"; DROP TABLE parcel; --'),
    (("columns", 0, "header"), "../../Mã thửa"),
    (("target",), "../parcel_record"),
)


def _set(doc: dict[str, Any], where: tuple[Any, ...], value: Any) -> None:
    node: Any = doc
    for key in where[:-1]:
        node = node[key]
    node[where[-1]] = value


def _profile_text(rng: random.Random) -> tuple[bytes, str, str]:
    """The malicious profile's bytes, its file name and what it is."""
    doc = copy.deepcopy(BASE)
    how = rng.choice(
        ("deep_nesting", "non_utf8", "huge", "wrong_types", "wrong_types", "dotdot",
         "shadow_builtin", "empty", "not_json", "json_literals", "top_level", "duplicate_keys")
    )  # fmt: skip
    name = "huyen_x.json"
    if how == "deep_nesting":
        depth = rng.randrange(1_000, 200_000)
        where = rng.choice(('"columns": ', '"name": ', '"title": ', ""))
        inner = (
            "[" * depth + "]" * depth if rng.random() < 0.5 else '{"a":' * depth + "1" + "}" * depth
        )
        text = '{"title": "x", "target": "parcel_record", ' + where + inner + ("}" if where else "")
        return text.encode(), name, f"{how}: depth {depth:,} at {where or 'top'}"
    if how == "non_utf8":
        text = json.dumps(doc, ensure_ascii=False)
        data = rng.choice((encode_cp1258, encode_tcvn3, lambda t: t.encode("utf-16-le")))(text)
        return data, name, how
    if how == "huge":
        n = rng.randrange(20_000, 60_000)
        doc["columns"][0]["aliases"] = [f"Mã thửa {i}" for i in range(n)]
        if rng.random() < 0.5:
            doc["title"] = "Bảng kê " * 100_000
        return json.dumps(doc, ensure_ascii=False).encode(), name, f"{how}: {n:,} aliases"
    if how in ("wrong_types", "dotdot"):
        where, value = rng.choice(WRONG if how == "wrong_types" else DOTDOT)
        _set(doc, where, value)
        return (
            json.dumps(doc, ensure_ascii=False).encode(),
            name,
            f"{how}: {where} = {value!r}"[:120],
        )
    if how == "shadow_builtin":  # a file named like a built-in, mapping fields wrongly
        doc["name"] = "field_form"
        doc["columns"][0]["field"] = rng.choice(("no_such_column", "owner_name", "legal_area"))
        return json.dumps(doc, ensure_ascii=False).encode(), "field_form.json", how
    if how == "empty":
        return rng.choice((b"", b"\xef\xbb\xbf", b" ", b"\x00")), name, how
    if how == "not_json":
        return rng.choice((b"{", b"name: x", b"[1,2", b"\xff\xfe{}", b"{'name': 'x'}")), name, how
    if how == "json_literals":
        text = json.dumps(doc).replace('"parcel_record"', "NaN", 1)
        return text.encode(), name, how
    if how == "top_level":
        return rng.choice((b"[]", b"null", b'"x"', b"5", b"[{}]")), name, how
    text = json.dumps(doc)[:-1] + ', "name": 5, "columns": null}'
    return text.encode(), name, how


def malicious_profile(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    target = copy_seed(seeds, rng.choice(("form_csv", "form_csv", "form_xlsx")), out)
    folder = out / "profiles"
    folder.mkdir()
    data, name, detail = _profile_text(rng)
    (folder / name).write_bytes(data)
    if rng.random() < 0.3:
        return Made(target, f"--profiles-dir, {detail}", args=["--profiles-dir", str(folder)])
    return Made(target, detail, env={"LANDCLEAN_PROFILE_DIRS": json.dumps([str(folder)])})


def profile_dirs_value(rng: random.Random, seeds: Seeds, out: Path) -> Made:
    """``LANDCLEAN_PROFILE_DIRS`` that is not a list of folders, or a folder that is odd."""
    target = copy_seed(seeds, "form_csv", out)
    folder = out / "p"
    (folder / "dir.json").mkdir(parents=True)  # a folder named like a profile
    (out / "a_file.json").write_text("{}")
    value = rng.choice(
        (str(folder), "[", "5", '{"a": 1}', '["a", 5]', json.dumps([str(out / "a_file.json")]),
         json.dumps([str(out / "none")]), json.dumps([str(folder)]), json.dumps([str(folder)] * 50),
         "", '[""]', "[null]", json.dumps(["\x00"]), json.dumps(["~/../../"]))
    )  # fmt: skip
    return Made(
        target, f"LANDCLEAN_PROFILE_DIRS={value[:80]!r}", env={"LANDCLEAN_PROFILE_DIRS": value}
    )


PROBES: dict[str, Probe] = {
    "malicious_profile": malicious_profile,
    "profile_dirs_value": profile_dirs_value,
}
